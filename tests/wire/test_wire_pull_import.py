# Pull requests that reach a consumer through a service import, differential: the requester's interest
# is looked for in its own account, and a request whose requester went away ends with
# `408 Interest Expired` (sent to the export's response subject) instead of taking messages.
from __future__ import annotations

import asyncio
import json
import re

from pynatsd.testing.wire import RawClient, WireTarget, read_transcript

PONG = b"PONG\r\n"
NEXT = "$JS.API.CONSUMER.MSG.NEXT.S.D"
CONFIG = f"""
jetstream {{ store_dir: "js" }}
accounts {{
  A {{
    users = [{{user: a, password: p}}]
    jetstream: enabled
    exports = [{{service: "{NEXT}", response_type: stream}}]
  }}
  B {{
    users = [{{user: b, password: p}}]
    imports = [{{service: {{account: A, subject: "{NEXT}"}}, to: "next"}}]
  }}
}}
"""
_RESPONSE = re.compile(rb"_R_\.[A-Za-z0-9]+\.[A-Za-z0-9]+ ")


async def _client(wire: WireTarget, server: object, user: str, setup: bytes = b"") -> RawClient:
    client = await wire.connect(server)  # type: ignore[arg-type]
    hello = b'CONNECT {"user":"%b","pass":"p","verbose":false,"headers":true}\r\n' % user.encode()
    await client.send(hello + setup + b"PING\r\n")
    await client.expect(PONG)
    return client


async def _api(client: RawClient, subject: str, body: object) -> dict[str, object]:
    data = json.dumps(body).encode() if body is not None else b""
    await client.send(b"PUB %b _INBOX.r %d\r\n%b\r\n" % (subject.encode(), len(data), data))
    got = await read_transcript(client, until=b"}\r\n")
    assert got.data.startswith(b"MSG _INBOX.r 1 "), got
    reply = json.loads(got.data.split(b"\r\n", 1)[1].removesuffix(b"\r\n"))
    assert isinstance(reply, dict)
    return reply


async def _waiting(a: RawClient, want: int) -> dict[str, object]:
    info: dict[str, object] = {}
    for _ in range(40):
        info = await _api(a, "$JS.API.CONSUMER.INFO.S.D", None)
        if info.get("num_waiting") == want:
            break
        await asyncio.sleep(0.05)
    return info


async def test_request_from_a_departed_importer_ends_with_interest_expired(wire: WireTarget) -> None:
    server = await wire.server(CONFIG, fresh=True)
    a = await _client(wire, server, "a", b"SUB _INBOX.> 1\r\n")
    await _api(a, "$JS.API.STREAM.CREATE.S", {"name": "S", "subjects": ["s"], "storage": "memory"})
    await _api(a, "$JS.API.CONSUMER.CREATE.S.D", {"stream_name": "S", "config": {"durable_name": "D"}})
    watch = await _client(wire, server, "a", b"SUB _R_.> 1\r\n")
    b = await _client(wire, server, "b", b"SUB in.b 1\r\n")
    body = b'{"batch":5,"expires":10000000000}'
    await b.send(b"PUB next in.b %d\r\n%b\r\nPING\r\n" % (len(body), body))
    await b.expect(PONG)
    assert (await _waiting(a, 1))["num_waiting"] == 1
    await b.send(b"UNSUB 1\r\nPING\r\n")
    await b.expect(PONG)
    await a.send(b"PUB s 2\r\nhi\r\nPING\r\n")
    await a.expect(PONG)
    got = await read_transcript(watch, until=b"\r\n\r\n")
    assert _RESPONSE.sub(b"_R_.<acc>.<id> ", got.data) == (
        b"HMSG _R_.<acc>.<id> 1 82 82\r\n"
        b"NATS/1.0 408 Interest Expired\r\nNats-Pending-Messages: 5\r\nNats-Pending-Bytes: 0\r\n\r\n\r\n"
    )
    info = await _waiting(a, 0)
    assert (info["num_waiting"], info["num_pending"], info["num_ack_pending"]) == (0, 1, 0)
