# Example tests for the client-protocol parser, one table row per behaviour.
#
# Every row is parsed whole, byte by byte and (when short) split in two at every position; all
# splits must give the same ops and the same verdict, since a socket may cut the stream anywhere.
# A verdict is CLEAN (all bytes consumed, nothing wrong), None (nats-server's silent close) or the
# `-ERR` text. The expected behaviour is nats-server 2.15's, as seen on the wire.
from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest

from pynatsd.protocol.errors import (
    ERR_AUTH_VIOLATION,
    ERR_INVALID_PUB_SUBJECT,
    ERR_MAX_CONTROL_LINE,
    ERR_MAX_PAYLOAD,
    ERR_UNKNOWN_OP,
    ProtocolError,
)
from pynatsd.protocol.parser import ClientParser, parse_size, split_args
from pynatsd.testing.recorder import Op, OpRecorder, parse_all


class _Clean:
    def __repr__(self) -> str:
        return "CLEAN"


CLEAN: Any = _Clean()
UNKNOWN = ERR_UNKNOWN_OP
SILENT = None
NOTICE = ("NOTICE", ERR_INVALID_PUB_SUBJECT)
_SPLIT_ALL_BELOW = 300


def _outcome(data: bytes, chunks: Any, attrs: dict[str, Any]) -> tuple[list[Op], Any]:
    ops, exc = parse_all(data, chunks, **attrs)
    return ops, CLEAN if exc is None else exc.err


def _splits(data: bytes) -> Iterator[tuple[str, Any]]:
    yield "byte by byte", itertools.repeat(1)
    if len(data) <= _SPLIT_ALL_BELOW:
        for i in range(1, len(data)):
            yield f"split at {i}", [i]


def verdict(data: bytes, **attrs: Any) -> tuple[list[Op], Any]:
    """Parse whole and split every way; assert they agree and return (ops, CLEAN | err)."""
    whole = _outcome(data, None, attrs)
    for label, chunks in _splits(data):
        assert _outcome(data, chunks, attrs) == whole, label
    return whole


def _row(data: bytes, ops: list[Op], err: Any = CLEAN, /, **attrs: Any) -> Any:
    return pytest.param(data, attrs, ops, err, id=repr(data)[:60])


def check_rows(data: bytes, attrs: dict[str, Any], ops: list[Op], err: Any) -> None:
    assert verdict(data, **attrs) == (ops, err)


HDR = b"NATS/1.0\r\nK: v\r\n\r\n"  # 18 bytes

