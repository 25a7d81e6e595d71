# The consumer engine against nats-server itself: each scenario runs once on the reference server and
# once on pynatsd, and what the client observes must be the same: messages (subject, ack reply with
# the timestamp masked, headers, body), pull status messages with their headers, consumer info
# sequences, advisories. Scenarios avoid races (nothing depends on which of two timers fires first).
# Skipped when the nats-server binary is not installed.
from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import nats
import pytest

from pynatsd.testing.servers import ServerProcess, nats_server_binary

pytestmark = pytest.mark.skipif(nats_server_binary() is None, reason="nats-server binary not found")

MS = 1_000_000
_TS = re.compile(r"\.\d{15,}\.")
_INBOX = re.compile(r"^_INBOX\.[A-Za-z0-9]+")


class Ctx:
    """A nats-py connection with one raw inbox, and the observations of one scenario."""

    def __init__(self, nc: Any) -> None:
        self.nc = nc
        self.js = nc.jetstream()
        self.inbox = nc.new_inbox()
        self.q: asyncio.Queue[Any] = asyncio.Queue()
        self.out: list[Any] = []

    async def start(self) -> Ctx:
        async def cb(msg: Any) -> None:
            await self.q.put(msg)

        await self.nc.subscribe(self.inbox, cb=cb)
        return self

    async def api(self, subject: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        data = json.dumps(body).encode() if body is not None else b""
        resp = await self.nc.request("$JS.API." + subject, data, timeout=2)
        out: dict[str, Any] = json.loads(resp.data)
        return out

    async def consumer(self, stream: str, config: dict[str, Any]) -> None:
        name = config.get("durable_name") or config["name"]
        await self.api(f"CONSUMER.CREATE.{stream}.{name}", {"stream_name": stream, "config": config})

    async def pull(self, stream: str, consumer: str, body: bytes, settle: float = 0.3) -> None:
        await self.nc.publish(f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{consumer}", body, reply=self.inbox)
        self.out.append((body, await self.drain(settle)))

    async def drain(self, settle: float) -> list[Any]:
        got = []
        while True:
            try:
                got.append(await asyncio.wait_for(self.q.get(), settle))
            except TimeoutError:
                return [_msg(m) for m in got]

    async def info(self, stream: str, consumer: str) -> None:
        r = await self.api(f"CONSUMER.INFO.{stream}.{consumer}")
        seqs = [(r[k]["consumer_seq"], r[k]["stream_seq"]) for k in ("delivered", "ack_floor")]
        counts = [r[k] for k in ("num_ack_pending", "num_redelivered", "num_waiting", "num_pending")]
        self.out.append((consumer, seqs, counts))


def _msg(m: Any) -> tuple[str, str, dict[str, str], bytes]:
    reply = _TS.sub(".TS.", m.reply or "")
    subject = "INBOX" if m.subject.startswith("_INBOX") else m.subject
    return subject, _INBOX.sub("INBOX", reply), dict(m.headers or {}), m.data


async def _fill(ctx: Ctx, stream: str, subjects: list[str]) -> None:
    await ctx.api(f"STREAM.CREATE.{stream}", {"name": stream, "subjects": [f"{stream.lower()}.>"]})
    for i, subject in enumerate(subjects):
        await ctx.js.publish(subject, b"m%d" % i)


async def pull_statuses(ctx: Ctx) -> None:
    await _fill(ctx, "S", ["s.0", "s.1", "s.0"])
    await ctx.consumer("S", {"durable_name": "A", "ack_policy": "explicit", "max_batch": 5, "max_bytes": 100})
    await ctx.pull("S", "A", b'{"batch":2,"no_wait":true}')
    await ctx.pull("S", "A", b'{"batch":5,"no_wait":true}')
    await ctx.pull("S", "A", b'{"batch":6}')
    await ctx.pull("S", "A", b'{"batch":1,"max_bytes":200}')
    await ctx.pull("S", "A", b'{"batch":1,"idle_heartbeat":1000000000}')
    await ctx.pull("S", "A", b'{"batch":2,"expires":%d}' % (200 * MS))
    await ctx.info("S", "A")


async def byte_budgets(ctx: Ctx) -> None:
    await _fill(ctx, "S", ["s.0", "s.1", "s.2", "s.3"])
    await ctx.consumer("S", {"durable_name": "B", "ack_policy": "none"})
    await ctx.pull("S", "B", b'{"batch":1,"max_bytes":1000}')
    await ctx.pull("S", "B", b'{"batch":5,"max_bytes":9,"expires":%d}' % (300 * MS))
    await ctx.pull("S", "B", b'{"batch":2,"max_bytes":1000,"no_wait":true}')


async def ack_kinds(ctx: Ctx) -> None:
    await _fill(ctx, "S", ["s.a", "s.b", "s.c", "s.d"])
    await ctx.consumer("S", {"durable_name": "K", "ack_policy": "explicit"})
    await ctx.pull("S", "K", b'{"batch":4,"no_wait":true}')
    # The masked replies still name the delivery count and the sequences, all an ack needs.
    replies = [m[1] for m in ctx.out[-1][1] if m[1]]
    for reply, body in zip(replies, [b"+ACK", b"-NAK", b"+TERM gone", b"+WPI"], strict=True):
        await ctx.nc.publish(reply.replace(".TS.", ".1."), body)
    await ctx.nc.flush()
    await asyncio.sleep(0.2)  # settle: nats-server processes acks from a queue of its own
    await ctx.pull("S", "K", b'{"batch":4,"no_wait":true}')
    await ctx.info("S", "K")
    await ctx.consumer("S", {"durable_name": "ALL", "ack_policy": "all"})
    await ctx.pull("S", "ALL", b'{"batch":4,"no_wait":true}')
    await ctx.nc.request("$JS.ACK.S.ALL.1.3.3.1.1", b"", timeout=2)
    await ctx.info("S", "ALL")


async def start_positions(ctx: Ctx) -> None:
    await _fill(ctx, "S", ["s.a", "s.b", "s.a", "s.c", "s.b", "s.a"])
    configs: list[dict[str, Any]] = [
        {"durable_name": "N", "deliver_policy": "new"},
        {"durable_name": "Q", "deliver_policy": "by_start_sequence", "opt_start_seq": 3},
        {"durable_name": "L", "deliver_policy": "last_per_subject", "filter_subject": "s.*"},
        {"durable_name": "F", "filter_subject": "s.a"},
        {"durable_name": "Z", "deliver_policy": "last", "filter_subject": "s.b"},
    ]
    for cfg in configs:
        await ctx.consumer("S", {**cfg, "ack_policy": "explicit"})
        await ctx.info("S", cfg["durable_name"])
        await ctx.pull("S", cfg["durable_name"], b'{"batch":10,"no_wait":true}')
    await ctx.api("STREAM.PURGE.S")
    await ctx.info("S", "F")


async def stalled_and_deleted(ctx: Ctx) -> None:
    await _fill(ctx, "S", ["s.0", "s.1", "s.2"])
    await ctx.consumer("S", {"durable_name": "M", "ack_policy": "explicit", "max_ack_pending": 2})
    await ctx.pull("S", "M", b'{"batch":5,"no_wait":true}')
    await ctx.pull("S", "M", b'{"batch":1,"expires":%d}' % (300 * MS), settle=0.5)
    await ctx.info("S", "M")
    await ctx.nc.publish(
        "$JS.API.CONSUMER.MSG.NEXT.S.M", b'{"batch":1,"expires":5000000000}', reply=ctx.inbox
    )
    await asyncio.sleep(0.2)  # settle: nats-server queues the request asynchronously
    await ctx.api("CONSUMER.DELETE.S.M")
    ctx.out.append(await ctx.drain(0.3))


async def push_and_advisories(ctx: Ctx) -> None:
    adv = await ctx.nc.subscribe("$JS.EVENT.ADVISORY.CONSUMER.>")
    await _fill(ctx, "S", ["s.0", "s.1"])
    dlv = await ctx.nc.subscribe("dlv")
    await ctx.consumer(
        "S",
        {
            "name": "P",
            "ack_policy": "none",
            "deliver_subject": "dlv",
            "headers_only": True,
            "idle_heartbeat": 300 * MS,
        },
    )
    ctx.out.append([_msg(await dlv.next_msg(timeout=2)) for _ in range(3)])
    await ctx.consumer("S", {"durable_name": "T", "ack_policy": "explicit"})
    await ctx.pull("S", "T", b'{"batch":1,"no_wait":true}')
    await ctx.nc.publish(ctx.out[-1][1][0][1].replace(".TS.", ".1."), b"+TERM why")
    await asyncio.sleep(0.2)  # settle: the ack queue of nats-server
    await ctx.api("CONSUMER.PAUSE.S.T", {"pause_until": "2099-01-01T00:00:00Z"})
    await ctx.api("CONSUMER.RESET.S.T", {"seq": 2})
    await ctx.info("S", "T")
    events = []
    for _ in range(5):
        try:
            m = await adv.next_msg(timeout=0.5)
        except nats.errors.TimeoutError:
            break
        body = json.loads(m.data)
        events.append((m.subject, sorted(k for k in body if k not in ("id", "timestamp"))))
    ctx.out.append(sorted(events))


SCENARIOS: dict[str, Callable[[Ctx], Awaitable[None]]] = {
    "pull_statuses": pull_statuses,
    "byte_budgets": byte_budgets,
    "ack_kinds": ack_kinds,
    "start_positions": start_positions,
    "stalled_and_deleted": stalled_and_deleted,
    "push_and_advisories": push_and_advisories,
}


async def _run(kind: str, base: Path, scenario: Callable[[Ctx], Awaitable[None]]) -> list[Any]:
    proc = ServerProcess(kind, args=["-js", "-sd", str(base / kind)])  # type: ignore[arg-type]
    await asyncio.to_thread(proc.start)
    try:
        nc = await nats.connect(f"nats://127.0.0.1:{proc.port}")
        try:
            ctx = await Ctx(nc).start()
            await scenario(ctx)
            return ctx.out
        finally:
            await nc.close()
    finally:
        await asyncio.to_thread(proc.stop)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
async def test_consumer_matches_nats_server(tmp_path: Path, name: str) -> None:
    ref, ours = await asyncio.gather(
        _run("nats-server", tmp_path, SCENARIOS[name]), _run("pynatsd", tmp_path, SCENARIOS[name])
    )
    for n, (theirs, mine) in enumerate(zip(ref, ours, strict=True)):
        assert mine == theirs, f"observation {n} differs"
