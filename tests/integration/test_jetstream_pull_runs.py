# Pull deliveries served in runs (consumer_batch.py) keep the message-at-a-time order: waiting
# requests take turns message by message, also when they come from one connection through
# different subscriptions, and the consumer state afterwards is the same.
from __future__ import annotations

import asyncio
import json
import re
from typing import Any

from pynatsd import Server

NEXT = b"$JS.API.CONSUMER.MSG.NEXT.R.D"


async def _raw(server: Server, setup: bytes) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    await reader.readline()
    writer.write(b'CONNECT {"verbose":false,"headers":true}\r\n' + setup + b"PING\r\n")
    await reader.readuntil(b"PONG\r\n")
    return reader, writer


async def _read_msgs(reader: asyncio.StreamReader, count: int) -> list[tuple[bytes, bytes, bytes]]:
    """(sid, stream sequence, payload) of the next `count` messages."""
    out = []
    for _ in range(count):
        line = await asyncio.wait_for(reader.readline(), 2.0)
        op, _subject, sid, reply, size = line.split()
        assert op == b"MSG"
        payload = (await reader.readexactly(int(size) + 2))[:-2]
        out.append((sid, reply.split(b".")[5], payload))
    return out


async def test_requests_on_one_connection_take_turns(js_server: Server, client: Any, js: Any) -> None:
    await js.add_stream(name="R", subjects=["r"])
    for i in range(12):
        await js.publish("r", b"m%d" % i)
    config = {"durable_name": "D", "ack_policy": "explicit"}
    body = json.dumps({"stream_name": "R", "config": config}).encode()
    await client.request("$JS.API.CONSUMER.CREATE.R.D", body, timeout=2)
    reader, writer = await _raw(js_server, b"SUB in.1 1\r\nSUB in.2 2\r\nSUB in.3 3\r\n")
    batch = b'{"batch":4,"expires":5000000000}'
    writer.write(b"".join(b"PUB %b in.%d %d\r\n%b\r\n" % (NEXT, k, len(batch), batch) for k in (1, 2, 3)))
    got = await _read_msgs(reader, 12)
    assert [sid for sid, _, _ in got] == [b"1", b"2", b"3"] * 4
    assert [seq for _, seq, _ in got] == [b"%d" % i for i in range(1, 13)]
    assert [payload for _, _, payload in got] == [b"m%d" % i for i in range(12)]
    info = json.loads((await client.request("$JS.API.CONSUMER.INFO.R.D", b"", timeout=2)).data)
    assert (info["delivered"]["stream_seq"], info["num_ack_pending"], info["num_waiting"]) == (12, 12, 0)
    writer.close()


async def test_ack_subjects_count_down_pending(js_server: Server, client: Any, js: Any) -> None:
    await js.add_stream(name="R", subjects=["r"])
    for i in range(5):
        await js.publish("r", b"m%d" % i)
    await js.pull_subscribe("r", durable="D")
    reader, writer = await _raw(js_server, b"SUB in.1 1\r\n")
    writer.write(b"PUB %b in.1 1\r\n5\r\n" % NEXT)
    lines = []
    for _ in range(5):
        lines.append(await asyncio.wait_for(reader.readline(), 2.0))
        await reader.readline()
    acks = [re.sub(rb"\.\d{19}\.", b".<ts>.", line.split()[3]) for line in lines]
    assert acks == [b"$JS.ACK.R.D.1.%d.%d.<ts>.%d" % (i, i, 5 - i) for i in range(1, 6)]
    writer.close()