VALID = [
    # PUB
    _row(b"PUB foo 3\r\nabc\r\n", [("PUB", b"foo", b"", b"abc")]),
    _row(b"pub foo 3\r\nabc\r\n", [("PUB", b"foo", b"", b"abc")]),
    _row(b"pUb foo 3\r\nabc\r\n", [("PUB", b"foo", b"", b"abc")]),
    _row(b"PUB foo bar 3\r\nabc\r\n", [("PUB", b"foo", b"bar", b"abc")]),
    _row(b"PUB\tfoo \t bar\t\t3\r\nabc\r\n", [("PUB", b"foo", b"bar", b"abc")]),
    _row(b"PUB   foo   3   \r\nabc\r\n", [("PUB", b"foo", b"", b"abc")]),
    _row(b"PUB foo 3\nabc\r\n", [("PUB", b"foo", b"", b"abc")]),
    _row(b"PUB foo 0\r\n\r\n", [("PUB", b"foo", b"", b"")]),
    _row(b"PUB foo r 0\r\n\r\n", [("PUB", b"foo", b"r", b"")]),
    _row(b"PUB foo 6\r\na\r\nb\r\n\r\n", [("PUB", b"foo", b"", b"a\r\nb\r\n")]),
    _row(b"PUB foo 6\r\nPING\r\n\r\n", [("PUB", b"foo", b"", b"PING\r\n")]),
    _row(b"PUB foo 2\r\n\r\n\r\n", [("PUB", b"foo", b"", b"\r\n")]),
    _row(b"PUB foo 3\r\n\x00\xff\n\r\n", [("PUB", b"foo", b"", b"\x00\xff\n")]),
    _row(b"PUB foo 000000003\r\nabc\r\n", [("PUB", b"foo", b"", b"abc")]),
    _row(b"PUB foo.b* 1\r\nx\r\n", [("PUB", b"foo.b*", b"", b"x")]),
    _row(b"PUB foo 10\r\n0123456789\r\n", [("PUB", b"foo", b"", b"0123456789")], max_payload=10),
    # HPUB
    _row(
        b"HPUB foo 18 20\r\n" + HDR + b"hi\r\n",
        [("HPUB", b"foo", b"", 18, HDR + b"hi")],
        headers=True,
    ),
    _row(
        b"hpub\tfoo  _INBOX.1\t18 18\r\n" + HDR + b"\r\n",
        [("HPUB", b"foo", b"_INBOX.1", 18, HDR)],
        headers=True,
    ),
    _row(b"HPUB foo 0 2\r\nhi\r\n", [("HPUB", b"foo", b"", 0, b"hi")], headers=True),
    _row(b"HPUB foo 18 20\n" + HDR + b"hi\r\n", [("HPUB", b"foo", b"", 18, HDR + b"hi")], headers=True),
    # SUB / UNSUB
    _row(b"SUB foo 1\r\n", [("SUB", b"foo", b"", b"1")]),
    _row(b"sub foo.* q 22\r\n", [("SUB", b"foo.*", b"q", b"22")]),
    _row(b"SUB\tfoo.>\t\tq  1 \r\n", [("SUB", b"foo.>", b"q", b"1")]),
    _row(b"SUB foo 1\n", [("SUB", b"foo", b"", b"1")]),
    _row(b"UNSUB 1\r\n", [("UNSUB", b"1", -1)]),
    _row(b"unsub 1 5\r\n", [("UNSUB", b"1", 5)]),
    _row(b"UNSUB\t1\t\t0\n", [("UNSUB", b"1", 0)]),
    _row(b"UNSUB 1 x\r\n", [("UNSUB", b"1", -1)]),
    # CONNECT / INFO / -ERR / +OK
    _row(b'CONNECT {"verbose":false}\r\n', [("CONNECT", b'{"verbose":false}')]),
    _row(b"CONNECT{}\r\n", [("CONNECT", b"{}")]),
    _row(b"connect \t {}\n", [("CONNECT", b"{}")]),
    _row(b'CONNECT {"a":"x y\tz"}\r\n', [("CONNECT", b'{"a":"x y\tz"}')]),
    _row(b"INFO {}\r\n", [("INFO", b"{}")]),
    _row(b"info{}\r\n", [("INFO", b"{}")]),
    _row(b"-ERR 'boom'\r\n", [("ERR", b"'boom'")]),
    _row(b"+OK\r\n", []),
    _row(b"+ok and more\r\n", []),
    # PING / PONG
    _row(b"PING\r\n", [("PING",)]),
    _row(b"ping\r\n", [("PING",)]),
    _row(b"PING\n", [("PING",)]),
    _row(b"PING xyz\r\n", [("PING",)]),
    _row(b"PINGxyz\r\n", [("PING",)]),
    _row(b"PING" + b"x" * 10000 + b"\r\n", [("PING",)]),
    _row(b"PONG\r\n", [("PONG",)]),
    _row(b"pong junk\r\n", [("PONG",)]),
    # streams of several ops
    _row(
        b"CONNECT {}\r\nSUB foo 1\r\nPUB foo 2\r\nhi\r\nPING\r\nUNSUB 1\r\nPONG\r\n",
        [
            ("CONNECT", b"{}"),
            ("SUB", b"foo", b"", b"1"),
            ("PUB", b"foo", b"", b"hi"),
            ("PING",),
            ("UNSUB", b"1", -1),
            ("PONG",),
        ],
    ),
    _row(b"PING\r\nPING\nPING\r\n", [("PING",), ("PING",), ("PING",)]),
    # incomplete input: nothing yet, and no error
    _row(b"PIN", []),
    _row(b"PUB foo 3\r\nab", []),
    _row(b"PUB foo 3\r\nabc\r", []),
    _row(b"CONN", []),
    _row(b"SUB foo", []),
    _row(b"PING" + b"x" * 10000, []),
    _row(b"PUB foo 1\r\nx\r\nPUB", [("PUB", b"foo", b"", b"x")]),
]


