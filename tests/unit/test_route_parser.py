# The route protocol parser and encoders: every form nats-server writes (observed on the wire),
# fed whole and byte by byte.
from __future__ import annotations

from typing import Any

import pytest

from pynatsd.protocol.route import (
    RouteParser,
    RouteProtocolError,
    encode_rmsg_head,
    encode_rs_minus,
    encode_rs_plus,
)


class Recorder:
    def __init__(self) -> None:
        self.ops: list[tuple[Any, ...]] = []

    def on_route_info(self, arg: bytes) -> None:
        self.ops.append(("INFO", arg))

    def on_route_connect(self, arg: bytes) -> None:
        self.ops.append(("CONNECT", arg))

    def on_route_ping(self) -> None:
        self.ops.append(("PING",))

    def on_route_pong(self) -> None:
        self.ops.append(("PONG",))

    def on_route_err(self, arg: bytes) -> None:
        self.ops.append(("ERR", arg))

    def on_route_sub(self, acc: bytes, subject: bytes, queue: bytes, weight: int) -> None:
        self.ops.append(("SUB", acc, subject, queue, weight))

    def on_route_unsub(self, acc: bytes, subject: bytes, queue: bytes) -> None:
        self.ops.append(("UNSUB", acc, subject, queue))

    def on_route_msg(
        self, acc: bytes, subject: bytes, reply: bytes, queues: list[bytes], hdr_len: int, msg: bytes
    ) -> None:
        self.ops.append(("MSG", acc, subject, reply, tuple(queues), hdr_len, msg))

    def on_route_pub(self, acc: bytes, subject: bytes, reply: bytes, line_end: bytes, size: int) -> None:
        # The bytes after the subject: ` [reply ]<size>\r\n<payload>\r\n`, as in a MSG line.
        head = (b" " + reply if reply else b"") + b" %d\r\n" % size
        assert line_end.startswith(head)
        assert line_end.endswith(b"\r\n")
        assert len(line_end) == len(head) + size + 2
        self.ops.append(("MSG", acc, subject, reply, (), 0, line_end[len(head) : -2]))


WIRE = (
    b'INFO {"server_id":"N1","cluster":"C1"} \r\n'
    b'CONNECT {"name":"N1"}\r\n'
    b"PING\r\nPONG\r\n"
    b"RS+ $G foo\r\n"
    b"RS+ $G bar grp 2\r\n"
    b"RS- $G foo\r\n"
    b"RS- $G bar grp\r\n"
    b"LS+ LC $G leaf.x\r\n"
    b"RMSG $G foo r1 5\r\nhello\r\n"
    b"RMSG $G bar | grp 2\r\nhi\r\n"
    b"RMSG $G bar + rep grp other 1\r\nz\r\n"
    b"RMSG $G empty 0\r\n\r\n"
    b"HMSG $G foo 12 14\r\nNATS/1.0\r\n\r\nab\r\n"
    b"HMSG $G foo + r q 12 12\r\nNATS/1.0\r\n\r\n\r\n"
    b"-ERR 'Cluster Name Conflict'\r\n"
)
EXPECTED = [
    ("INFO", b'{"server_id":"N1","cluster":"C1"} '),
    ("CONNECT", b'{"name":"N1"}'),
    ("PING",),
    ("PONG",),
    ("SUB", b"$G", b"foo", b"", 0),
    ("SUB", b"$G", b"bar", b"grp", 2),
    ("UNSUB", b"$G", b"foo", b""),
    ("UNSUB", b"$G", b"bar", b"grp"),
    ("SUB", b"$G", b"leaf.x", b"", 0),
    ("MSG", b"$G", b"foo", b"r1", (), 0, b"hello"),
    ("MSG", b"$G", b"bar", b"", (b"grp",), 0, b"hi"),
    ("MSG", b"$G", b"bar", b"rep", (b"grp", b"other"), 0, b"z"),
    ("MSG", b"$G", b"empty", b"", (), 0, b""),
    ("MSG", b"$G", b"foo", b"", (), 12, b"NATS/1.0\r\n\r\nab"),
    ("MSG", b"$G", b"foo", b"r", (b"q",), 12, b"NATS/1.0\r\n\r\n"),
    ("ERR", b"'Cluster Name Conflict'"),
]


