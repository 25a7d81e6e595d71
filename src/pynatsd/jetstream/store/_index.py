# The in-memory index shared by both back-ends: which sequences are live, per-subject positions,
# the first/last watermarks, byte totals and the per-message TTL index.
#
# Strategy
# - `msgs` maps each live sequence to an entry (the message itself in memory, a small record for
#   the file store). It is the one source of truth for liveness: `seq in msgs`.
# - A `SeqList` is an append-only sorted list of sequences with lazy deletion: removing the head
#   advances a pointer, removing the tail pops, removing anything else only counts a "dead" entry.
#   FIFO workloads (limits, acks in order) therefore never leave dead entries, and counts are a
#   bisect. Dead entries are compacted away once they outnumber the live ones, so every operation
#   stays amortised O(1) or O(log n). One SeqList holds the whole stream, one each subject.
# - Wildcard queries walk the stream's list for a bounded number of steps and then fall back to
#   asking each matching subject's list, so neither dense nor sparse filters degrade to O(n).
# - TTLs: a heap of (deadline, seq) with lazy deletion, validated against `ttl_deadline`; messages
#   whose TTL is "never" are in `never` and skipped by max_age expiry.
# - Timestamps are expected to be non-decreasing in sequence order (the stores clamp them); a raw
#   store of an older timestamp switches `seq_for_time` to a linear scan.
from __future__ import annotations

import heapq
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator
from typing import Any, Final, Generic, TypeVar

from ._subject import Filter
from .base import SimpleState

__all__ = ["E", "Entry", "SeqList", "StreamIndex"]

_WALK_LIMIT: Final = 256
_FILTER_CACHE: Final = 1024


# An entry is a tuple with the subject first and the timestamp last: the memory store keeps the
# StoreMsg itself, the file store a plain (subject, size, ts). A plain tuple of a str and ints drops
# out of the cyclic collector after its first collection, so a long stream's index costs the
# collector nothing (an object per message would be walked by every full collection).
Entry = tuple[Any, ...]
E = TypeVar("E", bound=Entry)


class SeqList:
    """Sorted sequences with lazy deletion; liveness is decided by the caller's `live` mapping."""

    __slots__ = ("_dead", "_head", "_seqs")

    def __init__(self) -> None:
        self._seqs: list[int] = []
        self._head = 0
        self._dead = 0

    def __len__(self) -> int:
        return len(self._seqs) - self._head - self._dead

    def append(self, seq: int) -> None:
        self._seqs.append(seq)

    def first(self) -> int:
        return self._seqs[self._head] if self._head < len(self._seqs) else 0

    def last(self) -> int:
        return self._seqs[-1] if self._head < len(self._seqs) else 0

    def discard(self, seq: int, live: dict[int, E]) -> None:
        """Forget `seq`, which has just been removed from `live`."""
        seqs = self._seqs
        head = self._head
        n = len(seqs)
        if seqs[head] == seq:
            head += 1
            while head < n and seqs[head] not in live:
                head += 1
                self._dead -= 1
            if head == n:
                seqs.clear()
                head = 0
            elif head > 512 and head * 2 > n:
                del seqs[:head]
                head = 0
            self._head = head
        elif seqs[-1] == seq:
            seqs.pop()
            while seqs[-1] not in live:
                seqs.pop()
                self._dead -= 1
        else:
            self._dead += 1
            if self._dead > 64 and self._dead > len(self):
                self.compact(live)

    def compact(self, live: dict[int, E]) -> None:
        self._seqs = [s for s in self._seqs[self._head :] if s in live]
        self._head = 0
        self._dead = 0

    def first_ge(self, seq: int, live: dict[int, E]) -> int:
        seqs = self._seqs
        p = bisect_left(seqs, seq, self._head)
        n = len(seqs)
        if not self._dead:
            return seqs[p] if p < n else 0
        while p < n:
            if seqs[p] in live:
                return seqs[p]
            p += 1
        return 0

    def first_n_ge(self, seq: int, live: dict[int, E], limit: int) -> list[int]:
        """Up to `limit` live sequences >= seq, ascending."""
        seqs = self._seqs
        p = bisect_left(seqs, seq, self._head)
        if not self._dead:
            return seqs[p : p + limit]
        out: list[int] = []
        for s in seqs[p:]:
            if s in live:
                out.append(s)
                if len(out) >= limit:
                    break
        return out

    def last_le(self, seq: int, live: dict[int, E]) -> int:
        seqs = self._seqs
        p = bisect_right(seqs, seq, self._head) - 1
        while p >= self._head:
            if not self._dead or seqs[p] in live:
                return seqs[p]
            p -= 1
        return 0

    def count_ge(self, seq: int, live: dict[int, E]) -> int:
        seqs = self._seqs
        head = self._head
        p = bisect_left(seqs, seq, head)
        n = len(seqs)
        if not self._dead:
            return n - p
        if n - p <= p - head:
            return sum(1 for s in seqs[p:] if s in live)
        return len(self) - sum(1 for s in seqs[head:p] if s in live)

    def iter_from(self, seq: int, live: dict[int, E]) -> Iterator[int]:
        """Live sequences >= seq, ascending. The list must not change while iterating."""
        seqs = self._seqs
        for i in range(bisect_left(seqs, seq, self._head), len(seqs)):
            if seqs[i] in live:
                yield seqs[i]

    def iter_back(self, seq: int, live: dict[int, E]) -> Iterator[int]:
        """Live sequences <= seq, descending. The list must not change while iterating."""
        seqs = self._seqs
        for i in range(bisect_right(seqs, seq, self._head) - 1, self._head - 1, -1):
            if seqs[i] in live:
                yield seqs[i]

    def ordered(self, live: dict[int, E]) -> list[int]:
        """The live sequences, ascending (compacts first)."""
        if self._dead or self._head:
            self.compact(live)
        return self._seqs