@pytest.mark.parametrize(("data", "attrs", "ops", "err"), VALID)
def test_valid(data: bytes, attrs: dict[str, Any], ops: list[Op], err: Any) -> None:
    check_rows(data, attrs, ops, err)


ERRORS = [
    # silent closes: wrong argument counts and bad sizes
    _row(b"PUB foo\r\n", [], SILENT),
    _row(b"PUB a b c 3\r\n", [], SILENT),
    _row(b"PUB \r\n", [], SILENT),
    _row(b"PUB foo -1\r\n", [], SILENT),
    _row(b"PUB foo abc\r\n", [], SILENT),
    _row(b"PUB foo 3x\r\n", [], SILENT),
    _row(b"PUB foo 1234567890\r\n", [], SILENT),
    _row(b"PUB foo +3\r\n", [], SILENT),
    _row(b"SUB foo\r\n", [], SILENT),
    _row(b"SUB a b c d\r\n", [], SILENT),
    _row(b"SUB \r\n", [], SILENT),
    _row(b"UNSUB 1 2 3\r\n", [], SILENT),
    _row(b"UNSUB \r\n", [], SILENT),
    _row(b"UNSUB\t\r\n", [], SILENT),
    # HPUB: headers not enabled, bad sizes, header larger than total
    _row(b"HPUB foo 18 20\r\n" + HDR + b"hi\r\n", [], SILENT),
    _row(b"HPUB foo 0 0\r\n\r\n", [], SILENT),
    _row(b"HPUB foo 21 20\r\n", [], SILENT, headers=True),
    _row(b"HPUB foo x 20\r\n", [], SILENT, headers=True),
    _row(b"HPUB foo 2 x\r\n", [], SILENT, headers=True),
    _row(b"HPUB foo -1 20\r\n", [], SILENT, headers=True),
    _row(b"HPUB foo 20\r\n", [], SILENT, headers=True),
    _row(b"HPUB a b c d e\r\n", [], SILENT, headers=True),
    _row(b"HPUB foo 1 1234567890\r\n", [], SILENT, headers=True),
    # op names that are wrong, or right but not followed by a separator
    _row(b"UNSUB\r\n", [], UNKNOWN),
    _row(b"UNSUB\n", [], UNKNOWN),
    _row(b"PUB\r\n", [], UNKNOWN),
    _row(b"SUB\r\n", [], UNKNOWN),
    _row(b"HPUB\r\n", [], UNKNOWN, headers=True),
    _row(b"-ERR\r\n", [], UNKNOWN),
    _row(b"PUBfoo 1\r\n", [], UNKNOWN),
    _row(b"SUBX foo 1\r\n", [], UNKNOWN),
    _row(b"MSG foo 1 3\r\nabc\r\n", [], UNKNOWN),
    _row(b"HMSG foo 1 2 2\r\nab\r\n", [], UNKNOWN, headers=True),
    _row(b"RS+ $G foo\r\n", [], UNKNOWN),
    _row(b"RS- $G foo\r\n", [], UNKNOWN),
    _row(b"RMSG $G foo 1\r\na\r\n", [], UNKNOWN),
    _row(b"LS+ foo\r\n", [], UNKNOWN),
    _row(b"LMSG foo 1\r\na\r\n", [], UNKNOWN),
    _row(b"A+ foo\r\n", [], UNKNOWN),
    _row(b"garbage\r\n", [], UNKNOWN),
    _row(b"\r\n", [], UNKNOWN),
    _row(b"\n", [], UNKNOWN),
    _row(b" PING\r\n", [], UNKNOWN),
    _row(b"PINX\r\n", [], UNKNOWN),
    _row(b"+OX\r\n", [], UNKNOWN),
    _row(b"PI\r\n", [], UNKNOWN),
    # a wrong op name fails as soon as it is wrong, before any LF
    _row(b"XYZ", [], UNKNOWN),
    _row(b"X", [], UNKNOWN),
    _row(b"PUX", [], UNKNOWN),
    _row(b"PINX", [], UNKNOWN),
    _row(b"SUBX", [], UNKNOWN),
    _row(b"UNSUBSCRIBE", [], UNKNOWN),
    _row(b"CONNEX", [], UNKNOWN),
    _row(b"MSG", [], UNKNOWN),
    # ops before the error are delivered, in order
    _row(b"SUB foo 1\r\nPING\r\nXYZ\r\n", [("SUB", b"foo", b"", b"1"), ("PING",)], UNKNOWN),
    _row(b"SUB foo 1\r\nSUB\r\n", [("SUB", b"foo", b"", b"1")], UNKNOWN),
    _row(b"PING\r\nPUB foo\r\n", [("PING",)], SILENT),
    # a payload must be followed by CRLF
    _row(b"PUB foo 3\r\nabcd\r\n", [], UNKNOWN),
    _row(b"PUB foo 3\r\nabc\nPING\r\n", [], UNKNOWN),
    _row(b"PUB foo 3\r\nab\r\n\r\n", [], UNKNOWN),
    _row(b"PUB foo 0\r\nPING\r\n", [], UNKNOWN),
    _row(b"PUB foo 1\r\nab\r\nPING\r\n", [], UNKNOWN),
    _row(b"HPUB foo 2 2\r\nabc\r\n", [], UNKNOWN, headers=True),
    _row(b"PUB foo 1\r\nx\r\nPUB foo 1\r\nxy\r\n", [("PUB", b"foo", b"", b"x")], UNKNOWN),
    # max_payload, detected from the control line alone
    _row(b"PUB foo 11\r\n", [], ERR_MAX_PAYLOAD, max_payload=10),
    _row(b"PUB foo 11\r\n01234567890\r\n", [], ERR_MAX_PAYLOAD, max_payload=10),
    _row(b"PUB foo reply 999999999\r\n", [], ERR_MAX_PAYLOAD),
    _row(b"HPUB foo 2 11\r\n", [], ERR_MAX_PAYLOAD, max_payload=10, headers=True),
    # a bad size is reported before max_payload, and max_payload before the pedantic check
    _row(b"PUB foo 1234567890\r\n", [], SILENT, max_payload=10),
    _row(b"PUB foo.* 11\r\n", [], ERR_MAX_PAYLOAD, max_payload=10),
]


