# Memory storage for streams with `storage: memory`: the index entries are the messages themselves,
# so every read is a dict lookup and nothing is ever written anywhere.
#
# Durability is trivially "now": `flush()` returns an already completed future and `sync()` returns
# at once. Consumer state and the saved configuration live only as long as the object, as in
# nats-server, whose memory streams do not survive a restart.
from __future__ import annotations

from collections.abc import Callable

from ._index import StreamIndex
from ._indexed import IndexedStore
from .base import StoreMsg, _new_msg

__all__ = ["MemoryStore"]


def _size(sm: StoreMsg) -> int:
    return 16 + len(sm.subject) + len(sm.hdr) + len(sm.msg)


class MemoryStore(IndexedStore[StoreMsg]):
    """A `StreamStore` held entirely in memory."""

    def __init__(self, name: str, *, clock: Callable[[], int] | None = None) -> None:
        super().__init__(name, StreamIndex(_size), clock)

    def msg_size(self, subject: str, hdr: bytes, msg: bytes) -> int:
        return 16 + len(subject) + len(hdr) + len(msg)

    def store_msg(self, subject: str, hdr: bytes, msg: bytes, ttl_ns: int = 0) -> tuple[int, int]:
        if self._closed:
            self._check_writable()
        index = self._index
        seq = index.last_seq + 1
        ts = self._clock()
        if ts < index.last_ts:
            ts = index.last_ts
        sm = _new_msg(StoreMsg, (subject, hdr, msg, seq, ts))
        index.add(seq, sm, 16 + len(subject) + len(hdr) + len(msg), ttl_ns)
        return seq, ts

    def _put(self, sm: StoreMsg, size: int, ttl_ns: int) -> StoreMsg:
        return sm

    def _fetch(self, seq: int) -> StoreMsg:
        return self._index.msgs[seq]

    def load(self, seq: int) -> StoreMsg | None:
        return self._index.msgs.get(seq)

    def close(self) -> None:
        self._closed = True

    def delete(self) -> None:
        self._index.reset(0, 0)
        self._consumers.clear()
        self._meta = None
        self._closed = True
