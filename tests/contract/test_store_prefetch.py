# `prefetch` is only a hint: whatever it read ahead, loads return what they would have without it,
# including after the messages change underneath (removal, purge, truncate and reuse of sequences).
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pynatsd.jetstream.store import FileStore, MemoryStore, StreamStore
from pynatsd.jetstream.store._readahead import read_many


@pytest.fixture(params=["memory", "file"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StreamStore]:
    s: StreamStore = MemoryStore("S") if request.param == "memory" else FileStore.open(tmp_path, "S")
    yield s
    s.close()


def fill(store: StreamStore, n: int, subject: str = "a", tag: bytes = b"m") -> None:
    for i in range(n):
        store.store_msg(subject if i % 3 else "b", b"", tag + b"%d" % i)
    store.sync()


def drain(store: StreamStore, flt: str, start: int) -> list[tuple[int, bytes]]:
    out = []
    sm = store.load_next(flt, start)
    while sm is not None:
        out.append((sm.seq, sm.msg))
        sm = store.load_next(flt, sm.seq + 1)
    return out


@pytest.mark.parametrize("flt", [">", "a", "b", "*"])
def test_prefetch_does_not_change_results(store: StreamStore, flt: str) -> None:
    fill(store, 40)
    for seq in (7, 8, 12, 30):
        store.remove(seq)
    expected = drain(store, flt, 5)
    store.prefetch(flt, 5, 30)
    assert drain(store, flt, 5) == expected
    store.prefetch(flt, 5, 30)
    assert [store.load(s) for s, _ in expected] == [store.load_next(flt, s) for s, _ in expected]


def test_prefetch_then_remove_and_purge(store: StreamStore) -> None:
    fill(store, 20)
    store.prefetch(">", 1, 20)
    store.remove(3)
    assert store.load(3) is None
    assert store.load_next(">", 3) == store.load(4)
    store.purge("b")
    assert all(sm.subject == "a" for sm in [store.load_next(">", s) for s in range(1, 21)] if sm)


def test_prefetch_then_truncate_reuses_sequences(store: StreamStore) -> None:
    fill(store, 20)
    store.prefetch(">", 1, 20)
    store.truncate(5)
    fill(store, 10, tag=b"new")
    sm = store.load_next(">", 6)
    assert sm is not None
    assert (sm.seq, sm.msg) == (6, b"new0")
    store.prefetch(">", 1, 20)
    store.compact(100)
    fill(store, 3, tag=b"after")
    sm = store.load_next(">", 1)
    assert sm is not None
    assert (sm.seq, sm.msg) == (100, b"after0")


def test_read_ahead_verifies_and_returns_every_row(tmp_path: Path) -> None:
    s = FileStore.open(tmp_path, "S")
    try:
        fill(s, 10)
        s.store_msg("h", b"NATS/1.0\r\nX: 1\r\n\r\n", b"with header", ttl_ns=-1)
        s.store_msg("t", b"", b"with ttl", ttl_ns=5_000_000_000)
        s.sync()
        got = read_many(s._reader, list(range(1, 13)), s._index.msgs)
        assert list(got.values()) == [s.load(seq) for seq in range(1, 13)]
        assert read_many(s._reader, [2, 5, 6], s._index.msgs) == {seq: s.load(seq) for seq in (2, 5, 6)}
    finally:
        s.close()


def test_load_next_many_is_load_next_repeated(store: StreamStore) -> None:
    fill(store, 30)
    for seq in (4, 5, 17):
        store.remove(seq)
    for flt in (">", "a", "b"):
        expected = drain(store, flt, 3)
        store.prefetch(flt, 3, 10)
        got = store.load_next_many(flt, 3, 10)
        assert [(sm.seq, sm.msg) for sm in got] == expected[:10]
        assert store.load_next_many(flt, 3, 100) == [store.load(seq) for seq, _ in expected]
