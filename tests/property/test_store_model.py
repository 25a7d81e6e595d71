# Model-based test of the stream stores: random stores, removes, purges (filtered, keep, seq),
# compacts, truncates and skips, checked after every step against a plain dict model that applies
# nats-server's sequence rules by brute force.
#
# Subjects and filters come from a tiny token alphabet so that filters overlap and wildcards hit
# and miss. The file store also gets a `reopen` step (close, open again): the reopened store must
# be indistinguishable from the model, which checks persistence of every change kind.
from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from pynatsd.jetstream.store import FileStore, MemoryStore, SimpleState, StoreMsg, StreamStore

SUBJECTS = ["a", "a.b", "a.c", "b.c", "a.b.c"]
FILTERS = ["", ">", "a", "a.*", "a.>", "*.c", "b.*", "a.b", "*", "x", "a.*.c"]

subjects = st.sampled_from(SUBJECTS)
filters = st.sampled_from(FILTERS)
small = st.integers(min_value=0, max_value=12)
Opener = Callable[[Callable[[], int]], StreamStore]


def matches(flt: str, subject: str) -> bool:
    if flt in ("", ">"):
        return True
    ftoks, stoks = flt.split("."), subject.split(".")
    for i, ft in enumerate(ftoks):
        if ft == ">":
            return len(stoks) > i
        if i >= len(stoks) or ft not in ("*", stoks[i]):
            return False
    return len(ftoks) == len(stoks)


class Model:
    def __init__(self) -> None:
        self.msgs: dict[int, StoreMsg] = {}
        self.first = 0
        self.last = 0
        self.last_ts = 0

    def fix_first(self) -> None:
        self.first = min(self.msgs) if self.msgs else self.last + 1

    def remove(self, seq: int) -> bool:
        if self.msgs.pop(seq, None) is None:
            return False
        self.fix_first()
        return True

    def compact(self, seq: int) -> int:
        if seq <= 0:
            return self.purge_all()
        if seq > self.last:
            dropped = len(self.msgs)
            self.msgs.clear()
            self.first, self.last = seq, seq - 1
            return dropped
        victims = [s for s in self.msgs if s < seq]
        for s in victims:
            del self.msgs[s]
        self.fix_first()
        return len(victims)

    def purge_all(self) -> int:
        dropped = len(self.msgs)
        self.msgs.clear()
        self.first = self.last + 1
        return dropped

    def purge(self, flt: str, seq: int, keep: int) -> int:
        if flt in ("", ">"):
            if keep == 0 and seq == 0:
                return self.purge_all()
            if seq > 1:
                return self.compact(seq)
            if keep > 0:
                victims = sorted(self.msgs)[: max(0, len(self.msgs) - keep)]
                return sum(self.remove(s) for s in victims)
            return 0
        matching = self.matching(flt, 0)
        if not matching or keep >= len(matching):
            return 0
        budget = len(matching) - keep if keep else len(matching)
        victims = [s for s in matching if seq <= 1 or s < seq][:budget]
        return sum(self.remove(s) for s in victims)

    def truncate(self, seq: int) -> None:
        if seq <= 0:
            self.msgs.clear()
            self.first = self.last = self.last_ts = 0
            return
        if seq >= self.last:
            return
        for s in [s for s in self.msgs if s > seq]:
            del self.msgs[s]
        self.last = seq
        if seq in self.msgs:
            self.last_ts = self.msgs[seq].ts
        if not self.msgs:
            self.first = seq + 1

    def matching(self, flt: str, start: int) -> list[int]:
        return sorted(s for s, m in self.msgs.items() if s >= start and matches(flt, m.subject))

    def filtered(self, flt: str, start: int) -> SimpleState:
        seqs = self.matching(flt, start)
        return SimpleState(len(seqs), seqs[0], seqs[-1]) if seqs else SimpleState()

    def last_per_subject(self, flt: str, start: int) -> int:
        lasts: dict[str, int] = {}
        for s, m in self.msgs.items():
            if matches(flt, m.subject):
                lasts[m.subject] = max(s, lasts.get(m.subject, 0))
        return sum(1 for s in lasts.values() if s >= start)

    def deleted(self) -> list[int]:
        if not self.msgs:
            return []
        return [s for s in range(self.first, self.last + 1) if s not in self.msgs]