@pytest.mark.parametrize(("data", "attrs", "ops", "err"), ERRORS)
def test_errors(data: bytes, attrs: dict[str, Any], ops: list[Op], err: Any) -> None:
    check_rows(data, attrs, ops, err)


PEDANTIC = [
    _row(b"PUB foo.* 1\r\na\r\n", [NOTICE, ("PUB", b"foo.*", b"", b"a")]),
    _row(b"PUB foo.> 1\r\na\r\n", [NOTICE, ("PUB", b"foo.>", b"", b"a")]),
    _row(b"PUB foo..bar 1\r\na\r\n", [NOTICE, ("PUB", b"foo..bar", b"", b"a")]),
    _row(b"PUB .foo 1\r\na\r\n", [NOTICE, ("PUB", b".foo", b"", b"a")]),
    _row(b"PUB foo. 1\r\na\r\n", [NOTICE, ("PUB", b"foo.", b"", b"a")]),
    _row(b"PUB * r 0\r\n\r\n", [NOTICE, ("PUB", b"*", b"r", b"")]),
    _row(b"pub > 0\r\n\r\n", [NOTICE, ("PUB", b">", b"", b"")]),
    _row(b"HPUB foo.* 0 1\r\na\r\n", [NOTICE, ("HPUB", b"foo.*", b"", 0, b"a")], headers=True),
    # the notice is sent when the control line is read, before the payload has arrived
    _row(b"PUB foo.* 3\r\nab", [NOTICE]),
    # wildcards inside a token are literal; the reply subject is not checked
    _row(b"PUB foo.b* 1\r\na\r\n", [("PUB", b"foo.b*", b"", b"a")]),
    _row(b"PUB foo bar.* 1\r\na\r\n", [("PUB", b"foo", b"bar.*", b"a")]),
    # not pedantic: no check at all
    _row(b"PUB foo.* 1\r\na\r\n", [("PUB", b"foo.*", b"", b"a")], pedantic=False),
    _row(b"PUB foo..bar 1\r\na\r\n", [("PUB", b"foo..bar", b"", b"a")], pedantic=False),
    _row(b"HPUB foo.> 0 1\r\na\r\n", [("HPUB", b"foo.>", b"", 0, b"a")], pedantic=False, headers=True),
]


