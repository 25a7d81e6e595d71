# Pull consumers and acks from nats-py and raw requests: fetch, deliver policies and filters, the
# ack reply subject, pull request status messages (404, 408, 409, 400, heartbeats), the ack
# protocol (+ACK, -NAK with delays, +WPI, +NXT, +TERM, ack all, double ack), redelivery with
# backoff and max_deliver, max_ack_pending, and interest / work-queue retention.
from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, RetentionPolicy

MS = 1_000_000


async def _fill(js: Any, subject_fmt: str, count: int) -> None:
    for i in range(count):
        await js.publish(subject_fmt.format(i), b"m%d" % i)


class Inbox:
    """A raw subscription that collects every message on an inbox."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.subject = client.new_inbox()
        self.msgs: asyncio.Queue[Any] = asyncio.Queue()

    async def start(self) -> Inbox:
        async def cb(msg: Any) -> None:
            await self.msgs.put(msg)

        await self.client.subscribe(self.subject, cb=cb)
        return self

    async def pull(self, stream: str, consumer: str, body: bytes) -> None:
        subject = f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{consumer}"
        await self.client.publish(subject, body, reply=self.subject)

    async def next(self) -> Any:
        return await asyncio.wait_for(self.msgs.get(), 2.0)


async def _create(client: Any, stream: str, config: dict[str, Any]) -> dict[str, Any]:
    """CONSUMER.CREATE with a raw config (fields nats-py does not know, like max_batch)."""
    name = config["durable_name"]
    body = json.dumps({"stream_name": stream, "config": config}).encode()
    resp = await client.request(f"$JS.API.CONSUMER.CREATE.{stream}.{name}", body, timeout=2)
    out: dict[str, Any] = json.loads(resp.data)
    assert "error" not in out, out
    return out


def _status(msg: Any) -> tuple[str, str]:
    hdrs = msg.headers or {}
    return hdrs.get("Status", ""), hdrs.get("Description", "")


async def test_consumer_pull_fetch_ack_and_info(js: Any) -> None:
    await js.add_stream(name="S", subjects=["s.>"])
    await _fill(js, "s.{}", 5)
    psub = await js.pull_subscribe("s.>", durable="D")
    msgs = await psub.fetch(3, timeout=2)
    assert [m.data for m in msgs] == [b"m0", b"m1", b"m2"]
    assert msgs[0].reply.startswith("$JS.ACK.S.D.1.1.1.")
    assert msgs[0].reply.endswith(".4")
    assert msgs[2].metadata.num_pending == 2
    for m in msgs:
        await m.ack_sync()
    info = await js.consumer_info("S", "D")
    assert (info.delivered.consumer_seq, info.delivered.stream_seq) == (3, 3)
    assert (info.ack_floor.consumer_seq, info.ack_floor.stream_seq) == (3, 3)
    assert info.num_pending == 2
    assert info.num_ack_pending == 0
    rest = await psub.fetch(10, timeout=1)
    assert [m.data for m in rest] == [b"m3", b"m4"]
    info = await js.consumer_info("S", "D")
    assert info.num_ack_pending == 2
    assert info.num_pending == 0


async def test_consumer_pull_new_messages_wake_waiting_request(js: Any) -> None:
    await js.add_stream(name="S", subjects=["s.>"])
    psub = await js.pull_subscribe("s.>", durable="D")
    fetch = asyncio.ensure_future(psub.fetch(1, timeout=3))
    await asyncio.sleep(0)
    await js.publish("s.x", b"late")
    msgs = await fetch
    assert msgs[0].data == b"late"


@pytest.mark.parametrize(
    ("policy", "extra", "expected"),
    [
        (DeliverPolicy.ALL, {}, [b"m0", b"m1", b"m2", b"m3"]),
        (DeliverPolicy.LAST, {}, [b"m3"]),
        (DeliverPolicy.BY_START_SEQUENCE, {"opt_start_seq": 3}, [b"m2", b"m3"]),
        (DeliverPolicy.LAST_PER_SUBJECT, {"filter_subject": "s.>"}, [b"m2", b"m3"]),
    ],
)
async def test_consumer_deliver_policies(
    js: Any, policy: Any, extra: dict[str, Any], expected: list[bytes]
) -> None:
    await js.add_stream(name="S", subjects=["s.>"])
    for i, subj in enumerate(["s.a", "s.b", "s.a", "s.b"]):
        await js.publish(subj, b"m%d" % i)
    cfg = ConsumerConfig(durable_name="D", deliver_policy=policy, ack_policy=AckPolicy.EXPLICIT, **extra)
    await js.add_consumer("S", cfg)
    psub = await js.pull_subscribe_bind("D", stream="S")
    msgs = await psub.fetch(10, timeout=1)
    assert [m.data for m in msgs] == expected
    assert msgs[-1].metadata.num_pending == 0


async def test_consumer_deliver_new_and_filters(js: Any) -> None:
    await js.add_stream(name="S", subjects=["s.>"])
    await _fill(js, "s.{}", 3)
    await js.add_consumer(
        "S", ConsumerConfig(durable_name="N", deliver_policy=DeliverPolicy.NEW, ack_policy=AckPolicy.EXPLICIT)
    )
    await js.add_consumer(
        "S", ConsumerConfig(durable_name="F", filter_subjects=["s.1", "s.4"], ack_policy=AckPolicy.EXPLICIT)
    )
    assert (await js.consumer_info("S", "N")).num_pending == 0
    assert (await js.consumer_info("S", "F")).num_pending == 1
    await js.publish("s.4", b"m4")
    await js.publish("s.5", b"m5")
    assert (await js.consumer_info("S", "F")).num_pending == 2
    new = await (await js.pull_subscribe_bind("N", stream="S")).fetch(5, timeout=1)
    assert [m.data for m in new] == [b"m4", b"m5"]
    filtered = await (await js.pull_subscribe_bind("F", stream="S")).fetch(5, timeout=1)
    assert [m.subject for m in filtered] == ["s.1", "s.4"]


async def test_consumer_pull_status_messages(client: Any, js: Any) -> None:
    await js.add_stream(name="S", subjects=["s.>"])
    await _fill(js, "s.{}", 2)
    await _create(client, "S", {"durable_name": "D", "ack_policy": "explicit", "max_batch": 5})
    inbox = await Inbox(client).start()
    await inbox.pull("S", "D", b'{"batch":5,"no_wait":true}')
    assert [(await inbox.next()).data for _ in range(2)] == [b"m0", b"m1"]
    assert _status(await inbox.next()) == ("404", "No Messages")
    await inbox.pull("S", "D", b'{"batch":6}')
    assert _status(await inbox.next()) == ("409", "Exceeded MaxRequestBatch of 5")
    await inbox.pull("S", "D", b'{"batch":1,"idle_heartbeat":1000000000}')
    assert _status(await inbox.next()) == ("400", "Bad Request - heartbeat value too large")
    await inbox.pull("S", "D", b'{"batch":2,"expires":%d}' % (300 * MS))
    msg = await inbox.next()
    assert _status(msg) == ("408", "Request Timeout")
    assert msg.headers["Nats-Pending-Messages"] == "2"
    assert msg.headers["Nats-Pending-Bytes"] == "0"
    await inbox.pull("S", "D", b'{"batch":1,"expires":%d,"idle_heartbeat":%d}' % (2000 * MS, 100 * MS))
    hb = await inbox.next()
    assert _status(hb) == ("100", "Idle Heartbeat")
    assert hb.headers["Nats-Last-Consumer"] == "2"
    assert hb.headers["Nats-Last-Stream"] == "2"


async def test_consumer_pull_max_waiting_and_max_bytes(client: Any, js: Any) -> None:
    await js.add_stream(name="S", subjects=["s.>"])
    await js.add_consumer("S", ConsumerConfig(durable_name="D", ack_policy=AckPolicy.EXPLICIT, max_waiting=1))
    inbox = await Inbox(client).start()
    await inbox.pull("S", "D", b'{"batch":1,"expires":%d}' % (2000 * MS))
    await inbox.pull("S", "D", b'{"batch":1,"expires":%d}' % (2000 * MS))
    assert _status(await inbox.next()) == ("409", "Exceeded MaxWaiting")
    info = await js.consumer_info("S", "D")
    assert info.num_waiting == 1
    await js.publish("s.big", b"x" * 100)
    assert (await inbox.next()).data == b"x" * 100
    await js.publish("s.big", b"x" * 100)
    await inbox.pull("S", "D", b'{"batch":2,"max_bytes":50}')
    msg = await inbox.next()
    assert _status(msg) == ("409", "Message Size Exceeds MaxBytes")


async def test_consumer_push_based_refuses_pull(client: Any, js: Any) -> None:
    await js.add_stream(name="S", subjects=["s.>"])
    await js.add_consumer(
        "S", ConsumerConfig(durable_name="P", deliver_subject="dlv", ack_policy=AckPolicy.EXPLICIT)
    )
    inbox = await Inbox(client).start()
    await inbox.pull("S", "P", b"")
    assert _status(await inbox.next()) == ("409", "Consumer is push based")


async def test_consumer_stream_delete_ends_waiting_requests(client: Any, js: Any) -> None:
    await js.add_stream(name="S", subjects=["s.>"])
    await js.add_consumer("S", ConsumerConfig(durable_name="D", ack_policy=AckPolicy.EXPLICIT))
    inbox = await Inbox(client).start()
    await inbox.pull("S", "D", b'{"batch":1,"expires":%d}' % (5000 * MS))
    info = await js.consumer_info("S", "D")
    assert info.num_waiting == 1
    await js.delete_consumer("S", "D")
    assert _status(await inbox.next())[0] == "409"


async def test_consumer_nak_redelivers_and_counts(js: Any) -> None:
    await js.add_stream(name="S", subjects=["s.>"])
    await _fill(js, "s.{}", 2)
    psub = await js.pull_subscribe("s.>", durable="D")
    first = (await psub.fetch(1, timeout=1))[0]
    await first.nak()
    again = (await psub.fetch(1, timeout=1))[0]
    assert again.data == b"m0"
    assert again.metadata.num_delivered == 2
    assert again.metadata.sequence.consumer == 2
    assert again.metadata.sequence.stream == 1
    await again.ack_sync()
    info = await js.consumer_info("S", "D")
    assert info.num_redelivered == 0
    assert info.ack_floor.stream_seq == 1
    nxt = (await psub.fetch(1, timeout=1))[0]
    assert nxt.data == b"m1"


async def test_consumer_nak_with_delay_and_ack_wait_redelivery(js: Any) -> None:
    await js.add_stream(name="S", subjects=["s.>"])
    await _fill(js, "s.{}", 1)
    await js.add_consumer("S", ConsumerConfig(durable_name="D", ack_policy=AckPolicy.EXPLICIT, ack_wait=0.3))
    psub = await js.pull_subscribe_bind("D", stream="S")
    m = (await psub.fetch(1, timeout=1))[0]
    await m.nak(delay=0.2)
    again = (await psub.fetch(1, timeout=2))[0]
    assert again.metadata.num_delivered == 2
    # not acked: comes back after ack_wait
    third = (await psub.fetch(1, timeout=2))[0]
    assert third.metadata.num_delivered == 3
    await third.in_progress()
    await third.ack_sync()
    info = await js.consumer_info("S", "D")
    assert info.num_ack_pending == 0


async def test_consumer_backoff_and_max_deliver_advisory(client: Any, js: Any) -> None:
    await js.add_stream(name="S", subjects=["s.>"])
    await _fill(js, "s.{}", 1)
    adv = await client.subscribe("$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.S.D")
    cfg = ConsumerConfig(durable_name="D", ack_policy=AckPolicy.EXPLICIT, max_deliver=2, backoff=[0.1, 0.2])
    await js.add_consumer("S", cfg)
    psub = await js.pull_subscribe_bind("D", stream="S")
    assert (await psub.fetch(1, timeout=1))[0].metadata.num_delivered == 1
    assert (await psub.fetch(1, timeout=2))[0].metadata.num_delivered == 2
    event = json.loads((await adv.next_msg(timeout=3)).data)
    assert event["type"] == "io.nats.jetstream.advisory.v1.max_deliver"
    assert (event["stream_seq"], event["deliveries"]) == (1, 2)
    info = await js.consumer_info("S", "D")
    assert info.num_ack_pending == 0
    assert (await js.stream_info("S")).state.messages == 1


async def test_consumer_term_advisory_and_ack_all(client: Any, js: Any) -> None:
    await js.add_stream(name="S", subjects=["s.>"])
    await _fill(js, "s.{}", 4)
    adv = await client.subscribe("$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED.S.T")
    await js.add_consumer("S", ConsumerConfig(durable_name="T", ack_policy=AckPolicy.EXPLICIT))
    psub = await js.pull_subscribe_bind("T", stream="S")
    m = (await psub.fetch(1, timeout=1))[0]
    await client.publish(m.reply, b"+TERM bad data")
    event = json.loads((await adv.next_msg(timeout=2)).data)
    assert event["type"] == "io.nats.jetstream.advisory.v1.terminated"
    assert event["reason"] == "bad data"
    assert (await js.consumer_info("S", "T")).num_ack_pending == 0
    await js.add_consumer("S", ConsumerConfig(durable_name="A", ack_policy=AckPolicy.ALL))
    all_sub = await js.pull_subscribe_bind("A", stream="S")
    msgs = await all_sub.fetch(4, timeout=1)
    await msgs[2].ack_sync()
    info = await js.consumer_info("S", "A")
    assert info.num_ack_pending == 1
    assert info.ack_floor.stream_seq == 3


async def test_consumer_ack_next_delivers_to_ack_reply(client: Any, js: Any) -> None:
    await js.add_stream(name="S", subjects=["s.>"])
    await _fill(js, "s.{}", 3)
    await js.add_consumer("S", ConsumerConfig(durable_name="D", ack_policy=AckPolicy.EXPLICIT))
    psub = await js.pull_subscribe_bind("D", stream="S")
    m = (await psub.fetch(1, timeout=1))[0]
    inbox = await Inbox(client).start()
    await client.publish(m.reply, b"+NXT 2", reply=inbox.subject)
    assert [(await inbox.next()).data for _ in range(2)] == [b"m1", b"m2"]
    assert (await js.consumer_info("S", "D")).ack_floor.stream_seq == 1


async def test_consumer_max_ack_pending_stalls(js: Any) -> None:
    await js.add_stream(name="S", subjects=["s.>"])
    await _fill(js, "s.{}", 5)
    await js.add_consumer(
        "S", ConsumerConfig(durable_name="D", ack_policy=AckPolicy.EXPLICIT, max_ack_pending=2)
    )
    psub = await js.pull_subscribe_bind("D", stream="S")
    msgs = await psub.fetch(5, timeout=1)
    assert len(msgs) == 2
    await msgs[0].ack_sync()
    more = await psub.fetch(5, timeout=1)
    assert [m.data for m in more] == [b"m2"]


async def test_consumer_workqueue_removes_on_ack(js: Any) -> None:
    await js.add_stream(name="WQ", subjects=["wq.>"], retention=RetentionPolicy.WORK_QUEUE)
    await _fill(js, "wq.{}", 3)
    psub = await js.pull_subscribe("wq.>", durable="W")
    msgs = await psub.fetch(3, timeout=1)
    await msgs[0].ack_sync()
    await msgs[2].ack_sync()
    state = (await js.stream_info("WQ")).state
    assert state.messages == 1
    assert state.first_seq == 2


async def test_consumer_interest_retention(js: Any) -> None:
    await js.add_stream(name="I", subjects=["i.>"], retention=RetentionPolicy.INTEREST)
    ack = await js.publish("i.none", b"dropped")
    assert ack.seq == 1
    assert (await js.stream_info("I")).state.messages == 0
    await js.add_consumer("I", ConsumerConfig(durable_name="A", ack_policy=AckPolicy.EXPLICIT))
    await js.add_consumer("I", ConsumerConfig(durable_name="B", ack_policy=AckPolicy.EXPLICIT))
    await _fill(js, "i.{}", 2)
    assert (await js.stream_info("I")).state.messages == 2
    a = await (await js.pull_subscribe_bind("A", stream="I")).fetch(2, timeout=1)
    for m in a:
        await m.ack_sync()
    assert (await js.stream_info("I")).state.messages == 2
    b = await (await js.pull_subscribe_bind("B", stream="I")).fetch(1, timeout=1)
    await b[0].ack_sync()
    assert (await js.stream_info("I")).state.messages == 1
    await js.delete_consumer("I", "B")
    assert (await js.stream_info("I")).state.messages == 0


async def test_consumer_two_fetchers_share_a_work_queue(js: Any) -> None:
    await js.add_stream(name="WQ", subjects=["wq.>"], retention=RetentionPolicy.WORK_QUEUE)
    futures = [await js.publish_async(f"wq.{i}", b"%d" % i) for i in range(200)]
    await asyncio.gather(*futures)
    a = await js.pull_subscribe("wq.>", durable="W")
    b = await js.pull_subscribe_bind("W", stream="WQ")
    seen: list[bytes] = []

    async def drain(sub: Any) -> None:
        for _ in range(50):
            try:
                msgs = await sub.fetch(25, timeout=0.5)
            except TimeoutError:
                return
            for m in msgs:
                seen.append(m.data)
                await m.ack()

    await asyncio.gather(drain(a), drain(b))
    assert sorted(seen) == sorted(b"%d" % i for i in range(200))
    await js._nc.flush()
    assert (await js.stream_info("WQ")).state.messages == 0
