# The client-protocol parser: sans-I/O, bytes in, handler calls out.
#
# Theory of operation. nats-server parses byte by byte through a state table; we reach the same
# verdicts line by line, which is far cheaper in Python: find the next LF, decide the op from its
# first bytes (case-insensitive, as nats-server), split the arguments on spaces and tabs, then wait for
# `size` payload bytes plus CRLF. The verdicts that must match nats-server exactly:
#   - an op name that is wrong at any byte: `-ERR 'Unknown Protocol Operation'` and close; this is
#     detected even before the LF arrives (see _check_partial), as nats-server does;
#   - PUB/HPUB/SUB/UNSUB with the wrong argument count or a bad size: silent close;
#   - arguments longer than max_control_line, complete or still buffered: `-ERR 'maximum control
#     line exceeded'` and close;
#   - a size over max_payload: `-ERR 'Maximum Payload Violation'` and close, before the payload;
#   - a payload not followed by CRLF: `Unknown Protocol Operation`;
#   - pedantic mode: a PUB to a non-literal subject gets `-ERR 'Invalid Publish Subject'` at argument
#     time and is still delivered.
# Instead of allocating an op object per message, the parser calls the handler (the connection)
# directly; `pynatsd.testing` has a handler that records ops for tests.
#
# Invariant: after feed() raises ProtocolError the parser is dead; ops before the error were
# delivered to the handler in order.
from __future__ import annotations

from collections.abc import Callable
from typing import Final, Protocol

from pynatsd.protocol.errors import (
    ERR_AUTH_VIOLATION,
    ERR_INVALID_PUB_SUBJECT,
    ERR_MAX_CONTROL_LINE,
    ERR_MAX_PAYLOAD,
    ERR_UNKNOWN_OP,
    ProtocolError,
)
from pynatsd.protocol.subject import is_valid_literal_subject

__all__ = ["ClientParser", "ParserHandler", "parse_size", "split_args"]

# Verbs by their first (lower-cased) byte: (verb, what follows the verb).
#   "sep": a space or tab must follow, then arguments (PUB, HPUB, SUB, UNSUB, -ERR)
#   "arg": optional spaces or tabs, then arguments (CONNECT, INFO)
#   "any": anything up to LF is ignored (PING, PONG, +OK)
_SEP: Final = 0
_ARG: Final = 1
_ANY: Final = 2
_VERBS: Final[dict[int, tuple[tuple[bytes, int], ...]]] = {
    ord("p"): ((b"pub", _SEP), (b"ping", _ANY), (b"pong", _ANY)),
    ord("h"): ((b"hpub", _SEP),),
    ord("s"): ((b"sub", _SEP),),
    ord("u"): ((b"unsub", _SEP),),
    ord("c"): ((b"connect", _ARG),),
    ord("i"): ((b"info", _ARG),),
    ord("+"): ((b"+ok", _ANY),),
    ord("-"): ((b"-err", _SEP),),
}
_MAX_SIZE_DIGITS: Final = 9
_SPACE_TAB: Final = b" \t"
_CRLF: Final = b"\r\n"
# True when this module was compiled by the optional mypyc build (see _scan_pub).
_COMPILED: Final = not __file__.endswith(".py")


class ParserHandler(Protocol):
    def on_connect(self, arg: bytes) -> None: ...
    def on_pub(self, subject: bytes, reply: bytes, payload: bytes, sizes: bytes = b"") -> None:
        """`sizes` is the size field as written, given only when it is not plain decimal."""

    def on_hpub(self, subject: bytes, reply: bytes, hdr_len: int, msg: bytes, sizes: bytes = b"") -> None:
        """`sizes` is `<hdr> <total>` as written, given only when not plain decimal."""

    def on_sub(self, subject: bytes, queue: bytes, sid: bytes) -> None: ...
    def on_unsub(self, sid: bytes, max_msgs: int) -> None: ...
    def on_ping(self) -> None: ...
    def on_pong(self) -> None: ...
    def on_info(self, arg: bytes) -> None: ...
    def on_err(self, arg: bytes) -> None: ...
    def on_notice(self, err: str) -> None:
        """A non-fatal -ERR to send now (pedantic publish subject)."""


