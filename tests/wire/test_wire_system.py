# The system account's request services, differential: who can reach them, the shape of the
# server's answers, and USER.INFO's exact account and permissions data.
from __future__ import annotations

import json

from pynatsd.testing.normalize import Transcript
from pynatsd.testing.wire import RawClient, WireTarget, read_transcript

PONG = b"PONG\r\n"
CONFIG = """
server_name: srv1
accounts {
  SYS { users = [{user: sys, password: p}] }
  A { users = [{user: a, password: p, permissions: {publish: ["x.>", "$SYS.REQ.>"], subscribe: "_INBOX.>"}}] }
}
system_account: SYS
"""


async def _client(wire: WireTarget, user: str) -> RawClient:
    server = await wire.server(CONFIG)
    client = await wire.connect(server)
    connect = {"user": user, "pass": "p", "verbose": False, "headers": True, "no_responders": True}
    await client.send(b"CONNECT " + json.dumps(connect).encode() + b"\r\nSUB _INBOX.> 1\r\nPING\r\n")
    await client.expect(PONG)
    return client


async def _request(client: RawClient, subject: bytes) -> dict[str, object]:
    await client.send(b"PUB " + subject + b" _INBOX.r 0\r\n\r\n")
    got = await read_transcript(client, until=b"}\r\n")
    body = json.loads(got.data.split(b"\r\n", 1)[1])
    assert isinstance(body, dict)
    return body


async def test_server_ping_from_the_system_account(wire: WireTarget) -> None:
    client = await _client(wire, "sys")
    body = await _request(client, b"$SYS.REQ.SERVER.PING")
    assert sorted(body) == ["server", "statsz"]
    server = body["server"]
    assert isinstance(server, dict)
    assert sorted(server) == [
        "feature_flags",
        "flags",
        "host",
        "id",
        "jetstream",
        "name",
        "seq",
        "time",
        "ver",
    ]
    assert server["name"] == "srv1"
    statsz = body["statsz"]
    assert isinstance(statsz, dict)
    assert {
        "start",
        "mem",
        "cores",
        "connections",
        "total_connections",
        "subscriptions",
        "sent",
        "received",
    } <= set(statsz)
    assert statsz["connections"] == 1


async def test_server_ping_is_not_reachable_from_other_accounts(wire: WireTarget) -> None:
    client = await _client(wire, "a")
    await client.send(b"PUB $SYS.REQ.SERVER.PING _INBOX.r 0\r\n\r\nPING\r\n")
    got = await read_transcript(client, until=PONG)
    assert got == Transcript(
        b"HMSG _INBOX.r 1 52 52\r\nNATS/1.0 503\r\nNats-Subject: $SYS.REQ.SERVER.PING\r\n\r\n\r\n" + PONG,
        closed=False,
    )


async def test_user_info(wire: WireTarget) -> None:
    client = await _client(wire, "a")
    body = await _request(client, b"$SYS.REQ.USER.INFO")
    data = body["data"]
    assert isinstance(data, dict)
    # nats-server lists the patterns in no fixed order.
    data["permissions"]["publish"]["allow"].sort()
    assert data == {
        "user": "a",
        "account": "A",
        "account_name": "A",
        "permissions": {"publish": {"allow": ["$SYS.REQ.>", "x.>"]}, "subscribe": {"allow": ["_INBOX.>"]}},
    }
    sys_client = await _client(wire, "sys")
    body = await _request(sys_client, b"$SYS.REQ.USER.INFO")
    assert body["data"] == {"user": "sys", "account": "SYS", "account_name": "SYS"}


async def test_idz(wire: WireTarget) -> None:
    client = await _client(wire, "sys")
    body = await _request(client, b"$SYS.REQ.SERVER.PING.IDZ")
    assert sorted(body) == ["host", "id", "name"]
