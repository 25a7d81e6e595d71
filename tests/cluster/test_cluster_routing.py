# Three pynatsd servers in one full mesh: messages, wildcards, queue groups and request/reply
# across servers, interest that follows subscriptions (and only crosses a route when the other
# side listens), and the monitoring view of the routes.
from __future__ import annotations

import asyncio
import socket
from collections import Counter
from typing import Any

import nats.errors
import pytest

from conftest import start_node, wait_interest, wait_mesh
from pynatsd.monitor.endpoints import routez, varz
from pynatsd.testing.cluster import run_cluster
from pynatsd.testing.embedded import start_server, wait_until

WAIT = 5.0


class Inbox:
    def __init__(self) -> None:
        self.items: list[tuple[str, bytes]] = []
        self.changed = asyncio.Event()

    async def on_msg(self, msg: Any) -> None:
        self.items.append((msg.subject, msg.data))
        self.changed.set()

    async def wait_for(self, n: int) -> list[tuple[str, bytes]]:
        async with asyncio.timeout(WAIT):
            while len(self.items) < n:
                self.changed.clear()
                await self.changed.wait()
        return self.items


async def test_message_published_on_c_reaches_a(cluster_factory: Any, nc: Any) -> None:
    a, b, c = await cluster_factory(3)
    sub_client, pub_client = await nc(a), await nc(c)
    inbox = Inbox()
    await sub_client.subscribe("orders.new", cb=inbox.on_msg)
    await sub_client.flush()
    await wait_interest([c], "orders.new")
    await pub_client.publish("orders.new", b"hello")
    await pub_client.publish("orders.new", b"x" * 100_000)
    assert [d[:5] for _, d in await inbox.wait_for(2)] == [b"hello", b"xxxxx"]
    await asyncio.sleep(0.2)
    assert len(inbox.items) == 2
    assert b.global_account.sublist.has_interest(b"orders.new")


async def test_wildcards_and_headers_across_servers(cluster_factory: Any, nc: Any) -> None:
    a, b, c = await cluster_factory(3)
    sub_client = await nc(a)
    inbox = Inbox()
    # Both match every publish below: still one copy per subscription, one RMSG per route.
    await sub_client.subscribe("metrics.*", cb=inbox.on_msg)
    await sub_client.subscribe("metrics.>", cb=inbox.on_msg)
    await sub_client.flush()
    await wait_interest([b, c], "metrics.cpu")
    pub = await nc(c)
    await pub.publish("metrics.cpu", b"1", headers={"unit": "pct"})
    await pub.publish("metrics.mem", b"2")
    items = await inbox.wait_for(4)
    assert Counter(items) == Counter({("metrics.cpu", b"1"): 2, ("metrics.mem", b"2"): 2})
    link = c.cluster.routes[a.server_id] if c.cluster else None
    assert link is not None
    assert link.out_msgs == 2


async def test_queue_group_delivers_each_message_once(cluster_factory: Any, nc: Any) -> None:
    servers = await cluster_factory(3)
    got: Counter[bytes] = Counter()
    per_server: Counter[int] = Counter()
    done = asyncio.Event()
    total = 300

    def member(i: int) -> Any:
        async def on_msg(msg: Any) -> None:
            got[msg.data] += 1
            per_server[i] += 1
            if sum(got.values()) >= total:
                done.set()

        return on_msg

    for i, srv in enumerate(servers[1:], start=1):
        client = await nc(srv)
        await client.subscribe("work", queue="workers", cb=member(i))
        await client.subscribe("work", queue="workers", cb=member(i))
        await client.flush()
    await wait_interest(servers, "work")
    publishers = [await nc(s) for s in servers]
    for k in range(total):
        await publishers[k % 3].publish("work", str(k).encode())
    for p in publishers:
        await p.flush()
    await asyncio.wait_for(done.wait(), WAIT)
    await asyncio.sleep(0.3)
    assert len(got) == total
    assert set(got.values()) == {1}
    # No member on the first server: its publishes are spread over the remote members.
    assert per_server[1] > 0
    assert per_server[2] > 0


