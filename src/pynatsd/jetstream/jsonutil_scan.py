# A JSON scanner that fails the way nats-server's decoder fails.
#
# Why not msgspec alone: nats-server answers a bad request body with the Go decoder's own words,
# `invalid JSON: invalid character 'b' looking for beginning of object key string at offset 2`, and
# clients show that text to people. msgspec's messages and offsets differ, so the syntax pass is ours.
#
# How: a recursive-descent scanner over bytes that builds a small tree of `Node`s, each remembering
# its byte span (enum fields need the raw text of their value for their error message). Strings and
# numbers take a regex fast path; only an error walks character by character. The text is a stream
# of values, as nats-server reads it: `values()` yields one top-level value at a time, so a syntax
# error in a later value only shows up after the earlier ones were accepted.
#
# Error rules, as observed on nats-server 2.15:
#   - `invalid character C <context> at offset N`, where N is the byte offset just past C and C is
#     quoted like Go's strconv.Quote inside single quotes ('\t', '\ufeff', '\'').
#   - running out of input anywhere inside a value is `unexpected EOF` (no offset);
#   - a bad escape is ``invalid escape sequence `\q` in string``, offset past the sequence;
#   - invalid UTF-8 and lone surrogates in strings become U+FFFD, as Go does.
from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

__all__ = ["MAX_DEPTH", "GoJSONError", "Node", "go_quote", "go_quote_char", "scan_values"]

MAX_DEPTH: Final = 128  # Go allows 10000; no JetStream request nests beyond a handful

_WS: Final = re.compile(rb"[ \t\n\r]*")
_SIMPLE_STR: Final = re.compile(rb'"([^"\\\x00-\x1f\x80-\xff]*)"')
_NUMBER: Final = re.compile(rb"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_ESCAPES: Final = {
    ord('"'): '"',
    ord("\\"): "\\",
    ord("/"): "/",
    ord("b"): "\b",
    ord("f"): "\f",
    ord("n"): "\n",
    ord("r"): "\r",
    ord("t"): "\t",
}
_HEX: Final = frozenset(b"0123456789abcdefABCDEF")
_LITERALS: Final = {ord("t"): (b"true", True), ord("f"): (b"false", False), ord("n"): (b"null", None)}


class GoJSONError(ValueError):
    """A decode failure; `str(exc)` is the Go decoder's message (without the `invalid JSON: ` prefix)."""


class Node:
    """One JSON value. `kind` is one of object, array, string, number, bool, null (Go's names)."""

    __slots__ = ("end", "kind", "start", "value")

    def __init__(self, kind: str, start: int, end: int, value: object) -> None:
        self.kind = kind
        self.start = start
        self.end = end
        # object: list[tuple[str, Node]]; array: list[Node]; string: str; number: str (the literal
        # text); bool: bool; null: None.
        self.value = value


_NAMED_ESCAPES: Final = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
}


def _quote_rune(ch: str, quote: str) -> str:
    if ch == quote or ch == "\\":
        return "\\" + ch
    if ch in _NAMED_ESCAPES:
        return _NAMED_ESCAPES[ch]
    cp = ord(ch)
    if ch.isprintable() and not (0xD800 <= cp <= 0xDFFF):
        return ch
    if cp < 0x20 or cp == 0x7F:
        return f"\\x{cp:02x}"
    if cp < 0x10000:
        return f"\\u{cp:04x}"
    return f"\\U{cp:08x}"


def go_quote(text: str) -> str:
    """Go's strconv.Quote (what `%q` prints)."""
    return '"' + "".join(_quote_rune(ch, '"') for ch in text) + '"'


def go_quote_char(ch: str) -> str:
    """How Go's JSON errors quote one character: `'b'`, `'\\t'`, `'\\''`."""
    return "'" + _quote_rune(ch, "'") + "'"


