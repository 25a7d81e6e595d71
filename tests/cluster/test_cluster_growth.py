# Membership: a five-server mesh built from one seed, a server added later that every server and
# every client learns about, and lame-duck mode moving clients to the other servers.
from __future__ import annotations

import asyncio
import json
from typing import Any

import nats.errors

from conftest import start_node, wait_interest, wait_mesh
from pynatsd.testing.embedded import wait_until

WAIT = 5.0


def _ports(urls: list[Any]) -> set[int]:
    return {int(u.port) for u in urls}


async def test_five_servers_learn_each_other_from_one_seed(cluster_factory: Any, nc: Any) -> None:
    servers = await cluster_factory(4)
    watcher = await nc(servers[1])
    assert _ports(watcher.discovered_servers) == {s.port for s in servers} - {servers[1].port}
    # The newcomer knows only the last server; gossip brings it to all the others.
    late = await start_node([servers[3]], name="late")
    try:
        everyone = [*servers, late]
        await wait_mesh(everyone)
        await wait_until(lambda: late.port in _ports(watcher.discovered_servers), WAIT)
        sub = await (await nc(late)).subscribe("five.>")
        await sub._conn.flush()
        await wait_interest(everyone, "five.x")
        for i, srv in enumerate(servers):
            await (await nc(srv)).publish(f"five.{i}", b"%d" % i)
        got = sorted([(await sub.next_msg(timeout=WAIT)).data for _ in servers])
        assert got == [b"0", b"1", b"2", b"3"]
    finally:
        await late.shutdown()
    assert servers[1].cluster is not None
    await wait_until(lambda: late.server_id not in servers[1].cluster.routes, WAIT)  # type: ignore[union-attr]


async def test_async_info_when_a_server_joins_and_leaves(cluster_factory: Any) -> None:
    a, b = await cluster_factory(2)
    infos: list[dict[str, Any]] = []
    reader, writer = await asyncio.open_connection("127.0.0.1", a.port)
    try:
        await reader.readline()
        writer.write(b'CONNECT {"protocol":1,"verbose":false}\r\nPING\r\n')
        await writer.drain()
        late = await start_node([b], name="late")
        await wait_mesh([a, b, late])
        await late.shutdown()

        async def collect() -> None:
            while True:
                line = await reader.readline()
                if line.startswith(b"INFO "):
                    infos.append(json.loads(line[5:]))
                    if len(infos) >= 3:
                        return

        await asyncio.wait_for(collect(), WAIT)
    finally:
        writer.close()
    late_url = f"127.0.0.1:{late.port}"
    assert infos[0]["cluster"] == "C1"
    assert late_url not in infos[0]["connect_urls"]
    assert late_url in infos[1]["connect_urls"]
    assert late_url not in infos[2]["connect_urls"]
    assert f"127.0.0.1:{b.port}" in infos[2]["connect_urls"]


async def test_lame_duck_moves_clients_without_losing_requests(cluster_factory: Any, nc: Any) -> None:
    a, b, c = await cluster_factory(3, lame_duck_grace_period=0.3, lame_duck_duration=1.0)
    service = await nc(c)

    async def answer(msg: Any) -> None:
        await msg.respond(b"ok:" + msg.data)

    await service.subscribe("ldm.svc", cb=answer)
    await service.flush()
    await wait_interest([a, b], "ldm.svc")
    moved = asyncio.Event()

    async def on_reconnect() -> None:
        moved.set()

    requester = await nc(a, reconnected_cb=on_reconnect, reconnect_time_wait=0.1)
    answered: list[bytes] = []
    retries = 0
    stop = asyncio.Event()

    async def ask() -> None:
        # A request in flight at the moment its server closes the connection loses its reply (as
        # with nats-server): the client asks again once it has moved.
        nonlocal retries
        k = 0
        while not stop.is_set():
            try:
                reply = await requester.request("ldm.svc", b"%d" % k, timeout=1.0)
            except nats.errors.TimeoutError:
                retries += 1
                continue
            answered.append(reply.data)
            k += 1
            await asyncio.sleep(0.01)

    task = asyncio.create_task(ask())
    await asyncio.sleep(0.2)
    a.enter_lame_duck()
    await asyncio.wait_for(moved.wait(), WAIT)
    await asyncio.sleep(0.3)
    stop.set()
    await asyncio.wait_for(task, WAIT)
    assert requester.connected_url.port in (b.port, c.port)
    assert answered == [b"ok:%d" % k for k in range(len(answered))]
    assert retries <= 1
    await a.wait_for_shutdown()
