# Configured limits: payload size, control-line length, connection and subscription counts, and the
# keepalive that closes clients which stop answering PINGs.
from __future__ import annotations

import asyncio
import time

import pytest

from pynatsd.testing.normalize import Transcript
from pynatsd.testing.wire import RawClient, WireTarget, read_transcript

OK = b"+OK\r\n"
PONG = b"PONG\r\n"
QUIET = b'CONNECT {"verbose":false}\r\n'
HDRS = b'CONNECT {"verbose":false,"headers":true}\r\n'

LIMITS = "max_payload: 1024\nmax_control_line: 256\nmax_subscriptions: 2\n"
MAX_PAYLOAD = b"-ERR 'Maximum Payload Violation'\r\n"
MAX_CONTROL = b"-ERR 'maximum control line exceeded'\r\n"
MAX_SUBS = b"-ERR 'maximum subscriptions exceeded'\r\n"

INFO_DEFAULT = (
    b'INFO {"server_id":"<server_id>","server_name":"<server_name>","version":"<version>","proto":1,'
    b'"git_commit":"<git_commit>","go":"<go>","host":"127.0.0.1","port":"<port>","headers":true,'
    b'"max_payload":1048576,"client_id":"<client_id>","client_ip":"127.0.0.1","api_lvl":5,'
    b'"xkey":"<xkey>"} \r\n'
)


async def check_closed(wire: WireTarget, send: bytes, expected: bytes) -> None:
    server = await wire.server(LIMITS)
    witness = await wire.witness(server)
    assert await wire.run(send, server=server) == Transcript(expected, closed=True)
    assert await witness.roundtrip() == witness.OK


async def check_open(wire: WireTarget, send: bytes, expected: bytes) -> None:
    server = await wire.server(LIMITS)
    assert await wire.run(send, server=server, until=PONG) == Transcript(expected, closed=False)


# -- max_payload ---------------------------------------------------------------------------------------


async def test_payload_at_limit(wire: WireTarget) -> None:
    payload = b"x" * 1024
    send = QUIET + b"SUB foo 1\r\nPUB foo 1024\r\n" + payload + b"\r\nPING\r\n"
    await check_open(wire, send, b"MSG foo 1 1024\r\n" + payload + b"\r\n" + PONG)


async def test_hpub_total_at_limit(wire: WireTarget) -> None:
    body = b"NATS/1.0\r\n\r\n" + b"x" * 1012
    send = HDRS + b"SUB foo 1\r\nHPUB foo 12 1024\r\n" + body + b"\r\nPING\r\n"
    await check_open(wire, send, b"HMSG foo 1 12 1024\r\n" + body + b"\r\n" + PONG)


@pytest.mark.parametrize(
    "send",
    [
        QUIET + b"PUB foo 1025\r\n",
        QUIET + b"PUB foo 1025\r\n" + b"x" * 1025 + b"\r\n",
        QUIET + b"PUB foo r 4096\r\n",
        b"PUB foo 1025\r\n",
        HDRS + b"HPUB foo 12 1025\r\n",
    ],
    ids=["line-only", "with-payload", "reply", "verbose", "hpub"],
)
async def test_payload_over_limit(wire: WireTarget, send: bytes) -> None:
    await check_closed(wire, send, MAX_PAYLOAD)


async def test_payload_over_default_limit(wire: WireTarget) -> None:
    witness = await wire.witness()
    assert await wire.run(QUIET + b"PUB foo 1048577\r\n") == Transcript(MAX_PAYLOAD, closed=True)
    assert await witness.roundtrip() == witness.OK


# -- max_control_line ------------------------------------------------------------------------------------
# The limit applies to the arguments after the op name.


async def test_control_line_at_limit(wire: WireTarget) -> None:
    subject = b"a" * 254
    send = QUIET + b"SUB " + subject + b" 1\r\nPUB " + subject + b" 1\r\nx\r\nPING\r\n"
    await check_open(wire, send, b"MSG " + subject + b" 1 1\r\nx\r\n" + PONG)


