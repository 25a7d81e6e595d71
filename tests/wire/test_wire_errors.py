# Bad input: which mistakes earn `-ERR '...'`, which close silently, and which are reported while
# the connection stays open. Each scenario also checks that a bystander connection on the same
# server is unaffected.
from __future__ import annotations

import pytest

from pynatsd.testing.normalize import Transcript
from pynatsd.testing.wire import WireTarget

OK = b"+OK\r\n"
PONG = b"PONG\r\n"
QUIET = b'CONNECT {"verbose":false}\r\n'
HDRS = b'CONNECT {"verbose":false,"headers":true}\r\n'
UNKNOWN = b"-ERR 'Unknown Protocol Operation'\r\n"
INVALID_SUBJECT = b"-ERR 'Invalid Subject'\r\n"


async def check_closed(wire: WireTarget, send: bytes, expected: bytes) -> None:
    witness = await wire.witness()
    assert await wire.run(send) == Transcript(expected, closed=True)
    assert await witness.roundtrip() == witness.OK


@pytest.mark.parametrize(
    "send",
    [
        b"MSG foo 1 2\r\nhi\r\n",
        b"HMSG foo 1 2 2\r\n",
        b"RS+ foo\r\n",
        b"RS- foo\r\n",
        b"RMSG foo\r\n",
        b"LS+ foo\r\n",
        b"LS- foo\r\n",
        b"LMSG foo\r\n",
        b"A+ foo\r\n",
        b"A- foo\r\n",
        b"GARBAGE\r\n",
        b"GARBAGE",
        b"P\r\n",
        b"PO\r\n",
        b"PUBX foo 1\r\n",
        b"SUBX foo 1\r\n",
        b"UNSUBX 1\r\n",
        b"+O\r\n",
        b"-ERR\r\n",
        b"-ER\r\n",
        b"\r\n",
        b"  PING\r\n",
        b"\x00\r\n",
        b"\xff\xfe",
    ],
    ids=[
        "msg",
        "hmsg",
        "rs+",
        "rs-",
        "rmsg",
        "ls+",
        "ls-",
        "lmsg",
        "a+",
        "a-",
        "garbage",
        "garbage-no-eol",
        "p",
        "po",
        "pubx",
        "subx",
        "unsubx",
        "plus-o",
        "err-no-arg",
        "er",
        "empty-line",
        "leading-spaces",
        "nul",
        "high-bytes",
    ],
)
async def test_unknown_protocol_operation(wire: WireTarget, send: bytes) -> None:
    await check_closed(wire, QUIET + send, UNKNOWN)


async def test_unknown_op_after_valid_ones(wire: WireTarget) -> None:
    send = b"SUB foo 1\r\nPUB foo 1\r\na\r\nXYZ\r\nPING\r\n"
    await check_closed(wire, send, OK + OK + b"MSG foo 1 1\r\na\r\n" + UNKNOWN)


@pytest.mark.parametrize(
    "send",
    [b"-ERR 'x'\r\nPING\r\n", b"-ERR x\r\n", b"-err 'boom'\r\nPING\r\n", b"SUB foo 1\r\n-ERR 'boom'\r\n"],
    ids=["quoted", "bare", "lowercase", "after-sub"],
)
async def test_err_from_client_closes_silently(wire: WireTarget, send: bytes) -> None:
    await check_closed(wire, QUIET + send, b"")


@pytest.mark.parametrize(
    "send",
    [
        b"SUB foo 1\r\nPUB foo 2\r\nhiX\r\n",
        b"SUB foo 1\r\nPUB foo 2\r\nhi\rX",
        b"SUB foo 1\r\nPUB foo 2\r\nhi\nPING\r\n",
        b"SUB foo 1\r\nPUB foo 0\r\nX\r\n",
        b"SUB foo 1\r\nPUB foo 1\r\nab\r\n",
    ],
    ids=["extra-byte", "cr-then-byte", "lf-only", "zero-size-extra", "payload-too-long"],
)
async def test_bad_payload_framing(wire: WireTarget, send: bytes) -> None:
    await check_closed(wire, QUIET + send, UNKNOWN)


async def test_bad_hpub_payload_framing(wire: WireTarget) -> None:
    await check_closed(wire, HDRS + b"SUB foo 1\r\nHPUB foo 12 14\r\nNATS/1.0\r\n\r\nhiXX", UNKNOWN)


async def test_message_before_bad_framing_is_not_delivered(wire: WireTarget) -> None:
    # The payload is checked before the message is routed.
    await check_closed(
        wire, QUIET + b"SUB foo 1\r\nPUB foo 0\r\n\r\nPUB foo 0\r\nX\r\n", b"MSG foo 1 0\r\n\r\n" + UNKNOWN
    )