def parse_size(d: bytes) -> int:
    """nats-server's parseSize: 1-9 ASCII digits, else -1."""
    if not d or len(d) > _MAX_SIZE_DIGITS or not d.isdigit():
        return -1
    return int(d)


def _canonical_size(d: bytes) -> int:
    """A size written the plain way (1-9 digits, no leading zero), else -1 (the general path)."""
    n = len(d)
    if n == 0 or n > _MAX_SIZE_DIGITS or (d[0] == 48 and n > 1):
        return -1
    size = 0
    for ch in d:
        if ch < 48 or ch > 57:
            return -1
        size = size * 10 + ch - 48
    return size


def _scan_pub(buf: bytes, i: int, end: int, limit: int) -> tuple[int, int, int, int]:
    """Scan `subject[ reply] size\\r\\n` from buf[i], a PUB line in canonical form: single spaces, a
    plain decimal size, CRLF, at most `limit` bytes of arguments. Returns (first space, second space
    or -1, the CR, size), or all -1 when the line is anything else or not all here: the general
    path decides then. A byte loop: compiled it is several times cheaper than find and split, in
    pure Python several times dearer, so only the compiled build uses it."""
    start = i
    sp1 = -1
    sp2 = -1
    stop = min(end - 1, start + limit + 1)
    while i < stop:
        c = buf[i]
        if c > 32:
            i += 1
        elif c == 32:
            if sp2 >= 0 or buf[i - 1] == 32:  # buf[start - 1] is the space after PUB
                break
            if sp1 < 0:
                sp1 = i
            else:
                sp2 = i
            i += 1
        else:
            if c != 13 or buf[i + 1] != 10 or sp1 < 0:
                break
            first = (sp2 if sp2 >= 0 else sp1) + 1
            n = i - first
            if n < 1 or n > _MAX_SIZE_DIGITS or (n > 1 and buf[first] == 48):
                break
            size = 0
            for k in range(first, i):
                d = buf[k] - 48
                if d < 0 or d > 9:
                    return -1, -1, -1, -1
                size = size * 10 + d
            return sp1, sp2, i, size
    return -1, -1, -1, -1


def split_args(arg: bytes) -> list[bytes]:
    """Split on runs of spaces and tabs only (not on other whitespace)."""
    if b"\t" in arg:
        arg = arg.replace(b"\t", b" ")
    return [a for a in arg.split(b" ") if a]


def split_sub_args(arg: bytes) -> list[bytes]:
    """SUB/UNSUB split on spaces, tabs, CR and LF (nats-server's splitArg)."""
    if b"\t" in arg or b"\r" in arg or b"\n" in arg:
        arg = arg.replace(b"\t", b" ").replace(b"\r", b" ").replace(b"\n", b" ")
    return [a for a in arg.split(b" ") if a]


def _drop_cr(arg: bytes) -> bytes:
    # nats-server drops one byte before the LF once it has seen a CR anywhere in the arguments.
    if b"\r" in arg:
        return arg[:-1]
    return arg


