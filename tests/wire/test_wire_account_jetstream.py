# JetStream per account, differential: which accounts have it, the error the others get, and the
# account limits on stream creation, compared as JSON with nats-server's (times aside).
from __future__ import annotations

import json
import re

import pytest

from pynatsd.testing.wire import RawClient, WireTarget, read_transcript

PONG = b"PONG\r\n"
CONFIG = """
jetstream { store_dir: "js" }
accounts {
  A { users = [{user: a, password: p}], jetstream: enabled }
  B { users = [{user: b, password: p}] }
  C { users = [{user: c, password: p}], jetstream: { max_mem: 1M, max_file: 10M, max_streams: 2, max_consumers: 3 } }
}
"""
_TIME = re.compile(rb'"(created|ts|first_ts|last_ts)":"[^"]*"')


async def _client(wire: WireTarget, user: str) -> RawClient:
    server = await wire.server(CONFIG, fresh=True)
    client = await wire.connect(server)
    await client.send(
        b'CONNECT {"user":"%b","pass":"p","verbose":false,"headers":true}\r\nSUB _INBOX.> 1\r\nPING\r\n'
        % user.encode()
    )
    await client.expect(PONG)
    return client


async def _request(client: RawClient, subject: str, body: object) -> dict[str, object]:
    data = json.dumps(body).encode() if body is not None else b""
    await client.send(b"PUB %b _INBOX.r %d\r\n%b\r\n" % (subject.encode(), len(data), data))
    got = await read_transcript(client, until=b"}\r\n")
    assert got.data.startswith(b"MSG _INBOX.r 1 "), got
    payload = got.data.split(b"\r\n", 1)[1].removesuffix(b"\r\n")
    reply = json.loads(_TIME.sub(rb'"\1":"<time>"', payload))
    assert isinstance(reply, dict)
    return reply


@pytest.mark.parametrize("user", ["a", "b", "c"])
async def test_account_info_per_account(wire: WireTarget, user: str) -> None:
    client = await _client(wire, user)
    info = await _request(client, "$JS.API.INFO", None)
    if user == "b":
        assert info == {
            "type": "io.nats.jetstream.api.v1.account_info_response",
            "error": {"code": 503, "err_code": 10039, "description": "JetStream not enabled for account"},
        }
        return
    limits = info["limits"]
    assert isinstance(limits, dict)
    expected = (1000000, 10000000, 2, 3) if user == "c" else (-1, -1, -1, -1)
    assert (
        limits["max_memory"],
        limits["max_storage"],
        limits["max_streams"],
        limits["max_consumers"],
    ) == expected


async def test_not_enabled_answers_carry_the_request_type(wire: WireTarget) -> None:
    client = await _client(wire, "b")
    got = await _request(client, "$JS.API.STREAM.CREATE.S", {"name": "S"})
    assert got["type"] == "io.nats.jetstream.api.v1.stream_create_response"
    assert got["error"] == {
        "code": 503,
        "err_code": 10039,
        "description": "JetStream not enabled for account",
    }


async def test_stream_limits_of_the_account(wire: WireTarget) -> None:
    client = await _client(wire, "c")
    verdicts = []
    for name, extra in [
        ("BIG", {"max_bytes": 20000000}),
        ("M", {"storage": "memory", "max_bytes": 2000000}),
        ("F1", {"max_bytes": 6000000}),
        ("F2", {"max_bytes": 6000000}),
        ("F3", {}),
        ("F4", {}),
    ]:
        reply = await _request(
            client, f"$JS.API.STREAM.CREATE.{name}", {"name": name, "subjects": [name.lower()], **extra}
        )
        verdicts.append(
            reply.get("error", {}).get("err_code", "ok") if isinstance(reply.get("error", {}), dict) else "?"
        )
    assert verdicts == [10047, 10028, "ok", 10047, "ok", 10027]
    info = await _request(client, "$JS.API.INFO", None)
    assert (info["streams"], info["reserved_storage"]) == (2, 6000000)


async def test_account_max_consumers(wire: WireTarget) -> None:
    client = await _client(wire, "c")
    await _request(client, "$JS.API.STREAM.CREATE.S", {"name": "S", "subjects": ["s"]})
    codes = []
    for i in range(4):
        body = {"stream_name": "S", "config": {"durable_name": f"d{i}", "ack_policy": "explicit"}}
        reply = await _request(client, f"$JS.API.CONSUMER.CREATE.S.d{i}", body)
        error = reply.get("error")
        codes.append(error.get("err_code") if isinstance(error, dict) else "ok")
    assert codes == ["ok", "ok", "ok", 10026]
