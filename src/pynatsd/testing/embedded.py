# In-process servers for tests that drive pynatsd with real clients over real sockets.
#
# A test wants a server in its own event loop, on a loopback port nobody else holds, gone when the
# test ends whatever happened. run_server gives exactly that: it binds 127.0.0.1 on a port the
# kernel picks, starts the server in the running loop and shuts it down on exit, so clients connect
# to `srv.client_url` and the test can also look at the server's state directly (`srv.stats`,
# `srv.clients`). Keyword overrides are Options fields; `port=srv.port` restarts a server on the port
# of a stopped one, which is how reconnect scenarios are written.
from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, Final

from pynatsd.core.server import Server
from pynatsd.logger import Logger
from pynatsd.options import RANDOM_PORT, Options

__all__ = ["LOOPBACK", "run_server", "start_server", "wait_until"]

LOOPBACK: Final = "127.0.0.1"


async def start_server(
    options: Options | None = None, /, *, logger: Logger | None = None, **overrides: Any
) -> Server:
    """Start a server in the running loop; the caller shuts it down.

    The listener is 127.0.0.1 on a random port unless `host` or `port` are given as keywords; other
    keywords override fields of `options` (or of the defaults).
    """
    settings: dict[str, Any] = {"host": LOOPBACK, "port": RANDOM_PORT}
    settings.update(overrides)
    srv = Server(options, logger=logger, **settings)
    try:
        await srv.start()
    except BaseException:
        await srv.shutdown()
        raise
    return srv


@asynccontextmanager
async def run_server(
    options: Options | None = None, /, *, logger: Logger | None = None, **overrides: Any
) -> AsyncIterator[Server]:
    """`async with run_server(max_payload=1024) as srv:` a started server, shut down on exit."""
    srv = await start_server(options, logger=logger, **overrides)
    try:
        yield srv
    finally:
        await srv.shutdown()
        # Let the transports closed by the shutdown run their connection_lost callbacks while the
        # loop is still alive.
        for _ in range(3):
            await asyncio.sleep(0)


async def wait_until(predicate: Callable[[], bool], within: float = 5.0, *, interval: float = 0.005) -> None:
    """Poll `predicate` until it is true; raise TimeoutError after `within` seconds.

    For server state that has no event to wait on (a connection gone from `srv.clients`, a counter in
    `srv.stats`).
    """
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() >= deadline:
            raise TimeoutError(f"condition not met within {within}s")
        await asyncio.sleep(interval)
