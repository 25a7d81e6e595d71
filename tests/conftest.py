# Shared by every suite, so kept minimal: the in-process server fixtures (pynatsd_server,
# pynatsd_url, the `pynatsd` marker) and `nc`, a factory of nats-py connections that are all closed
# at teardown, so a failing test never leaves a client reconnecting in the background. It also
# refuses to run against compiled modules older than their source (scripts/compile builds them).
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

pytest_plugins = ["pynatsd.testing.pytest_plugin"]

NatsConnect = Callable[..., Awaitable[Any]]


def pytest_sessionstart(session: pytest.Session) -> None:
    src = Path(__file__).resolve().parent.parent / "src" / "pynatsd"
    for ext in src.rglob("*.so"):
        source = ext.parent / (ext.name.split(".", 1)[0] + ".py")
        if source.exists() and source.stat().st_mtime > ext.stat().st_mtime:
            pytest.exit(f"{ext} is older than {source.name}: run scripts/compile (or --clean)", 2)


@pytest_asyncio.fixture
async def nc() -> AsyncIterator[NatsConnect]:
    """`client = await nc(srv_or_url, **nats_connect_kwargs)`; a Server or a list of them works too."""
    import nats

    clients: list[Any] = []

    async def connect(servers: Any, **kwargs: Any) -> Any:
        targets = servers if isinstance(servers, list) else [servers]
        urls = [s if isinstance(s, str) else s.client_url for s in targets]
        client = await nats.connect(urls, **kwargs)
        clients.append(client)
        return client

    yield connect
    for client in clients:
        if not client.is_closed:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.close(), 5)