async def test_queue_group_prefers_local_members(cluster_factory: Any, nc: Any) -> None:
    a, b, _ = await cluster_factory(3)
    tallies: Counter[str] = Counter()

    def member(name: str) -> Any:
        async def on_msg(msg: Any) -> None:
            tallies[name] += 1

        return on_msg

    ca, cb = await nc(a), await nc(b)
    await ca.subscribe("jobs", queue="q", cb=member("a"))
    await cb.subscribe("jobs", queue="q", cb=member("b"))
    await ca.flush()
    await cb.flush()
    await wait_interest([a, b], "jobs")
    for k in range(50):
        await ca.publish("jobs", b"%d" % k)
    await ca.flush()
    await wait_until(lambda: sum(tallies.values()) == 50, WAIT)
    assert tallies == Counter({"a": 50})


async def test_request_reply_and_no_responders_across_servers(cluster_factory: Any, nc: Any) -> None:
    a, _, c = await cluster_factory(3)
    service, requester = await nc(a), await nc(c)

    async def echo(msg: Any) -> None:
        await msg.respond(b"re:" + msg.data)

    await service.subscribe("svc.echo", queue="svc", cb=echo)
    await service.flush()
    await wait_interest([c], "svc.echo")
    replies = await asyncio.gather(
        *(requester.request("svc.echo", b"%d" % i, timeout=WAIT) for i in range(20))
    )
    assert [r.data for r in replies] == [b"re:%d" % i for i in range(20)]
    # With headers: HMSG with a reply and a queue name across the route, and back.
    reply = await requester.request("svc.echo", b"h", timeout=WAIT, headers={"Trace": "1"})
    assert reply.data == b"re:h"
    with pytest.raises(nats.errors.NoRespondersError):
        await requester.request("svc.nobody", b"", timeout=WAIT)


async def test_interest_follows_subscriptions(cluster_factory: Any, nc: Any) -> None:
    a, b, c = await cluster_factory(3)
    client = await nc(a)
    sub = await client.subscribe("temp.>")
    queue_subs = [await client.subscribe("temp.q", queue="g") for _ in range(2)]
    await client.flush()
    await wait_interest([b, c], "temp.x")
    # A message nobody outside A listens to never crosses a route.
    pub = await nc(b)
    assert b.cluster is not None
    before = b.cluster.routes[c.server_id].out_msgs
    await pub.publish("temp.x", b"1")
    await pub.flush()
    await sub.next_msg(timeout=WAIT)
    assert b.cluster.routes[c.server_id].out_msgs == before
    await sub.unsubscribe()
    for q in queue_subs:
        await q.unsubscribe()
    await client.flush()
    await wait_until(lambda: not b.global_account.sublist.has_interest(b"temp.x"), WAIT)
    await wait_until(lambda: not c.global_account.sublist.has_interest(b"temp.q"), WAIT)
    await client.subscribe("temp.again")
    await client.close()
    await wait_until(lambda: not c.global_account.sublist.has_interest(b"temp.again"), WAIT)


async def test_routez_and_varz_count_routes(nc: Any) -> None:
    async with run_cluster(3) as (a, b, c):
        client = await nc(b)
        await client.subscribe("seen.by.a")
        await client.flush()
        await wait_interest([a], "seen.by.a")
        rz = routez(a, {"subs": "1"})
        assert rz["num_routes"] == 2
        assert {r["remote_id"] for r in rz["routes"]} == {b.server_id, c.server_id}
        assert {r["remote_name"] for r in rz["routes"]} == {"n1", "n2"}
        from_b = next(r for r in rz["routes"] if r["remote_id"] == b.server_id)
        assert from_b["subscriptions_list"] == ["seen.by.a"]
        v = varz(a)
        assert v["routes"] == 2
        assert v["cluster"]["name"] == "C1"
        assert a.cluster is not None
        assert v["cluster"]["cluster_port"] == a.cluster.port


