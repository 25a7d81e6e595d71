# Queue groups with the real nats-py client: every message goes to exactly one member of each
# group, the load is spread over the members, and plain subscribers still get everything.
#
# Members sit on separate connections, as in a real deployment, and the publisher flushes before
# counting: once its PING is answered the server has routed every message it sent, and each member
# is flushed too so that what was routed to it has arrived.
from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import nats.errors
import pytest

from pynatsd import Server

WAIT = 5.0


class Tally:
    """Counts messages per member and signals when `expected` have arrived in total."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.per_member: Counter[str] = Counter()
        self.payloads: list[bytes] = []
        self.done = asyncio.Event()

    def handler(self, member: str) -> Any:
        async def on_msg(msg: Any) -> None:
            self.per_member[member] += 1
            self.payloads.append(msg.data)
            if len(self.payloads) >= self.expected:
                self.done.set()

        return on_msg

    async def wait(self) -> None:
        await asyncio.wait_for(self.done.wait(), WAIT)


async def publish_numbers(client: Any, subject: str, n: int) -> None:
    for i in range(n):
        await client.publish(subject, str(i).encode())
    await client.flush()


async def test_queue_group_delivers_each_message_once_and_spreads_load(
    pynatsd_server: Server, nc: Any
) -> None:
    tally = Tally(300)
    members = [await nc(pynatsd_server) for _ in range(3)]
    for i, member in enumerate(members):
        await member.subscribe("jobs", queue="workers", cb=tally.handler(f"m{i}"))
        await member.flush()
    publisher = await nc(pynatsd_server)
    await publish_numbers(publisher, "jobs", 300)
    await tally.wait()
    await asyncio.gather(*(m.flush() for m in members))
    assert sorted(int(p) for p in tally.payloads) == list(range(300))
    assert sum(tally.per_member.values()) == 300
    assert set(tally.per_member) == {"m0", "m1", "m2"}
    assert all(count > 0 for count in tally.per_member.values()), tally.per_member


async def test_queue_members_on_one_connection(pynatsd_server: Server, nc: Any) -> None:
    tally = Tally(90)
    client = await nc(pynatsd_server)
    for i in range(3):
        await client.subscribe("jobs.local", queue="workers", cb=tally.handler(f"s{i}"))
    await client.flush()
    await publish_numbers(client, "jobs.local", 90)
    await tally.wait()
    await client.flush()
    assert sorted(int(p) for p in tally.payloads) == list(range(90))
    assert sum(tally.per_member.values()) == 90


async def test_plain_subscriber_and_groups_each_get_every_message(pynatsd_server: Server, nc: Any) -> None:
    n = 100
    plain = Tally(n)
    group_a = Tally(n)
    group_b = Tally(n)
    client = await nc(pynatsd_server)
    await client.subscribe("events", cb=plain.handler("plain"))
    for i in range(2):
        member = await nc(pynatsd_server)
        await member.subscribe("events", queue="a", cb=group_a.handler(f"a{i}"))
        await member.subscribe("events", queue="b", cb=group_b.handler(f"b{i}"))
        await member.flush()
    await client.flush()
    await publish_numbers(await nc(pynatsd_server), "events", n)
    for tally in (plain, group_a, group_b):
        await tally.wait()
    await client.flush()
    for tally in (plain, group_a, group_b):
        assert sorted(int(p) for p in tally.payloads) == list(range(n))


async def test_queue_group_with_wildcard_members(pynatsd_server: Server, nc: Any) -> None:
    # Members of one group subscribed with different subjects form a single group for a subject
    # both match: each message goes to `orders.*` or to `orders.>`, never to both.
    tally = Tally(50)
    one = await nc(pynatsd_server)
    two = await nc(pynatsd_server)
    await one.subscribe("orders.*", queue="g", cb=tally.handler("star"))
    await two.subscribe("orders.>", queue="g", cb=tally.handler("full"))
    await one.flush()
    await two.flush()
    await publish_numbers(await nc(pynatsd_server), "orders.new", 50)
    await tally.wait()
    await asyncio.gather(one.flush(), two.flush())
    assert sorted(int(p) for p in tally.payloads) == list(range(50))
    assert sum(tally.per_member.values()) == 50


async def test_remaining_member_takes_over_when_others_leave(pynatsd_server: Server, nc: Any) -> None:
    before = Tally(30)
    members = [await nc(pynatsd_server) for _ in range(3)]
    subs = []
    for i, member in enumerate(members):
        subs.append(await member.subscribe("tasks", queue="w", cb=before.handler(f"m{i}")))
        await member.flush()
    publisher = await nc(pynatsd_server)
    await publish_numbers(publisher, "tasks", 30)
    await before.wait()

    # One member unsubscribes, another closes its connection: only m1 is left in the group.
    await subs[0].unsubscribe()
    await members[0].flush()
    await members[2].close()
    after = Tally(30)
    await subs[1].unsubscribe()
    await members[1].subscribe("tasks", queue="w", cb=after.handler("m1"))
    await members[1].flush()
    await publish_numbers(publisher, "tasks", 30)
    await after.wait()
    await members[1].flush()
    assert after.per_member == {"m1": 30}
    assert sorted(int(p) for p in after.payloads) == list(range(30))
    assert sum(before.per_member.values()) == 30


async def test_queue_group_request_reply(pynatsd_server: Server, nc: Any) -> None:
    answered: Counter[str] = Counter()
    for i in range(3):
        member = await nc(pynatsd_server)

        def make(name: str, conn: Any) -> Any:
            async def answer(msg: Any) -> None:
                answered[name] += 1
                await conn.publish(msg.reply, name.encode())

            return answer

        await member.subscribe("rpc", queue="rpc-workers", cb=make(f"w{i}", member))
        await member.flush()
    requester = await nc(pynatsd_server)
    replies = await asyncio.gather(*(requester.request("rpc", b"", timeout=WAIT) for _ in range(60)))
    assert len(replies) == 60
    assert sum(answered.values()) == 60
    assert Counter(r.data.decode() for r in replies) == answered


async def test_queue_group_interest_gone_after_all_members_leave(pynatsd_server: Server, nc: Any) -> None:
    member = await nc(pynatsd_server)
    sub = await member.subscribe("lonely", queue="q")
    await member.flush()
    requester = await nc(pynatsd_server)
    await requester.publish("lonely", b"one")
    await requester.flush()
    assert (await sub.next_msg(timeout=WAIT)).data == b"one"
    await sub.unsubscribe()
    await member.flush()
    with pytest.raises(nats.errors.NoRespondersError):
        await requester.request("lonely", b"two", timeout=WAIT)
