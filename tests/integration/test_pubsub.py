# Publish/subscribe with the real nats-py client against an in-process pynatsd over real sockets.
#
# Each test gets its own server (the pynatsd_server fixture) and its own clients (the nc factory),
# and waits on events or on the subscription's queue with a timeout, never on a fixed sleep: a
# message that does not arrive fails the test in seconds instead of hanging it.
from __future__ import annotations

import asyncio
from typing import Any

import nats.errors
import pytest

from pynatsd import Server
from pynatsd.testing import wait_until

WAIT = 2.0


async def collect(sub: Any, n: int, wait: float = WAIT) -> list[Any]:
    return [await sub.next_msg(timeout=wait) for _ in range(n)]


async def assert_quiet(sub: Any, wait: float = 0.1) -> None:
    """Nothing more is queued on `sub` (after the caller flushed the publisher and the subscriber)."""
    with pytest.raises(nats.errors.TimeoutError):
        await sub.next_msg(timeout=wait)


async def test_publish_subscribe_roundtrip(pynatsd_server: Server, nc: Any) -> None:
    sub_nc = await nc(pynatsd_server)
    pub_nc = await nc(pynatsd_server)
    sub = await sub_nc.subscribe("greet.joe")
    await sub_nc.flush()

    await pub_nc.publish("greet.joe", b"hello")
    await pub_nc.publish("greet.joe", b"")
    await pub_nc.publish("greet.joe", bytes(range(256)) * 40)
    await pub_nc.flush()

    msgs = await collect(sub, 3)
    assert [m.subject for m in msgs] == ["greet.joe"] * 3
    assert [m.data for m in msgs] == [b"hello", b"", bytes(range(256)) * 40]
    assert all(m.reply == "" for m in msgs)
    await assert_quiet(sub)


async def test_messages_keep_publish_order(pynatsd_server: Server, nc: Any) -> None:
    sub_nc = await nc(pynatsd_server)
    pub_nc = await nc(pynatsd_server)
    sub = await sub_nc.subscribe("seq")
    await sub_nc.flush()
    for i in range(500):
        await pub_nc.publish("seq", str(i).encode())
    await pub_nc.flush()
    msgs = await collect(sub, 500)
    assert [int(m.data) for m in msgs] == list(range(500))


async def test_callback_subscription(pynatsd_server: Server, nc: Any) -> None:
    client = await nc(pynatsd_server)
    got: asyncio.Queue[bytes] = asyncio.Queue()

    async def handler(msg: Any) -> None:
        await got.put(msg.data)

    await client.subscribe("cb", cb=handler)
    await client.publish("cb", b"one")
    await client.publish("cb", b"two")
    assert await asyncio.wait_for(got.get(), WAIT) == b"one"
    assert await asyncio.wait_for(got.get(), WAIT) == b"two"


async def test_star_wildcard_matches_exactly_one_token(pynatsd_server: Server, nc: Any) -> None:
    client = await nc(pynatsd_server)
    sub = await client.subscribe("orders.*.created")
    await client.flush()
    for subject in ("orders.eu.created", "orders.created", "orders.eu.west.created", "orders.us.created"):
        await client.publish(subject, subject.encode())
    await client.flush()
    msgs = await collect(sub, 2)
    assert [m.subject for m in msgs] == ["orders.eu.created", "orders.us.created"]
    await assert_quiet(sub)


async def test_full_wildcard_matches_one_or_more_tokens(pynatsd_server: Server, nc: Any) -> None:
    client = await nc(pynatsd_server)
    sub = await client.subscribe("metrics.>")
    await client.flush()
    for subject in ("metrics", "metrics.cpu", "metrics.cpu.core0", "other.cpu"):
        await client.publish(subject, b"x")
    await client.flush()
    msgs = await collect(sub, 2)
    assert [m.subject for m in msgs] == ["metrics.cpu", "metrics.cpu.core0"]
    await assert_quiet(sub)


