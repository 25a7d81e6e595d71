# The StreamStore contract: one body, run against every back-end (memory and SQLite file).
#
# Sequence and purge expectations come from nats-server 2.15 as observed through its API (file and
# memory storage agree), e.g. "purge keep=2 with seq 4 already deleted leaves 3 and 5". Time comes
# from a fake clock, so timestamps, TTLs and max_age are exact. File-only behaviour (reopen, locks,
# disk full) is at the end.
from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pynatsd.jetstream.store import (
    ConsumerState,
    FileStore,
    MemoryStore,
    Pending,
    SequencePair,
    SimpleState,
    StoreClosed,
    StoreError,
    StoreMsg,
    StreamStore,
    WriterHost,
    list_streams,
    streams_dir,
)

SECOND = 1_000_000_000
T0 = 1_700_000_000 * SECOND


class FakeClock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> int:
        return self.now

    def advance(self, ns: int) -> None:
        self.now += ns


Factory = Callable[[], StreamStore]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=["memory", "file"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def make(kind: str, tmp_path: Path, clock: FakeClock) -> Iterator[Factory]:
    opened: list[StreamStore] = []

    def factory() -> StreamStore:
        store: StreamStore
        if kind == "memory":
            store = MemoryStore("S", clock=clock)
        else:
            store = FileStore.open(tmp_path, "S", clock=clock)
        opened.append(store)
        return store

    yield factory
    for store in opened:
        store.close()


@pytest.fixture
def store(make: Factory) -> StreamStore:
    return make()


def fill(store: StreamStore, subjects: list[str], clock: FakeClock | None = None) -> None:
    for i, subject in enumerate(subjects):
        store.store_msg(subject, b"", f"m{i + 1}".encode())
        if clock is not None:
            clock.advance(SECOND)


def summary(store: StreamStore) -> tuple[int, int, int, int]:
    st = store.state()
    return st.msgs, st.first_seq, st.last_seq, st.num_deleted


NATS5 = ["a.1", "a.2", "a.1", "a.3", "a.1"]

# -- sequences and state --------------------------------------------------------------------------


def test_store_empty_state(store: StreamStore) -> None:
    st = store.state()
    assert (st.msgs, st.bytes, st.first_seq, st.last_seq, st.first_ts, st.last_ts) == (0, 0, 0, 0, 0, 0)
    assert store.load(1) is None
    assert store.load_next("", 0) is None
    assert store.load_last(">") is None
    assert store.filtered_state(0, "") == SimpleState()
    assert store.num_pending(0, "", False) == 0
    assert store.subjects_state() == {}


def test_store_assigns_sequences_and_timestamps(store: StreamStore, clock: FakeClock) -> None:
    assert store.store_msg("a", b"NATS/1.0\r\nk: v\r\n\r\n", b"one") == (1, T0)
    clock.advance(5)
    assert store.store_msg("b", b"", b"two") == (2, T0 + 5)
    assert store.load(1) == StoreMsg("a", b"NATS/1.0\r\nk: v\r\n\r\n", b"one", 1, T0)
    st = store.state()
    assert (st.msgs, st.first_seq, st.last_seq, st.first_ts, st.last_ts, st.num_subjects) == (
        2,
        1,
        2,
        T0,
        T0 + 5,
        2,
    )


def test_store_timestamps_never_go_backwards(store: StreamStore, clock: FakeClock) -> None:
    store.store_msg("a", b"", b"")
    clock.advance(-100)
    _, ts = store.store_msg("a", b"", b"")
    assert ts == T0


def test_store_byte_accounting_matches_nats_server(store: StreamStore, kind: str) -> None:
    store.store_msg("orders.new", b"", b"hello")
    store.store_msg("orders.new", b"x" * 30, b"hello")
    expected = 124 if kind == "file" else (16 + 10 + 5) + (16 + 10 + 30 + 5)
    assert store.state().bytes == expected
    assert store.msg_size("orders.new", b"", b"hello") == (45 if kind == "file" else 31)
    store.remove(1)
    assert store.state().bytes == expected - store.msg_size("orders.new", b"", b"hello")


def test_remove_moves_first_and_counts_interior_deletes(store: StreamStore) -> None:
    fill(store, ["a"] * 5)
    assert store.remove(3)
    assert not store.remove(3)
    assert not store.remove(99)
    st = store.state(deleted_details=True)
    assert (st.msgs, st.first_seq, st.last_seq, st.num_deleted, st.deleted) == (4, 1, 5, 1, [3])
    assert store.remove(1)
    assert store.remove(2)
    assert summary(store) == (2, 4, 5, 0)


def test_removing_everything_sets_first_past_last(store: StreamStore, clock: FakeClock) -> None:
    fill(store, ["a"] * 3, clock)
    for seq in (2, 3, 1):
        store.remove(seq)
    st = store.state()
    assert (st.msgs, st.first_seq, st.last_seq, st.first_ts, st.last_ts) == (0, 4, 3, 0, T0 + 2 * SECOND)
    assert store.store_msg("a", b"", b"")[0] == 4
    assert summary(store) == (1, 4, 4, 0)


def test_removing_last_keeps_last_seq(store: StreamStore) -> None:
    fill(store, NATS5)
    store.remove(5)
    assert summary(store) == (4, 1, 5, 1)
    assert store.load_last("") == store.load(4)


def test_skip_msgs_and_raw_store(store: StreamStore) -> None:
    store.skip_msgs(1, 3)
    assert summary(store) == (0, 4, 3, 0)
    store.store_raw_msg("a", b"", b"x", 4, 42)
    assert store.load(4) == StoreMsg("a", b"", b"x", 4, 42)
    store.skip_msgs(5, 2)
    assert summary(store) == (1, 4, 6, 2)
    with pytest.raises(StoreError):
        store.store_raw_msg("a", b"", b"", 9, 1)
    with pytest.raises(StoreError):
        store.skip_msgs(3, 1)


def test_first_seq_config_via_compact(store: StreamStore) -> None:
    assert store.compact(10) == 0
    assert summary(store) == (0, 10, 9, 0)
    assert store.store_msg("f", b"", b"z")[0] == 10
    assert summary(store) == (1, 10, 10, 0)


# -- purge / compact / truncate -------------------------------------------------------------------

# (preparation deletes, purge kwargs, purged, (msgs, first, last, num_deleted), subjects), as
# observed on nats-server 2.15 for messages a.1 a.2 a.1 a.3 a.1.
NATS_PURGES = [
    ((4,), {"keep": 2}, 2, (2, 3, 5, 1), {"a.1": 2}),
    ((4,), {"seq": 1}, 0, (4, 1, 5, 1), {"a.1": 3, "a.2": 1}),
    ((4,), {"subject": "a.1", "keep": 1}, 2, (2, 2, 5, 2), {"a.1": 1, "a.2": 1}),
    ((4,), {}, 4, (0, 6, 5, 0), {}),
    ((4,), {"seq": 100}, 4, (0, 100, 99, 0), {}),
    ((4,), {"seq": 4}, 3, (1, 5, 5, 0), {"a.1": 1}),
    ((4,), {"subject": "a.>", "keep": 2}, 2, (2, 3, 5, 1), {"a.1": 2}),
    ((4,), {"subject": "a.*", "seq": 3}, 2, (2, 3, 5, 1), {"a.1": 2}),
    ((5,), {"keep": 2}, 2, (2, 3, 5, 1), {"a.1": 1, "a.3": 1}),
    ((2, 3), {"seq": 3}, 1, (2, 4, 5, 0), {"a.1": 1, "a.3": 1}),
    ((4, 5), {"seq": 4}, 3, (0, 6, 5, 0), {}),
    # seq and keep together (the API refuses it; the store follows nats-server's PurgeEx):
    ((), {"subject": "a.1", "seq": 5, "keep": 1}, 2, (3, 2, 5, 1), {"a.1": 1, "a.2": 1, "a.3": 1}),
    ((), {"subject": "a.1", "seq": 3, "keep": 1}, 1, (4, 2, 5, 0), {"a.1": 2, "a.2": 1, "a.3": 1}),
    ((), {"subject": "a.9"}, 0, (5, 1, 5, 0), {"a.1": 3, "a.2": 1, "a.3": 1}),
    ((), {"subject": "a.1", "keep": 5}, 0, (5, 1, 5, 0), {"a.1": 3, "a.2": 1, "a.3": 1}),
    ((), {"keep": 5}, 0, (5, 1, 5, 0), {"a.1": 3, "a.2": 1, "a.3": 1}),
]


@pytest.mark.parametrize(("deletes", "kwargs", "purged", "after", "subjects"), NATS_PURGES)
def test_purge_matches_nats_server(
    store: StreamStore,
    deletes: tuple[int, ...],
    kwargs: dict[str, int | str],
    purged: int,
    after: tuple[int, int, int, int],
    subjects: dict[str, int],
) -> None:
    fill(store, NATS5)
    for seq in deletes:
        store.remove(seq)
    assert store.purge(**kwargs) == purged  # type: ignore[arg-type]
    assert summary(store) == after
    assert store.subjects_state() == subjects


def test_purge_then_store_continues_sequence(store: StreamStore, clock: FakeClock) -> None:
    fill(store, NATS5, clock)
    store.purge()
    st = store.state()
    assert (st.first_ts, st.last_ts) == (0, T0 + 4 * SECOND)
    assert store.store_msg("a.1", b"", b"")[0] == 6


def test_compact_rules(store: StreamStore) -> None:
    fill(store, ["a"] * 6)
    assert store.compact(1) == 0
    assert store.compact(3) == 2
    assert summary(store) == (4, 3, 6, 0)
    store.remove(4)
    assert store.compact(4) == 1
    assert summary(store) == (2, 5, 6, 0)
    assert store.compact(0) == 2
    assert summary(store) == (0, 7, 6, 0)


def test_truncate(store: StreamStore, clock: FakeClock) -> None:
    fill(store, ["a", "b", "a", "b"], clock)
    store.truncate(2)
    st = store.state()
    assert (st.msgs, st.first_seq, st.last_seq, st.last_ts) == (2, 1, 2, T0 + SECOND)
    assert store.store_msg("c", b"", b"")[0] == 3
    store.truncate(0)
    assert summary(store) == (0, 0, 0, 0)
    assert store.store_msg("c", b"", b"")[0] == 1


# -- reads ----------------------------------------------------------------------------------------

ORDERS = ["orders.eu.new", "orders.us.new", "orders.eu.paid", "billing.eu", "orders.eu.new", "orders.us.paid"]


@pytest.mark.parametrize(
    ("flt", "start", "expected"),
    [
        ("", 0, SimpleState(6, 1, 6)),
        (">", 3, SimpleState(4, 3, 6)),
        ("orders.eu.new", 0, SimpleState(2, 1, 5)),
        ("orders.eu.new", 2, SimpleState(1, 5, 5)),
        ("orders.*.new", 0, SimpleState(3, 1, 5)),
        ("orders.>", 3, SimpleState(3, 3, 6)),
        ("*.eu", 0, SimpleState(1, 4, 4)),
        ("orders.*.paid", 4, SimpleState(1, 6, 6)),
        ("nothing.*", 0, SimpleState()),
        ("", 7, SimpleState()),
    ],
)
def test_filtered_state_and_num_pending(
    store: StreamStore, flt: str, start: int, expected: SimpleState
) -> None:
    fill(store, ORDERS)
    assert store.filtered_state(start, flt) == expected
    assert store.num_pending(start, flt, False) == expected.msgs


def test_filtered_state_with_interior_deletes(store: StreamStore) -> None:
    fill(store, ["a.x", "a.y"] * 50)
    for seq in range(2, 90, 3):
        store.remove(seq)
    live = [s for s in range(1, 101) if (s - 2) % 3 or s >= 90]
    for start in (1, 17, 50, 95):
        want = [s for s in live if s >= start and s % 2 == 1]
        assert store.filtered_state(start, "a.x") == SimpleState(len(want), want[0], want[-1])
        every = [s for s in live if s >= start]
        assert store.filtered_state(start, "a.*") == SimpleState(len(every), every[0], every[-1])


def test_num_pending_last_per_subject(store: StreamStore) -> None:
    fill(store, ORDERS)
    assert store.num_pending(0, ">", True) == 5
    assert store.num_pending(5, "orders.>", True) == 2
    assert store.num_pending(6, "orders.eu.*", True) == 0
    assert store.num_pending(0, "orders.eu.new", True) == 1


def test_load_next_prev_last(store: StreamStore) -> None:
    fill(store, ORDERS)
    assert store.load_next("orders.*.new", 2) == store.load(2)
    assert store.load_next("orders.eu.new", 2) == store.load(5)
    assert store.load_next("billing.>", 5) is None
    assert store.load_next("", 0) == store.load(1)
    assert store.load_prev("orders.eu.*", 4) == store.load(3)
    assert store.load_prev("orders.us.new", 1) is None
    assert store.load_prev(">", 100) == store.load(6)
    assert store.load_last("orders.eu.new") == store.load(5)
    assert store.load_last("*.eu") == store.load(4)
    assert store.load_last("none") is None
    store.remove(5)
    assert store.load_last("orders.eu.new") == store.load(1)
    assert store.load_next("orders.eu.new", 2) is None


def test_wildcard_search_across_many_subjects(store: StreamStore) -> None:
    store.store_msg("target.first", b"", b"")
    for i in range(700):
        store.store_msg(f"noise.{i}", b"", b"")
    store.store_msg("target.last", b"", b"")
    last = store.state().last_seq
    assert store.load_next("target.*", 2) == store.load(last)
    assert store.load_prev("target.*", last - 1) == store.load(1)
    assert store.filtered_state(0, "target.*") == SimpleState(2, 1, last)
    assert store.filtered_state(0, "noise.*").msgs == 700


def test_subjects_state_and_subject_state(store: StreamStore) -> None:
    fill(store, ORDERS)
    assert store.subjects_state("orders.eu.*") == {"orders.eu.new": 2, "orders.eu.paid": 1}
    assert store.subjects_state()["billing.eu"] == 1
    assert store.subject_state("orders.eu.new") == SimpleState(2, 1, 5)
    store.remove(1)
    assert store.subject_state("orders.eu.new") == SimpleState(1, 5, 5)
    assert store.subject_state("missing") == SimpleState()
    assert store.state().num_subjects == 5


def test_multi_last_seqs(store: StreamStore) -> None:
    fill(store, ORDERS)
    assert store.multi_last_seqs(["orders.>"]) == [2, 3, 5, 6]
    assert store.multi_last_seqs(["orders.eu.*", "billing.*"], up_to_seq=4) == [1, 3, 4]


def test_seq_for_time(store: StreamStore, clock: FakeClock) -> None:
    assert store.seq_for_time(T0) == 1
    fill(store, ["a"] * 5, clock)
    assert store.seq_for_time(0) == 1
    assert store.seq_for_time(T0 + 2 * SECOND) == 3
    assert store.seq_for_time(T0 + 2 * SECOND + 1) == 4
    assert store.seq_for_time(T0 + 100 * SECOND) == 6
    store.remove(3)
    assert store.seq_for_time(T0 + 2 * SECOND) == 4


# -- expiry ---------------------------------------------------------------------------------------


def test_per_message_ttl_index(store: StreamStore, clock: FakeClock) -> None:
    store.store_msg("a", b"", b"", ttl_ns=10 * SECOND)
    store.store_msg("b", b"", b"")
    store.store_msg("c", b"", b"", ttl_ns=5 * SECOND)
    store.store_msg("d", b"", b"", ttl_ns=20 * SECOND)
    assert store.next_expiry() == T0 + 5 * SECOND
    assert store.expired(T0 + 4 * SECOND) == []
    assert store.expired(T0 + 10 * SECOND) == [1, 3]
    store.remove(3)
    assert store.next_expiry() == T0 + 10 * SECOND
    store.purge(subject="a")
    assert store.next_expiry() == T0 + 20 * SECOND
    assert store.expired(T0 + 30 * SECOND, limit=1) == [4]


def test_max_age_skips_never_ttl(store: StreamStore, clock: FakeClock) -> None:
    store.store_msg("keep", b"", b"", ttl_ns=-1)
    clock.advance(SECOND)
    store.store_msg("old", b"", b"")
    clock.advance(SECOND)
    store.store_msg("new", b"", b"")
    max_age = 10 * SECOND
    assert store.next_expiry(max_age) == T0 + SECOND + max_age
    assert store.expired(T0 + SECOND + max_age, max_age) == [2]
    assert store.expired(T0 + 100 * SECOND, max_age) == [2, 3]
    assert store.next_expiry() == 0


def test_expiry_index_matches_brute_force(store: StreamStore, clock: FakeClock) -> None:
    rng = random.Random(7)
    ttls: dict[int, tuple[int, int]] = {}
    for _ in range(300):
        ttl = rng.choice([0, 0, -1, rng.randrange(1, 100) * SECOND])
        seq, ts = store.store_msg("t", b"", b"", ttl_ns=ttl)
        ttls[seq] = (ts, ttl)
        clock.advance(rng.randrange(0, 3) * SECOND)
    for seq in rng.sample(sorted(ttls), 100):
        store.remove(seq)
        del ttls[seq]
    max_age = 50 * SECOND
    for now in range(T0, T0 + 800 * SECOND, 37 * SECOND):
        want = sorted(
            seq
            for seq, (ts, ttl) in ttls.items()
            if (ttl > 0 and ts + ttl <= now) or (ttl >= 0 and ts <= now - max_age)
        )
        assert store.expired(now, max_age) == want
    deadlines = [ts + ttl for ts, ttl in ttls.values() if ttl > 0]
    ages = [ts + max_age for ts, ttl in ttls.values() if ttl >= 0]
    assert store.next_expiry(max_age) == min(deadlines + ages)
    assert store.next_expiry() == min(deadlines)


# -- consumers and metadata -----------------------------------------------------------------------


def test_consumer_explicit_acks(store: StreamStore) -> None:
    cs = store.consumer_store("dur", b'{"durable_name":"dur"}')
    for d, s in ((1, 10), (2, 11), (3, 12)):
        cs.update_delivered(d, s, 1, 100 + d)
    cs.update_delivered(4, 11, 2, 200)
    st = cs.state()
    assert st.delivered == SequencePair(4, 12)
    assert st.pending == {10: Pending(1, 101), 11: Pending(2, 200), 12: Pending(3, 103)}
    assert st.redelivered == {11: 1}
    cs.update_acks(2, 11)
    assert cs.state().ack_floor == SequencePair(0, 0)
    cs.update_acks(1, 10)
    assert cs.state().ack_floor == SequencePair(2, 11)
    cs.update_acks(3, 12)
    st = cs.state()
    assert (st.ack_floor, st.pending, st.redelivered) == (SequencePair(4, 12), {}, {})
    with pytest.raises(StoreError):
        cs.update_acks(9, 99)


def test_consumer_ack_all_and_none(store: StreamStore) -> None:
    cs = store.consumer_store("all", b"{}", ack_policy="all")
    for d in range(1, 6):
        cs.update_delivered(d, d, 1, d)
    cs.update_acks(3, 3)
    st = cs.state()
    assert (st.ack_floor, sorted(st.pending)) == (SequencePair(3, 3), [4, 5])
    none = store.consumer_store("none", b"{}", ack_policy="none")
    none.update_delivered(1, 7, 1, 0)
    assert none.state().ack_floor == SequencePair(1, 7)
    with pytest.raises(StoreError):
        none.update_delivered(1, 7, 2, 0)
    with pytest.raises(StoreError):
        none.update_acks(1, 7)


def test_consumer_update_validation(store: StreamStore) -> None:
    cs = store.consumer_store("c", b"{}")
    with pytest.raises(StoreError):
        cs.update(ConsumerState(SequencePair(1, 1), SequencePair(2, 2)))
    with pytest.raises(StoreError):
        cs.update(ConsumerState(SequencePair(5, 5), SequencePair(1, 1), {9: Pending(1, 0)}))
    good = ConsumerState(SequencePair(5, 5), SequencePair(1, 1), {3: Pending(2, 7)}, {3: 2})
    cs.update(good)
    assert cs.state() == good
    assert store.consumer_names() == ["c"]
    cs.delete()
    assert store.consumer_names() == []


def test_meta_round_trip(store: StreamStore) -> None:
    assert store.load_meta() is None
    store.save_meta(b'{"name":"S"}')
    assert store.load_meta() == b'{"name":"S"}'


# -- durability API -------------------------------------------------------------------------------


async def test_flush_completes_and_reads_see_unflushed_writes(store: StreamStore) -> None:
    seqs = [store.store_msg("a", b"", bytes([i]))[0] for i in range(100)]
    assert store.load(50) == StoreMsg("a", b"", bytes([49]), 50, T0)
    fut = store.flush()
    await asyncio.wait_for(fut, 5)
    assert [store.load(s).msg for s in seqs] == [bytes([i]) for i in range(100)]  # type: ignore[union-attr]
    await asyncio.wait_for(store.flush(), 5)


def test_name_erase_sync_and_delete(store: StreamStore) -> None:
    assert store.name == "S"
    fill(store, ["a", "b", "c"])
    assert store.remove(2, erase=True)
    assert store.load(2) is None
    store.sync()
    assert summary(store) == (2, 1, 3, 1)
    store.delete()
    with pytest.raises(StoreClosed):
        store.store_msg("a", b"", b"")


def test_closed_store_refuses_writes(store: StreamStore) -> None:
    store.close()
    with pytest.raises(StoreClosed):
        store.store_msg("a", b"", b"")
    store.close()


# -- file store only ------------------------------------------------------------------------------


def test_file_reopen_gives_identical_store(tmp_path: Path, clock: FakeClock) -> None:
    store = FileStore.open(tmp_path, "S", clock=clock)
    fill(store, ORDERS * 3, clock)
    store.store_msg("ttl", b"NATS/1.0\r\n\r\n", b"t", ttl_ns=30 * SECOND)
    for seq in (2, 7, 8):
        store.remove(seq)
    store.remove(9, erase=True)
    store.purge(subject="billing.eu", keep=1)
    store.compact(3)
    store.save_meta(b"config")
    cs = store.consumer_store("d", b"cfg")
    cs.update_delivered(1, 3, 1, 5)
    cs.update_delivered(2, 4, 1, 6)
    before = (store.state(deleted_details=True), store.subjects_state(), cs.state(), store.next_expiry())
    msgs = [store.load(s) for s in range(1, 25)]
    store.close()

    again = FileStore.open(tmp_path, "S", clock=clock)
    try:
        cs2 = again.consumer_store("d", b"cfg")
        after = (again.state(deleted_details=True), again.subjects_state(), cs2.state(), again.next_expiry())
        assert after == before
        assert [again.load(s) for s in range(1, 25)] == msgs
        assert again.load_meta() == b"config"
        assert again.store_msg("x", b"", b"")[0] == before[0].last_seq + 1
    finally:
        again.close()


async def test_file_truncate_then_reuse_sequences(tmp_path: Path) -> None:
    store = FileStore.open(tmp_path, "S")
    for i in range(5):
        store.store_msg("a", b"", b"old%d" % i)
    await asyncio.sleep(0)
    store.truncate(2)
    store.store_msg("b", b"", b"new")
    assert store.load(3) == StoreMsg("b", b"", b"new", 3, store.load(3).ts)  # type: ignore[union-attr]
    await store.flush()
    assert store.load(3).msg == b"new"  # type: ignore[union-attr]
    assert store.load(4) is None
    store.close()
    again = FileStore.open(tmp_path, "S")
    assert (summary(again), again.load(3).msg) == ((3, 1, 3, 0), b"new")  # type: ignore[union-attr]
    again.close()


def test_file_sync_without_event_loop(tmp_path: Path) -> None:
    store = FileStore.open(tmp_path, "S")
    for i in range(20_000):
        store.store_msg("a", b"", b"%d" % i)
    store.remove(5)
    store.sync()
    assert store.load(20_000).msg == b"19999"  # type: ignore[union-attr]
    store.close()
    again = FileStore.open(tmp_path, "S")
    assert summary(again) == (19_999, 1, 20_000, 1)
    again.close()


def test_file_consumer_state_survives_reopen(tmp_path: Path) -> None:
    store = FileStore.open(tmp_path, "S")
    gone = store.consumer_store("gone", b"g")
    cs = store.consumer_store("c", b"cfg-1", ack_policy="all")
    for d in range(1, 51):
        cs.update_delivered(d, d + 100, 1, d)
    cs.update_acks(10, 110)
    gone.delete()
    store.consumer_store("again", b"x").delete()
    store.consumer_store("again", b"y")
    want = cs.state()
    store.close()
    again = FileStore.open(tmp_path, "S")
    assert again.consumer_names() == ["again", "c"]
    assert again.consumer_store("again", b"y").config() == b"y"
    reopened = again.consumer_store("c", b"cfg-2", ack_policy="all")
    assert reopened.state() == want
    assert reopened.config() == b"cfg-2"
    again.close()


def test_file_reopen_keeps_watermarks_of_empty_store(tmp_path: Path) -> None:
    store = FileStore.open(tmp_path, "S")
    fill(store, ["a"] * 4)
    store.purge()
    store.close()
    again = FileStore.open(tmp_path, "S")
    assert summary(again) == (0, 5, 4, 0)
    assert again.store_msg("a", b"", b"")[0] == 5
    again.close()


def test_file_store_is_locked_while_open(tmp_path: Path) -> None:
    store = FileStore.open(tmp_path, "S")
    with pytest.raises(StoreError):
        FileStore.open(tmp_path, "S")
    store.close()
    FileStore.open(tmp_path, "S").close()


def test_file_layout_and_delete(tmp_path: Path) -> None:
    root = streams_dir(tmp_path, "ACC")
    assert root == tmp_path / "ACC" / "streams"
    for name in ("B", "A"):
        FileStore.open(root, name).close()
    assert list_streams(root) == ["A", "B"]
    store = FileStore.open(root, "A")
    store.delete()
    assert list_streams(root) == ["B"]
    with pytest.raises(StoreError):
        FileStore.open(root, "../x")


@pytest.mark.parametrize("hosted", [False, True], ids=["thread", "writer-process"])
async def test_file_disk_full_is_a_store_error(tmp_path: Path, hosted: bool) -> None:
    host = WriterHost() if hosted else None
    store = FileStore.open(tmp_path, "S", max_db_bytes=256 * 1024, host=host)
    store.store_msg("a", b"", b"first")
    await store.flush()

    async def fill_disk() -> None:
        for _ in range(100):
            store.store_msg("a", b"", b"x" * 16384)
            await asyncio.wait_for(store.flush(), 5)

    with pytest.raises(StoreError):
        await fill_disk()
    assert store.load(1) == StoreMsg("a", b"", b"first", 1, store.load(1).ts)  # type: ignore[union-attr]
    with pytest.raises(StoreError):
        store.store_msg("a", b"", b"more")
    with pytest.raises(StoreError):
        await store.flush()
    durable = store.state().last_seq
    store.close()
    again = FileStore.open(tmp_path, "S")
    st = again.state()
    assert 1 <= st.last_seq < durable
    assert again.load(st.last_seq) is not None
    again.close()
    if host is not None:
        host.close()


def test_file_sequences_beyond_the_limit_are_refused(tmp_path: Path) -> None:
    store = FileStore.open(tmp_path, "S")
    store.store_msg("a", b"", b"x")
    with pytest.raises(StoreError):
        store.compact(2**64 - 1)
    with pytest.raises(StoreError):
        store.store_raw_msg("a", b"", b"y", 2**63, 0)
    store.compact(2**63 - 1)
    assert store.store_msg("a", b"", b"last")[0] == 2**63 - 1
    with pytest.raises(StoreError):
        store.store_msg("a", b"", b"z")
    store.sync()
    store.close()
    again = FileStore.open(tmp_path, "S")
    assert (again.state().first_seq, again.state().last_seq) == (2**63 - 1, 2**63 - 1)
    assert again.load(2**63 - 1) == StoreMsg("a", b"", b"last", 2**63 - 1, again.load(2**63 - 1).ts)  # type: ignore[union-attr]
    again.close()
