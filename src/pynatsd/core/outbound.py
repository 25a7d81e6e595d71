# Outbound batching: every connection with queued bytes is flushed once per event-loop pass.
#
# A connection that gets its first bytes in a pass is marked; the first mark of a pass schedules one
# flush callback (call_soon), which runs after all reads of the current pass have been processed. So
# a burst of publishes to the same subscriber becomes one socket write.
from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from pynatsd.core.client import ClientConnection

__all__ = ["HIGH_WATER", "STALL_FRACTION", "STALL_MAX", "Outbound"]

# Producer stalls (nats-server's fast-producer stall): once a connection's unsent bytes pass this
# fraction of max_pending, a publisher to it stops until it drains, for STALL_MAX at most; a
# subscriber over max_pending itself is a slow consumer.
STALL_FRACTION: Final = 0.75
STALL_MAX: Final = 0.1
# The transport buffer size at which pause_writing starts the write-deadline clock.
HIGH_WATER: Final = 64 * 1024


class Outbound:
    __slots__ = ("_dirty", "_loop")

    _loop: asyncio.AbstractEventLoop

    def __init__(self) -> None:
        self._dirty: list[ClientConnection] = []

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def mark(self, client: ClientConnection) -> None:
        if not self._dirty:
            self._loop.call_soon(self.flush)
        self._dirty.append(client)

    def flush(self) -> None:
        dirty = self._dirty
        self._dirty = []
        for client in dirty:
            client.flush()