@pytest.mark.parametrize(("data", "attrs", "ops", "err"), PEDANTIC)
def test_pedantic_publish_subject(data: bytes, attrs: dict[str, Any], ops: list[Op], err: Any) -> None:
    check_rows(data, attrs, ops, err)


AUTH = [
    _row(b"PING\r\n", [], ERR_AUTH_VIOLATION, auth_pending=True),
    _row(b"PUB foo 1\r\na\r\n", [], ERR_AUTH_VIOLATION, auth_pending=True),
    _row(b"pub foo 1\r\na\r\n", [], ERR_AUTH_VIOLATION, auth_pending=True),
    _row(b"SUB foo 1\r\n", [], ERR_AUTH_VIOLATION, auth_pending=True),
    _row(b"INFO {}\r\n", [], ERR_AUTH_VIOLATION, auth_pending=True),
    _row(b"+OK\r\n", [], ERR_AUTH_VIOLATION, auth_pending=True),
    _row(b"XYZ\r\n", [], ERR_AUTH_VIOLATION, auth_pending=True),
    _row(b"P", [], ERR_AUTH_VIOLATION, auth_pending=True),
    _row(b"CONNECT {}\r\n", [("CONNECT", b"{}")], auth_pending=True),
    _row(b"connect{}\r\n", [("CONNECT", b"{}")], auth_pending=True),
    _row(b"CXYZ\r\n", [], UNKNOWN, auth_pending=True),
]


@pytest.mark.parametrize(("data", "attrs", "ops", "err"), AUTH)
def test_auth_pending(data: bytes, attrs: dict[str, Any], ops: list[Op], err: Any) -> None:
    check_rows(data, attrs, ops, err)


def test_auth_pending_cleared_between_feeds() -> None:
    # The connection clears auth_pending once CONNECT has been accepted; later ops then parse.
    class Clearing(OpRecorder):
        def on_connect(self, arg: bytes) -> None:
            super().on_connect(arg)
            parser.auth_pending = False

    rec = Clearing()
    parser = ClientParser(rec)
    parser.auth_pending = True
    for b in b"CONNECT {}\r\nPUB foo 1\r\na\r\nPING\r\n":
        parser.feed(bytes([b]))
    assert rec.ops == [("CONNECT", b"{}"), ("PUB", b"foo", b"", b"a"), ("PING",)]


BIG = b"a" * 5000
LINE16 = b"abcdefghijklmn 1"  # exactly 16 bytes of arguments
assert len(LINE16) == 16