async def test_overlapping_subscriptions_each_get_a_copy(pynatsd_server: Server, nc: Any) -> None:
    client = await nc(pynatsd_server)
    subs = [await client.subscribe(s) for s in ("a.b.c", "a.*.c", "a.>", ">", "*.b.*")]
    miss = await client.subscribe("a.b")
    await client.flush()
    await client.publish("a.b.c", b"payload")
    await client.flush()
    for sub in subs:
        (msg,) = await collect(sub, 1)
        assert (msg.subject, msg.data) == ("a.b.c", b"payload")
        await assert_quiet(sub, 0.02)
    await assert_quiet(miss, 0.02)


async def test_headers_roundtrip(pynatsd_server: Server, nc: Any) -> None:
    sub_nc = await nc(pynatsd_server)
    pub_nc = await nc(pynatsd_server)
    sub = await sub_nc.subscribe("hdr")
    await sub_nc.flush()
    headers = {"Trace-Id": "abc-123", "X-Empty-Body": "yes"}
    await pub_nc.publish("hdr", b"body", headers=headers)
    await pub_nc.publish("hdr", b"", headers={"Only": "headers"})
    await pub_nc.publish("hdr", b"plain")
    await pub_nc.flush()
    first, second, third = await collect(sub, 3)
    assert first.data == b"body"
    assert first.headers == headers
    assert second.data == b""
    assert second.headers == {"Only": "headers"}
    assert third.data == b"plain"
    assert not third.headers


async def test_large_payloads_with_headers_to_several_subscribers(pynatsd_server: Server, nc: Any) -> None:
    receivers = [await nc(pynatsd_server) for _ in range(3)]
    subs = [await r.subscribe("blob") for r in receivers]
    await asyncio.gather(*(r.flush() for r in receivers))
    publisher = await nc(pynatsd_server)
    sizes = [0, 1, 2047, 2048, 4096, 512 * 1024, 1024 * 1024 - 100]
    blobs = [bytes([i % 251]) * size for i, size in enumerate(sizes)]
    for i, blob in enumerate(blobs):
        await publisher.publish("blob", blob, headers={"N": str(i)})
    await publisher.flush()
    for sub in subs:
        msgs = await collect(sub, len(blobs), wait=5)
        assert [m.headers for m in msgs] == [{"N": str(i)} for i in range(len(blobs))]
        assert [m.data for m in msgs] == blobs


async def test_interest_changes_apply_to_the_next_publish(pynatsd_server: Server, nc: Any) -> None:
    # The same subject is published between each change, so a stale cached match would show. Each
    # message is taken before the next change, as nats-py drops what is queued on unsubscribe.
    client = await nc(pynatsd_server)
    publisher = await nc(pynatsd_server)

    async def send(n: int, *receivers: Any) -> None:
        await publisher.publish("x.y.z", str(n).encode())
        await publisher.flush()
        for sub in receivers:
            assert (await sub.next_msg(timeout=WAIT)).data == str(n).encode()
        await client.flush()

    star = await client.subscribe("x.*.z")
    await client.flush()
    await send(1, star)
    full = await client.subscribe("x.>")
    literal = await client.subscribe("x.y.z")
    await client.flush()
    await send(2, star, full, literal)
    await star.unsubscribe()
    await client.flush()
    await send(3, full, literal)
    await full.unsubscribe()
    await literal.unsubscribe()
    await client.flush()
    with pytest.raises(nats.errors.NoRespondersError):
        await publisher.request("x.y.z", b"4", timeout=WAIT)
    late = await client.subscribe("x.y.*")
    await client.flush()
    await send(5, late)
    await assert_quiet(late)