class StreamIndex(Generic[E]):
    """Liveness, watermarks, per-subject lists and TTLs of one stream."""

    def __init__(self, size_of: Callable[[E], int]) -> None:
        self.size_of = size_of
        self.msgs: dict[int, E] = {}
        self.seqs = SeqList()
        self.subjects: dict[str, SeqList] = {}
        self.first_seq = 0
        self.last_seq = 0
        self.last_ts = 0
        self.bytes = 0
        self.ttl_deadline: dict[int, int] = {}
        self.never: set[int] = set()
        self.ts_ordered = True
        self._ttl_heap: list[tuple[int, int]] = []
        self._filters: dict[str, Filter] = {}

    # -- mutation ---------------------------------------------------------------------------------

    def add(self, seq: int, entry: E, size: int, ttl_ns: int) -> None:
        """Append `entry` as `seq` (> last_seq)."""
        msgs = self.msgs
        if not msgs:
            self.first_seq = seq
        msgs[seq] = entry
        self.seqs._seqs.append(seq)
        subject: str = entry[0]
        sl = self.subjects.get(subject)
        if sl is None:
            sl = self.subjects[subject] = SeqList()
        sl._seqs.append(seq)
        self.bytes += size
        ts: int = entry[-1]
        if ts < self.last_ts:
            self.ts_ordered = False
        self.last_seq = seq
        self.last_ts = ts
        if ttl_ns:
            self._add_ttl(seq, ts, ttl_ns)

    def _add_ttl(self, seq: int, ts: int, ttl_ns: int) -> None:
        if ttl_ns < 0:
            self.never.add(seq)
            return
        deadline = ts + ttl_ns
        self.ttl_deadline[seq] = deadline
        heapq.heappush(self._ttl_heap, (deadline, seq))

    def remove(self, seq: int) -> E | None:
        """Drop `seq`; returns its entry, or None if it was not live."""
        msgs = self.msgs
        entry = msgs.pop(seq, None)
        if entry is None:
            return None
        self.bytes -= self.size_of(entry)
        self.seqs.discard(seq, msgs)
        subject: str = entry[0]
        sl = self.subjects[subject]
        sl.discard(seq, msgs)
        if not len(sl):
            del self.subjects[subject]
        if seq == self.first_seq:
            self.first_seq = self.seqs.first() or self.last_seq + 1
        if self.ttl_deadline:
            self.ttl_deadline.pop(seq, None)
        if self.never:
            self.never.discard(seq)
        return entry

    def reset(self, first_seq: int, last_seq: int) -> int:
        """Drop everything and set the watermarks; returns how many messages were dropped."""
        dropped = len(self.msgs)
        self.msgs = {}
        self.seqs = SeqList()
        self.subjects = {}
        self.bytes = 0
        self.ttl_deadline = {}
        self.never = set()
        self._ttl_heap = []
        self.first_seq = first_seq
        self.last_seq = last_seq
        return dropped

    def skip(self, seq: int, num: int, ts: int) -> None:
        """Consume `num` sequences from `seq` (= last_seq + 1) without messages."""
        self.last_seq = seq + num - 1
        self.last_ts = max(self.last_ts, ts)
        if not self.msgs:
            self.first_seq = self.last_seq + 1

    # -- queries ----------------------------------------------------------------------------------

    def filter(self, text: str) -> Filter:
        flt = self._filters.get(text)
        if flt is None:
            if len(self._filters) >= _FILTER_CACHE:
                self._filters.clear()
            flt = self._filters[text] = Filter(text)
        return flt

    def first_ts(self) -> int:
        entry = self.msgs.get(self.first_seq)
        ts: int = entry[-1] if entry is not None else 0
        return ts

    def _matching(self, flt: Filter) -> Iterator[SeqList]:
        for subject, sl in self.subjects.items():
            if flt.matches(subject):
                yield sl

    def next_seq(self, flt: Filter, start: int) -> int:
        """First live sequence >= start matching `flt`, or 0."""
        msgs = self.msgs
        start = max(start, self.first_seq)
        if not msgs or start > self.last_seq:
            return 0
        if flt.all:
            return self.seqs.first_ge(start, msgs)
        if flt.literal:
            sl = self.subjects.get(flt.text)
            return sl.first_ge(start, msgs) if sl is not None else 0
        for steps, seq in enumerate(self.seqs.iter_from(start, msgs)):
            if flt.matches(msgs[seq][0]):
                return seq
            if steps >= _WALK_LIMIT:
                break
        else:
            return 0
        found = [s for s in (sl.first_ge(start, msgs) for sl in self._matching(flt)) if s]
        return min(found, default=0)

    def next_seqs(self, flt: Filter, start: int, limit: int) -> list[int]:
        """Up to `limit` live sequences >= start matching `flt`, ascending."""
        start = max(start, self.first_seq)
        if not self.msgs or start > self.last_seq:
            return []
        if flt.all or flt.literal:
            sl = self.seqs if flt.all else self.subjects.get(flt.text)
            return sl.first_n_ge(start, self.msgs, limit) if sl is not None else []
        out: list[int] = []
        seq = start
        while len(out) < limit:
            seq = self.next_seq(flt, seq)
            if not seq:
                break
            out.append(seq)
            seq += 1
        return out

    def prev_seq(self, flt: Filter, start: int) -> int:
        """Last live sequence <= start matching `flt`, or 0."""
        msgs = self.msgs
        if not msgs or start < self.first_seq:
            return 0
        if flt.all:
            return self.seqs.last_le(start, msgs)
        if flt.literal:
            sl = self.subjects.get(flt.text)
            return sl.last_le(start, msgs) if sl is not None else 0
        for steps, seq in enumerate(self.seqs.iter_back(start, msgs)):
            if flt.matches(msgs[seq][0]):
                return seq
            if steps >= _WALK_LIMIT:
                break
        else:
            return 0
        return max((sl.last_le(start, msgs) for sl in self._matching(flt)), default=0)

    def last_seq_matching(self, flt: Filter) -> int:
        if flt.all:
            return self.seqs.last()
        if flt.literal:
            sl = self.subjects.get(flt.text)
            return sl.last() if sl is not None else 0
        return max((sl.last() for sl in self._matching(flt)), default=0)

    def filtered_state(self, start: int, flt: Filter) -> SimpleState:
        msgs = self.msgs
        start = max(start, self.first_seq)
        if not msgs or start > self.last_seq:
            return SimpleState()
        if flt.all:
            lists: Iterator[SeqList] | list[SeqList] = [self.seqs]
        elif flt.literal:
            sl = self.subjects.get(flt.text)
            lists = [sl] if sl is not None else []
        else:
            lists = self._matching(flt)
        total, first, last = 0, 0, 0
        for sl in lists:
            tail = sl.last()
            if tail < start:
                continue
            total += sl.count_ge(start, msgs)
            head = sl.first_ge(start, msgs)
            if first == 0 or head < first:
                first = head
            last = max(last, tail)
        return SimpleState(total, first, last) if total else SimpleState()

    def subjects_last_ge(self, start: int, flt: Filter) -> int:
        """How many subjects matching `flt` have their newest message at or after `start`."""
        start = max(start, self.first_seq)
        if flt.literal:
            sl = self.subjects.get(flt.text)
            return 1 if sl is not None and sl.last() >= start else 0
        return sum(1 for sl in self._matching(flt) if sl.last() >= start)

    def subject_counts(self, flt: Filter) -> dict[str, int]:
        if flt.literal:
            sl = self.subjects.get(flt.text)
            return {flt.text: len(sl)} if sl is not None else {}
        return {subject: len(sl) for subject, sl in self.subjects.items() if flt.matches(subject)}

    def subject_state(self, subject: str) -> SimpleState:
        sl = self.subjects.get(subject)
        if sl is None:
            return SimpleState()
        return SimpleState(len(sl), sl.first(), sl.last())

    def multi_last(self, filters: list[Filter], up_to: int) -> list[int]:
        found: set[int] = set()
        for subject, sl in self.subjects.items():
            if any(flt.matches(subject) for flt in filters):
                seq = sl.last()
                if up_to and seq > up_to:
                    seq = sl.last_le(up_to, self.msgs)
                if seq:
                    found.add(seq)
        return sorted(found)

    def seq_for_time(self, ts: int) -> int:
        msgs = self.msgs
        if not msgs:
            return self.last_seq + 1
        seqs = self.seqs.ordered(msgs)
        if self.ts_ordered:
            p = bisect_left(seqs, ts, key=lambda s: msgs[s][-1])
            return seqs[p] if p < len(seqs) else self.last_seq + 1
        return next((s for s in seqs if msgs[s][-1] >= ts), self.last_seq + 1)

    def deleted(self) -> list[int]:
        """Interior sequences between first_seq and last_seq with no message."""
        out: list[int] = []
        if not self.msgs:
            return out
        prev = self.first_seq - 1
        for seq in self.seqs.ordered(self.msgs):
            if seq > prev + 1:
                out.extend(range(prev + 1, seq))
            prev = seq
        out.extend(range(prev + 1, self.last_seq + 1))
        return out

    # -- expiry -----------------------------------------------------------------------------------

    def _ttl_top(self) -> int:
        heap = self._ttl_heap
        deadlines = self.ttl_deadline
        if len(heap) > 2 * len(deadlines) + 64:
            heap[:] = [(d, s) for s, d in deadlines.items()]
            heapq.heapify(heap)
        while heap and deadlines.get(heap[0][1]) != heap[0][0]:
            heapq.heappop(heap)
        return heap[0][0] if heap else 0

    def _oldest_aging(self) -> int:
        never = self.never
        if not never:
            return self.first_seq if self.msgs else 0
        return next((s for s in self.seqs.iter_from(self.first_seq, self.msgs) if s not in never), 0)

    def next_expiry(self, max_age_ns: int) -> int:
        when = self._ttl_top()
        if max_age_ns > 0:
            seq = self._oldest_aging()
            if seq:
                by_age = self.msgs[seq][-1] + max_age_ns
                when = min(when, by_age) if when else by_age
        return when

    def expired(self, now: int, max_age_ns: int, limit: int) -> list[int]:
        out: set[int] = set()
        heap = self._ttl_heap
        deadlines = self.ttl_deadline
        if self._ttl_top() and heap[0][0] <= now:
            todo = [0]
            while todo and len(out) < limit:
                i = todo.pop()
                deadline, seq = heap[i]
                if deadline > now:
                    continue
                if deadlines.get(seq) == deadline:
                    out.add(seq)
                todo.extend(c for c in (2 * i + 1, 2 * i + 2) if c < len(heap))
        if max_age_ns > 0:
            cutoff = now - max_age_ns
            msgs = self.msgs
            for seq in self.seqs.iter_from(self.first_seq, msgs):
                if len(out) >= limit or (msgs[seq][-1] > cutoff and self.ts_ordered):
                    break
                if msgs[seq][-1] <= cutoff and seq not in self.never:
                    out.add(seq)
        return sorted(out)[:limit]