async def test_cluster_names(cluster_factory: Any) -> None:
    (seed,) = await cluster_factory(1)
    other = await start_node([seed], name="other", cluster_name="OTHER")
    dynamic = await start_node([seed], name="dyn", cluster_name="")
    try:
        await wait_mesh([seed, dynamic])
        assert dynamic.cluster is not None
        assert dynamic.cluster.name == "C1"
        await asyncio.sleep(0.5)
        assert other.cluster is not None
        assert not other.cluster.routes
        assert seed.cluster is not None
        assert other.server_id not in seed.cluster.routes
    finally:
        await other.shutdown()
        await dynamic.shutdown()


async def test_same_seed_both_ways_gives_one_route(nc: Any) -> None:
    a = await start_node(name="a")
    b = await start_node([a], name="b")
    assert b.cluster is not None
    assert a.cluster is not None
    c = await start_node([a, b], name="c")
    try:
        await wait_mesh([a, b, c])
        await asyncio.sleep(1.0)
        await wait_mesh([a, b, c])
        assert len(c.cluster.routes) == 2  # type: ignore[union-attr]
    finally:
        for s in (c, b, a):
            await s.shutdown()


async def test_route_authorization(nc: Any) -> None:
    block = {"authorization": {"user": "ruser", "password": "s3cret"}}
    seed = await start_node(name="auth-seed", cluster_block=block)
    assert seed.cluster is not None
    good = await start_server(
        server_name="good",
        cluster_host="127.0.0.1",
        cluster_port=-1,
        cluster_name="C1",
        cluster_block=block,
        routes=[f"nats-route://ruser:s3cret@127.0.0.1:{seed.cluster.port}"],
    )
    bad = await start_server(
        server_name="bad",
        cluster_host="127.0.0.1",
        cluster_port=-1,
        cluster_name="C1",
        routes=[f"nats-route://ruser:wrong@127.0.0.1:{seed.cluster.port}"],
    )
    try:
        await wait_mesh([seed, good])
        await asyncio.sleep(0.5)
        # The refused side may hold the seed's link for a moment (from the seed's INFO until its
        # -ERR), then drops it; the seed never takes it.
        assert bad.cluster is not None
        await wait_until(lambda: not bad.cluster.routes, WAIT)  # type: ignore[union-attr]
        assert bad.server_id not in seed.cluster.routes
    finally:
        for s in (bad, good, seed):
            await s.shutdown()


def _free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


async def test_every_server_lists_every_server(nc: Any) -> None:
    # The usual static configuration: the same `routes` everywhere, each server's own address
    # included. Routes to self are dropped and the duplicates of the mutual dials settle to one
    # route per pair.
    ports = _free_ports(3)
    routes = [f"nats-route://127.0.0.1:{p}" for p in ports]
    servers = [
        await start_server(
            server_name=f"s{i}", cluster_host="127.0.0.1", cluster_port=p, cluster_name="C1", routes=routes
        )
        for i, p in enumerate(ports)
    ]
    try:
        await wait_mesh(servers)
        await asyncio.sleep(1.5)
        await wait_mesh(servers)
        sub = await (await nc(servers[0])).subscribe("static.>")
        await sub._conn.flush()
        await wait_interest(servers, "static.x")
        for i, srv in enumerate(servers):
            await (await nc(srv)).publish(f"static.{i}", b"%d" % i)
        got = sorted([(await sub.next_msg(timeout=WAIT)).data for _ in servers])
        assert got == [b"0", b"1", b"2"]
        with pytest.raises(nats.errors.TimeoutError):
            await sub.next_msg(timeout=0.3)
    finally:
        for s in reversed(servers):
            await s.shutdown()
