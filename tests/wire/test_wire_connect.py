# Connection start-up: the INFO the server volunteers, and how CONNECT options change the session.
from __future__ import annotations

import json

import pytest

from pynatsd.testing.normalize import Transcript
from pynatsd.testing.wire import WireTarget

OK = b"+OK\r\n"
PONG = b"PONG\r\n"

INFO_DEFAULT = (
    b'INFO {"server_id":"<server_id>","server_name":"<server_name>","version":"<version>","proto":1,'
    b'"git_commit":"<git_commit>","go":"<go>","host":"127.0.0.1","port":"<port>","headers":true,'
    b'"max_payload":1048576,"client_id":"<client_id>","client_ip":"127.0.0.1","api_lvl":5,'
    b'"xkey":"<xkey>"} \r\n'
)

ASYNC_INFO = (
    b'INFO {"server_id":"<server_id>","server_name":"<server_name>","version":"<version>","proto":1,'
    b'"git_commit":"<git_commit>","go":"<go>","host":"127.0.0.1","port":"<port>","headers":true,'
    b'"max_payload":1048576,"client_id":"<client_id>","client_ip":"127.0.0.1","connect_info":true,'
    b'"remote_account":"$G","api_lvl":5,"xkey":"<xkey>"} \r\n'
)


async def test_info_is_first_line_with_reference_key_order(wire: WireTarget) -> None:
    server = await wire.server()
    client = await wire.connect(server)
    assert Transcript.of(client.info_line, client.is_closed()) == Transcript(INFO_DEFAULT, closed=False)
    info = client.info
    assert info["port"] == server.port
    assert info["server_name"] == info["server_id"]
    assert isinstance(info["client_id"], int)
    assert info["client_id"] > 0
    # Compact JSON, one space, then CRLF.
    body = client.info_line[5:-3]
    assert client.info_line.endswith(b"} \r\n")
    assert body == json.dumps(json.loads(body), separators=(",", ":")).encode()


async def test_info_client_ids_increase(wire: WireTarget) -> None:
    server = await wire.server()
    first = await wire.connect(server)
    second = await wire.connect(server)
    assert second.info["client_id"] > first.info["client_id"]
    assert second.info["server_id"] == first.info["server_id"]
    assert second.info["xkey"] == first.info["xkey"]


async def test_info_is_sent_before_the_client_says_anything(wire: WireTarget) -> None:
    server = await wire.server()
    client = await wire.connect(server, read_info=False)
    data, matched = await client.read_until(b"\r\n", 2.0)
    assert matched
    assert Transcript.of(data, client.is_closed()) == Transcript(INFO_DEFAULT, closed=False)
    assert await client.read_until_quiet(0.2) == b""


async def test_info_reports_configured_max_payload(wire: WireTarget) -> None:
    server = await wire.server("max_payload: 1024\n")
    client = await wire.connect(server)
    expected = INFO_DEFAULT.replace(b'"max_payload":1048576', b'"max_payload":1024')
    assert Transcript.of(client.info_line, client.is_closed()) == Transcript(expected, closed=False)


@pytest.mark.parametrize(
    ("send", "expected"),
    [
        # No CONNECT at all: default options, verbose on.
        (b"SUB foo 1\r\nPUB foo 2\r\nhi\r\nPING\r\n", OK + OK + b"MSG foo 1 2\r\nhi\r\n" + PONG),
        (b"CONNECT {}\r\nPING\r\n", OK + PONG),
        (b"CONNECT null\r\nPING\r\n", OK + PONG),
        (b'CONNECT {"verbose":true}\r\nPING\r\n', OK + PONG),
        (b'CONNECT {"verbose":false}\r\nPING\r\n', PONG),
        (b'connect {"verbose":false}\r\nping\r\n', PONG),
        (b'CONNECT{"verbose":false}\r\nPING\r\n', PONG),
        # Unknown and informational fields are accepted.
        (
            b'CONNECT {"verbose":false,"foo":[1,2],"lang":"python","name":"x","version":"1",'
            b'"tls_required":true,"protocol":0}\r\nPING\r\n',
            PONG,
        ),
        # Credentials are ignored when the server has no auth configured.
        (b'CONNECT {"verbose":false,"user":"a","pass":"b","auth_token":"t"}\r\nPING\r\n', PONG),
        (b'CONNECT {"verbose":false,"jwt":"abc","nkey":"UABC","sig":"x"}\r\nPING\r\n', PONG),
        (b'CONNECT {"verbose":false,"account":"","new_account":false}\r\nPING\r\n', PONG),
        # A second CONNECT is processed again.
        (b'CONNECT {"verbose":false}\r\nCONNECT {"verbose":true}\r\nPING\r\n', OK + PONG),
        (b'CONNECT {"verbose":true}\r\nCONNECT {"verbose":false}\r\nPING\r\n', OK + PONG),
    ],
    ids=[
        "no-connect",
        "empty-object",
        "null",
        "verbose-true",
        "verbose-false",
        "lowercase",
        "no-separator",
        "unknown-fields",
        "user-pass-token",
        "jwt-nkey",
        "empty-account",
        "reconnect-verbose-on",
        "reconnect-verbose-off",
    ],
)
async def test_connect_options(wire: WireTarget, send: bytes, expected: bytes) -> None:
    assert await wire.run(send, until=PONG) == Transcript(expected, closed=False)