class StoreMachine(RuleBasedStateMachine):
    def __init__(self, open_store: Opener, size: Callable[[StoreMsg], int], reopen: bool) -> None:
        super().__init__()
        self.open_store = open_store
        self.size = size
        self.can_reopen = reopen
        self.now = 1_000
        self.steps = 0
        self.store = open_store(self.clock)
        self.model = Model()

    def clock(self) -> int:
        return self.now

    def teardown(self) -> None:
        self.store.close()

    @initialize(first_seq=st.sampled_from([0, 0, 1, 7]))
    def start(self, first_seq: int) -> None:
        if first_seq:
            assert self.store.compact(first_seq) == self.model.compact(first_seq)

    @rule(
        batch=st.lists(
            st.tuples(subjects, st.binary(max_size=8), st.sampled_from([b"", b"NATS/1.0\r\n\r\n"])),
            min_size=1,
            max_size=8,
        )
    )
    def store_msgs(self, batch: list[tuple[str, bytes, bytes]]) -> None:
        m = self.model
        for subject, payload, hdr in batch:
            seq, ts = self.store.store_msg(subject, hdr, payload)
            assert seq == m.last + 1
            assert ts == max(self.now, m.last_ts)
            if not m.msgs:
                m.first = seq
            m.msgs[seq] = StoreMsg(subject, hdr, payload, seq, ts)
            m.last, m.last_ts = seq, ts

    @rule(delta=st.integers(min_value=-5, max_value=50))
    def tick(self, delta: int) -> None:
        self.now += delta

    @rule(offset=small, erase=st.booleans())
    def remove(self, offset: int, erase: bool) -> None:
        seq = max(0, self.model.first + offset - 1)
        assert self.store.remove(seq, erase) == self.model.remove(seq)

    @rule(flt=filters, seq=small, keep=st.sampled_from([0, 0, 1, 2, 5]))
    def purge(self, flt: str, seq: int, keep: int) -> None:
        seq = self.model.first + seq - 1 if seq > 1 else seq
        assert self.store.purge(flt, seq, keep) == self.model.purge(flt, seq, keep)

    @rule(offset=st.integers(min_value=-1, max_value=8))
    def compact(self, offset: int) -> None:
        seq = max(0, self.model.first + offset)
        assert self.store.compact(seq) == self.model.compact(seq)

    @rule(back=st.integers(min_value=0, max_value=4), reset=st.booleans())
    def truncate(self, back: int, reset: bool) -> None:
        seq = 0 if reset and back == 0 else max(1, self.model.last - back)
        self.store.truncate(seq)
        self.model.truncate(seq)

    @rule(num=st.integers(min_value=1, max_value=3))
    def skip(self, num: int) -> None:
        m = self.model
        self.store.skip_msgs(m.last + 1, num)
        m.last += num
        m.last_ts = max(m.last_ts, self.now)
        if not m.msgs:
            m.first = m.last + 1

    @rule()
    def reopen(self) -> None:
        self.store.sync()
        if self.can_reopen:
            self.store.close()
            self.store = self.open_store(self.clock)

    @rule(flt=filters, offset=st.integers(min_value=-1, max_value=40))
    def reads(self, flt: str, offset: int) -> None:
        self.check_reads(flt, max(0, self.model.first + offset))

    @invariant()
    def reads_agree(self) -> None:
        m = self.model
        self.steps += 1
        for flt in (FILTERS[self.steps % len(FILTERS)], FILTERS[(7 * self.steps + 3) % len(FILTERS)]):
            for start in {0, m.first + 1, (m.first + m.last) // 2, m.last, m.last + 1}:
                self.check_reads(flt, start)

    def check_reads(self, flt: str, start: int) -> None:
        m, store = self.model, self.store
        seqs = m.matching(flt, 0)
        after = [s for s in seqs if s >= start]
        before = [s for s in seqs if s <= start]
        assert store.load_next(flt, start) == (m.msgs[after[0]] if after else None)
        assert store.load_prev(flt, start) == (m.msgs[before[-1]] if before else None)
        assert store.load_last(flt) == (m.msgs[seqs[-1]] if seqs else None)
        assert store.filtered_state(start, flt) == m.filtered(flt, start)
        assert store.num_pending(start, flt, False) == len(after)
        assert store.num_pending(start, flt, True) == m.last_per_subject(flt, start)
        assert store.load(start) == m.msgs.get(start)

    @rule()
    def deleted_details(self) -> None:
        # Listing the deleted sequences compacts the index, so it is a step of its own: the
        # invariant below must not tidy the index between the other steps.
        assert (self.store.state(deleted_details=True).deleted or []) == self.model.deleted()

    @invariant()
    def same_state(self) -> None:
        m = self.model
        st_ = self.store.state()
        first_ts = m.msgs[m.first].ts if m.msgs else 0
        assert (st_.msgs, st_.first_seq, st_.last_seq, st_.last_ts, st_.first_ts) == (
            len(m.msgs),
            m.first,
            m.last,
            m.last_ts,
            first_ts,
        )
        assert st_.num_deleted == len(m.deleted())
        assert st_.bytes == sum(self.size(x) for x in m.msgs.values())
        counts: dict[str, int] = {}
        for x in m.msgs.values():
            counts[x.subject] = counts.get(x.subject, 0) + 1
        assert self.store.subjects_state() == counts
        assert st_.num_subjects == len(counts)


SETTINGS = settings(max_examples=100, stateful_step_count=40, deadline=None, database=None)


def memory_size(x: StoreMsg) -> int:
    return 16 + len(x.subject) + len(x.hdr) + len(x.msg)


def file_size(x: StoreMsg) -> int:
    return 30 + len(x.subject) + len(x.msg) + (4 + len(x.hdr) if x.hdr else 0)


class MemoryStoreMachine(StoreMachine):
    def __init__(self) -> None:
        super().__init__(lambda clock: MemoryStore("S", clock=clock), memory_size, False)


class FileStoreMachine(StoreMachine):
    root = Path()
    runs = itertools.count()

    def __init__(self) -> None:
        directory = self.root / str(next(self.runs))

        def open_store(clock: Callable[[], int]) -> StreamStore:
            return FileStore.open(directory, "S", sync_interval=60.0, clock=clock)

        super().__init__(open_store, file_size, True)


def test_memory_store_matches_model() -> None:
    run_state_machine_as_test(MemoryStoreMachine, settings=SETTINGS)


def test_file_store_matches_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(FileStoreMachine, "root", tmp_path)
    run_state_machine_as_test(FileStoreMachine, settings=SETTINGS)