async def test_auto_unsubscribe_is_enforced_by_the_server(pynatsd_server: Server, nc: Any) -> None:
    sub_nc = await nc(pynatsd_server)
    pub_nc = await nc(pynatsd_server)
    sub = await sub_nc.subscribe("limited")
    # `UNSUB <sid> 3` on the wire: the server removes the interest after the third message.
    await sub.unsubscribe(limit=3)
    await sub_nc.flush()
    for i in range(10):
        await pub_nc.publish("limited", str(i).encode())
    await pub_nc.flush()
    msgs = await collect(sub, 3)
    assert [m.data for m in msgs] == [b"0", b"1", b"2"]
    assert pynatsd_server.totals().out_msgs == 3
    # Nobody is left to answer on the subject.
    with pytest.raises(nats.errors.NoRespondersError):
        await pub_nc.request("limited", b"", timeout=WAIT)


async def test_subscribe_with_max_msgs(pynatsd_server: Server, nc: Any) -> None:
    # nats-py applies `max_msgs` in the client only (it sends no UNSUB), so this checks the
    # client-visible result: exactly the first three messages.
    sub_nc = await nc(pynatsd_server)
    pub_nc = await nc(pynatsd_server)
    sub = await sub_nc.subscribe("capped", max_msgs=3)
    await sub_nc.flush()
    for i in range(10):
        await pub_nc.publish("capped", str(i).encode())
    await pub_nc.flush()
    await sub_nc.flush()
    msgs = await collect(sub, 3)
    assert [m.data for m in msgs] == [b"0", b"1", b"2"]
    await assert_quiet(sub)


async def test_unsubscribe_with_limit_after_some_messages(pynatsd_server: Server, nc: Any) -> None:
    sub_nc = await nc(pynatsd_server)
    pub_nc = await nc(pynatsd_server)
    sub = await sub_nc.subscribe("later")
    await sub_nc.flush()
    await pub_nc.publish("later", b"a")
    await pub_nc.flush()
    await collect(sub, 1)
    # Limit counts every message delivered on the subscription, the one already received included.
    await sub.unsubscribe(limit=3)
    await sub_nc.flush()
    for i in range(5):
        await pub_nc.publish("later", str(i).encode())
    await pub_nc.flush()
    msgs = await collect(sub, 2)
    assert [m.data for m in msgs] == [b"0", b"1"]
    with pytest.raises(nats.errors.NoRespondersError):
        await pub_nc.request("later", b"", timeout=WAIT)


async def test_unsubscribe_stops_delivery(pynatsd_server: Server, nc: Any) -> None:
    sub_nc = await nc(pynatsd_server)
    pub_nc = await nc(pynatsd_server)
    keep = await sub_nc.subscribe("u.keep")
    gone = await sub_nc.subscribe("u.gone")
    await sub_nc.flush()
    await gone.unsubscribe()
    await sub_nc.flush()
    await pub_nc.publish("u.gone", b"x")
    await pub_nc.publish("u.keep", b"y")
    await pub_nc.flush()
    (msg,) = await collect(keep, 1)
    assert msg.data == b"y"
    with pytest.raises(nats.errors.NoRespondersError):
        await pub_nc.request("u.gone", b"", timeout=WAIT)


async def test_flush_is_a_server_roundtrip(pynatsd_server: Server, nc: Any) -> None:
    sub_nc = await nc(pynatsd_server)
    pub_nc = await nc(pynatsd_server)
    sub = await sub_nc.subscribe("flushed")
    # Once flush returns the server has processed the SUB, so a publish from another connection
    # cannot overtake it.
    await sub_nc.flush(timeout=WAIT)
    await pub_nc.publish("flushed", b"after-flush")
    await pub_nc.flush(timeout=WAIT)
    (msg,) = await collect(sub, 1)
    assert msg.data == b"after-flush"
    # After the publisher's flush every message it sent has been routed.
    assert pynatsd_server.totals().in_msgs >= 1


async def test_no_echo_connection_does_not_receive_its_own_messages(pynatsd_server: Server, nc: Any) -> None:
    quiet_nc = await nc(pynatsd_server, no_echo=True)
    echo_nc = await nc(pynatsd_server)
    quiet_sub = await quiet_nc.subscribe("chat")
    echo_sub = await echo_nc.subscribe("chat")
    await quiet_nc.flush()
    await echo_nc.flush()

    await quiet_nc.publish("chat", b"from-quiet")
    await quiet_nc.flush()
    await echo_nc.publish("chat", b"from-echo")
    await echo_nc.flush()

    assert [m.data for m in await collect(echo_sub, 2)] == [b"from-quiet", b"from-echo"]
    assert [m.data for m in await collect(quiet_sub, 1)] == [b"from-echo"]
    await quiet_nc.flush()
    await assert_quiet(quiet_sub)