class ClientParser:
    __slots__ = (
        "_buf",
        "_need",
        "_pend",
        "_pieces",
        "_pos",
        "auth_pending",
        "handler",
        "headers",
        "max_control_line",
        "max_payload",
        "on_pub_tail",
        "pedantic",
        "stopped",
    )

    def __init__(
        self,
        handler: ParserHandler,
        *,
        max_payload: int = 1024 * 1024,
        max_control_line: int = 4096,
    ) -> None:
        self.handler = handler
        self.max_payload = max_payload
        self.max_control_line = max_control_line
        self.headers = False
        self.pedantic = True
        self.auth_pending = False
        # Set by the handler to stop parsing after the current op (a stalled publisher); the rest
        # stays buffered until the next feed().
        self.stopped = False
        self._buf = b""
        self._pos = 0
        # While waiting for a payload: (is_hpub, subject, reply, hdr_len, size, sizes as written)
        # and the bytes needed.
        self._pend: tuple[bool, bytes, bytes, int, int, bytes] | None = None
        self._need = 0
        self._pieces: list[bytes] = []
        # Optional: called instead of handler.on_pub for a PUB line in canonical form (single
        # spaces, plain decimal size, CRLF) with its payload at hand, as
        # on_pub_tail(subject, reply, tail, size) where tail is everything after the subject up to
        # the end of the payload's CRLF: ` [reply ]<size>\r\n<payload>\r\n`, which is also how a
        # MSG continues after its sid, so a server can forward it without formatting anything.
        self.on_pub_tail: Callable[[bytes, bytes, bytes, int], None] | None = None

    def feed(self, data: bytes) -> None:
        """Parse bytes from the peer; call the handler for each complete op."""
        if self._pieces:
            self._pieces.append(data)
            if sum(map(len, self._pieces)) < self._need:
                return
            data = b"".join(self._pieces)
            self._pieces = []
        buf = self._buf
        pos = self._pos
        self._buf = b""
        self._pos = 0
        if not buf:
            self._parse(data, 0)
        elif not data:
            self._parse(buf, pos)
        elif not self._finish_op(buf[pos:], data):
            self._parse(buf[pos:] + data, 0)

    def _finish_op(self, rest: bytes, data: bytes) -> bool:
        """Complete the op begun in `rest` (the previous read's unparsed end) from the head of the
        new read, then parse the read where it is. Joining `rest` to the whole read instead would
        copy every byte of it once more: with large messages, that is most of the data. False
        when the op does not end in this read (the caller joins them then)."""
        if self._pend is not None:
            k = self._need - len(rest)
            if k > len(data):
                return False
            self._parse(rest + data[:k], 0)
        else:
            nl = data.find(b"\n")
            if nl < 0:
                return False
            k = nl + 1
            self._parse(rest + data[:k], 0)
        if self._buf:  # stopped part way (a stalled publisher): keep the rest for the next feed
            self._buf = self._buf[self._pos :] + data[k:]
            self._pos = 0
        else:
            self._parse(data, k)
        return True

    def _parse(self, buf: bytes, pos: int) -> None:
        end = len(buf)
        handler = self.handler
        on_pub_tail = self.on_pub_tail
        # The whole PUB fast path below is inlined in this loop on purpose: it runs once per
        # message, and every call or temporary object it avoids is visible in the throughput.
        while pos < end:
            if self.stopped:
                # Keep the rest where it is: a stalled publisher may stop and resume many times
                # within one read, and copying the remainder each time would be quadratic.
                self._buf = buf
                self._pos = pos
                return
            if self._pend is not None:
                need = self._need
                if end - pos < need:
                    self._stash(buf, pos)
                    return
                pos = self._payload(buf, pos, need)
                continue
            if (
                _COMPILED
                and on_pub_tail is not None
                and buf[pos] == 80
                and end - pos > 4
                and buf[pos + 1] == 85
                and buf[pos + 2] == 66
                and buf[pos + 3] == 32
                and not self.pedantic
                and not self.auth_pending
            ):
                sp1, sp2, cr, size = _scan_pub(buf, pos + 4, end, self.max_control_line)
                if cr >= 0 and size <= self.max_payload:
                    stop = cr + 2 + size
                    if stop + 2 <= end:
                        if buf[stop] != 13 or buf[stop + 1] != 10:
                            raise ProtocolError(ERR_UNKNOWN_OP, "payload not followed by CRLF")
                        subject = buf[pos + 4 : sp1]
                        on_pub_tail(
                            subject, buf[sp1 + 1 : sp2] if sp2 >= 0 else b"", buf[sp1 : stop + 2], size
                        )
                        pos = stop + 2
                        continue
            nl = buf.find(b"\n", pos)
            if nl < 0:
                self._buf = self._check_partial(buf, pos, end)
                return
            if (
                buf[pos] == 80  # "PUB ", tested byte by byte: cheapest when compiled
                and nl - pos > 4
                and buf[pos + 1] == 85
                and buf[pos + 2] == 66
                and buf[pos + 3] == 32
                and not self.auth_pending
            ):
                # Fast path for the common `PUB subject [reply] size` with its payload at hand.
                # Anything unusual (tabs, CRs, pedantic, limits) takes the general path below.
                arg = buf[pos + 4 : nl - 1 if buf[nl - 1] == 13 else nl]
                args = arg.split(b" ")
                n = len(args)
                if n == 2:
                    subject, szb = args
                    reply = b"-"
                elif n == 3:
                    subject, reply, szb = args
                else:
                    subject = szb = b""
                size = _canonical_size(szb)
                if (
                    size >= 0
                    and subject
                    and reply
                    and size <= self.max_payload
                    and not self.pedantic
                    and 9 not in arg  # a tab or a CR: the general path splits as nats-server does
                    and 13 not in arg
                    and len(arg) <= self.max_control_line
                ):
                    if n == 2:
                        reply = b""
                    start = nl + 1
                    stop = start + size
                    if stop + 2 <= end and buf[stop] == 13 and buf[stop + 1] == 10:
                        if on_pub_tail is not None and buf[nl - 1] == 13:
                            on_pub_tail(subject, reply, buf[pos + 4 + len(subject) : stop + 2], size)
                        else:
                            handler.on_pub(subject, reply, buf[start:stop])
                        pos = stop + 2
                        continue
                    self._pend = (False, subject, reply, 0, size, b"")
                    self._need = size + 2
                    pos = start
                    continue
                self._pub_args(_drop_cr(buf[pos + 4 : nl]))
                pos = nl + 1
                continue
            self._line(buf, pos, nl, handler)
            pos = nl + 1

    def _stash(self, buf: bytes, pos: int) -> None:
        rest = buf[pos:]
        if len(rest) > self._need - 2 and rest[self._need - 2] != 13:
            # The byte after the payload is already here and is not CR: fail now, as nats-server.
            raise ProtocolError(ERR_UNKNOWN_OP, "payload not followed by CRLF")
        if len(rest) < 65536:
            self._buf = rest
        else:
            self._pieces = [rest]

    def _payload(self, buf: bytes, pos: int, need: int) -> int:
        pend = self._pend
        assert pend is not None
        is_hpub, subject, reply, hdr, size, sizes = pend
        stop = pos + size
        if buf[stop : stop + 2] != _CRLF:
            raise ProtocolError(ERR_UNKNOWN_OP, "payload not followed by CRLF")
        self._pend = None
        if is_hpub:
            self.handler.on_hpub(subject, reply, hdr, buf[pos:stop], sizes)
        else:
            self.handler.on_pub(subject, reply, buf[pos:stop], sizes)
        return stop + 2

    def _verb(self, buf: bytes, pos: int, stop: int) -> tuple[bytes, int, int]:
        """Match the op name at buf[pos:stop]: (verb, kind, index after it).

        kind is -1 when buf[pos:stop] is a strict prefix of a verb (more bytes are needed).
        """
        first = buf[pos] | 0x20
        if self.auth_pending and first != 0x63:  # anything but CONNECT while auth is pending
            raise ProtocolError(ERR_AUTH_VIOLATION, "authorization violation")
        for verb, kind in _VERBS.get(first, ()):
            n = len(verb)
            head = buf[pos : min(pos + n, stop)].lower()
            if head == verb:
                return verb, kind, pos + n
            if len(head) < n and verb.startswith(head):
                return b"", -1, stop
        raise ProtocolError(ERR_UNKNOWN_OP, f"unknown op {bytes(buf[pos : pos + 8])!r}")

    def _line(self, buf: bytes, pos: int, nl: int, handler: ParserHandler) -> None:
        verb, kind, i = self._verb(buf, pos, nl)
        if kind < 0:
            raise ProtocolError(ERR_UNKNOWN_OP, "incomplete op")
        if kind == _ANY:
            if verb == b"ping":
                handler.on_ping()
            elif verb == b"pong":
                handler.on_pong()
            return
        if kind == _SEP:
            if i >= nl or buf[i] not in _SPACE_TAB:
                raise ProtocolError(ERR_UNKNOWN_OP, f"bad op {verb!r}")
            i += 1
        while i < nl and buf[i] in _SPACE_TAB:
            i += 1
        arg = _drop_cr(buf[i:nl])
        if len(arg) > self.max_control_line:
            raise ProtocolError(ERR_MAX_CONTROL_LINE, "maximum control line exceeded")
        if verb == b"pub":
            self._pub_args(arg)
        elif verb == b"hpub":
            self._hpub_args(arg)
        elif verb == b"sub":
            self._sub_args(arg)
        elif verb == b"unsub":
            self._unsub_args(arg)
        elif verb == b"connect":
            handler.on_connect(arg)
        elif verb == b"info":
            handler.on_info(arg)
        else:
            handler.on_err(arg)

    def _check_partial(self, buf: bytes, pos: int, end: int) -> bytes:
        """An incomplete line: fail now if its op name is already wrong or its arguments too long.

        Returns what to keep buffered until the LF arrives.
        """
        verb, kind, i = self._verb(buf, pos, end)
        if kind < 0:
            return buf[pos:]
        if kind == _ANY:
            return buf[pos:i]  # text after PING/PONG/+OK is ignored up to the LF
        if kind == _SEP:
            if i >= end:
                return buf[pos:]
            if buf[i] not in _SPACE_TAB:
                raise ProtocolError(ERR_UNKNOWN_OP, f"bad op {verb!r}")
            i += 1
        while i < end and buf[i] in _SPACE_TAB:
            i += 1
        if len(_drop_cr(buf[i:end])) > self.max_control_line:
            raise ProtocolError(ERR_MAX_CONTROL_LINE, "maximum control line exceeded")
        return buf[pos:]

    def _pub_args(self, arg: bytes) -> None:
        if len(arg) > self.max_control_line and len(arg.lstrip(_SPACE_TAB)) > self.max_control_line:
            raise ProtocolError(ERR_MAX_CONTROL_LINE, "maximum control line exceeded")
        args = split_args(arg)
        if len(args) == 2:
            subject, reply, szb = args[0], b"", args[1]
        elif len(args) == 3:
            subject, reply, szb = args
        else:
            raise ProtocolError(None, f"processPub Parse Error: {arg!r}")
        size = parse_size(szb)
        if size < 0:
            raise ProtocolError(None, f"processPub Bad or Missing Size: {arg!r}")
        if size > self.max_payload:
            raise ProtocolError(ERR_MAX_PAYLOAD, f"Maximum Payload Violation: {size}")
        if self.pedantic and not is_valid_literal_subject(subject):
            self.handler.on_notice(ERR_INVALID_PUB_SUBJECT)
        self._pend = (False, subject, reply, 0, size, szb if szb != b"%d" % size else b"")
        self._need = size + 2

    def _hpub_args(self, arg: bytes) -> None:
        if not self.headers:
            raise ProtocolError(None, "message headers not supported")
        args = split_args(arg)
        if len(args) == 3:
            subject, reply, hdb, szb = args[0], b"", args[1], args[2]
        elif len(args) == 4:
            subject, reply, hdb, szb = args
        else:
            raise ProtocolError(None, f"processHeaderPub Parse Error: {arg!r}")
        hdr = parse_size(hdb)
        if hdr < 0:
            raise ProtocolError(None, f"processHeaderPub Bad or Missing Header Size: {arg!r}")
        size = parse_size(szb)
        if size < 0:
            raise ProtocolError(None, f"processHeaderPub Bad or Missing Total Size: {arg!r}")
        if hdr > size:
            raise ProtocolError(None, f"processHeaderPub Header Size larger then TotalSize: {arg!r}")
        if size > self.max_payload:
            raise ProtocolError(ERR_MAX_PAYLOAD, f"Maximum Payload Violation: {size}")
        if self.pedantic and not is_valid_literal_subject(subject):
            self.handler.on_notice(ERR_INVALID_PUB_SUBJECT)
        raw = hdb + b" " + szb
        self._pend = (True, subject, reply, hdr, size, raw if raw != b"%d %d" % (hdr, size) else b"")
        self._need = size + 2

    def _sub_args(self, arg: bytes) -> None:
        args = split_sub_args(arg)
        if len(args) == 2:
            self.handler.on_sub(args[0], b"", args[1])
        elif len(args) == 3:
            self.handler.on_sub(args[0], args[1], args[2])
        else:
            raise ProtocolError(None, f"processSub Parse Error: {arg!r}")

    def _unsub_args(self, arg: bytes) -> None:
        # A bad or missing max reads as -1: unsubscribe now, as nats-server does.
        args = split_sub_args(arg)
        if len(args) == 1:
            self.handler.on_unsub(args[0], -1)
        elif len(args) == 2:
            self.handler.on_unsub(args[0], parse_size(args[1]))
        else:
            raise ProtocolError(None, f"processUnsub Parse Error: {arg!r}")
