# pytest fixtures for an in-process pynatsd server.
#
# Enable with `pytest_plugins = ["pynatsd.testing.pytest_plugin"]` in a top-level conftest.
# `pynatsd_server` is a started server on 127.0.0.1 at a random port, one per test, shut down at
# teardown; `pynatsd_url` is its client URL. Options for the server come from the `pynatsd` marker,
# `@pytest.mark.pynatsd(max_payload=1024)`, so a test states its server next to its own code. The
# fixtures run in the test's event loop (pytest-asyncio), which is where the clients live too.
from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from pynatsd.core.server import Server
from pynatsd.testing.embedded import run_server

__all__ = ["pynatsd_server", "pynatsd_url"]

MARKER = "pynatsd"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{MARKER}(**options): Options overrides for the pynatsd_server fixture of this test"
    )


def _marker_options(request: pytest.FixtureRequest) -> dict[str, Any]:
    options: dict[str, Any] = {}
    # Closest marker last, so a function's marker overrides its class's and module's.
    for marker in reversed(list(request.node.iter_markers(MARKER))):
        if marker.args:
            raise pytest.UsageError(f"@pytest.mark.{MARKER} takes keyword options only, got {marker.args!r}")
        options.update(marker.kwargs)
    return options


@pytest_asyncio.fixture
async def pynatsd_server(request: pytest.FixtureRequest) -> AsyncIterator[Server]:
    async with run_server(**_marker_options(request)) as srv:
        yield srv


@pytest.fixture
def pynatsd_url(pynatsd_server: Server) -> str:
    return pynatsd_server.client_url
