# `prefetch` is only a hint: whatever it read ahead, loads return what they would have without it,
# including after the messages change underneath (removal, purge, truncate and reuse of sequences).
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pynatsd.jetstream.store import FileStore, MemoryStore, StreamStore


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