CONTROL_LINE = [
    # complete lines over the default 4096
    _row(b"PUB " + BIG + b" 1\r\nx\r\n", [], ERR_MAX_CONTROL_LINE),
    _row(b"pub " + BIG + b" 1\r\nx\r\n", [], ERR_MAX_CONTROL_LINE),
    _row(b"SUB " + BIG + b" 1\r\n", [], ERR_MAX_CONTROL_LINE),
    _row(b"UNSUB " + BIG + b"\r\n", [], ERR_MAX_CONTROL_LINE),
    _row(b"CONNECT {" + BIG + b"}\r\n", [], ERR_MAX_CONTROL_LINE),
    _row(b"INFO {" + BIG + b"}\r\n", [], ERR_MAX_CONTROL_LINE),
    _row(b"-ERR " + BIG + b"\r\n", [], ERR_MAX_CONTROL_LINE),
    _row(b"HPUB " + BIG + b" 0 0\r\n\r\n", [], ERR_MAX_CONTROL_LINE, headers=True),
    # partial lines: the limit is enforced before the LF arrives
    _row(b"PUB " + BIG, [], ERR_MAX_CONTROL_LINE),
    _row(b"SUB " + BIG, [], ERR_MAX_CONTROL_LINE),
    _row(b"CONNECT " + BIG, [], ERR_MAX_CONTROL_LINE),
    _row(b"SUB foo 1\r\nPUB " + BIG, [("SUB", b"foo", b"", b"1")], ERR_MAX_CONTROL_LINE),
    # text after PING is not arguments; a big payload is not a control line
    _row(b"PING " + BIG + b"\r\n", [("PING",)]),
    _row(b"PUB foo 5000\r\n" + BIG + b"\r\n", [("PUB", b"foo", b"", BIG)]),
    # a small limit: the count starts after the op name and its separators, and excludes CRLF
    _row(b"SUB " + LINE16 + b"\n", [("SUB", b"abcdefghijklmn", b"", b"1")], max_control_line=16),
    _row(b"SUB  \t" + LINE16 + b"\n", [("SUB", b"abcdefghijklmn", b"", b"1")], max_control_line=16),
    _row(b"pub " + LINE16 + b"\nx\r\n", [("PUB", b"abcdefghijklmn", b"", b"x")], max_control_line=16),
    _row(b"SUB x" + LINE16 + b"\n", [], ERR_MAX_CONTROL_LINE, max_control_line=16),
    _row(b"SUB x" + LINE16 + b"\r\n", [], ERR_MAX_CONTROL_LINE, max_control_line=16),
    _row(b"PUB x" + LINE16 + b"\r\n", [], ERR_MAX_CONTROL_LINE, max_control_line=16),
    _row(b"SUB x" + LINE16, [], ERR_MAX_CONTROL_LINE, max_control_line=16),
]


@pytest.mark.parametrize(("data", "attrs", "ops", "err"), CONTROL_LINE)
def test_max_control_line(data: bytes, attrs: dict[str, Any], ops: list[Op], err: Any) -> None:
    check_rows(data, attrs, ops, err)


def test_error_carries_reason() -> None:
    _, exc = parse_all(b"PUB foo\r\n")
    assert isinstance(exc, ProtocolError)
    assert exc.err is None
    assert exc.reason
    assert str(exc) == exc.reason


def test_large_payload_in_many_chunk_sizes() -> None:
    payload = bytes(range(256)) * 800  # 204800 bytes, includes CR and LF
    data = b"PUB big 204800\r\n" + payload + b"\r\nPING\r\n"
    expected = [("PUB", b"big", b"", payload), ("PING",)]
    for chunks in (None, itertools.repeat(1000), itertools.repeat(70000), [10, 100000, 5, 3, 200000]):
        assert parse_all(data, chunks) == (expected, None)


def test_parser_feed_empty_bytes() -> None:
    data = b"SUB foo 1\r\nPUB foo 3\r\nabc\r\n"
    assert parse_all(data, [0, 3, 0, 0, 12, 0, 4, 0, 100]) == (
        [("SUB", b"foo", b"", b"1"), ("PUB", b"foo", b"", b"abc")],
        None,
    )


def test_limits_changed_between_feeds() -> None:
    rec = OpRecorder()
    parser = ClientParser(rec, max_payload=10)
    parser.feed(b"PUB foo 5\r\nhello\r\n")
    parser.max_payload = 4
    with pytest.raises(ProtocolError) as info:
        parser.feed(b"PUB foo 5\r\n")
    assert info.value.err == ERR_MAX_PAYLOAD
    assert rec.ops == [("PUB", b"foo", b"", b"hello")]


def test_constructor_limits() -> None:
    parser = ClientParser(OpRecorder(), max_payload=7, max_control_line=9)
    assert (parser.max_payload, parser.max_control_line) == (7, 9)
    assert (parser.headers, parser.pedantic, parser.auth_pending) == (False, True, False)


