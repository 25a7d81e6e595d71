# Durable consumers survive kill -9: after N of M messages were acked (double acks, so each ack was
# durable before the client saw it) and one was redelivered, the restarted server shows the same
# progress and resumes with N+1, redelivering what was pending with the right delivery counts. The
# server runs as a subprocess so the kill is real.
from __future__ import annotations

from pathlib import Path
from typing import Any

import nats
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from recovery_server import start_js_server


async def _ignore(e: Exception) -> None:
    pass


async def _connect(port: int) -> Any:
    return await nats.connect(f"nats://127.0.0.1:{port}", allow_reconnect=False, error_cb=_ignore)


async def _before_kill(port: int) -> None:
    nc = await _connect(port)
    try:
        js = nc.jetstream()
        await js.add_stream(name="R", subjects=["r.>"])
        for i in range(1, 21):
            await js.publish(f"r.{i}", b"%d" % i)
        cfg = ConsumerConfig(durable_name="D", ack_policy=AckPolicy.EXPLICIT, ack_wait=1.0)
        await js.add_consumer("R", cfg)
        psub = await js.pull_subscribe_bind("D", stream="R")
        msgs = await psub.fetch(10, timeout=2)
        assert len(msgs) == 10
        for m in msgs[:8]:
            await m.ack_sync()
        await msgs[8].nak()
        again = (await psub.fetch(1, timeout=2))[0]
        assert again.metadata.num_delivered == 2
        await nc.request(again.reply, b"+WPI", timeout=2)
    finally:
        await nc.close()


async def test_consumer_resumes_after_kill9(tmp_path: Path) -> None:
    proc, port = start_js_server(tmp_path)
    try:
        await _before_kill(port)
    finally:
        proc.kill()
        proc.wait(10)
    proc, port = start_js_server(tmp_path)
    try:
        nc = await _connect(port)
        js = nc.jetstream()
        info = await js.consumer_info("R", "D")
        assert (info.ack_floor.consumer_seq, info.ack_floor.stream_seq) == (8, 8)
        assert (info.delivered.consumer_seq, info.delivered.stream_seq) == (11, 10)
        assert info.num_ack_pending == 2
        assert info.num_redelivered == 1
        assert info.num_pending == 10
        psub = await js.pull_subscribe_bind("D", stream="R")
        got: list[tuple[int, int]] = []
        for _ in range(20):
            for m in await psub.fetch(12, timeout=3):
                got.append((m.metadata.sequence.stream, m.metadata.num_delivered))
                await m.ack_sync()
            if len(got) >= 12:
                break
        assert sorted(got) == [(9, 3), (10, 2)] + [(i, 1) for i in range(11, 21)]
        await nc.close()
    finally:
        proc.kill()
        proc.wait(10)


async def test_consumer_deliver_new_and_push_durable_survive_restart(tmp_path: Path) -> None:
    proc, port = start_js_server(tmp_path)
    try:
        nc = await _connect(port)
        js = nc.jetstream()
        await js.add_stream(name="N", subjects=["n.>"])
        await js.add_consumer(
            "N",
            ConsumerConfig(
                durable_name="NEW", deliver_policy=DeliverPolicy.NEW, ack_policy=AckPolicy.EXPLICIT
            ),
        )
        cfg = ConsumerConfig(durable_name="PUSH", deliver_subject="push.in", ack_policy=AckPolicy.EXPLICIT)
        await js.add_consumer("N", cfg)
        for i in range(3):
            await js.publish(f"n.{i}", b"%d" % i)
        await nc.request("$JS.API.CONSUMER.INFO.N.NEW", b"", timeout=2)
        await nc.close()
    finally:
        proc.kill()
        proc.wait(10)
    proc, port = start_js_server(tmp_path)
    try:
        nc = await _connect(port)
        js = nc.jetstream()
        assert (await js.consumer_info("N", "NEW")).num_pending == 3
        msgs = await (await js.pull_subscribe_bind("NEW", stream="N")).fetch(3, timeout=2)
        assert [m.data for m in msgs] == [b"0", b"1", b"2"]
        sub = await nc.subscribe("push.in")
        pushed = [await sub.next_msg(timeout=3) for _ in range(3)]
        assert [m.subject for m in pushed] == ["n.0", "n.1", "n.2"]
        await nc.close()
    finally:
        proc.kill()
        proc.wait(10)