@pytest.mark.parametrize(
    "send",
    [
        b"PUB " + b"a" * 255 + b" 1\r\nx\r\n",
        b"SUB " + b"a" * 255 + b" 1\r\n",
        b"PUB " + b"a" * 300 + b" 1\r\nx\r\n",
        b"UNSUB " + b"1" * 300 + b"\r\n",
        b'CONNECT {"verbose":false,"name":"' + b"a" * 300 + b'"}\r\nPING\r\n',
    ],
    ids=["pub-by-one", "sub-by-one", "pub", "unsub", "connect"],
)
async def test_control_line_over_limit(wire: WireTarget, send: bytes) -> None:
    await check_closed(wire, QUIET + send, MAX_CONTROL)


@pytest.mark.parametrize(
    "send",
    [
        b"PUB " + b"a" * 257,
        b"SUB " + b"a" * 300,
        b'CONNECT {"verbose":false,"name":"' + b"a" * 300,
    ],
    ids=["pub", "sub", "connect"],
)
async def test_partial_control_line_over_limit(wire: WireTarget, send: bytes) -> None:
    # The limit is enforced before the line ends.
    await check_closed(wire, QUIET + send, MAX_CONTROL)


async def test_partial_control_line_at_limit_waits(wire: WireTarget) -> None:
    server = await wire.server(LIMITS)
    client = await wire.connect(server)
    await client.send(QUIET + b"PUB " + b"a" * 256)
    assert await read_transcript(client) == Transcript(b"", closed=False)
    await client.send(b"\r\n")
    assert await read_transcript(client) == Transcript(b"", closed=True)


async def test_ping_with_long_tail_is_not_limited(wire: WireTarget) -> None:
    await check_open(wire, QUIET + b"PING" + b" " * 400 + b"\r\n", PONG)


# -- max_subscriptions -------------------------------------------------------------------------------------


async def test_max_subscriptions(wire: WireTarget) -> None:
    send = QUIET + b"SUB a 1\r\nSUB b 2\r\nSUB c 3\r\nPUB c 1\r\nx\r\nPUB a 1\r\ny\r\nPING\r\n"
    await check_open(wire, send, MAX_SUBS + b"MSG a 1 1\r\ny\r\n" + PONG)


async def test_max_subscriptions_verbose_and_unsub_frees_a_slot(wire: WireTarget) -> None:
    send = b"CONNECT {}\r\nSUB a 1\r\nSUB b 2\r\nSUB c 3\r\nUNSUB 1\r\nSUB d 4\r\nPUB d 1\r\nx\r\nPING\r\n"
    expected = OK + OK + OK + MAX_SUBS + OK + OK + OK + b"MSG d 4 1\r\nx\r\n" + PONG
    await check_open(wire, send, expected)


async def test_max_subscriptions_duplicate_sid_not_counted(wire: WireTarget) -> None:
    send = QUIET + b"SUB a 1\r\nSUB a 1\r\nSUB a 1\r\nSUB b 2\r\nPING\r\n"
    await check_open(wire, send, PONG)


# -- max_connections ---------------------------------------------------------------------------------------


async def test_max_connections(wire: WireTarget) -> None:
    server = await wire.server("max_connections: 1\n", fresh=True)
    first = await wire.connect(server)
    await first.send(QUIET + b"SUB mc 1\r\nPING\r\n")
    await first.expect(PONG)

    second = await wire.connect(server, read_info=False)
    data, closed = await second.read_all_until_closed(2.0)
    assert Transcript.of(data, closed) == Transcript(
        INFO_DEFAULT + b"-ERR 'maximum connections exceeded'\r\n", closed=True
    )

    await first.send(b"PUB mc 2\r\nok\r\nPING\r\n")
    assert await read_transcript(first, until=PONG) == Transcript(
        b"MSG mc 1 2\r\nok\r\n" + PONG, closed=False
    )

    # Once the first one leaves there is room again.
    await first.close()
    deadline = time.monotonic() + 2.0
    while True:
        third = await wire.connect(server, read_info=False)
        head = await third.read_until_quiet(0.1, 1.0)
        if not third.is_closed() or time.monotonic() > deadline:
            break
        await third.close()
    assert Transcript.of(head, third.is_closed()) == Transcript(INFO_DEFAULT, closed=False)
    await third.send(QUIET + b"PING\r\n")
    assert await read_transcript(third, until=PONG) == Transcript(PONG, closed=False)


