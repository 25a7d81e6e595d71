# Clusters for the cluster tests: in-process servers in the test's event loop (cheap to start, and
# their route tables can be inspected directly), and child-process servers where a test must kill
# one or mix in nats-server. Everything binds 127.0.0.1 on ports the servers pick themselves.
from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import nats
import pytest_asyncio

from pynatsd import Server
from pynatsd.logger import Logger
from pynatsd.testing.cluster import DEFAULT_CLUSTER
from pynatsd.testing.cluster import start_node as start_node
from pynatsd.testing.cluster import wait_interest as wait_interest
from pynatsd.testing.cluster import wait_mesh as wait_mesh
from pynatsd.testing.servers import ServerKind, ServerProcess

CLUSTER = DEFAULT_CLUSTER
_ROUTE_PORT_RE = re.compile(r"Listening for route connections on \S+:(\d+)")


class CapturedLog(Logger):
    """A server log kept in memory, for tests that look for a line."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def _write(self, level: str, msg: str) -> None:
        self.lines.append(f"[{level}] {msg}")

    def count(self, text: str) -> int:
        return sum(text in line for line in self.lines)


@pytest_asyncio.fixture
async def cluster_factory() -> AsyncIterator[Callable[..., Awaitable[list[Server]]]]:
    """`servers = await cluster_factory(3)`: a full mesh seeded from the first server."""
    started: list[Server] = []

    async def make(n: int, **overrides: Any) -> list[Server]:
        seed = await start_node(name=f"n{len(started)}", **overrides)
        started.append(seed)
        servers = [seed]
        for _ in range(n - 1):
            srv = await start_node([seed], name=f"n{len(started)}", **overrides)
            started.append(srv)
            servers.append(srv)
        await wait_mesh(servers)
        return servers

    yield make
    for srv in reversed(started):
        await srv.shutdown()
    for _ in range(3):
        await asyncio.sleep(0)


def node_process(
    kind: ServerKind, name: str, routes: Sequence[str] = (), *, cluster_port: int = -1
) -> ServerProcess:
    args = ["-n", name, "--cluster_name", CLUSTER, "--cluster", f"nats://127.0.0.1:{cluster_port}"]
    if routes:
        args += ["--routes", ",".join(routes)]
    return ServerProcess(kind, args=args, start_timeout=20.0)


def config_process(
    kind: ServerKind, name: str, routes: Sequence[str] = (), *, cluster: str = "", top: str = ""
) -> ServerProcess:
    """A clustered server from a config file; `cluster` goes into its cluster block, `top` outside."""
    listed = ", ".join(f'"{r}"' for r in routes)
    text = (
        f"server_name: {name}\n{top}\n"
        f'cluster {{\n  name: {CLUSTER}\n  listen: "127.0.0.1:-1"\n  routes: [{listed}]\n{cluster}\n}}\n'
    )
    return ServerProcess(kind, config=text, start_timeout=20.0)


def process_route_url(proc: ServerProcess) -> str:
    line = proc.wait_for_log(_ROUTE_PORT_RE, timeout=10.0)
    m = _ROUTE_PORT_RE.search(line)
    assert m is not None
    return f"nats-route://127.0.0.1:{m.group(1)}"


def client_url(proc: ServerProcess) -> str:
    return f"nats://127.0.0.1:{proc.port}"


async def wait_connected(urls: Sequence[str], within: float = 20.0) -> None:
    """Until every server routes to every other one: each answers requests sent from all others."""
    clients = [await nats.connect(u) for u in urls]
    try:
        for i, nc in enumerate(clients):

            async def echo(msg: Any) -> None:
                await msg.respond(b"ok")

            await nc.subscribe(f"probe.{i}", cb=echo)
            await nc.flush()
        deadline = time.monotonic() + within
        for i in range(len(clients)):
            for j, other in enumerate(clients):
                if i != j:
                    await _until_answered(other, f"probe.{i}", deadline)
    finally:
        for nc in clients:
            await nc.close()


async def _until_answered(nc: Any, subject: str, deadline: float) -> None:
    while True:
        try:
            await nc.request(subject, b"", timeout=0.5)
            return
        except (nats.errors.NoRespondersError, nats.errors.TimeoutError):
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)
