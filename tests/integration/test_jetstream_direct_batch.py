# Batch direct gets (ADR-31) from nats-py, which has no batch API of its own: the request goes out
# with a plain publish to an inbox subscription, the way the client libraries that do support it
# send it, and nats-py must parse every reply, including the `204 EOB` status that ends the batch.
from __future__ import annotations

import json
from typing import Any

from pynatsd import Server


async def _batch(client: Any, stream: str, request: dict[str, Any]) -> list[Any]:
    inbox = client.new_inbox()
    sub = await client.subscribe(inbox)
    await client.publish(f"$JS.API.DIRECT.GET.{stream}", json.dumps(request).encode(), reply=inbox)
    out = []
    while True:
        msg = await sub.next_msg(timeout=2)
        out.append(msg)
        if msg.headers and msg.headers.get("Status"):
            await sub.unsubscribe()
            return out


async def test_direct_get_batch_and_multi_last_from_nats_py(js_server: Server, nc: Any) -> None:
    client = await nc(js_server)
    js = client.jetstream()
    await js.add_stream(name="KV", subjects=["kv.>"], allow_direct=True)
    for i, key in enumerate(("a", "b", "a", "c")):
        await js.publish(f"kv.{key}", b"v%d" % i)

    msgs = await _batch(client, "KV", {"seq": 2, "batch": 2})
    assert [m.data for m in msgs] == [b"v1", b"v2", b""]
    assert [m.headers["Nats-Num-Pending"] for m in msgs[:2]] == ["2", "1"]
    assert msgs[1].headers["Nats-Last-Sequence"] == "2"
    assert msgs[2].headers["Status"] == "204"
    assert msgs[2].headers["Nats-Last-Sequence"] == "3"

    msgs = await _batch(client, "KV", {"multi_last": ["kv.*"], "up_to_seq": 3})
    assert [m.headers["Nats-Subject"] for m in msgs[:-1]] == ["kv.b", "kv.a"]
    eob = msgs[-1].headers
    assert (eob["Status"], eob["Nats-Num-Pending"], eob["Nats-UpTo-Sequence"]) == ("204", "0", "3")

    msgs = await _batch(client, "KV", {"multi_last": ["nope"]})
    assert msgs[0].headers["Status"] == "404"
