# The route protocol between cluster members: parser and encoders, bytes only (no I/O).
#
# Theory of operation. A route link carries control lines (INFO, CONNECT, PING, PONG, -ERR, +OK),
# interest (RS+/RS-, and LS+/LS- for interest a peer learned from a leaf node) and messages
# (RMSG/HMSG, and LMSG for messages that came from a leaf node). Every verb here carries the
# account name, because pynatsd keeps one route per peer (nats-server's "no pool" mode, the one it
# falls back to with peers that do not announce a pool size).
#
# Message lines name the queue groups the receiver must deliver to:
#   RMSG <acc> <subject> [reply] <size>
#   RMSG <acc> <subject> + <reply> <q1> [q2 ...] <size>
#   RMSG <acc> <subject> | <q1> [q2 ...] <size>
#   HMSG ... the same, ending with <header size> <total size>
# `+` says a reply follows, `|` says there is none; both say queue names follow.
#
# A plain RMSG (no queues, no headers) is handed over as on_route_pub with the bytes after its
# subject, which are a ready-made MSG line end, so delivery formats nothing per subscriber.
#
# The parser is push-style like the client parser: feed(bytes) calls the handler for each complete
# operation and keeps an incomplete tail. Setting `stopped` from a handler (flow control) makes feed
# return at once and keep the rest, which the next feed(b"") picks up.
from __future__ import annotations

from typing import Final, Protocol

__all__ = [
    "RouteHandler",
    "RouteParser",
    "RouteProtocolError",
    "encode_rmsg_head",
    "encode_rs_minus",
    "encode_rs_plus",
]

CRLF: Final = b"\r\n"
MAX_CONTROL_LINE: Final = 64 * 1024
_NO_QUEUES: Final[list[bytes]] = []


class RouteProtocolError(Exception):
    pass


class RouteHandler(Protocol):
    def on_route_info(self, arg: bytes) -> None: ...
    def on_route_connect(self, arg: bytes) -> None: ...
    def on_route_ping(self) -> None: ...
    def on_route_pong(self) -> None: ...
    def on_route_err(self, arg: bytes) -> None: ...
    def on_route_sub(self, acc: bytes, subject: bytes, queue: bytes, weight: int) -> None: ...
    def on_route_unsub(self, acc: bytes, subject: bytes, queue: bytes) -> None: ...
    def on_route_msg(
        self, acc: bytes, subject: bytes, reply: bytes, queues: list[bytes], hdr_len: int, msg: bytes
    ) -> None: ...
    def on_route_pub(self, acc: bytes, subject: bytes, reply: bytes, line_end: bytes, size: int) -> None: ...


class _PendingMsg:
    __slots__ = ("acc", "hdr_len", "queues", "reply", "size", "subject")

    def __init__(
        self, acc: bytes, subject: bytes, reply: bytes, queues: list[bytes], hdr_len: int, size: int
    ) -> None:
        self.acc = acc
        self.subject = subject
        self.reply = reply
        self.queues = queues
        self.hdr_len = hdr_len
        self.size = size


