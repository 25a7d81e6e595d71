# Push consumers from nats-py: durable and queue push subscriptions, the original subject on the
# MSG line, idle heartbeats, flow control, headers_only, push_bound, ordered consumers, and the
# Key-Value and Object Store operations built on them (watch, keys, history; put/get/list/delete).
from __future__ import annotations

import asyncio
import json
from typing import Any

from nats.js.api import AckPolicy, ConsumerConfig


async def _collect(sub: Any, count: int) -> list[Any]:
    return [await sub.next_msg(timeout=2.0) for _ in range(count)]


async def test_push_durable_subscribe_keeps_subject_and_acks(js: Any) -> None:
    await js.add_stream(name="S", subjects=["s.>"])
    for i in range(3):
        await js.publish(f"s.{i}", b"m%d" % i, headers={"K": "v"} if i == 1 else None)
    sub = await js.subscribe("s.>", durable="P", manual_ack=True)
    msgs = await _collect(sub, 3)
    assert [m.subject for m in msgs] == ["s.0", "s.1", "s.2"]
    assert msgs[1].headers == {"K": "v"}
    for m in msgs:
        await m.ack()
    await js.publish("s.3", b"m3")
    late = await sub.next_msg(timeout=2)
    await late.ack_sync()
    info = await js.consumer_info("S", "P")
    assert info.push_bound
    assert info.num_ack_pending == 0
    assert info.delivered.stream_seq == 4


async def test_push_queue_group_splits_messages(js: Any) -> None:
    await js.add_stream(name="S", subjects=["s.>"])
    got: list[bytes] = []
    done = asyncio.Event()

    async def cb(msg: Any) -> None:
        got.append(msg.data)
        await msg.ack()
        if len(got) == 10:
            done.set()

    await js.subscribe("s.>", queue="workers", cb=cb)
    await js.subscribe("s.>", queue="workers", cb=cb)
    for i in range(10):
        await js.publish(f"s.{i}", b"%d" % i)
    await asyncio.wait_for(done.wait(), 3)
    assert sorted(got) == sorted(b"%d" % i for i in range(10))


async def test_push_idle_heartbeat_and_headers_only(client: Any, js: Any) -> None:
    await js.add_stream(name="S", subjects=["s.>"])
    await js.publish("s.a", b"hello")
    raw = await client.subscribe("hb.in")
    cfg = ConsumerConfig(
        name="H", deliver_subject="hb.in", ack_policy=AckPolicy.NONE, idle_heartbeat=0.1, headers_only=True
    )
    await js.add_consumer("S", cfg)
    msg = await raw.next_msg(timeout=2)
    assert msg.data == b""
    assert msg.headers["Nats-Msg-Size"] == "5"
    assert msg.reply.startswith("$JS.ACK.S.H.1.1.1.")
    hb = await raw.next_msg(timeout=2)
    assert hb.headers["Status"] == "100"
    assert hb.headers["Description"] == "Idle Heartbeat"
    assert hb.headers["Nats-Last-Consumer"] == "1"
    assert hb.headers["Nats-Last-Stream"] == "1"


async def test_push_flow_control_request_and_answer(client: Any, js: Any) -> None:
    await js.add_stream(name="S", subjects=["s.>"])
    payload = b"x" * 64 * 1024
    for _ in range(40):
        await js.publish("s.big", payload)
    raw = await client.subscribe("fc.in")
    cfg = ConsumerConfig(
        name="F", deliver_subject="fc.in", ack_policy=AckPolicy.NONE, idle_heartbeat=1.0, flow_control=True
    )
    await js.add_consumer("S", cfg)
    data = 0
    for _ in range(80):
        msg = await raw.next_msg(timeout=2)
        if msg.headers and msg.headers.get("Status") == "100" and msg.reply:
            assert msg.reply.startswith("$JS.FC.S.F.")
            await client.publish(msg.reply, b"")
        elif msg.data:
            data += 1
        if data == 40:
            break
    assert data == 40


async def test_push_bound_follows_interest(client: Any, js: Any) -> None:
    await js.add_stream(name="S", subjects=["s.>"])
    await js.add_consumer("S", ConsumerConfig(durable_name="B", deliver_subject="bound.in"))
    assert not (await js.consumer_info("S", "B")).push_bound
    sub = await client.subscribe("bound.in")
    await client.flush()
    assert (await js.consumer_info("S", "B")).push_bound
    await js.publish("s.1", b"x")
    assert (await sub.next_msg(timeout=2)).data == b"x"


async def test_push_ordered_consumer_reads_everything(js: Any) -> None:
    await js.add_stream(name="S", subjects=["s.>"])
    for i in range(50):
        await js.publish(f"s.{i % 5}", b"%d" % i)
    sub = await js.subscribe("s.>", ordered_consumer=True)
    msgs = await _collect(sub, 50)
    assert [m.data for m in msgs] == [b"%d" % i for i in range(50)]
    assert msgs[-1].metadata.num_pending == 0