@pytest.mark.parametrize(
    ("text", "size"),
    [
        (b"0", 0),
        (b"1", 1),
        (b"999999999", 999999999),
        (b"000000001", 1),
        (b"", -1),
        (b"1234567890", -1),
        (b"-1", -1),
        (b"+1", -1),
        (b"1 ", -1),
        (b"0x1", -1),
        (b"\xd9\xa3", -1),
    ],
)
def test_parse_size(text: bytes, size: int) -> None:
    assert parse_size(text) == size


def test_split_args() -> None:
    assert split_args(b"a b\t\tc  d") == [b"a", b"b", b"c", b"d"]
    assert split_args(b"  ") == []
    assert split_args(b"a\rb") == [b"a\rb"]


# -- cases where byte-at-a-time and line-at-a-time parsing could drift ------------------------------------------------------


@pytest.mark.parametrize("data", [b"PUB foo 1\r\naX", b"PUB foo 1\r\na\n", b"HPUB foo 0 1\r\naX"])
def test_payload_trailer_checked_at_first_byte(data: bytes) -> None:
    _, exc = parse_all(data, headers=True)
    assert exc is not None
    assert exc.err == ERR_UNKNOWN_OP


@pytest.mark.parametrize("chunks", [[len(b"SUB " + LINE16 + b"\r")], itertools.repeat(1)])
def test_control_line_at_limit_split_between_cr_and_lf(chunks: Any) -> None:
    data = b"SUB " + LINE16 + b"\r\nPING\r\n"
    assert parse_all(data, chunks, max_control_line=16) == (
        [("SUB", b"abcdefghijklmn", b"", b"1"), ("PING",)],
        None,
    )


def test_pub_control_line_excludes_leading_separators() -> None:
    data = b"PUB  \t" + LINE16 + b"\r\nx\r\n"
    assert parse_all(data, max_control_line=16) == ([("PUB", b"abcdefghijklmn", b"", b"x")], None)


def test_parser_stopped_keeps_the_rest_and_resumes_in_order() -> None:
    # A handler may stop the parser after any op (a stalled publisher); feed(b"") resumes it.
    from pynatsd.protocol.parser import ClientParser
    from pynatsd.testing.recorder import OpRecorder

    rec = OpRecorder()
    parser = ClientParser(rec)
    parser.pedantic = False
    data = b"".join(b"PUB s.%d 1\r\n%d\r\n" % (i, i % 10) for i in range(50)) + b"PUB s.x 3\r\nab"
    stops = 0

    def stop_after_pub(subject: bytes, reply: bytes, payload: bytes, sizes: bytes = b"") -> None:
        nonlocal stops
        rec.ops.append(("PUB", subject, reply, payload))
        parser.stopped = True
        stops += 1

    rec.on_pub = stop_after_pub  # type: ignore[method-assign]
    parser.feed(data)
    while parser.stopped:
        parser.stopped = False
        parser.feed(b"")
        if len(rec.ops) >= 50:
            break
    parser.stopped = False
    parser.feed(b"c\r\n")
    assert [op[1] for op in rec.ops] == [b"s.%d" % i for i in range(50)] + [b"s.x"]
    assert rec.ops[-1][3] == b"abc"
    assert stops == 51


def _outcome_with_tail(data: bytes, chunks: Any, attrs: dict[str, Any]) -> tuple[list[Op], Any]:
    # As _outcome, with the connection's on_pub_tail set: canonical PUBs arrive as a tail, which
    # must be exactly how MSG continues after its sid, and must carry what on_pub would have got.
    rec = OpRecorder()
    parser = ClientParser(rec)
    for name, value in attrs.items():
        setattr(parser, name, value)

    def on_tail(subject: bytes, reply: bytes, tail: bytes, size: int) -> None:
        payload = tail[len(tail) - size - 2 : len(tail) - 2]
        assert tail == b" " + (reply + b" " if reply else b"") + b"%d\r\n" % size + payload + b"\r\n"
        rec.ops.append(("PUB", subject, reply, payload))

    parser.on_pub_tail = on_tail
    try:
        for piece in [data] if chunks is None else _chunked(data, chunks):
            parser.feed(piece)
    except ProtocolError as exc:
        return rec.ops, exc.err
    return rec.ops, CLEAN