class RouteParser:
    __slots__ = ("_buf", "_msg", "handler", "max_payload", "stopped")

    def __init__(self, handler: RouteHandler, *, max_payload: int = 64 * 1024 * 1024) -> None:
        self.handler = handler
        self.max_payload = max_payload
        self.stopped = False
        self._buf = b""
        self._msg: _PendingMsg | None = None

    def feed(self, data: bytes) -> None:
        buf = self._buf + data if self._buf else data
        self._buf = b""
        pos = 0
        n = len(buf)
        h = self.handler
        try:
            while pos < n and not self.stopped:
                if self._msg is not None:
                    pos = self._pending_payload(buf, pos, n)
                    if self._msg is not None:
                        break
                    continue
                i = buf.find(CRLF, pos)
                if i < 0:
                    if n - pos > MAX_CONTROL_LINE:
                        raise RouteProtocolError("maximum control line exceeded")
                    break
                line = buf[pos:i]
                start, pos = pos, i + 2
                if line[:5] == b"RMSG " or line[:5] == b"HMSG ":
                    acc, subject, reply, queues, hdr_len, size = self._msg_args(line[:4], line[5:])
                    end = pos + size
                    if end + 2 <= n:
                        if buf[end : end + 2] != CRLF:
                            raise RouteProtocolError("message payload not followed by CRLF")
                        # A plain RMSG written with single spaces: what follows its subject is
                        # exactly a MSG line's end (` [reply ]<size>\r\n<payload>\r\n`).
                        k = start + 6 + len(acc) + len(subject)
                        if not queues and not hdr_len and buf[k] == 32 and buf[k - len(subject) - 1] == 32:
                            h.on_route_pub(acc, subject, reply, buf[k : end + 2], size)
                        else:
                            h.on_route_msg(acc, subject, reply, queues, hdr_len, buf[pos:end])
                        pos = end + 2
                    else:
                        self._msg = _PendingMsg(acc, subject, reply, queues, hdr_len, size)
                else:
                    self._dispatch(line)
        finally:
            if pos < n:
                self._buf = buf[pos:]

    def _pending_payload(self, buf: bytes, pos: int, n: int) -> int:
        msg = self._msg
        assert msg is not None
        end = pos + msg.size
        if end + 2 > n:
            return pos
        if buf[end : end + 2] != CRLF:
            raise RouteProtocolError("message payload not followed by CRLF")
        self._msg = None
        self.handler.on_route_msg(msg.acc, msg.subject, msg.reply, msg.queues, msg.hdr_len, buf[pos:end])
        return end + 2

    def _dispatch(self, line: bytes) -> None:
        verb, _, rest = line.partition(b" ")
        verb = verb.upper()
        h = self.handler
        if verb == b"RMSG" or verb == b"HMSG" or verb == b"LMSG":
            self._msg = _PendingMsg(*self._msg_args(verb, rest))
        elif verb == b"RS+" or verb == b"LS+":
            args = rest.split()
            if verb == b"LS+":
                args = args[1:]
            acc, subject, queue, weight = _sub_args(args)
            h.on_route_sub(acc, subject, queue, weight)
        elif verb == b"RS-" or verb == b"LS-":
            args = rest.split()
            if verb == b"LS-":
                args = args[1:]
            if len(args) < 2:
                raise RouteProtocolError(f"bad unsubscribe line: {line!r}")
            h.on_route_unsub(args[0], args[1], args[2] if len(args) > 2 else b"")
        elif verb == b"PING":
            h.on_route_ping()
        elif verb == b"PONG":
            h.on_route_pong()
        elif verb == b"INFO":
            h.on_route_info(rest)
        elif verb == b"CONNECT":
            h.on_route_connect(rest)
        elif verb == b"-ERR":
            h.on_route_err(rest)
        elif verb == b"+OK" or not verb:
            return
        else:
            raise RouteProtocolError(f"unknown route protocol operation: {line[:64]!r}")

    def _msg_args(self, verb: bytes, rest: bytes) -> tuple[bytes, bytes, bytes, list[bytes], int, int]:
        args = rest.split()
        if verb == b"LMSG":
            args = args[1:]
        try:
            if verb == b"HMSG":
                hdr_len, size = int(args[-2]), int(args[-1])
                middle = args[2:-2]
            else:
                hdr_len, size = 0, int(args[-1])
                middle = args[2:-1]
            acc, subject = args[0], args[1]
        except (IndexError, ValueError):
            raise RouteProtocolError(f"bad message line: {verb + b' ' + rest[:64]!r}") from None
        if size < 0 or hdr_len < 0 or hdr_len > size or size > self.max_payload:
            raise RouteProtocolError("bad message size")
        reply = b""
        queues = _NO_QUEUES
        if middle:
            mark = middle[0]
            if mark == b"+" and len(middle) >= 2:
                reply, queues = middle[1], middle[2:]
            elif mark == b"|":
                queues = middle[1:]
            elif len(middle) == 1:
                reply = mark
            else:
                raise RouteProtocolError(f"bad message line: {verb + b' ' + rest[:64]!r}")
        return acc, subject, reply, queues, hdr_len, size


def _sub_args(args: list[bytes]) -> tuple[bytes, bytes, bytes, int]:
    if len(args) == 2:
        return args[0], args[1], b"", 0
    if len(args) in (3, 4):
        weight = 1
        if len(args) == 4:
            try:
                weight = int(args[3])
            except ValueError:
                raise RouteProtocolError("bad queue weight") from None
        return args[0], args[1], args[2], weight
    raise RouteProtocolError(f"bad subscribe arguments: {b' '.join(args)[:64]!r}")


def encode_rs_plus(acc: bytes, subject: bytes, queue: bytes = b"", weight: int = 0) -> bytes:
    if queue:
        return b"RS+ %b %b %b %d\r\n" % (acc, subject, queue, weight)
    return b"RS+ %b %b\r\n" % (acc, subject)


def encode_rs_minus(acc: bytes, subject: bytes, queue: bytes = b"") -> bytes:
    if queue:
        return b"RS- %b %b %b\r\n" % (acc, subject, queue)
    return b"RS- %b %b\r\n" % (acc, subject)


def encode_rmsg_head(
    acc: bytes, subject: bytes, reply: bytes, queues: list[bytes], hdr_len: int, size: int
) -> bytes:
    """The RMSG (or, with headers, HMSG) line, CRLF included; the payload and CRLF follow it."""
    if queues:
        mid = (b"+ " + reply + b" " if reply else b"| ") + b" ".join(queues) + b" "
    elif reply:
        mid = reply + b" "
    else:
        mid = b""
    if hdr_len:
        return b"HMSG %b %b %b%d %d\r\n" % (acc, subject, mid, hdr_len, size)
    return b"RMSG %b %b %b%d\r\n" % (acc, subject, mid, size)