# -- keepalive ----------------------------------------------------------------------------------------------


async def test_stale_connection(wire: WireTarget) -> None:
    server = await wire.server('ping_interval: "1s"\nping_max: 1\n', fresh=True)
    silent = await wire.connect(server)
    lively = await wire.connect(server)
    await lively.send(QUIET + b"SUB alive 1\r\nPING\r\n")
    await lively.expect(PONG)

    async def answer_pings(client: RawClient, until: float) -> bytes:
        seen = b""
        while time.monotonic() < until and not client.is_closed():
            got = await client.read_until_quiet(0.05, 0.2)
            seen += got
            for _ in range(got.count(b"PING\r\n")):
                await client.send(PONG)
        return seen

    async def until_closed(client: RawClient) -> tuple[bytes, bool, float]:
        data, closed = await client.read_all_until_closed(4.0)
        return data, closed, time.monotonic() - started

    started = time.monotonic()
    (data, closed, elapsed), seen = await asyncio.gather(
        until_closed(silent), answer_pings(lively, started + 2.6)
    )
    assert Transcript.of(data, closed) == Transcript(b"PING\r\n-ERR 'Stale Connection'\r\n", closed=True)
    assert 1.5 < elapsed < 3.5

    # The client that answered is still connected and only ever saw PINGs.
    assert seen
    assert seen.replace(b"PING\r\n", b"") == b""
    await lively.send(b"PUB alive 1\r\nx\r\nPING\r\n")
    got = await read_transcript(lively, until=PONG)
    assert got.closed is False
    assert [f for f in got.frames() if f != b"PING\r\n"] == [b"MSG alive 1 1\r\nx\r\n", PONG]


AUTH_USER = "authorization { user: alice, password: s3cret, timeout: 1 }\n"
AUTH_TOKEN = "authorization { token: t0ken }\n"


async def test_authentication_timeout(wire: WireTarget) -> None:
    server = await wire.server(AUTH_USER)
    client = await wire.connect(server)
    assert client.info["auth_required"] is True
    started = time.monotonic()
    data, closed = await client.read_all_until_closed(4.0)
    assert Transcript.of(data, closed) == Transcript(b"-ERR 'Authentication Timeout'\r\n", closed=True)
    assert 0.5 < time.monotonic() - started < 3.0


@pytest.mark.parametrize(
    ("config", "connect", "ok"),
    [
        (AUTH_USER, b'{"user":"alice","pass":"s3cret","verbose":false}', True),
        (AUTH_USER, b'{"user":"alice","pass":"wrong","verbose":false}', False),
        (AUTH_USER, b'{"user":"bob","pass":"s3cret","verbose":false}', False),
        (AUTH_USER, b'{"verbose":false}', False),
        (AUTH_TOKEN, b'{"auth_token":"t0ken","verbose":false}', True),
        (AUTH_TOKEN, b'{"auth_token":"nope","verbose":false}', False),
        (AUTH_TOKEN, b'{"user":"t0ken","verbose":false}', False),
    ],
    ids=[
        "user-ok",
        "user-bad-pass",
        "user-unknown",
        "user-missing",
        "token-ok",
        "token-bad",
        "token-as-user",
    ],
)
async def test_authentication_verdicts(wire: WireTarget, config: str, connect: bytes, ok: bool) -> None:
    server = await wire.server(config)
    got = await wire.run(b"CONNECT " + connect + b"\r\nPING\r\n", server=server)
    if ok:
        assert got == Transcript(PONG, closed=False)
    else:
        assert got == Transcript(b"-ERR 'Authorization Violation'\r\n", closed=True)


async def test_ops_before_connect_when_auth_required(wire: WireTarget) -> None:
    server = await wire.server(AUTH_USER)
    got = await wire.run(b"SUB foo 1\r\nPING\r\n", server=server)
    assert got == Transcript(b"-ERR 'Authorization Violation'\r\n", closed=True)
