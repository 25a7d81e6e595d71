# What both back-ends share: every query answered from the in-memory index, and every mutation's
# effect on it (sequence assignment, removals, nats-server's purge/compact/truncate rules).
#
# A back-end supplies three things: how an index entry is made from a new message (`_put`, which
# is also where the file store queues the write), how a live message is fetched (`_fetch`), and
# persistence hooks called after each index change (`_persist_*`, no-ops in memory). Mutations first
# update the index and then call the hook, so the index is always what readers see. Both back-ends
# also override `store_msg` with an inlined copy of the generic path below: it is the hot path.
from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Generic

from ._index import E, StreamIndex
from ._subject import is_all
from .base import AckPolicy, ConsumerStore, SimpleState, StoreClosed, StoreError, StoreMsg, StreamState
from .consumer import ConsumerStateStore

__all__ = ["IndexedStore"]


class IndexedStore(Generic[E]):
    """Queries and mutations over a `StreamIndex`; subclasses add storage."""

    def __init__(self, name: str, index: StreamIndex[E], clock: Callable[[], int] | None) -> None:
        self._name = name
        self._index = index
        self._clock = clock or time.time_ns
        self._consumers: dict[str, ConsumerStateStore] = {}
        self._meta: bytes | None = None
        self._closed = False
        # Messages read ahead of need (see `prefetch`); liveness still comes from the index, so an
        # entry only has to be dropped when its sequence could be reused or it stops being live.
        self._ahead: dict[int, StoreMsg] = {}

    @property
    def name(self) -> str:
        return self._name

    # -- back-end hooks ---------------------------------------------------------------------------

    def msg_size(self, subject: str, hdr: bytes, msg: bytes) -> int:
        raise NotImplementedError

    def _put(self, sm: StoreMsg, size: int, ttl_ns: int) -> E:
        raise NotImplementedError

    def _fetch(self, seq: int) -> StoreMsg:
        raise NotImplementedError

    def _check_writable(self) -> None:
        if self._closed:
            raise StoreClosed(f"stream store {self._name!r} is closed")

    def _persist_remove(self, seq: int, erase: bool) -> None:
        pass

    def _persist_below(self, seq: int) -> None:
        pass

    def _persist_above(self, seq: int) -> None:
        pass

    def _persist_marks(self) -> None:
        pass

    def _persist_consumer(self, cs: ConsumerStateStore, config: bool) -> None:
        pass

    def _persist_consumer_delete(self, name: str) -> None:
        pass

    def flush(self, start: bool = False) -> asyncio.Future[None]:
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        fut.set_result(None)
        return fut

    def sync(self) -> None:
        pass

    # -- writes -----------------------------------------------------------------------------------

    def store_msg(self, subject: str, hdr: bytes, msg: bytes, ttl_ns: int = 0) -> tuple[int, int]:
        self._check_writable()
        index = self._index
        seq = index.last_seq + 1
        ts = self._clock()
        if ts < index.last_ts:
            ts = index.last_ts
        sm = StoreMsg(subject, hdr, msg, seq, ts)
        size = self.msg_size(subject, hdr, msg)
        index.add(seq, self._put(sm, size, ttl_ns), size, ttl_ns)
        return seq, ts

    def store_raw_msg(self, subject: str, hdr: bytes, msg: bytes, seq: int, ts: int, ttl_ns: int = 0) -> None:
        self._check_writable()
        index = self._index
        if seq != index.last_seq + 1:
            raise StoreError(f"sequence mismatch: expected {index.last_seq + 1}, got {seq}")
        sm = StoreMsg(subject, hdr, msg, seq, ts)
        size = self.msg_size(subject, hdr, msg)
        index.add(seq, self._put(sm, size, ttl_ns), size, ttl_ns)

    def skip_msgs(self, seq: int, num: int) -> None:
        self._check_writable()
        if seq != self._index.last_seq + 1:
            raise StoreError(f"sequence mismatch: expected {self._index.last_seq + 1}, got {seq}")
        if num <= 0:
            return
        self._index.skip(seq, num, self._clock())
        self._persist_marks()

    def remove(self, seq: int, erase: bool = False) -> bool:
        self._check_writable()
        self._ahead.pop(seq, None)
        if self._index.remove(seq) is None:
            return False
        self._persist_remove(seq, erase)
        return True

    def compact(self, seq: int) -> int:
        self._check_writable()
        self._ahead.clear()
        index = self._index
        if seq <= 0:
            return self._purge_all()
        if seq > index.last_seq:
            dropped = index.reset(seq, seq - 1)
            self._persist_below(seq)
            return dropped
        removed = 0
        while index.msgs and index.first_seq < seq:
            index.remove(index.first_seq)
            removed += 1
        if removed:
            self._persist_below(seq)
        return removed

    def _purge_all(self) -> int:
        index = self._index
        dropped = index.reset(index.last_seq + 1, index.last_seq)
        self._persist_below(index.last_seq + 1)
        return dropped

    def _remove_oldest(self, count: int) -> int:
        index = self._index
        for _ in range(count):
            index.remove(index.first_seq)
        if count:
            self._persist_below(index.first_seq)
        return count

    def purge(self, subject: str = "", seq: int = 0, keep: int = 0) -> int:
        self._check_writable()
        self._ahead.clear()
        index = self._index
        if is_all(subject):
            if keep == 0 and seq == 0:
                return self._purge_all()
            if seq > 1:
                return self.compact(seq)
            if keep > 0:
                return self._remove_oldest(max(0, len(index.msgs) - keep))
            return 0
        flt = index.filter(subject)
        ss = index.filtered_state(1, flt)
        if ss.msgs == 0 or keep >= ss.msgs:
            return 0
        budget = ss.msgs - keep if keep > 0 else ss.msgs
        last = seq - 1 if seq > 1 else ss.last
        victims: list[int] = []
        cursor = ss.first
        while len(victims) < budget:
            nxt = index.next_seq(flt, cursor)
            if nxt == 0 or nxt > last:
                break
            victims.append(nxt)
            cursor = nxt + 1
        for victim in victims:
            index.remove(victim)
            self._persist_remove(victim, False)
        return len(victims)

    def truncate(self, seq: int) -> None:
        self._check_writable()
        self._ahead.clear()
        index = self._index
        if seq <= 0:
            index.reset(0, 0)
            index.last_ts = 0
            self._persist_above(0)
            return
        if seq >= index.last_seq:
            return
        while index.msgs and index.seqs.last() > seq:
            index.remove(index.seqs.last())
        index.last_seq = seq
        entry = index.msgs.get(seq)
        if entry is not None:
            index.last_ts = entry[-1]
        if not index.msgs:
            index.first_seq = seq + 1
        self._persist_above(seq)

    # -- reads ------------------------------------------------------------------------------------

    def load(self, seq: int) -> StoreMsg | None:
        return self._read(seq) if seq in self._index.msgs else None

    def load_next(self, subject_filter: str, start_seq: int) -> StoreMsg | None:
        seq = self._index.next_seq(self._index.filter(subject_filter), start_seq)
        return self._read(seq) if seq else None

    def load_next_many(self, subject_filter: str, start_seq: int, limit: int) -> list[StoreMsg]:
        index = self._index
        read = self._read
        out: list[StoreMsg] = []
        for seq in index.next_seqs(index.filter(subject_filter), start_seq, limit):
            try:
                out.append(read(seq))
            except StoreError:
                if out:
                    break  # the messages before it go out; load_next reports it on its turn
                raise
        return out

    def _read(self, seq: int) -> StoreMsg:
        sm = self._ahead.pop(seq, None)
        return sm if sm is not None else self._fetch(seq)

    def prefetch(self, subject_filter: str, start_seq: int, limit: int) -> None:
        """A hint that `load_next` will be called for up to `limit` messages from `start_seq`;
        back-ends whose single reads are cheap ignore it."""

    def load_prev(self, subject_filter: str, start_seq: int) -> StoreMsg | None:
        seq = self._index.prev_seq(self._index.filter(subject_filter), start_seq)
        return self._fetch(seq) if seq else None

    def load_last(self, subject_filter: str) -> StoreMsg | None:
        seq = self._index.last_seq_matching(self._index.filter(subject_filter))
        return self._fetch(seq) if seq else None

    def state(self, deleted_details: bool = False) -> StreamState:
        index = self._index
        msgs = len(index.msgs)
        st = StreamState(
            msgs=msgs,
            bytes=index.bytes,
            first_seq=index.first_seq,
            first_ts=index.first_ts(),
            last_seq=index.last_seq,
            last_ts=index.last_ts,
            num_deleted=index.last_seq - index.first_seq + 1 - msgs if msgs else 0,
            num_subjects=len(index.subjects),
        )
        if deleted_details and st.num_deleted:
            st.deleted = index.deleted()
        return st

    def filtered_state(self, start_seq: int, subject_filter: str) -> SimpleState:
        return self._index.filtered_state(start_seq, self._index.filter(subject_filter))

    def subjects_state(self, subject_filter: str = "") -> dict[str, int]:
        return self._index.subject_counts(self._index.filter(subject_filter))

    def subject_state(self, subject: str) -> SimpleState:
        return self._index.subject_state(subject)

    def num_pending(self, start_seq: int, subject_filter: str, last_per_subject: bool = False) -> int:
        flt = self._index.filter(subject_filter)
        if last_per_subject:
            return self._index.subjects_last_ge(start_seq, flt)
        return self._index.filtered_state(start_seq, flt).msgs

    def multi_last_seqs(self, filters: list[str], up_to_seq: int = 0) -> list[int]:
        return self._index.multi_last([self._index.filter(f) for f in filters], up_to_seq)

    def seq_for_time(self, ts: int) -> int:
        return self._index.seq_for_time(ts)

    def next_expiry(self, max_age_ns: int = 0) -> int:
        return self._index.next_expiry(max_age_ns)

    def expired(self, now: int, max_age_ns: int = 0, limit: int = 10_000) -> list[int]:
        return self._index.expired(now, max_age_ns, limit)

    # -- configuration and consumers --------------------------------------------------------------

    def save_meta(self, data: bytes) -> None:
        self._check_writable()
        self._meta = bytes(data)

    def load_meta(self) -> bytes | None:
        return self._meta

    def consumer_store(
        self, name: str, config: bytes, *, ack_policy: AckPolicy = "explicit", max_deliver: int = -1
    ) -> ConsumerStore:
        self._check_writable()
        cs = self._consumers.get(name)
        if cs is None:
            cs = self._consumers[name] = ConsumerStateStore(
                name, self._consumer_changed, self._consumer_deleted
            )
        cs.update_config(config, ack_policy=ack_policy, max_deliver=max_deliver)
        return cs

    def consumer_names(self) -> list[str]:
        return sorted(self._consumers)

    def _consumer_changed(self, cs: ConsumerStateStore, config: bool) -> None:
        self._check_writable()
        self._persist_consumer(cs, config)

    def _consumer_deleted(self, name: str) -> None:
        self._check_writable()
        if self._consumers.pop(name, None) is not None:
            self._persist_consumer_delete(name)
