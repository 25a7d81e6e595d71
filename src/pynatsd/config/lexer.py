# Character-level scanning for the NATS configuration language.
#
# The language is context sensitive: the same bare word is a key in one place and a value in another,
# `include` is a keyword only where a key may start, and whether `10s` is a string or `1m` an integer
# depends on the whole word. So instead of producing one token stream up front, the scanner offers
# small "read the next X here" methods that the parser calls according to where it is. Every token
# carries its 1-based line and column so that errors can name file:line:col.
#
# Value rules follow nats-server: unquoted words that spell a number (with an optional k/m/g/t/p/e
# suffix, decimal; or kb/ki/kib etc., binary) are integers, `1.5` is a float, a Zulu timestamp is a
# datetime, any other word starting with a digit (`10s`, `127.0.0.1:4222`) is a string. A float or an
# IP-like prefix followed by junk (`1.5s`) is left for the parser to reject, as nats-server does.
#
# Go duration strings ("1h30m", "500ms") are a value format of their own; their parsing and printing
# live at the end of this module so that error messages can echo durations the way Go prints them.
from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from enum import Enum, auto
from typing import Any, Final


class ConfigError(Exception):
    """A configuration file could not be read, parsed or applied."""

    def __init__(
        self, message: str, *, filename: str = "", line: int = 0, column: int = 0, reason: str = ""
    ) -> None:
        super().__init__(message)
        self.message = message
        self.filename = filename
        self.line = line
        self.column = column
        self.reason = reason or message


def parse_error(filename: str, line: int, column: int, reason: str) -> ConfigError:
    # nats-server prints "Parse error on line N: '<reason>'"; the file:line:col prefix is ours.
    message = f"{filename}:{line}:{column}: Parse error on line {line}: '{reason}'"
    return ConfigError(message, filename=filename, line=line, column=column, reason=reason)


def located_error(filename: str, line: int, column: int, reason: str) -> ConfigError:
    message = f"{filename}:{line}:{column}: {reason}"
    return ConfigError(message, filename=filename, line=line, column=column, reason=reason)


class Kind(Enum):
    KEY = auto()
    STRING = auto()
    INTEGER = auto()
    FLOAT = auto()
    BOOL = auto()
    DATETIME = auto()
    VARIABLE = auto()
    MAP_START = auto()
    ARRAY_START = auto()


@dataclass(frozen=True, slots=True)
class Token:
    kind: Kind
    value: Any
    line: int
    column: int
    quoted: bool = False


BLANKS: Final = " \t"
NEWLINES: Final = "\r\n"
_OTHER_SPACE: Final = "\f\v"
# An unquoted value ends at any of these (or at the end of input).
VALUE_STOP: Final = frozenset(" \t\r\n,;]}")
_KEY_STOP: Final = frozenset(" \t\r\n=:{}[],;#'\"")
_BOOLS: Final = {"true": True, "yes": True, "on": True, "false": False, "no": False, "off": False}
_BCRYPT_PREFIXES: Final = ("2a$", "2b$", "2y$")
_ESCAPES: Final = {"t": b"\t", "n": b"\n", "r": b"\r", '"': b'"', "\\": b"\\"}
_SUFFIX_EXP: Final = {"k": 1, "m": 2, "g": 3, "t": 4, "p": 5, "e": 6}
_INT64_MIN: Final = -(2**63)
_INT64_MAX: Final = 2**63 - 1

_SUFFIX: Final = r"(?:[kmgtpe](?:i?b|i)?)?"
_INT_RE: Final = re.compile(r"(-?\d+)(" + _SUFFIX + ")", re.IGNORECASE)
_FLOAT_RE: Final = re.compile(r"-?\d+\.\d+")
_DATETIME_RE: Final = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
_IP_PREFIX_RE: Final = re.compile(r"\d+\.\d+\.[\d.:]*")
_NUMBER_PREFIX_RE: Final = re.compile(r"-?\d+(?:\.\d+)?")
_DQ_CHUNK_RE: Final = re.compile(r'[^"\\]+')
_BLOCK_END_RE: Final = re.compile(r"\n\)(?=\r?\n|\Z)")


