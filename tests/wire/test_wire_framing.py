# Control-line framing the server accepts: op case, line endings, separators, PING/PONG and the
# server-only verbs a client may send back harmlessly.
from __future__ import annotations

import pytest

from pynatsd.testing.normalize import Transcript
from pynatsd.testing.wire import WireTarget

PONG = b"PONG\r\n"
QUIET = b'CONNECT {"verbose":false}\r\n'


@pytest.mark.parametrize(
    ("send", "expected"),
    [
        (b"sub foo 1\r\npub foo 2\r\nhi\r\nping\r\n", b"+OK\r\n+OK\r\nMSG foo 1 2\r\nhi\r\nPONG\r\n"),
        (b"SuB foo 1\r\nPuB foo 2\r\nhi\r\nPiNg\r\n", b"+OK\r\n+OK\r\nMSG foo 1 2\r\nhi\r\nPONG\r\n"),
        (
            b'cOnNeCt {"verbose":false}\r\nsub foo 1\r\nuNsUb 1\r\npub foo 1\r\na\r\npInG\r\n',
            PONG,
        ),
        (
            b'Connect {"verbose":false,"headers":true}\r\nSub foo 1\r\nhpub foo 12 14\r\nNATS/1.0\r\n\r\nhi\r\nPING\r\n',
            b"HMSG foo 1 12 14\r\nNATS/1.0\r\n\r\nhi\r\n" + PONG,
        ),
    ],
    ids=["lower", "mixed", "connect-unsub", "hpub"],
)
async def test_ops_are_case_insensitive(wire: WireTarget, send: bytes, expected: bytes) -> None:
    assert await wire.run(send, until=PONG) == Transcript(expected, closed=False)


async def test_bare_lf_ends_control_lines(wire: WireTarget) -> None:
    send = b'CONNECT {"verbose":false}\nSUB foo 1\nPUB foo 2\nhi\r\nPING\n'
    expected = b"MSG foo 1 2\r\nhi\r\n" + PONG
    assert await wire.run(send, until=PONG) == Transcript(expected, closed=False)


async def test_bare_lf_after_payload_is_a_framing_error(wire: WireTarget) -> None:
    send = b'CONNECT {"verbose":false}\nSUB foo 1\nPUB foo 2\nhi\nPING\n'
    assert await wire.run(send) == Transcript(b"-ERR 'Unknown Protocol Operation'\r\n", closed=True)


async def test_tabs_and_runs_of_spaces_separate_arguments(wire: WireTarget) -> None:
    send = b'CONNECT\t{"verbose":false}\r\nSUB \t foo\t\t1\r\nPUB  foo\t bar   2 \r\nhi\r\nPING\r\n'
    expected = b"MSG foo 1 bar 2\r\nhi\r\n" + PONG
    assert await wire.run(send, until=PONG) == Transcript(expected, closed=False)


async def test_trailing_spaces_are_ignored(wire: WireTarget) -> None:
    send = QUIET + b"SUB foo 1 \r\nPUB foo 2 \t\r\nhi\r\nUNSUB 1  \r\nPUB foo 2\r\nhi\r\nPING\r\n"
    expected = b"MSG foo 1 2\r\nhi\r\n" + PONG
    assert await wire.run(send, until=PONG) == Transcript(expected, closed=False)


async def test_size_is_echoed_as_sent(wire: WireTarget) -> None:
    # The MSG line repeats the size token byte for byte, leading zeros included.
    send = QUIET + b"SUB foo 1\r\nPUB foo 00002\r\nhi\r\nPUB foo r 0\r\n\r\nPING\r\n"
    expected = b"MSG foo 1 00002\r\nhi\r\nMSG foo 1 r 0\r\n\r\n" + PONG
    assert await wire.run(send, until=PONG) == Transcript(expected, closed=False)


@pytest.mark.parametrize(
    ("send", "expected"),
    [
        (b"PING\r\n", PONG),
        (b"PING foo bar\r\n", PONG),
        (b"PING\tx\r\n", PONG),
        (b"PINGX\r\n", PONG),
        (b"PING\rPING\r\n", PONG),
        (b"PING" + b" " * 300 + b"\r\n", PONG),
        (b"ping\r\nPing\r\npING\r\n", PONG * 3),
    ],
    ids=["plain", "args", "tab", "suffix", "cr-inside", "long-tail", "three"],
)
async def test_ping_answered_with_pong(wire: WireTarget, send: bytes, expected: bytes) -> None:
    got = await wire.run(QUIET + send, until=PONG, count=expected.count(PONG))
    assert got == Transcript(expected, closed=False)


async def test_pong_from_client_is_ignored(wire: WireTarget) -> None:
    send = QUIET + b"PONG\r\npong\r\nPONGX\r\nPONG extra\r\nPING\r\n"
    assert await wire.run(send, until=PONG) == Transcript(PONG, closed=False)


async def test_ok_from_client_is_ignored(wire: WireTarget) -> None:
    send = QUIET + b"+OK\r\n+ok\r\n+OKX\r\nPING\r\n"
    assert await wire.run(send, until=PONG) == Transcript(PONG, closed=False)


async def test_info_from_client_is_ignored(wire: WireTarget) -> None:
    send = QUIET + b'INFO {}\r\ninfo {"server_id":"x","port":1,"connect_urls":["a:1"]}\r\nPING\r\n'
    assert await wire.run(send, until=PONG) == Transcript(PONG, closed=False)


@pytest.mark.parametrize(
    "body", [b"junk", b'{"junk', b"", b'{"port":"x"}'], ids=["word", "truncated", "empty", "bad-type"]
)
async def test_info_from_client_with_bad_json_closes_silently(wire: WireTarget, body: bytes) -> None:
    # The client's INFO is still parsed, so JSON that does not decode ends the connection.
    assert await wire.run(QUIET + b"INFO " + body + b"\r\nPING\r\n") == Transcript(b"", closed=True)


async def test_nothing_is_sent_without_input(wire: WireTarget) -> None:
    assert await wire.run(b"") == Transcript(b"", closed=False)


async def test_partial_line_waits_for_the_rest(wire: WireTarget) -> None:
    server = await wire.server()
    client = await wire.connect(server)
    await client.send(QUIET + b"SUB foo 1\r\nPU")
    assert await client.read_until_quiet(0.2) == b""
    await client.send(b"B foo 5\r\nhel")
    assert await client.read_until_quiet(0.2) == b""
    await client.send(b"lo\r\nPI")
    await client.send(b"NG\r\n")
    data, _ = await client.read_until(PONG)
    assert data == b"MSG foo 1 5\r\nhello\r\n" + PONG


async def test_byte_at_a_time(wire: WireTarget) -> None:
    server = await wire.server()
    client = await wire.connect(server)
    for b in QUIET + b"SUB foo 1\r\nPUB foo bar 3\r\na\r\n\r\nPING\r\n":
        await client.send(bytes([b]))
    data, _ = await client.read_until(PONG)
    assert data == b"MSG foo 1 bar 3\r\na\r\n\r\n" + PONG
