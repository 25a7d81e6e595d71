# Crash and corruption recovery of the file store.
#
# 1. kill -9 during a pipelined write stream: a child process stores messages, keeps several group
#    commits in flight and prints the last sequence of each batch once its flush() completes (that
#    print is the PubAck). It is SIGKILLed mid-stream, twice, the second time after reopening. Every
#    acknowledged sequence must be there with its payload, sequences in order, none duplicated.
# 2. Damaged files: a truncated database, a torn WAL tail, a flipped byte in a payload, a subject,
#    consumer state or configuration, and a file that is not a database. Each is either recovered
#    to a consistent earlier state (torn WAL: SQLite drops the incomplete commit) or reported as
#    StoreCorrupt, on open or on read. Never served as data.
from __future__ import annotations

import os
import selectors
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import pynatsd
from pynatsd.jetstream.store import FileStore, StoreCorrupt, StoreMsg

SRC = Path(pynatsd.__file__).resolve().parents[1]

WRITER = textwrap.dedent(
    """
    import asyncio, sys
    from pynatsd.jetstream.store import FileStore

    def payload(seq):
        return (b"%d|" % seq) * 12

    async def main():
        store = FileStore.open(sys.argv[1], "S")
        seq = store.state().last_seq
        inflight = []
        while True:
            for _ in range(50):
                seq, _ = store.store_msg("w.%d" % (seq % 7), b"", payload(seq + 1))
            fut = store.flush()
            fut.add_done_callback(lambda f, s=seq: print(s, flush=True))
            inflight.append(fut)
            if len(inflight) > 8:
                await inflight.pop(0)
            await asyncio.sleep(0)

    asyncio.run(main())
    """
)


def payload(seq: int) -> bytes:
    return (b"%d|" % seq) * 12


def run_and_kill(script: Path, directory: Path, run_for: float) -> int:
    """Run the writer, SIGKILL it `run_for` seconds after its first ack; the highest acked seq."""
    env = dict(os.environ, PYTHONPATH=str(SRC))
    errors = script.with_suffix(".err")
    with errors.open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, str(script), str(directory)], stdout=subprocess.PIPE, stderr=err, env=env
        )
    assert proc.stdout is not None
    out = b""
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    started = time.monotonic()
    kill_at = started + 10.0
    try:
        while time.monotonic() < kill_at:
            if sel.select(timeout=0.05):
                chunk = os.read(proc.stdout.fileno(), 65536)
                if not chunk:
                    break
                if not out and b"\n" in chunk:
                    kill_at = time.monotonic() + run_for
                out += chunk
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        out += proc.stdout.read()
        proc.stdout.close()
        sel.close()
    assert proc.returncode == -signal.SIGKILL, errors.read_text()
    acked = [int(line) for line in out.split(b"\n")[:-1]]
    assert acked, "the writer acknowledged nothing"
    assert acked == sorted(acked)
    return acked[-1]


def test_kill_9_keeps_every_acknowledged_message(tmp_path: Path) -> None:
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    directory = tmp_path / "streams"
    acked = 0
    for run_for in (0.4, 1.0):
        acked = max(acked, run_and_kill(script, directory, run_for))
        store = FileStore.open(directory, "S")
        try:
            st = store.state()
            assert st.last_seq >= acked
            assert (st.msgs, st.first_seq, st.num_deleted) == (st.last_seq, 1, 0)
            # msgs == last_seq with first_seq 1 and nothing deleted means no gaps; a sample of
            # records (and the acknowledged tail) must hold exactly what was written.
            step = max(1, st.last_seq // 400)
            for seq in [*range(1, st.last_seq + 1, step), *range(max(1, acked - 50), st.last_seq + 1)]:
                sm = store.load(seq)
                assert sm == StoreMsg(f"w.{(seq - 1) % 7}", b"", payload(seq), seq, sm.ts if sm else 0)
        finally:
            store.close()


def build(directory: Path, count: int = 400) -> None:
    store = FileStore.open(directory, "S")
    for seq in range(1, count + 1):
        subject = "flip.me" if seq == 17 else f"orders.{seq % 5}"
        store.store_msg(subject, b"", b"PAYLOAD-%04d-" % seq * 4)
    store.save_meta(b'{"name":"S","subjects":["orders.>"]}')
    cs = store.consumer_store("durable", b'{"durable_name":"durable"}')
    cs.update_delivered(1, 1, 1, 123456789)
    store.close()


def flip(path: Path, needle: bytes) -> None:
    data = bytearray(path.read_bytes())
    assert data.count(needle) == 1
    data[data.index(needle) + 2] ^= 0x01
    path.write_bytes(bytes(data))


def test_flipped_payload_byte_is_detected_on_read(tmp_path: Path) -> None:
    build(tmp_path)
    flip(tmp_path / "S" / "stream.db", b"PAYLOAD-0042-" * 4)
    store = FileStore.open(tmp_path, "S")
    try:
        assert store.load(41) is not None
        with pytest.raises(StoreCorrupt):
            store.load(42)
        with pytest.raises(StoreCorrupt):
            store.load_next("orders.2", 40)
    finally:
        store.close()


@pytest.mark.parametrize("needle", [b"flip.me", b'"durable_name"', b'"subjects"'])
def test_flipped_byte_in_index_consumer_or_config_is_detected_on_open(tmp_path: Path, needle: bytes) -> None:
    build(tmp_path)
    flip(tmp_path / "S" / "stream.db", needle)
    with pytest.raises(StoreCorrupt):
        FileStore.open(tmp_path, "S")


@pytest.mark.parametrize("fraction", [0.3, 0.8, 0.999])
def test_truncated_database_is_detected_on_open(tmp_path: Path, fraction: float) -> None:
    build(tmp_path)
    db = tmp_path / "S" / "stream.db"
    with db.open("r+b") as f:
        f.truncate(int(db.stat().st_size * fraction))
    with pytest.raises(StoreCorrupt):
        FileStore.open(tmp_path, "S")


def test_garbage_file_is_detected_on_open(tmp_path: Path) -> None:
    (tmp_path / "S").mkdir()
    (tmp_path / "S" / "stream.db").write_bytes(b"definitely not sqlite " * 500)
    with pytest.raises(StoreCorrupt):
        FileStore.open(tmp_path, "S")


def test_torn_wal_tail_recovers_a_consistent_prefix(tmp_path: Path) -> None:
    live = tmp_path / "live"
    store = FileStore.open(live, "S")
    for batch in range(5):
        for i in range(40):
            store.store_msg(f"t.{batch}", b"", b"torn-%d-%d" % (batch, i))
        store.sync()
    copy = tmp_path / "copy" / "S"
    copy.mkdir(parents=True)
    for name in ("stream.db", "stream.db-wal"):
        shutil.copy(live / "S" / name, copy / name)
    store.close()
    wal = copy / "stream.db-wal"
    with wal.open("r+b") as f:
        f.truncate(wal.stat().st_size - 1000)
    again = FileStore.open(tmp_path / "copy", "S")
    try:
        st = again.state()
        assert st.last_seq in (120, 160)
        assert st.msgs == st.last_seq
        for seq in range(1, st.last_seq + 1):
            msg = again.load(seq)
            assert msg is not None
            assert msg.msg == b"torn-%d-%d" % divmod(seq - 1, 40)
    finally:
        again.close()