def size_multiplier(suffix: str) -> int:
    suffix = suffix.lower()
    if not suffix:
        return 1
    exp: int = _SUFFIX_EXP[suffix[0]]
    return int(1024**exp if len(suffix) > 1 else 1000**exp)


class Scanner:
    def __init__(self, text: str, filename: str) -> None:
        self.text = text.removeprefix("\ufeff")
        self.filename = filename
        self.pos = 0
        self.line = 1
        self._line_start = 0

    @property
    def column(self) -> int:
        return self.pos - self._line_start + 1

    def peek(self, offset: int = 0) -> str:
        i = self.pos + offset
        return self.text[i] if i < len(self.text) else ""

    def at_eof(self) -> bool:
        return self.pos >= len(self.text)

    def advance(self, count: int = 1) -> None:
        end = min(self.pos + count, len(self.text))
        newlines = self.text.count("\n", self.pos, end)
        if newlines:
            self.line += newlines
            self._line_start = self.text.rfind("\n", self.pos, end) + 1
        self.pos = end

    def error(self, reason: str, line: int = 0, column: int = 0) -> ConfigError:
        return parse_error(self.filename, line or self.line, column or self.column, reason)

    def describe_here(self) -> str:
        ch = self.peek()
        return "\\n" if ch == "\n" else ch

    # ---- whitespace and comments -------------------------------------------------------------

    def skip_blanks(self) -> None:
        while self.peek() and self.peek() in BLANKS:
            self.advance()

    def at_comment(self) -> bool:
        return self.peek() == "#" or (self.peek() == "/" and self.peek(1) == "/")

    def skip_comment(self) -> None:
        end = len(self.text)
        for nl in NEWLINES:
            found = self.text.find(nl, self.pos)
            if found >= 0:
                end = min(end, found)
        self.advance(end - self.pos)

    def skip_space(self) -> None:
        """Skip blanks, newlines and comments."""
        while not self.at_eof():
            ch = self.peek()
            if ch in BLANKS or ch in NEWLINES or ch in _OTHER_SPACE:
                self.advance()
            elif self.at_comment():
                self.skip_comment()
            else:
                return

    # ---- keys -----------------------------------------------------------------------------------

    def read_key(self) -> Token:
        line, column = self.line, self.column
        ch = self.peek()
        if ch and ch in "\"'":
            return Token(Kind.KEY, self._quoted_raw(ch), line, column, quoted=True)
        if ch and ch in "=:":
            raise self.error(f"Unexpected key separator '{ch}'")
        start = self.pos
        while not self.at_eof() and self.peek() not in _KEY_STOP:
            self.advance()
        if self.pos == start:
            raise self.error(f"Unexpected '{self.describe_here()}' where a key was expected")
        return Token(Kind.KEY, self.text[start : self.pos], line, column)

    def read_include_path(self) -> Token:
        self.skip_blanks()
        line, column = self.line, self.column
        ch = self.peek()
        if ch == "" or ch in NEWLINES:
            raise self.error("Expected include value but found new line")
        if ch in "\"'":
            return Token(Kind.STRING, self._quoted_raw(ch), line, column)
        problems = {"[": "start of an array", "{": "start of a map", "(": "start of a block"}
        if ch in problems:
            raise self.error(f"Expected include value but found {problems[ch]}")
        if ch.isdigit() or ch == "-":
            raise self.error("Expected include value but found start of a number")
        if ch == "\\":
            raise self.error("Expected include value but found escape sequence")
        start = self.pos
        while not self.at_eof() and self.peek() not in " \t\r\n;}":
            self.advance()
        return Token(Kind.STRING, self.text[start : self.pos], line, column)

    def _quoted_raw(self, quote: str) -> str:
        line, column = self.line, self.column
        end = self.text.find(quote, self.pos + 1)
        if end < 0:
            self.advance(len(self.text) - self.pos)
            raise self.error("Unexpected EOF.", line, column) from None
        value = self.text[self.pos + 1 : end]
        self.advance(end + 1 - self.pos)
        return value

    # ---- values ---------------------------------------------------------------------------------

    def read_value(self) -> Token:
        self.skip_blanks()
        line, column = self.line, self.column
        ch = self.peek()
        if ch == "":
            raise self.error("Expected value but found EOF")
        if ch in NEWLINES:
            raise self.error("Expected value but found new line")
        if ch in "[{":
            self.advance()
            return Token(Kind.ARRAY_START if ch == "[" else Kind.MAP_START, None, line, column)
        if ch == "'":
            return Token(Kind.STRING, self._quoted_raw("'"), line, column)
        if ch == '"':
            return Token(Kind.STRING, self._double_quoted(), line, column)
        if ch == "(":
            return Token(Kind.STRING, self._block(), line, column)
        if ch == "-":
            return self._negative_number(line, column)
        if "0" <= ch <= "9":
            return self._digit_word(line, column)
        if ch == ".":
            raise self.error("Floats must start with a digit")
        return self._bare_word(line, column)

    def _peek_word(self) -> str:
        end = self.pos
        while end < len(self.text) and self.text[end] not in VALUE_STOP:
            end += 1
        return self.text[self.pos : end]

    def _escape(self, buf: bytearray) -> None:
        line, column = self.line, self.column
        code = self.peek(1)
        if code == "x":
            digits = self.text[self.pos + 2 : self.pos + 4]
            if len(digits) != 2 or not all(c in "0123456789abcdefABCDEF" for c in digits):
                raise self.error(f"Expected two hexadecimal digits after '\\x', but got '{digits}'")
            buf.append(int(digits, 16))
            self.advance(4)
            return
        if code not in _ESCAPES:
            raise self.error(
                f"Invalid escape character '{code}'. Only the following escape characters are "
                'allowed: \\xXX, \\t, \\n, \\r, \\", \\\\.',
                line,
                column,
            )
        buf += _ESCAPES[code]
        self.advance(2)

    def _double_quoted(self) -> str:
        line, column = self.line, self.column
        self.advance()
        buf = bytearray()
        while True:
            if self.at_eof():
                raise self.error("Unexpected EOF.", line, column)
            ch = self.peek()
            if ch == '"':
                self.advance()
                return buf.decode("utf-8", "replace")
            if ch == "\\":
                self._escape(buf)
                continue
            chunk = _DQ_CHUNK_RE.match(self.text, self.pos)
            assert chunk is not None
            buf += chunk.group().encode()
            self.advance(chunk.end() - self.pos)

    def _block(self) -> str:
        line, column = self.line, self.column
        found = _BLOCK_END_RE.search(self.text, self.pos + 1)
        if found is None:
            self.advance(len(self.text) - self.pos)
            raise self.error("Unexpected EOF processing block.", line, column)
        value = self.text[self.pos + 1 : found.start() + 1]
        self.advance(found.end() - self.pos)
        return value

    def _bare_word(self, line: int, column: int) -> Token:
        word = self._peek_word()
        if "\\" in word:
            buf = bytearray()
            end = self.pos + len(word)
            while self.pos < end:
                if self.peek() == "\\":
                    self._escape(buf)
                else:
                    buf += self.peek().encode()
                    self.advance()
            return Token(Kind.STRING, buf.decode("utf-8", "replace"), line, column)
        self.advance(len(word))
        if word.lower() in _BOOLS:
            return Token(Kind.BOOL, _BOOLS[word.lower()], line, column)
        if word.startswith("$") and not word[1:].startswith(_BCRYPT_PREFIXES):
            return Token(Kind.VARIABLE, word[1:], line, column)
        return Token(Kind.STRING, word, line, column)

    def _digit_word(self, line: int, column: int) -> Token:
        word = self._peek_word()
        if _INT_RE.fullmatch(word) or _FLOAT_RE.fullmatch(word):
            return self._number(word, line, column)
        if _DATETIME_RE.fullmatch(word):
            return self._datetime(word, line, column)
        ip = _IP_PREFIX_RE.match(word)
        if ip:
            self.advance(ip.end())
            return Token(Kind.STRING, ip.group(), line, column)
        prefix = _NUMBER_PREFIX_RE.match(word)
        assert prefix is not None
        if "." in prefix.group():
            return self._number(prefix.group(), line, column)
        rest = word[prefix.end() :]
        if rest.startswith("."):
            self.advance(prefix.end() + 1)
            got = rest[1:2] or " "
            raise self.error(f"Floats must have a digit after the '.', but got '{got}' instead.")
        if rest.startswith("-"):
            raise self.error("All ISO8601 dates must be in full Zulu form.")
        self.advance(len(word))
        return Token(Kind.STRING, word, line, column)

    def _negative_number(self, line: int, column: int) -> Token:
        word = self._peek_word()
        if _INT_RE.fullmatch(word) or _FLOAT_RE.fullmatch(word):
            return self._number(word, line, column)
        prefix = _NUMBER_PREFIX_RE.match(word)
        if prefix is None:
            got = word[1:2] or " "
            if got == ".":
                raise self.error("Floats must start with a digit, not '.'.")
            raise self.error(f"Expected a digit but got '{got}'.")
        return self._number(prefix.group(), line, column)

    def _number(self, text: str, line: int, column: int) -> Token:
        self.advance(len(text))
        as_int = _INT_RE.fullmatch(text)
        if as_int is None:
            value = float(text)
            if math.isinf(value):
                raise self.error(f"Float '{text}' is out of the range.", line, column)
            return Token(Kind.FLOAT, value, line, column)
        number = int(as_int.group(1)) * size_multiplier(as_int.group(2))
        if not _INT64_MIN <= number <= _INT64_MAX:
            raise self.error(f"Integer '{text}' is out of the range.", line, column)
        return Token(Kind.INTEGER, number, line, column)

    def _datetime(self, text: str, line: int, column: int) -> Token:
        try:
            value = dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
        except ValueError:
            raise self.error(f"Expected Zulu formatted DateTime, but got '{text}'.") from None
        self.advance(len(text))
        return Token(Kind.DATETIME, value, line, column)