async def test_second_connect_merges_into_the_first(wire: WireTarget) -> None:
    # Options not repeated in the second CONNECT keep their earlier values: headers stay on.
    send = (
        b'CONNECT {"verbose":false,"headers":true}\r\nCONNECT {"verbose":false}\r\n'
        b"SUB foo 1\r\nHPUB foo 12 14\r\nNATS/1.0\r\n\r\nhi\r\nPING\r\n"
    )
    expected = b"HMSG foo 1 12 14\r\nNATS/1.0\r\n\r\nhi\r\n" + PONG
    assert await wire.run(send, until=PONG) == Transcript(expected, closed=False)


@pytest.mark.parametrize(
    "send",
    [
        b"CONNECT {bad json}\r\nPING\r\n",
        b"CONNECT\r\nPING\r\n",
        b"CONNECT \r\nPING\r\n",
        b'CONNECT {"verbose":false\r\nPING\r\n',
        b"CONNECT []\r\nPING\r\n",
        b"CONNECT {} trailing\r\nPING\r\n",
        b'CONNECT {"verbose":false} {}\r\nPING\r\n',
        b'CONNECT {"verbose":"yes"}\r\nPING\r\n',
        b'CONNECT {"verbose":1}\r\nPING\r\n',
        b'CONNECT {"verbose":false,"protocol":"1"}\r\nPING\r\n',
    ],
    ids=[
        "not-json",
        "no-arg",
        "blank-arg",
        "truncated",
        "array",
        "trailing-text",
        "two-objects",
        "verbose-string",
        "verbose-number",
        "protocol-string",
    ],
)
async def test_invalid_connect_json_closes_silently(wire: WireTarget, send: bytes) -> None:
    witness = await wire.witness()
    assert await wire.run(send) == Transcript(b"", closed=True)
    assert await witness.roundtrip() == witness.OK


@pytest.mark.parametrize(
    ("send", "error"),
    [
        (b'CONNECT {"protocol":2}\r\nPING\r\n', b"invalid client protocol"),
        (b'CONNECT {"protocol":-1}\r\nPING\r\n', b"invalid client protocol"),
        (b'CONNECT {"no_responders":true}\r\nPING\r\n', b"no responders requires headers support"),
        (
            b'CONNECT {"no_responders":true,"headers":false}\r\nPING\r\n',
            b"no responders requires headers support",
        ),
        (b'CONNECT {"account":"A"}\r\nPING\r\n', b"Authorization Violation"),
        (b'CONNECT {"new_account":true}\r\nPING\r\n', b"Authorization Violation"),
    ],
    ids=[
        "protocol-2",
        "protocol-negative",
        "no-responders",
        "no-responders-headers-false",
        "account",
        "new-account",
    ],
)
async def test_connect_rejected_with_error(wire: WireTarget, send: bytes, error: bytes) -> None:
    witness = await wire.witness()
    assert await wire.run(send) == Transcript(b"-ERR '" + error + b"'\r\n", closed=True)
    assert await witness.roundtrip() == witness.OK


async def test_protocol_1_gets_async_info_after_first_pong(wire: WireTarget) -> None:
    send = b'CONNECT {"protocol":1,"verbose":false}\r\nPING\r\nPING\r\n'
    expected = PONG + ASYNC_INFO + PONG
    assert await wire.run(send, until=PONG, count=2) == Transcript(expected, closed=False)


async def test_protocol_1_verbose_async_info(wire: WireTarget) -> None:
    send = b'CONNECT {"protocol":1}\r\nPING\r\n'
    expected = OK + PONG + ASYNC_INFO
    assert await wire.run(send, until=b"} \r\n") == Transcript(expected, closed=False)


async def test_protocol_1_after_earlier_ping(wire: WireTarget) -> None:
    send = b'PING\r\nCONNECT {"protocol":1,"verbose":false}\r\nPING\r\n'
    expected = PONG + PONG + ASYNC_INFO
    assert await wire.run(send, until=b"} \r\n") == Transcript(expected, closed=False)


async def test_protocol_1_connect_twice_sends_one_async_info(wire: WireTarget) -> None:
    send = (
        b'CONNECT {"verbose":false,"protocol":1}\r\nPING\r\n'
        b'CONNECT {"verbose":false,"protocol":1}\r\nPING\r\n'
    )
    expected = PONG + ASYNC_INFO + PONG
    assert await wire.run(send, until=PONG, count=2) == Transcript(expected, closed=False)


async def test_protocol_0_gets_no_async_info(wire: WireTarget) -> None:
    send = b'CONNECT {"verbose":false}\r\nPING\r\n'
    assert await wire.run(send, until=PONG) == Transcript(PONG, closed=False)


async def test_echo_false_suppresses_own_messages(wire: WireTarget) -> None:
    server = await wire.server()
    other = await wire.connect(server)
    await other.send(b'CONNECT {"verbose":false}\r\nSUB echo.t 9\r\nPING\r\n')
    await other.expect(PONG)
    send = b'CONNECT {"verbose":false,"echo":false}\r\nSUB echo.t 1\r\nPUB echo.t 1\r\na\r\nPING\r\n'
    assert await wire.run(send, until=PONG, server=server) == Transcript(PONG, closed=False)
    await other.send(b"PING\r\n")
    assert (await other.read_until(PONG))[0] == b"MSG echo.t 9 1\r\na\r\n" + PONG


async def test_echo_true_by_default(wire: WireTarget) -> None:
    send = b'CONNECT {"verbose":false}\r\nSUB echo.d 1\r\nPUB echo.d 1\r\na\r\nPING\r\n'
    expected = b"MSG echo.d 1 1\r\na\r\n" + PONG
    assert await wire.run(send, until=PONG) == Transcript(expected, closed=False)