class _Scanner:
    __slots__ = ("data", "n")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.n = len(data)

    # -- errors ----------------------------------------------------------------------------------

    def _char_at(self, pos: int) -> tuple[str, int]:
        """The character starting at `pos` and the offset just past it."""
        for width in (1, 2, 3, 4):
            try:
                return self.data[pos : pos + width].decode("utf-8"), pos + width
            except UnicodeDecodeError:
                continue
        return "\ufffd", pos + 1

    def fail(self, pos: int, context: str) -> GoJSONError:
        if pos >= self.n:
            return GoJSONError("unexpected EOF")
        ch, end = self._char_at(pos)
        return GoJSONError(f"invalid character {go_quote_char(ch)} {context} at offset {end}")

    def skip_ws(self, pos: int) -> int:
        m = _WS.match(self.data, pos)
        assert m is not None
        return m.end()

    # -- values ----------------------------------------------------------------------------------

    def value(self, pos: int, depth: int) -> Node:
        if pos >= self.n:
            raise GoJSONError("unexpected EOF")
        if depth > MAX_DEPTH:
            raise GoJSONError(f"exceeded max depth at offset {pos + 1}")
        c = self.data[pos]
        if c == 0x7B:  # {
            return self.obj(pos, depth)
        if c == 0x5B:  # [
            return self.arr(pos, depth)
        if c == 0x22:  # "
            return self.string(pos)
        if c == 0x2D or 0x30 <= c <= 0x39:
            return self.number(pos)
        if c in _LITERALS:
            return self.literal(pos, c)
        raise self.fail(pos, "looking for beginning of value")

    def obj(self, start: int, depth: int) -> Node:
        members: list[tuple[str, Node]] = []
        pos = self.skip_ws(start + 1)
        if pos < self.n and self.data[pos] == 0x7D:
            return Node("object", start, pos + 1, members)
        while True:
            if pos >= self.n or self.data[pos] != 0x22:
                raise self.fail(pos, "looking for beginning of object key string")
            key = self.string(pos)
            pos = self.skip_ws(key.end)
            if pos >= self.n or self.data[pos] != 0x3A:
                raise self.fail(pos, "after object key")
            val = self.value(self.skip_ws(pos + 1), depth + 1)
            members.append((str(key.value), val))
            pos = self.skip_ws(val.end)
            if pos < self.n and self.data[pos] == 0x2C:
                pos = self.skip_ws(pos + 1)
                continue
            if pos < self.n and self.data[pos] == 0x7D:
                return Node("object", start, pos + 1, members)
            raise self.fail(pos, "after object key:value pair")

    def arr(self, start: int, depth: int) -> Node:
        items: list[Node] = []
        pos = self.skip_ws(start + 1)
        if pos < self.n and self.data[pos] == 0x5D:
            return Node("array", start, pos + 1, items)
        while True:
            item = self.value(pos, depth + 1)
            items.append(item)
            pos = self.skip_ws(item.end)
            if pos < self.n and self.data[pos] == 0x2C:
                pos = self.skip_ws(pos + 1)
                continue
            if pos < self.n and self.data[pos] == 0x5D:
                return Node("array", start, pos + 1, items)
            raise self.fail(pos, "after array element")

    def number(self, start: int) -> Node:
        m = _NUMBER.match(self.data, start)
        if m is None or self._broken_tail(m.group(), m.end()):
            raise self.fail(self._number_error_pos(start), "in numeric literal")
        return Node("number", start, m.end(), m.group().decode("ascii"))

    def _broken_tail(self, text: bytes, end: int) -> bool:
        """A `.` or exponent marker right after the match that the match could not take."""
        if end >= self.n:
            return False
        c = self.data[end]
        has_exp = b"e" in text or b"E" in text
        if c == 0x2E:
            return b"." not in text and not has_exp
        return c in b"eE" and not has_exp

    def _number_error_pos(self, start: int) -> int:
        pos = start + 1 if self.data[start] == 0x2D else start
        digits = b"0123456789"
        if pos >= self.n or self.data[pos] not in digits:
            return pos
        pos = pos + 1 if self.data[pos] == 0x30 else _skip(self.data, pos, digits)
        if pos < self.n and self.data[pos] == 0x2E:
            frac = _skip(self.data, pos + 1, digits)
            if frac == pos + 1:
                return frac
            pos = frac
        if pos < self.n and self.data[pos] in b"eE":
            pos += 1
            if pos < self.n and self.data[pos] in b"+-":
                pos += 1
            exp = _skip(self.data, pos, digits)
            if exp == pos:
                return exp
            pos = exp
        return pos

    def literal(self, start: int, first: int) -> Node:
        word, val = _LITERALS[first]
        for i in range(1, len(word)):
            pos = start + i
            if pos >= self.n:
                raise GoJSONError("unexpected EOF")
            if self.data[pos] != word[i]:
                name = word.decode()
                expect = go_quote_char(chr(word[i]))
                raise self.fail(pos, f"in literal {name} (expecting {expect})")
        kind = "null" if val is None else "bool"
        return Node(kind, start, start + len(word), val)

    def string(self, start: int) -> Node:
        m = _SIMPLE_STR.match(self.data, start)
        if m is not None:
            return Node("string", start, m.end(), m.group(1).decode("ascii"))
        return self._slow_string(start)

    def _slow_string(self, start: int) -> Node:
        data, n = self.data, self.n
        out: list[str] = []
        pos = start + 1
        while True:
            if pos >= n:
                raise GoJSONError("unexpected EOF")
            c = data[pos]
            if c == 0x22:
                return Node("string", start, pos + 1, "".join(out))
            if c == 0x5C:
                text, pos = self._escape(pos)
                out.append(text)
                continue
            if c < 0x20:
                raise self.fail(pos, "in string")
            run = pos
            while pos < n and data[pos] not in (0x22, 0x5C) and data[pos] >= 0x20:
                pos += 1
            out.append(data[run:pos].decode("utf-8", "replace"))

    def _escape(self, pos: int) -> tuple[str, int]:
        """Decode the escape at `pos` (the backslash); return its text and the position after it."""
        data, n = self.data, self.n
        if pos + 1 >= n:
            raise GoJSONError("unexpected EOF")
        kind = data[pos + 1]
        if kind in _ESCAPES:
            return _ESCAPES[kind], pos + 2
        if kind != 0x75:  # u
            ch, end = self._char_at(pos + 1)
            raise GoJSONError(f"invalid escape sequence `\\{ch}` in string at offset {end}")
        cp = self._hex4(pos)
        pos += 6
        if 0xD800 <= cp < 0xDC00 and data[pos : pos + 2] == b"\\u":
            low = self._hex4(pos)
            if 0xDC00 <= low < 0xE000:
                return chr(0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00)), pos + 6
        if 0xD800 <= cp < 0xE000:
            return "\ufffd", pos
        return chr(cp), pos

    def _hex4(self, pos: int) -> int:
        digits = self.data[pos + 2 : pos + 6]
        if len(digits) < 4 and all(d in _HEX for d in digits):
            raise GoJSONError("unexpected EOF")
        if len(digits) < 4 or not all(d in _HEX for d in digits):
            seq = self.data[pos : pos + 6].decode("utf-8", "replace")
            raise GoJSONError(
                f"invalid escape sequence `{seq}` in string at offset {pos + len(seq.encode())}"
            )
        return int(digits, 16)


def _skip(data: bytes, pos: int, chars: bytes) -> int:
    n = len(data)
    while pos < n and data[pos] in chars:
        pos += 1
    return pos


def scan_values(data: bytes) -> Iterator[Node]:
    """Yield the top-level values of `data` one by one; raise GoJSONError at the first bad one."""
    scanner = _Scanner(data)
    pos = scanner.skip_ws(0)
    while pos < scanner.n:
        node = scanner.value(pos, 0)
        yield node
        pos = scanner.skip_ws(node.end)