async def test_push_ordered_consumer_answers_flow_control(js: Any) -> None:
    await js.add_stream(name="S", subjects=["s.>"])
    payload = b"y" * 64 * 1024
    for _ in range(48):
        await js.publish("s.big", payload)
    sub = await js.subscribe("s.>", ordered_consumer=True)
    msgs = await _collect(sub, 48)
    assert all(m.data == payload for m in msgs)
    assert msgs[-1].metadata.sequence.stream == 48


async def test_push_consumer_update_changes_filter(client: Any, js: Any) -> None:
    await js.add_stream(name="S", subjects=["s.>"])
    for subject in ("s.a", "s.b", "s.b"):
        await js.publish(subject, b"x")
    await js.add_consumer(
        "S", ConsumerConfig(durable_name="U", filter_subject="s.a", ack_policy=AckPolicy.EXPLICIT)
    )
    assert (await js.consumer_info("S", "U")).num_pending == 1
    await js.add_consumer(
        "S", ConsumerConfig(durable_name="U", filter_subject="s.b", ack_policy=AckPolicy.EXPLICIT)
    )
    assert (await js.consumer_info("S", "U")).num_pending == 2


async def test_push_ephemeral_deleted_when_inactive(client: Any, js: Any) -> None:
    await js.add_stream(name="S", subjects=["s.>"])
    cfg = ConsumerConfig(deliver_subject="gone.in", inactive_threshold=0.2, ack_policy=AckPolicy.NONE)
    info = await js.add_consumer("S", cfg)
    deleted = await client.subscribe(f"$JS.EVENT.ADVISORY.CONSUMER.DELETED.S.{info.name}")
    event = json.loads((await deleted.next_msg(timeout=3)).data)
    assert event["action"] == "delete"
    names = await js._api_request("$JS.API.CONSUMER.NAMES.S", b"", timeout=2)
    assert names["consumers"] == []


async def test_kv_watch_keys_history(js: Any) -> None:
    kv = await js.create_key_value(bucket="B", history=5)
    await kv.put("a", b"1")
    await kv.put("b", b"2")
    await kv.put("a", b"3")
    await kv.delete("b")
    assert sorted(await kv.keys()) == ["a"]
    history = await kv.history("a")
    assert [e.value for e in history] == [b"1", b"3"]
    watcher = await kv.watchall()
    first = await watcher.updates(timeout=2)
    assert (first.key, first.value) == ("a", b"3")
    second = await watcher.updates(timeout=2)
    assert second.key == "b"
    assert second.operation == "DEL"
    assert await watcher.updates(timeout=2) is None
    await kv.put("c", b"4")
    live = await watcher.updates(timeout=2)
    assert (live.key, live.value) == ("c", b"4")
    await watcher.stop()


async def test_kv_watch_empty_bucket_ends_initial_data(js: Any) -> None:
    kv = await js.create_key_value(bucket="E")
    watcher = await kv.watchall()
    assert await watcher.updates(timeout=2) is None
    await watcher.stop()


async def test_object_store_put_get_list_delete(js: Any) -> None:
    obs = await js.create_object_store("O")
    data = bytes(range(256)) * 1200
    info = await obs.put("blob", data)
    assert info.size == len(data)
    await obs.put("small", b"tiny")
    got = await obs.get("blob")
    assert got.data == data
    assert got.info.chunks == info.chunks
    names = sorted(o.name for o in await obs.list())
    assert names == ["blob", "small"]
    assert (await obs.get_info("small")).size == 4
    await obs.delete("blob")
    names = sorted(o.name for o in await obs.list(ignore_deletes=True))
    assert names == ["small"]
    listed = {o.name: o.deleted for o in await obs.list()}
    assert listed == {"blob": True, "small": False}


async def test_kv_watch_variants_and_purge_deletes(js: Any) -> None:
    kv = await js.create_key_value(bucket="V", history=10)
    await kv.put("k.1", b"a")
    await kv.put("k.1", b"b")
    await kv.put("k.2", b"c")
    await kv.delete("k.2")
    hist = await kv.watch("k.1", include_history=True)
    assert [(await hist.updates(timeout=2)).value for _ in range(2)] == [b"a", b"b"]
    assert await hist.updates(timeout=2) is None
    await hist.stop()
    quiet = await kv.watchall(ignore_deletes=True)
    first = await quiet.updates(timeout=2)
    assert (first.key, first.value) == ("k.1", b"b")
    assert await quiet.updates(timeout=2) is None
    await quiet.stop()
    live = await kv.watch("k.3")
    assert await live.updates(timeout=2) is None
    await kv.put("k.3", b"d")
    assert (await live.updates(timeout=2)).key == "k.3"
    await live.stop()
    await kv.purge_deletes(olderthan=-1)
    assert sorted(await kv.keys()) == ["k.1", "k.3"]


async def test_object_store_multi_chunk_and_watch(js: Any) -> None:
    obs = await js.create_object_store("M")
    data = b"0123456789abcdef" * 65536
    await obs.put("big", data)
    got = await obs.get("big")
    assert got.data == data
    assert got.info.chunks == 8
    watcher = await obs.watch()
    entry = await watcher.updates(timeout=2)
    assert entry.name == "big"
    await watcher.stop()
