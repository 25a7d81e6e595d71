# Consumer controls through the raw API: pause and resume (with the pause advisory), reset
# (ADR-60), priority groups (overflow thresholds, pinned clients with Nats-Pin-Id, unpin), replay
# policy "original", and the deletion of an idle ephemeral pull consumer.
from __future__ import annotations

import asyncio
import datetime
import json
import time
from typing import Any

MS = 1_000_000


async def _api(client: Any, subject: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    data = json.dumps(body).encode() if body is not None else b""
    resp = await client.request("$JS.API." + subject, data, timeout=2)
    out: dict[str, Any] = json.loads(resp.data)
    assert "error" not in out, out
    return out


async def _setup(client: Any, count: int, config: dict[str, Any]) -> None:
    await _api(client, "STREAM.CREATE.S", {"name": "S", "subjects": ["s.>"]})
    js = client.jetstream()
    for i in range(count):
        await js.publish(f"s.{i}", b"m%d" % i)
    await _api(client, f"CONSUMER.CREATE.S.{config['durable_name']}", {"stream_name": "S", "config": config})


class Puller:
    def __init__(self, client: Any, consumer: str) -> None:
        self.client = client
        self.consumer = consumer
        self.inbox = client.new_inbox()
        self.q: asyncio.Queue[Any] = asyncio.Queue()

    async def start(self) -> Puller:
        async def cb(msg: Any) -> None:
            await self.q.put(msg)

        await self.client.subscribe(self.inbox, cb=cb)
        return self

    async def pull(self, body: dict[str, Any]) -> None:
        subject = f"$JS.API.CONSUMER.MSG.NEXT.S.{self.consumer}"
        await self.client.publish(subject, json.dumps(body).encode(), reply=self.inbox)

    async def next(self) -> Any:
        return await asyncio.wait_for(self.q.get(), 2)


def _rfc3339(ns: int) -> str:
    return datetime.datetime.fromtimestamp(ns / 1e9, datetime.UTC).isoformat().replace("+00:00", "Z")


async def test_consumer_pause_holds_delivery_until_resume(client: Any) -> None:
    await _setup(client, 1, {"durable_name": "P", "ack_policy": "explicit"})
    adv = await client.subscribe("$JS.EVENT.ADVISORY.CONSUMER.PAUSE.S.P")
    until = time.time_ns() + 60 * 1_000_000_000
    out = await _api(client, "CONSUMER.PAUSE.S.P", {"pause_until": _rfc3339(until)})
    assert out["paused"] is True
    assert json.loads((await adv.next_msg(timeout=2)).data)["paused"] is True
    puller = await Puller(client, "P").start()
    await puller.pull({"batch": 1, "expires": 300 * MS})
    assert (await puller.next()).headers["Status"] == "408"
    out = await _api(client, "CONSUMER.PAUSE.S.P", {})
    assert out["paused"] is False
    await puller.pull({"batch": 1, "expires": 1000 * MS})
    assert (await puller.next()).data == b"m0"


async def test_consumer_reset_restarts_delivery(client: Any) -> None:
    await _setup(client, 4, {"durable_name": "R", "ack_policy": "explicit"})
    puller = await Puller(client, "R").start()
    await puller.pull({"batch": 4, "no_wait": True})
    assert [(await puller.next()).data for _ in range(4)] == [b"m0", b"m1", b"m2", b"m3"]
    out = await _api(client, "CONSUMER.RESET.S.R", {"seq": 3})
    assert out["reset_seq"] == 3
    assert out["num_ack_pending"] == 0
    await puller.pull({"batch": 4, "no_wait": True})
    assert [(await puller.next()).data for _ in range(2)] == [b"m2", b"m3"]


async def test_consumer_priority_pinned_client_and_unpin(client: Any) -> None:
    config = {
        "durable_name": "G",
        "ack_policy": "explicit",
        "priority_groups": ["jobs"],
        "priority_policy": "pinned_client",
        "priority_timeout": 5_000 * MS,
    }
    await _setup(client, 3, config)
    a = await Puller(client, "G").start()
    b = await Puller(client, "G").start()
    await a.pull({"batch": 1, "group": "jobs", "expires": 2000 * MS})
    first = await a.next()
    pin = first.headers["Nats-Pin-Id"]
    assert first.data == b"m0"
    await b.pull({"batch": 1, "group": "jobs", "id": "other", "expires": 2000 * MS})
    assert (await b.next()).headers["Status"] == "423"
    await b.pull({"batch": 1, "group": "jobs", "expires": 500 * MS})
    await a.pull({"batch": 1, "group": "jobs", "id": pin, "expires": 2000 * MS})
    assert (await a.next()).data == b"m1"
    assert (await b.next()).headers["Status"] == "408"
    info = await _api(client, "CONSUMER.INFO.S.G")
    assert info["priority_groups"][0]["pinned_client_id"] == pin
    await _api(client, "CONSUMER.UNPIN.S.G", {"group": "jobs"})
    await b.pull({"batch": 1, "group": "jobs", "expires": 2000 * MS})
    msg = await b.next()
    assert msg.data == b"m2"
    assert msg.headers["Nats-Pin-Id"] != pin


async def test_consumer_priority_group_required(client: Any) -> None:
    config = {
        "durable_name": "O",
        "ack_policy": "explicit",
        "priority_groups": ["g"],
        "priority_policy": "overflow",
    }
    await _setup(client, 2, config)
    puller = await Puller(client, "O").start()
    await puller.pull({"batch": 1})
    assert (await puller.next()).headers["Status"] == "400"
    await puller.pull({"batch": 1, "group": "g", "min_pending": 5, "expires": 300 * MS})
    assert (await puller.next()).headers["Status"] == "408"
    await puller.pull({"batch": 1, "group": "g", "min_pending": 2, "expires": 1000 * MS})
    assert (await puller.next()).data == b"m0"


async def test_consumer_replay_original_keeps_gaps(client: Any) -> None:
    await _api(client, "STREAM.CREATE.S", {"name": "S", "subjects": ["s.>"]})
    js = client.jetstream()
    await js.publish("s.a", b"1")
    await asyncio.sleep(0.3)
    await js.publish("s.b", b"2")
    config = {"durable_name": "O", "ack_policy": "none", "replay_policy": "original"}
    await _api(client, "CONSUMER.CREATE.S.O", {"stream_name": "S", "config": config})
    puller = await Puller(client, "O").start()
    await puller.pull({"batch": 2, "expires": 2000 * MS})
    await puller.next()
    start = time.monotonic()
    await puller.next()
    assert time.monotonic() - start > 0.2


async def test_consumer_ephemeral_pull_deleted_when_idle(client: Any) -> None:
    await _api(client, "STREAM.CREATE.S", {"name": "S", "subjects": ["s.>"]})
    config = {"name": "EPH", "ack_policy": "explicit", "inactive_threshold": 200 * MS}
    await _api(client, "CONSUMER.CREATE.S.EPH", {"stream_name": "S", "config": config})
    adv = await client.subscribe("$JS.EVENT.ADVISORY.CONSUMER.DELETED.S.EPH")
    await adv.next_msg(timeout=3)
    names = await _api(client, "CONSUMER.NAMES.S")
    assert names["consumers"] == []