def test_parses_every_form() -> None:
    rec = Recorder()
    RouteParser(rec).feed(WIRE)
    assert rec.ops == EXPECTED


def test_byte_at_a_time_gives_the_same_ops() -> None:
    rec = Recorder()
    parser = RouteParser(rec)
    for i in range(len(WIRE)):
        parser.feed(WIRE[i : i + 1])
    assert rec.ops == EXPECTED


@pytest.mark.parametrize("cut", [3, 17, 60, 140, 200, 260])
def test_two_chunks_give_the_same_ops(cut: int) -> None:
    rec = Recorder()
    parser = RouteParser(rec)
    parser.feed(WIRE[:cut])
    parser.feed(WIRE[cut:])
    assert rec.ops == EXPECTED


def test_stopped_parser_keeps_the_rest() -> None:
    rec = Recorder()
    parser = RouteParser(rec)

    def stop(*args: Any) -> None:
        rec.ops.append(("PING",))
        parser.stopped = True

    parser.handler.on_route_ping = stop  # type: ignore[method-assign]
    parser.feed(b"PING\r\nRS+ $G a\r\n")
    assert rec.ops == [("PING",)]
    parser.stopped = False
    parser.feed(b"")
    assert rec.ops == [("PING",), ("SUB", b"$G", b"a", b"", 0)]


@pytest.mark.parametrize(
    "bad",
    [b"RMSG $G foo\r\n", b"RMSG $G foo x\r\n", b"RMSG $G foo 3\r\nabcd\r\n", b"BOGUS\r\n", b"RS+ $G\r\n"],
)
def test_protocol_errors(bad: bytes) -> None:
    with pytest.raises(RouteProtocolError):
        RouteParser(Recorder()).feed(bad)


def test_encoders_round_trip() -> None:
    wire = (
        encode_rs_plus(b"$G", b"foo")
        + encode_rs_plus(b"$G", b"bar", b"grp", 3)
        + encode_rs_minus(b"$G", b"bar", b"grp")
        + encode_rmsg_head(b"$G", b"s", b"", [], 0, 2)
        + b"hi\r\n"
        + encode_rmsg_head(b"$G", b"s", b"r", [b"q1", b"q2"], 0, 1)
        + b"x\r\n"
        + encode_rmsg_head(b"$G", b"s", b"", [b"q1"], 0, 1)
        + b"y\r\n"
        + encode_rmsg_head(b"$G", b"s", b"r", [], 12, 13)
        + b"NATS/1.0\r\n\r\nz\r\n"
    )
    assert encode_rmsg_head(b"$G", b"s", b"r", [b"q1", b"q2"], 0, 1) == b"RMSG $G s + r q1 q2 1\r\n"
    assert encode_rmsg_head(b"$G", b"s", b"", [b"q1"], 4, 9) == b"HMSG $G s | q1 4 9\r\n"
    rec = Recorder()
    RouteParser(rec).feed(wire)
    assert rec.ops == [
        ("SUB", b"$G", b"foo", b"", 0),
        ("SUB", b"$G", b"bar", b"grp", 3),
        ("UNSUB", b"$G", b"bar", b"grp"),
        ("MSG", b"$G", b"s", b"", (), 0, b"hi"),
        ("MSG", b"$G", b"s", b"r", (b"q1", b"q2"), 0, b"x"),
        ("MSG", b"$G", b"s", b"", (b"q1",), 0, b"y"),
        ("MSG", b"$G", b"s", b"r", (), 12, b"NATS/1.0\r\n\r\nz"),
    ]