async def test_drain_delivers_pending_messages_then_closes(pynatsd_server: Server, nc: Any) -> None:
    closed = asyncio.Event()

    async def on_closed() -> None:
        closed.set()

    sub_nc = await nc(pynatsd_server, closed_cb=on_closed)
    pub_nc = await nc(pynatsd_server)
    handled: list[int] = []

    async def slow_handler(msg: Any) -> None:
        await asyncio.sleep(0.001)
        handled.append(int(msg.data))

    await sub_nc.subscribe("work", cb=slow_handler)
    await sub_nc.flush()
    for i in range(200):
        await pub_nc.publish("work", str(i).encode())
    await pub_nc.flush()

    await asyncio.wait_for(sub_nc.drain(), 10)
    await asyncio.wait_for(closed.wait(), WAIT)
    assert handled == list(range(200))
    assert sub_nc.is_closed
    # The subscription is gone from the server along with the connection.
    await wait_until(lambda: len(pynatsd_server.clients) == 1)
    with pytest.raises(nats.errors.NoRespondersError):
        await pub_nc.request("work", b"", timeout=WAIT)


async def test_subscription_drain_keeps_connection_open(pynatsd_server: Server, nc: Any) -> None:
    client = await nc(pynatsd_server)
    sub = await client.subscribe("sd")
    await client.flush()
    for i in range(20):
        await client.publish("sd", str(i).encode())
    await client.flush()
    # A drain completes once every queued message has been taken, so consume while it runs.
    drain = asyncio.create_task(sub.drain())
    msgs = await collect(sub, 20)
    await asyncio.wait_for(drain, WAIT)
    assert [int(m.data) for m in msgs] == list(range(20))
    assert client.is_connected
    with pytest.raises(nats.errors.NoRespondersError):
        await client.request("sd", b"", timeout=WAIT)


async def test_fifty_concurrent_clients(pynatsd_server: Server, nc: Any) -> None:
    n_clients = 50
    per_client = 10
    clients = await asyncio.gather(*(nc(pynatsd_server, name=f"c{i}") for i in range(n_clients)))
    counts = [0] * n_clients
    direct: list[list[bytes]] = [[] for _ in range(n_clients)]
    done = asyncio.Event()
    expected_all = n_clients * per_client

    def on_all(i: int) -> Any:
        async def handler(msg: Any) -> None:
            counts[i] += 1
            if all(c == expected_all for c in counts) and all(len(d) == per_client for d in direct):
                done.set()

        return handler

    def on_direct(i: int) -> Any:
        async def handler(msg: Any) -> None:
            direct[i].append(msg.data)
            if all(c == expected_all for c in counts) and all(len(d) == per_client for d in direct):
                done.set()

        return handler

    for i, client in enumerate(clients):
        await client.subscribe("all", cb=on_all(i))
        await client.subscribe(f"direct.{i}", cb=on_direct(i))
    await asyncio.gather(*(c.flush() for c in clients))
    assert len(pynatsd_server.clients) == n_clients

    async def publish(i: int, client: Any) -> None:
        for k in range(per_client):
            await client.publish("all", f"{i}:{k}".encode())
            await client.publish(f"direct.{(i + 1) % n_clients}", f"{i}:{k}".encode())
        await client.flush()

    await asyncio.gather(*(publish(i, c) for i, c in enumerate(clients)))
    await asyncio.wait_for(done.wait(), 10)
    assert counts == [expected_all] * n_clients
    for i, got in enumerate(direct):
        sender = (i - 1) % n_clients
        assert got == [f"{sender}:{k}".encode() for k in range(per_client)]
