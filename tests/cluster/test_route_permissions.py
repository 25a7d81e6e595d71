# Route permissions: `import` limits the interest a server announces to its peers (so what they send
# it), `export` the interest it accepts from them (so what it sends them). Checked between pynatsd
# servers, where the routes' interest tables can be read directly, and against nats-server.
#
# Absence is proved by order, not by waiting: interest and messages cross a route in the order they
# were sent, so once something sent later has arrived, what was filtered out would have too.
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import nats
import nats.errors
import pytest
import pytest_asyncio

from conftest import client_url, config_process, process_route_url
from pynatsd import Server
from pynatsd.testing.cluster import start_node, wait_interest, wait_mesh
from pynatsd.testing.servers import ServerProcess, nats_server_binary

pytestmark = pytest.mark.timeout(60)

PERMISSIONS = {
    "import": ["in.>", "_INBOX.>"],
    "export": {"allow": ["out.>", "_INBOX.>"], "deny": ["out.secret"]},
}


@pytest_asyncio.fixture
async def pair() -> AsyncIterator[tuple[Server, Server]]:
    """`guarded` with route permissions, routed to `open` with none."""
    guarded = await start_node(name="guarded", cluster_block={"permissions": PERMISSIONS})
    try:
        other = await start_node([guarded], name="open")
        try:
            await wait_mesh([guarded, other])
            yield guarded, other
        finally:
            await other.shutdown()
    finally:
        await guarded.shutdown()


def _knows(srv: Server, subject: str) -> bool:
    return srv.global_account.sublist.has_interest(subject.encode())


async def test_import_limits_the_interest_announced(pair: tuple[Server, Server], nc: Any) -> None:
    guarded, other = pair
    local = await nc(guarded)
    remote = await nc(other)
    hidden = await local.subscribe("elsewhere.x")
    sub = await local.subscribe("in.x")
    await local.flush()
    await wait_interest([other], "in.x")
    assert not _knows(other, "elsewhere.x")
    await remote.publish("elsewhere.x", b"no")
    await remote.publish("in.x", b"yes")
    assert (await sub.next_msg(timeout=5)).data == b"yes"
    assert hidden.pending_msgs == 0
    assert guarded.cluster is not None
    info = guarded.cluster.route_info()
    assert info["import"] == {"allow": ["in.>", "_INBOX.>"]}
    assert info["export"] == {"allow": ["out.>", "_INBOX.>"], "deny": ["out.secret"]}


async def test_export_limits_the_interest_accepted(pair: tuple[Server, Server], nc: Any) -> None:
    guarded, other = pair
    local = await nc(guarded)
    remote = await nc(other)
    await remote.subscribe("elsewhere.y")
    sub = await remote.subscribe("out.y")
    await remote.flush()
    await wait_interest([guarded], "out.y")
    assert not _knows(guarded, "elsewhere.y")
    with pytest.raises(nats.errors.NoRespondersError):
        await local.request("elsewhere.y", b"", timeout=1.0)
    await local.publish("out.y", b"yes")
    assert (await sub.next_msg(timeout=5)).data == b"yes"


async def test_export_deny_holds_back_matching_messages(pair: tuple[Server, Server], nc: Any) -> None:
    guarded, other = pair
    local = await nc(guarded)
    remote = await nc(other)
    sub = await remote.subscribe("out.>")
    await remote.flush()
    await wait_interest([guarded], "out.ok")
    await local.publish("out.secret", b"held back")
    await local.publish("out.ok", b"sent")
    msg = await sub.next_msg(timeout=5)
    assert (msg.subject, msg.data) == ("out.ok", b"sent")


needs_nats_server = pytest.mark.skipif(nats_server_binary() is None, reason="nats-server is not installed")


@needs_nats_server
async def test_permissions_with_nats_server() -> None:
    block = '  permissions { import: ["in.>", "_INBOX.>"], export: ["out.>", "_INBOX.>"] }'
    procs: list[ServerProcess] = []
    try:
        seed = config_process("nats-server", "ref").start()
        procs.append(seed)
        procs.append(config_process("pynatsd", "guarded", [process_route_url(seed)], cluster=block).start())
        ref_url, py_url = (client_url(p) for p in procs)
        await _requests_across(ref_url, py_url)
    finally:
        for p in procs:
            p.stop()


async def _requests_across(ref_url: str, py_url: str) -> None:
    ref = await nats.connect(ref_url)
    py = await nats.connect(py_url)
    try:

        async def answer(msg: Any) -> None:
            await msg.respond(b"ok:" + msg.subject.encode())

        for nc, subjects in ((ref, ("elsewhere.a", "out.a")), (py, ("elsewhere.b", "in.b"))):
            for subject in subjects:
                await nc.subscribe(subject, cb=answer)
            await nc.flush()
        # Each filtered subject was subscribed before the allowed one on the same connection, so
        # once the allowed one answers, the filtered one has been through the route's filter.
        assert (await _until_answered(py, "out.a")).data == b"ok:out.a"
        assert (await _until_answered(ref, "in.b")).data == b"ok:in.b"
        for nc, subject in ((py, "elsewhere.a"), (ref, "elsewhere.b")):
            with pytest.raises(nats.errors.NoRespondersError):
                await nc.request(subject, b"", timeout=1.0)
    finally:
        await ref.close()
        await py.close()


async def _until_answered(nc: Any, subject: str) -> Any:
    async with asyncio.timeout(10):
        while True:
            try:
                return await nc.request(subject, b"", timeout=1.0)
            except nats.errors.NoRespondersError:
                await asyncio.sleep(0.05)
