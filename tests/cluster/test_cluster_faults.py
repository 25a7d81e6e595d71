# Servers that die: kill -9 one member of a busy cluster. The others keep routing among
# themselves, the dead server's clients reconnect elsewhere (nats-py learned the other servers
# from INFO connect_urls) without losing a request, and when the server comes back it rejoins the
# mesh and its interest is rebuilt on every side.
from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from typing import Any

import nats
import nats.errors
import pytest

from conftest import client_url, node_process, process_route_url, wait_connected
from pynatsd.testing.servers import ServerProcess

pytestmark = pytest.mark.timeout(120)

WAIT = 5.0


@pytest.fixture
def three() -> Any:
    procs: list[ServerProcess] = []
    try:
        seed = node_process("pynatsd", "f0").start()
        procs.append(seed)
        seed_route = process_route_url(seed)
        for i in (1, 2):
            procs.append(node_process("pynatsd", f"f{i}", [seed_route]).start())
        yield procs, seed_route
    finally:
        for p in procs:
            p.stop()


def _kill9(proc: ServerProcess) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    assert proc._proc is not None
    proc._proc.wait(5)


async def _request(nc: Any, subject: str, data: bytes, attempts: int = 20) -> bytes:
    """A request, retried while the cluster heals (the application-level retry every client does)."""
    for _ in range(attempts):
        try:
            reply = await nc.request(subject, data, timeout=1.0)
            return bytes(reply.data)
        except (
            nats.errors.TimeoutError,
            nats.errors.NoRespondersError,
            nats.errors.ConnectionReconnectingError,
        ):
            await asyncio.sleep(0.1)
    raise AssertionError(f"request {data!r} never answered")


async def test_killed_server_moves_its_clients_without_losing_requests(three: Any) -> None:
    procs, _ = three
    urls = [client_url(p) for p in procs]
    await wait_connected(urls)
    # The responder and one requester sit on the server that will die; each knows only that URL.
    opts: dict[str, Any] = {"reconnect_time_wait": 0.1, "max_reconnect_attempts": -1}
    responder: Any = await nats.connect(urls[2], **opts)
    backup: Any = await nats.connect(urls[0], **opts)
    mover: Any = await nats.connect(urls[2], **opts)
    steady: Any = await nats.connect(urls[1], **opts)
    try:
        for nc in (responder, backup):

            async def answer(msg: Any) -> None:
                await msg.respond(b"ok:" + msg.data)

            await nc.subscribe("fault.svc", queue="svc", cb=answer)
            await nc.flush()
        await wait_connected(urls)
        results: list[bytes] = []

        async def run(nc: Any, tag: bytes) -> None:
            for k in range(60):
                results.append(await _request(nc, "fault.svc", tag + b"%d" % k))
                await asyncio.sleep(0.02)

        tasks = [asyncio.create_task(run(mover, b"m")), asyncio.create_task(run(steady, b"s"))]
        await asyncio.sleep(0.4)
        _kill9(procs[2])
        await asyncio.wait_for(asyncio.gather(*tasks), 60)
        expected = {b"ok:m%d" % k for k in range(60)} | {b"ok:s%d" % k for k in range(60)}
        assert set(results) == expected
        assert mover.connected_url.port in (procs[0].port, procs[1].port)
        assert responder.connected_url.port in (procs[0].port, procs[1].port)
    finally:
        for nc in (responder, backup, mover, steady):
            with contextlib.suppress(Exception):
                await nc.close()


async def test_kill9_in_a_busy_cluster_then_rejoin(three: Any) -> None:
    procs, seed_route = three
    urls = [client_url(p) for p in procs]
    await wait_connected(urls)
    pub = await nats.connect(urls[0])
    sub_b = await nats.connect(urls[1])
    received: list[bytes] = []

    async def on_msg(msg: Any) -> None:
        received.append(msg.data)

    await sub_b.subscribe("busy.>", cb=on_msg)
    await sub_b.flush()
    stop = asyncio.Event()

    async def publish() -> None:
        k = 0
        while not stop.is_set():
            await pub.publish(f"busy.{k % 7}", b"%d" % k)
            k += 1
            if k % 50 == 0:
                await pub.flush()
                await asyncio.sleep(0.005)

    reborn: ServerProcess | None = None
    task = asyncio.create_task(publish())
    try:
        await asyncio.sleep(0.5)
        _kill9(procs[2])
        before = len(received)
        await asyncio.sleep(1.0)
        assert len(received) > before + 100, "the survivors stopped routing"
        stop.set()
        await task
        reborn = node_process("pynatsd", "f2-reborn", [seed_route]).start()
        await wait_connected([urls[0], urls[1], client_url(reborn)])
        # Interest is rebuilt both ways: B's subscription is known to the newcomer, and the
        # newcomer's subscription is known to A.
        newcomer = await nats.connect(client_url(reborn))
        got = await newcomer.subscribe("back.>")
        await newcomer.flush()
        n = len(received)
        async with asyncio.timeout(WAIT):
            while len(received) == n:
                await newcomer.publish("busy.reborn", b"hi")
                await newcomer.flush()
                await asyncio.sleep(0.1)
        async with asyncio.timeout(WAIT):
            while True:
                await pub.publish("back.here", b"again")
                await pub.flush()
                try:
                    msg = await got.next_msg(timeout=0.2)
                    break
                except nats.errors.TimeoutError:
                    continue
        assert msg.data == b"again"
        await newcomer.close()
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            await task
        for nc in (pub, sub_b):
            await nc.close()
        if reborn is not None:
            reborn.stop()
