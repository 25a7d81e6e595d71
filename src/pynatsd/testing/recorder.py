# A parser handler that records every op as a plain tuple, for tests of the sans-I/O parser.
#
# Tuples rather than objects so tests compare whole op streams with `==` and failures print
# readably. parse_all() feeds a fresh parser whole or in given chunk sizes and returns what was
# recorded together with the ProtocolError that stopped it, if any, so a test can check that the
# same bytes give the same verdict however they are split.
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pynatsd.protocol.errors import ProtocolError
from pynatsd.protocol.parser import ClientParser

__all__ = ["Op", "OpRecorder", "parse_all"]

Op = tuple[Any, ...]


class OpRecorder:
    """Implements the parser handler protocol by appending one tuple per op to `ops`."""

    def __init__(self) -> None:
        self.ops: list[Op] = []

    def on_connect(self, arg: bytes) -> None:
        self.ops.append(("CONNECT", arg))

    def on_pub(self, subject: bytes, reply: bytes, payload: bytes, sizes: bytes = b"") -> None:
        self.ops.append(("PUB", subject, reply, bytes(payload)))

    def on_hpub(self, subject: bytes, reply: bytes, hdr_len: int, msg: bytes, sizes: bytes = b"") -> None:
        self.ops.append(("HPUB", subject, reply, hdr_len, bytes(msg)))

    def on_sub(self, subject: bytes, queue: bytes, sid: bytes) -> None:
        self.ops.append(("SUB", subject, queue, sid))

    def on_unsub(self, sid: bytes, max_msgs: int) -> None:
        self.ops.append(("UNSUB", sid, max_msgs))

    def on_ping(self) -> None:
        self.ops.append(("PING",))

    def on_pong(self) -> None:
        self.ops.append(("PONG",))

    def on_info(self, arg: bytes) -> None:
        self.ops.append(("INFO", arg))

    def on_err(self, arg: bytes) -> None:
        self.ops.append(("ERR", arg))

    def on_notice(self, err: str) -> None:
        self.ops.append(("NOTICE", err))


def _chunked(data: bytes, chunks: Iterable[int]) -> Iterable[bytes]:
    """Split data into pieces of the given sizes (0 feeds an empty piece); any rest goes last."""
    pos = 0
    for size in chunks:
        if pos >= len(data):
            return
        yield data[pos : pos + size]
        pos += size
    if pos < len(data):
        yield data[pos:]


def parse_all(
    data: bytes, chunks: Iterable[int] | None = None, **parser_attrs: Any
) -> tuple[list[Op], ProtocolError | None]:
    """Feed data to a fresh parser, whole or in pieces of the given sizes.

    Keyword arguments set parser attributes (max_payload, max_control_line, headers, pedantic,
    auth_pending) before the first byte. Returns the recorded ops and the error that ended parsing,
    or None when all the data was consumed without one.
    """
    rec = OpRecorder()
    parser = ClientParser(rec)
    for name, value in parser_attrs.items():
        if not hasattr(parser, name):
            raise AttributeError(f"ClientParser has no attribute {name!r}")
        setattr(parser, name, value)
    pieces: Iterable[bytes] = [data] if chunks is None else _chunked(data, chunks)
    try:
        for piece in pieces:
            parser.feed(piece)
    except ProtocolError as exc:
        return rec.ops, exc
    return rec.ops, None
