# In-process clusters for tests: several pynatsd servers in the running loop, routed to each other
# on 127.0.0.1 at ports they pick themselves.
#
# `async with run_cluster(3) as servers:` starts a seed and routes every other server to it only;
# gossip completes the mesh, and the context waits for it (every server routing to every other)
# before handing the servers over. Keyword arguments are Options overrides for every server.
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from pynatsd.core.server import Server
from pynatsd.testing.embedded import start_server, wait_until

__all__ = ["route_url", "run_cluster", "start_node", "wait_interest", "wait_mesh"]

DEFAULT_CLUSTER = "C1"


def route_url(srv: Server) -> str:
    """The address other servers route to `srv` at."""
    assert srv.cluster is not None, "server has no cluster listener"
    return f"nats-route://127.0.0.1:{srv.cluster.port}"


async def start_node(seeds: Sequence[Server] = (), name: str = "", **overrides: Any) -> Server:
    """Start one clustered server routed to `seeds`; the caller shuts it down."""
    settings: dict[str, Any] = {
        "cluster_host": "127.0.0.1",
        "cluster_port": -1,
        "cluster_name": DEFAULT_CLUSTER,
    }
    settings.update(overrides)
    return await start_server(server_name=name, routes=[route_url(s) for s in seeds], **settings)


async def wait_mesh(servers: Sequence[Server], within: float = 10.0) -> None:
    """Until every server has a route to every other one (and to no one else)."""
    ids = {s.server_id for s in servers}

    def full() -> bool:
        for s in servers:
            assert s.cluster is not None
            if set(s.cluster.routes) | {s.server_id} != ids or len(s.cluster.routes) != len(ids) - 1:
                return False
        return True

    await wait_until(full, within)


async def wait_interest(servers: Sequence[Server], subject: str, within: float = 5.0) -> None:
    """Until every server in `servers` knows of a subscriber (local or remote) for `subject`."""
    subj = subject.encode()
    await wait_until(lambda: all(s.global_account.sublist.has_interest(subj) for s in servers), within)


@asynccontextmanager
async def run_cluster(n: int, **overrides: Any) -> AsyncIterator[list[Server]]:
    servers: list[Server] = []
    try:
        servers.append(await start_node(name="n0", **overrides))
        for i in range(1, n):
            servers.append(await start_node([servers[0]], name=f"n{i}", **overrides))
        await wait_mesh(servers)
        yield servers
    finally:
        for srv in reversed(servers):
            await srv.shutdown()
        for _ in range(3):
            await asyncio.sleep(0)
