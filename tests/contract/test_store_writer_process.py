# File stores committing through the store writer process, as a server's stores do: the same
# durability contract as the in-process writer (a flushed change is on disk, reads see everything,
# a failed commit is a StoreError), plus the process's own life cycle.
from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from pynatsd.jetstream.store import (
    ConsumerState,
    FileStore,
    SequencePair,
    StoreError,
    StoreMsg,
    WriterHost,
    _host,
)


@pytest.fixture
def host() -> Iterator[WriterHost]:
    h = WriterHost()
    yield h
    h.close()


def _writer_pid(host: WriterHost) -> int:
    proc = host._proc
    assert proc is not None
    assert proc.poll() is None
    return proc.pid


async def test_flushed_messages_are_durable(tmp_path: Path, host: WriterHost) -> None:
    store = FileStore.open(tmp_path, "S", host=host)
    for i in range(2000):
        store.store_msg(f"s.{i % 7}", b"NATS/1.0\r\nA: b\r\n\r\n" if i % 3 == 0 else b"", b"%d" % i)
    await asyncio.wait_for(store.flush(), 10)
    store.remove(5)
    store.purge("s.1")
    await asyncio.wait_for(store.flush(), 10)
    state = store.state()
    store.close()
    again = FileStore.open(tmp_path, "S")
    assert again.state() == state
    assert again.load(3) == StoreMsg("s.2", b"", b"2", 3, again.load(3).ts)  # type: ignore[union-attr]
    assert again.load(5) is None
    assert again.load(4) == StoreMsg("s.3", b"NATS/1.0\r\nA: b\r\n\r\n", b"3", 4, again.load(4).ts)  # type: ignore[union-attr]
    again.close()


async def test_consumer_state_and_truncation(tmp_path: Path, host: WriterHost) -> None:
    store = FileStore.open(tmp_path, "S", host=host)
    for i in range(10):
        store.store_msg("a", b"", b"%d" % i)
    cs = store.consumer_store("C", b"{}")
    cs.update(ConsumerState(delivered=SequencePair(4, 4), ack_floor=SequencePair(2, 2)))
    store.truncate(6)
    store.store_msg("a", b"", b"again")
    await asyncio.wait_for(store.flush(), 10)
    store.close()
    again = FileStore.open(tmp_path, "S", host=host)
    assert again.state().last_seq == 7
    assert again.load(7) == StoreMsg("a", b"", b"again", 7, again.load(7).ts)  # type: ignore[union-attr]
    assert again.consumer_store("C", b"{}").state().ack_floor == SequencePair(2, 2)
    again.close()


async def test_sync_blocks_until_durable(tmp_path: Path, host: WriterHost) -> None:
    store = FileStore.open(tmp_path, "S", host=host)
    store.store_msg("a", b"", b"x" * 1000)
    store.sync()
    reader = FileStore.open(tmp_path, "T")  # another stream: the first is locked while open
    reader.close()
    store.close()
    assert FileStore.open(tmp_path, "S").state().msgs == 1


async def test_a_dead_writer_process_fails_writes_not_the_caller(tmp_path: Path, host: WriterHost) -> None:
    store = FileStore.open(tmp_path, "S", host=host)
    store.store_msg("a", b"", b"kept")
    await store.flush()
    os.kill(_writer_pid(host), signal.SIGKILL)

    async def write_more() -> None:
        for _ in range(50):
            store.store_msg("a", b"", b"lost")
            await asyncio.wait_for(store.flush(), 5)

    with pytest.raises(StoreError):
        await write_more()
    assert store.load(1) is not None
    store.close()
    again = FileStore.open(tmp_path, "S", host=host)  # a new writer process is started
    again.store_msg("a", b"", b"later")
    await asyncio.wait_for(again.flush(), 5)
    assert again.load(again.state().last_seq) is not None
    again.close()


async def test_the_process_exits_when_the_host_closes(tmp_path: Path) -> None:
    host = WriterHost()
    store = FileStore.open(tmp_path, "S", host=host)
    pid = _writer_pid(host)
    store.close()
    host.close()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_without_an_event_loop_the_store_writes_in_process(tmp_path: Path, host: WriterHost) -> None:
    store = FileStore.open(tmp_path, "S", host=host)
    store.store_msg("a", b"", b"x")
    store.sync()
    store.close()
    assert host._proc is None
    assert FileStore.open(tmp_path, "S").state().msgs == 1


async def test_a_writer_process_that_cannot_start_leaves_writing_to_a_thread(
    tmp_path: Path, host: WriterHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_host, "_PROCESS_MODULE", "pynatsd.no_such_module")
    store = FileStore.open(tmp_path, "S", host=host)
    store.store_msg("a", b"", b"x")
    await asyncio.wait_for(store.flush(), 5)
    store.close()
    assert FileStore.open(tmp_path, "S").state().msgs == 1