# ---- Go duration strings, as used by nats-server's duration settings -------------------------

_NS_PER_UNIT: Final = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,
    "μs": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}
_DURATION_NUMBER: Final = re.compile(r"(\d*)(?:\.(\d*))?")
_DURATION_UNIT: Final = re.compile(r"[^\d.]*")


def parse_go_duration(text: str) -> float:
    """Parse a Go duration string ("1h30m", "500ms", "-1.5s") into seconds."""
    rest = text
    sign = -1 if rest.startswith("-") else 1
    rest = rest[1:] if rest[:1] in ("-", "+") else rest
    if rest == "0":
        return 0.0
    if not rest:
        raise ValueError(f'time: invalid duration "{text}"')
    total_ns = 0.0
    while rest:
        number = _DURATION_NUMBER.match(rest)
        assert number is not None
        if not (number.group(1) or number.group(2)):
            raise ValueError(f'time: invalid duration "{text}"')
        rest = rest[number.end() :]
        unit = _DURATION_UNIT.match(rest)
        assert unit is not None
        if not unit.group():
            raise ValueError(f'time: missing unit in duration "{text}"')
        if unit.group() not in _NS_PER_UNIT:
            raise ValueError(f'time: unknown unit "{unit.group()}" in duration "{text}"')
        rest = rest[unit.end() :]
        whole, frac = number.group(1) or "0", number.group(2) or ""
        total_ns += float(f"{whole}.{frac or '0'}") * _NS_PER_UNIT[unit.group()]
    return sign * total_ns / 1e9


def _fraction(value: int, unit: int) -> str:
    whole, frac = divmod(value, unit)
    if not frac:
        return str(whole)
    digits = str(frac).rjust(len(str(unit)) - 1, "0").rstrip("0")
    return f"{whole}.{digits}"


def format_go_duration(seconds: float) -> str:
    """Format seconds the way Go prints a time.Duration ("2m0s", "29.5s", "500ms")."""
    ns = round(seconds * 1e9)
    sign, ns = ("-" if ns < 0 else ""), abs(ns)
    if ns == 0:
        return "0s"
    if ns < 1_000:
        return f"{sign}{ns}ns"
    if ns < 1_000_000:
        return f"{sign}{_fraction(ns, 1_000)}µs"
    if ns < 1_000_000_000:
        return f"{sign}{_fraction(ns, 1_000_000)}ms"
    hours, rest = divmod(ns, 3_600_000_000_000)
    minutes, rest = divmod(rest, 60_000_000_000)
    text = f"{hours}h" if hours else ""
    text += f"{minutes}m" if hours or minutes else ""
    return f"{sign}{text}{_fraction(rest, 1_000_000_000)}s"