def _chunked(data: bytes, chunks: Any) -> Iterator[bytes]:
    pos = 0
    for size in chunks:
        if pos >= len(data):
            return
        yield data[pos : pos + size]
        pos += size
    if pos < len(data):
        yield data[pos:]


_TAIL_EXTRA = [
    _row(b"PUB a.b r.s 5\r\nhello\r\nPUB c 0\r\n\r\nPUB d 10\r\n0123456789\r\n", []),
    _row(b"PUB a 1\r\nxPUB b 1\r\ny\r\n", []),
    _row(b"PUB a 5 \r\nhello\r\n", []),
    _row(b"PUB a  5\r\nhello\r\n", []),
    _row(b"PUB a 05\r\nhello\r\n", []),
    _row(b"PUB a r\x0bs 5\r\nhello\r\n", []),
    _row(b"PUB a 1234567890\r\n", []),
    _row(b"PUB a 6\r\nhello\r\r\n", []),
    _row(b"PUB " + LINE16 + b"\r\nx\r\n", [], max_control_line=16),
    _row(b"PUB x" + LINE16 + b"\r\nx\r\n", [], max_control_line=16),
    _row(b"PUB a 10\r\nhello\r\n", [], max_payload=5),
]


@pytest.mark.parametrize(
    ("data", "attrs", "ops", "err"), VALID + ERRORS + PEDANTIC + AUTH + CONTROL_LINE + _TAIL_EXTRA
)
@pytest.mark.parametrize("pedantic", [None, False])
def test_pub_tail_matches_on_pub(
    data: bytes, attrs: dict[str, Any], ops: list[Op], err: Any, pedantic: bool | None
) -> None:
    # The table rows again, through on_pub_tail (and with pedantic off, where the fast path runs):
    # the same ops and the same verdict however the bytes are split.
    attrs = dict(attrs) if pedantic is None else {**attrs, "pedantic": pedantic}
    whole = _outcome(data, None, attrs)
    assert _outcome_with_tail(data, None, attrs) == whole
    for label, chunks in _splits(data):
        assert _outcome_with_tail(data, chunks, attrs) == whole, label


@pytest.mark.parametrize("chunk", [1, 7, 23, 64, 1000])
@pytest.mark.parametrize("tail", [False, True])
def test_parser_stopped_across_reads_resumes_in_order(chunk: int, tail: bool) -> None:
    # Stops after every PUB while the stream arrives in pieces, so ops that straddle two reads
    # are completed (and stopped after) too; every op comes once, in order.
    rec = OpRecorder()
    parser = ClientParser(rec)
    parser.pedantic = False
    msgs = [
        b"PUB s.%d %s%d\r\n%s\r\n" % (i, b"r " if i % 3 else b"", 5 + i % 7, b"x" * (5 + i % 7))
        for i in range(40)
    ]
    data = b"".join(msgs) + b"PING\r\n"

    def on_pub(subject: bytes, reply: bytes, payload: bytes, sizes: bytes = b"") -> None:
        rec.ops.append(("PUB", subject, reply, payload))
        parser.stopped = True

    def on_tail(subject: bytes, reply: bytes, tail: bytes, size: int) -> None:
        on_pub(subject, reply, tail[len(tail) - size - 2 : len(tail) - 2])

    rec.on_pub = on_pub  # type: ignore[method-assign]
    if tail:
        parser.on_pub_tail = on_tail
    for pos in range(0, len(data), chunk):
        parser.feed(data[pos : pos + chunk])
        while parser.stopped:
            parser.stopped = False
            parser.feed(b"")
    expected = [("PUB", b"s.%d" % i, b"r" if i % 3 else b"", b"x" * (5 + i % 7)) for i in range(40)]
    assert rec.ops == [*expected, ("PING",)]