@pytest.mark.parametrize(
    ("send", "expected"),
    [
        (b"PUB foo\r\n", b""),
        (b"PUB \r\n", b""),
        (b"PUB foo a b 2\r\n", b""),
        (b"PUB foo -1\r\n", b""),
        (b"PUB foo x\r\n", b""),
        (b"PUB foo 2x\r\n", b""),
        (b"PUB foo +2\r\n", b""),
        (b"PUB foo 99999999999999999999\r\n", b""),
        (b"PUB\r\n", UNKNOWN),
        (b"SUB foo\r\n", b""),
        (b"SUB foo q 1 x\r\n", b""),
        (b"SUB\r\n", UNKNOWN),
        (b"UNSUB 1 2 3\r\n", b""),
        (b"UNSUB\r\n", UNKNOWN),
        (b"CONNECTX {}\r\n", b""),
    ],
    ids=[
        "pub-1-arg",
        "pub-blank",
        "pub-4-args",
        "pub-negative",
        "pub-nan",
        "pub-suffix",
        "pub-plus",
        "pub-huge",
        "pub-no-args",
        "sub-1-arg",
        "sub-4-args",
        "sub-no-args",
        "unsub-3-args",
        "unsub-no-args",
        "connectx",
    ],
)
async def test_bad_arguments(wire: WireTarget, send: bytes, expected: bytes) -> None:
    await check_closed(wire, QUIET + send + b"PING\r\n", expected)


@pytest.mark.parametrize(
    "send",
    [
        b"HPUB foo 12 14\r\nNATS/1.0\r\n\r\nhi\r\n",
        b"HPUB foo 0 2\r\nhi\r\n",
    ],
    ids=["with-header", "zero-header"],
)
async def test_hpub_without_headers_closes_silently(wire: WireTarget, send: bytes) -> None:
    await check_closed(wire, QUIET + send + b"PING\r\n", b"")
    await check_closed(wire, send + b"PING\r\n", b"")


@pytest.mark.parametrize(
    ("send", "expected"),
    [
        (b"HPUB foo 12\r\n", b""),
        (b"HPUB foo r x 14\r\n", b""),
        (b"HPUB foo -1 14\r\n", b""),
        (b"HPUB foo 3 2\r\n", b""),
        (b"HPUB foo a b c d\r\n", b""),
        (b"HPUB\r\n", UNKNOWN),
    ],
    ids=["2-args", "bad-hdr", "negative-hdr", "hdr-over-total", "5-args", "no-args"],
)
async def test_bad_hpub_arguments(wire: WireTarget, send: bytes, expected: bytes) -> None:
    await check_closed(wire, HDRS + b"SUB foo 1\r\n" + send + b"PING\r\n", expected)


@pytest.mark.parametrize(
    "subject",
    [b"foo..bar", b".foo", b"foo.", b"foo.>.bar", b">.foo", b".", b".."],
)
async def test_invalid_subject_keeps_connection(wire: WireTarget, subject: bytes) -> None:
    witness = await wire.witness()
    send = QUIET + b"SUB %s 1\r\nSUB %s q 2\r\nSUB ok 3\r\nPUB ok 1\r\na\r\nPING\r\n" % (subject, subject)
    expected = INVALID_SUBJECT * 2 + b"MSG ok 3 1\r\na\r\n" + PONG
    assert await wire.run(send, until=PONG) == Transcript(expected, closed=False)
    assert await witness.roundtrip() == witness.OK


async def test_invalid_subject_verbose_gets_no_ok(wire: WireTarget) -> None:
    send = b"SUB foo..bar 1\r\nSUB foo 1\r\nPING\r\n"
    assert await wire.run(send, until=PONG) == Transcript(INVALID_SUBJECT + OK + PONG, closed=False)


async def test_invalid_subject_sid_stays_free(wire: WireTarget) -> None:
    send = QUIET + b"SUB foo..bar 1\r\nSUB foo 1\r\nPUB foo 1\r\na\r\nPING\r\n"
    expected = INVALID_SUBJECT + b"MSG foo 1 1\r\na\r\n" + PONG
    assert await wire.run(send, until=PONG) == Transcript(expected, closed=False)


async def test_duplicate_sid_is_checked_before_the_subject(wire: WireTarget) -> None:
    # A SUB reusing a live sid is dropped before its subject is even looked at.
    send = QUIET + b"SUB foo 1\r\nSUB foo..bar 1\r\nSUB .x q 1\r\nPUB foo 1\r\na\r\nPING\r\n"
    expected = b"MSG foo 1 1\r\na\r\n" + PONG
    assert await wire.run(send, until=PONG) == Transcript(expected, closed=False)


@pytest.mark.parametrize("subject", [b">", b"*", b"*.*", b">>", b"**", b"foo.**", b"a>", b"foo.*.>"])
async def test_valid_odd_subjects_accepted(wire: WireTarget, subject: bytes) -> None:
    send = QUIET + b"SUB %s 1\r\nPING\r\n" % subject
    assert await wire.run(send, until=PONG) == Transcript(PONG, closed=False)


async def test_partial_input_then_client_close(wire: WireTarget) -> None:
    # A half-sent message followed by a disconnect must not disturb anyone else.
    witness = await wire.witness()
    assert await wire.run(QUIET + b"SUB foo 1\r\nPUB foo 10\r\nabc") == Transcript(b"", closed=False)
    assert await witness.roundtrip() == witness.OK
