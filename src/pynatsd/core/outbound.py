# Outbound batching: every connection with queued bytes is flushed once per read or loop pass.
#
# A connection that gets its first bytes is marked; the first mark schedules one flush callback
# (call_soon), which runs after all reads of the current loop pass have been processed. So a burst of
# publishes to the same subscriber becomes one socket write.
#
# A big read is the exception: the event loop reads a busy socket many times in one pass (libuv up
# to 32 reads of 256 KiB), and holding every delivery until the pass ends would leave the
# subscribers idle meanwhile and then hand them megabytes at once. So a read of at least
# EAGER_FLUSH_READ bytes flushes right after it is parsed, as nats-server flushes after each read;
# small reads (requests, replies, control traffic) still coalesce until the pass ends.
from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from pynatsd.core.client import ClientConnection

__all__ = ["EAGER_FLUSH_READ", "GATHER_MIN", "HIGH_WATER", "STALL_FRACTION", "STALL_MAX", "Outbound"]

# Producer stalls (nats-server's fast-producer stall): once a connection's unsent bytes pass this
# fraction of max_pending, a publisher to it stops until it drains, for STALL_MAX at most; a
# subscriber over max_pending itself is a slow consumer.
STALL_FRACTION: Final = 0.75
STALL_MAX: Final = 0.1
# The transport buffer size at which pause_writing starts the write-deadline clock.
HIGH_WATER: Final = 64 * 1024
EAGER_FLUSH_READ: Final = 32 * 1024
# A flush whose last piece is at least this big (a large payload) hands the pieces to the transport
# as they are, which writes them with one writev, instead of joining them into one new string: that
# copy, and the allocator's churn for strings of hundreds of KiB, cost more than the extra iovecs.
GATHER_MIN: Final = 4096


class Outbound:
    __slots__ = ("_dirty", "_loop", "_scheduled")

    _loop: asyncio.AbstractEventLoop

    def __init__(self) -> None:
        self._dirty: list[ClientConnection] = []
        self._scheduled = False

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def mark(self, client: ClientConnection) -> None:
        if not self._scheduled:
            self._scheduled = True
            self._loop.call_soon(self._pass_end)
        self._dirty.append(client)

    def _pass_end(self) -> None:
        self._scheduled = False
        self.flush()

    def flush(self) -> None:
        dirty = self._dirty
        if dirty:
            self._dirty = []
            for client in dirty:
                client.flush()
