# Fixtures shared by the JetStream integration tests: a JetStream server on a temporary store
# directory, a nats-py connection to it, and its JetStream context.
from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest_asyncio

from pynatsd import Server
from pynatsd.testing import run_server


@pytest_asyncio.fixture
async def js_server(tmp_path: Path) -> AsyncIterator[Server]:
    async with run_server(jetstream=True, store_dir=str(tmp_path)) as srv:
        yield srv


@pytest_asyncio.fixture
async def client(js_server: Server, nc: Any) -> Any:
    return await nc(js_server)


@pytest_asyncio.fixture
async def js(client: Any) -> Any:
    return client.jetstream()
