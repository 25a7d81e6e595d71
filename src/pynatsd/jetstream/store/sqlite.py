# File storage for streams: one SQLite database per stream, written by a background thread in
# group commits, read directly from the event loop.
#
# Layout: <store_dir>/<account>/streams/<stream>/stream.db (+ -wal, -shm while open) and LOCK, an
# flock()ed file that keeps a second process from opening the same stream. `streams_dir()` builds
# the account part and `list_streams()` finds what exists on boot. The same database holds the
# stream's configuration bytes and the state of its durable consumers.
#
# Write path. Every mutation updates the in-memory index at once (so the sequence is known and
# readers see the change), caches new messages in `_cache`, and appends an operation to `_ops`.
# The first change in an event-loop pass schedules `_submit` with call_soon, so everything issued
# in that pass becomes one batch; the writer thread (see _writer) commits whatever batches are
# queued in one transaction with one fsync, in this process or in the server's store writer
# process (see _host). A batch also carries the watermarks and the dirty consumers' states, so
# the database is always self-consistent at a commit boundary.
#
# Durability contract: `flush()` returns a future that completes when every change made before the
# call is committed (fsynced unless a sync interval was chosen); PubAcks are sent after it. It
# fails with StoreError if the commit failed, after which every write raises that error and the
# stream should be reopened (it then shows exactly what was durable). Reads keep working.
#
# Read path: liveness comes from the index; uncommitted messages are served from `_cache` (an entry
# leaves it once its batch is known to be committed); everything else is one indexed SELECT whose
# checksums are verified. Without a running loop (tools, tests) changes are submitted when `sync()`
# or `close()` is called, or when many are queued.
from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import struct
import zlib
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Final

from ._host import RemoteWriter, WriterHost
from ._index import StreamIndex
from ._indexed import IndexedStore
from ._readahead import read_many
from ._sqlio import (
    FORMAT,
    OP_ABOVE,
    OP_BELOW,
    OP_CONSUMER,
    OP_CONSUMER_DEL,
    OP_DEL,
    OP_ERASE,
    OP_META,
    OP_PUT,
    SCHEMA,
    Op,
    connect,
    record_crcs,
    store_error,
)
from ._writer import Writer
from .base import StoreClosed, StoreCorrupt, StoreError, StoreMsg, WriterLost, _new_msg
from .consumer import ConsumerStateStore, decode_state

try:
    import fcntl
except ImportError:  # pragma: no cover - non-POSIX
    fcntl = None  # type: ignore[assignment]

__all__ = ["DB_NAME", "FileStore", "list_streams", "streams_dir"]

DB_NAME: Final = "stream.db"
_EAGER_OPS: Final = 8192
_MARKS: Final = struct.Struct("<qqqqq")
_AHEAD_BYTES: Final = 4 << 20
# SQLite keys are signed 64-bit: the highest sequence a file store can hold (nats-server's is 2^64-1).
MAX_SEQ: Final = (1 << 63) - 1


def streams_dir(store_dir: str | os.PathLike[str], account: str) -> Path:
    """Where an account's streams live: <store_dir>/<account>/streams."""
    return Path(store_dir) / _checked_name(account) / "streams"


def list_streams(directory: str | os.PathLike[str]) -> list[str]:
    """Names of the streams stored under `directory` (a `streams_dir`)."""
    root = Path(directory)
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / DB_NAME).is_file())


def _checked_name(name: str) -> str:
    if not name or name in (".", "..") or any(c in name for c in "/\\\x00"):
        raise StoreError(f"invalid name for a store directory: {name!r}")
    return name


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# What the file store keeps in memory per message: (subject, size, ts), see _index.Entry.
MsgMeta = tuple[str, int, int]


def _meta_size(meta: MsgMeta) -> int:
    return meta[1]


class FileStore(IndexedStore[MsgMeta]):
    """A `StreamStore` persisted in SQLite with group commit. Create it with `FileStore.open`."""

    def __init__(
        self, name: str, directory: Path, reader: sqlite3.Connection, clock: Callable[[], int] | None
    ) -> None:
        super().__init__(name, StreamIndex(_meta_size), clock)
        self._dir = directory
        self._reader = reader
        self._writer: Writer | RemoteWriter | None = None
        self._lock_fd = -1
        self._cache: dict[int, StoreMsg] = {}
        self._ops: list[Op] = []
        self._batch_msgs: list[StoreMsg] = []
        self._dirty = False
        self._dirty_consumers: set[str] = set()
        self._gen = 0
        self._inflight: deque[tuple[int, list[StoreMsg]]] = deque()
        self._waiters: deque[tuple[int, asyncio.Future[None]]] = deque()
        self._scheduled = False
        self._loop: asyncio.AbstractEventLoop | None = None

    @classmethod
    def open(
        cls,
        directory: str | os.PathLike[str],
        name: str,
        *,
        sync_interval: float | None = None,
        max_db_bytes: int | None = None,
        clock: Callable[[], int] | None = None,
        host: WriterHost | None = None,
    ) -> FileStore:
        """Open or create stream `name` under `directory` and load its index.

        Args:
            sync_interval: None (default) fsyncs every commit. A number of seconds commits without
                fsync (safe against a process crash, not a power loss) and fsyncs that often.
            max_db_bytes: refuse to grow the database past this size (writes fail as on a full disk).
            host: the store writer process to commit through (when called on a running event
                loop); otherwise a thread of this process commits.

        Raises:
            StoreCorrupt: the database fails its integrity checks.
            StoreError: it cannot be opened (locked by another process, I/O error).
        """
        path = Path(directory) / _checked_name(name)
        path.mkdir(parents=True, exist_ok=True)
        lock_fd = _lock(path / "LOCK")
        created = not (path / DB_NAME).exists()
        store: FileStore | None = None
        try:
            reader = _open_db(path / DB_NAME, sync_interval)
            store = cls(name, path, reader, clock)
            store._lock_fd = lock_fd
            store._load()
            if created:
                _fsync_dir(path)
                _fsync_dir(path.parent)
            store._writer = store._open_writer(host, sync_interval, max_db_bytes)
        except BaseException:
            if store is not None:
                store._reader.close()
            os.close(lock_fd)
            raise
        return store

    def _open_writer(
        self, host: WriterHost | None, sync_interval: float | None, max_db_bytes: int | None
    ) -> Writer | RemoteWriter:
        db = self._dir / DB_NAME
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if host is not None and loop is not None:
            try:
                writer = host.open_writer(
                    db, self._settle, loop, sync_interval=sync_interval, max_db_bytes=max_db_bytes
                )
            except WriterLost:
                pass  # no writer process here (it cannot start): write from a thread instead
            else:
                self._loop = loop
                return writer
        return Writer(db, self._on_commit, sync_interval=sync_interval, max_db_bytes=max_db_bytes)

    # -- loading ----------------------------------------------------------------------------------

    def _load(self) -> None:
        try:
            rows = dict(
                (key, (bytes(value), crc)) for key, value, crc in self._reader.execute("SELECT * FROM meta")
            )
            for key, (value, crc) in rows.items():
                if zlib.crc32(value) != crc:
                    raise StoreCorrupt(f"stream {self._name!r}: metadata {key!r} fails its checksum")
            marks = rows.get("marks")
            self._meta = rows["config"][0] if "config" in rows else None
            self._load_msgs(_MARKS.unpack(marks[0]) if marks else (0, 0, 0, 0, 0))
            self._load_consumers()
        except sqlite3.Error as exc:
            raise store_error(exc, f"stream {self._name!r}: cannot load") from None
        except struct.error:
            raise StoreCorrupt(f"stream {self._name!r}: bad watermark record") from None

    def _load_msgs(self, marks: tuple[int, int, int, int, int]) -> None:
        first_seq, last_seq, last_ts, nmsgs, nbytes = marks
        index = self._index
        query = "SELECT seq, ts, ttl, size, hcrc, subject FROM msgs ORDER BY seq"
        for seq, ts, ttl, size, hcrc, subject in self._reader.execute(query):
            subject_b = subject.encode()
            if record_crcs(seq, ts, ttl, size, subject_b, b"", b"")[0] != hcrc:
                raise StoreCorrupt(f"stream {self._name!r}: record {seq} fails its checksum")
            index.add(seq, (subject, size, ts), size, ttl)
        if len(index.msgs) != nmsgs or index.bytes != nbytes or index.last_seq > last_seq:
            raise StoreCorrupt(
                f"stream {self._name!r}: {len(index.msgs)} records ({index.bytes} bytes, last {index.last_seq})"
                f" but {nmsgs} ({nbytes} bytes, last {last_seq}) were committed"
            )
        if index.msgs and index.first_seq != first_seq:
            raise StoreCorrupt(f"stream {self._name!r}: first record {index.first_seq}, expected {first_seq}")
        index.first_seq, index.last_seq, index.last_ts = first_seq, last_seq, last_ts

    def _load_consumers(self) -> None:
        for name, config, state, crc in self._reader.execute("SELECT * FROM consumers"):
            if zlib.crc32(state, zlib.crc32(config)) != crc:
                raise StoreCorrupt(f"stream {self._name!r}: consumer {name!r} fails its checksum")
            self._consumers[name] = ConsumerStateStore(
                name,
                self._consumer_changed,
                self._consumer_deleted,
                decode_state(bytes(state)),
                bytes(config),
            )

    # -- back-end hooks ---------------------------------------------------------------------------

    def msg_size(self, subject: str, hdr: bytes, msg: bytes) -> int:
        size = 30 + len(subject) + len(msg)
        return size + 4 + len(hdr) if hdr else size

    def _check_writable(self) -> None:
        if self._closed:
            raise StoreClosed(f"stream store {self._name!r} is closed")
        if self._writer is not None and self._writer.error is not None:
            raise _again(self._writer.error)

    def store_msg(self, subject: str, hdr: bytes, msg: bytes, ttl_ns: int = 0) -> tuple[int, int]:
        writer = self._writer
        if self._closed or writer is None or writer.error is not None:
            self._check_writable()
        index = self._index
        seq = index.last_seq + 1
        if seq > MAX_SEQ:
            _check_seq(seq)
        ts = self._clock()
        if ts < index.last_ts:
            ts = index.last_ts
        sm = _new_msg(StoreMsg, (subject, hdr, msg, seq, ts))
        size = 30 + len(subject) + len(msg) + (4 + len(hdr) if hdr else 0)
        self._cache[seq] = sm
        self._batch_msgs.append(sm)
        ops = self._ops
        ops.append((OP_PUT, sm, ttl_ns, size))
        self._dirty = True
        if not self._scheduled:
            self._schedule()
        elif len(ops) >= _EAGER_OPS:
            self._submit()
        index.add(seq, (subject, size, ts), size, ttl_ns)
        return seq, ts

    def store_raw_msg(self, subject: str, hdr: bytes, msg: bytes, seq: int, ts: int, ttl_ns: int = 0) -> None:
        _check_seq(seq)
        super().store_raw_msg(subject, hdr, msg, seq, ts, ttl_ns)

    def skip_msgs(self, seq: int, num: int) -> None:
        _check_seq(seq + max(num, 1) - 1)
        super().skip_msgs(seq, num)

    def compact(self, seq: int) -> int:
        _check_seq(seq)
        return super().compact(seq)

    def _put(self, sm: StoreMsg, size: int, ttl_ns: int) -> MsgMeta:
        self._cache[sm.seq] = sm
        self._batch_msgs.append(sm)
        self._ops.append((OP_PUT, sm, ttl_ns, size))
        self._changed()
        return (sm.subject, size, sm.ts)

    def _fetch(self, seq: int) -> StoreMsg:
        sm = self._cache.get(seq)
        if sm is not None:
            return sm
        try:
            rows = self._reader.execute(
                "SELECT ts, ttl, size, hcrc, crc, subject, hdr, msg FROM msgs WHERE seq=?", (seq,)
            ).fetchall()
        except sqlite3.Error as exc:
            raise store_error(exc, f"stream {self._name!r}: cannot read message {seq}") from None
        if not rows:
            raise StoreCorrupt(f"stream {self._name!r}: message {seq} is missing from the database")
        ts, ttl, size, hcrc, crc, subject, hdr, msg = rows[0]
        hdr, msg = bytes(hdr), bytes(msg)
        if record_crcs(seq, ts, ttl, size, subject.encode(), hdr, msg) != (hcrc, crc):
            raise StoreCorrupt(f"stream {self._name!r}: message {seq} fails its checksum")
        return StoreMsg(subject, hdr, msg, seq, ts)

    def prefetch(self, subject_filter: str, start_seq: int, limit: int) -> None:
        msgs, cache = self._index.msgs, self._cache
        seqs: list[int] = []
        room = _AHEAD_BYTES
        for seq in self._index.next_seqs(self._index.filter(subject_filter), start_seq, limit):
            room -= msgs[seq][1]
            if room < 0:
                break
            if seq not in cache:
                seqs.append(seq)
        self._ahead = read_many(self._reader, seqs, msgs)

    def _persist_remove(self, seq: int, erase: bool) -> None:
        self._ops.append((OP_ERASE if erase else OP_DEL, seq))
        self._changed()

    def _persist_below(self, seq: int) -> None:
        self._ops.append((OP_BELOW, seq))
        self._changed()

    def _persist_above(self, seq: int) -> None:
        self._ops.append((OP_ABOVE, seq))
        self._changed()

    def _persist_marks(self) -> None:
        self._changed()

    def _persist_consumer(self, cs: ConsumerStateStore, config: bool) -> None:
        self._dirty_consumers.add(cs.name)
        self._changed()

    def _persist_consumer_delete(self, name: str) -> None:
        self._dirty_consumers.discard(name)
        self._ops.append((OP_CONSUMER_DEL, name))
        self._changed()

    def save_meta(self, data: bytes) -> None:
        super().save_meta(data)
        self._ops.append((OP_META, "config", bytes(data)))
        self._changed()

    # -- group commit -----------------------------------------------------------------------------

    def _changed(self) -> None:
        self._dirty = True
        if self._scheduled:
            if len(self._ops) >= _EAGER_OPS:
                self._submit()
            return
        self._schedule()

    def _schedule(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            if len(self._ops) >= _EAGER_OPS:
                self._submit()
            return
        self._loop = loop
        self._scheduled = True
        loop.call_soon(self._tick)

    def _tick(self) -> None:
        self._scheduled = False
        self._submit()

    def _submit(self) -> None:
        writer = self._writer
        if not self._dirty or writer is None or writer.error is not None:
            return
        self._dirty = False
        ops, self._ops = self._ops, []
        for name in self._dirty_consumers:
            cs = self._consumers.get(name)
            if cs is not None:
                ops.append((OP_CONSUMER, name, cs.config(), cs.encoded_state()))
        self._dirty_consumers.clear()
        index = self._index
        marks = (index.first_seq, index.last_seq, index.last_ts, len(index.msgs), index.bytes)
        ops.append((OP_META, "marks", _MARKS.pack(*marks)))
        self._gen += 1
        self._inflight.append((self._gen, self._batch_msgs))
        self._batch_msgs = []
        writer.submit(self._gen, ops)
        self._prune()

    def _prune(self) -> None:
        if self._writer is None:
            return
        committed = self._writer.committed
        inflight = self._inflight
        cache = self._cache
        while inflight and inflight[0][0] <= committed:
            for sm in inflight.popleft()[1]:
                # After a truncate a sequence can be reused: drop only the entry this batch wrote.
                if cache.get(sm.seq) is sm:
                    del cache[sm.seq]

    def _on_commit(self) -> None:
        loop = self._loop
        if loop is not None:
            try:
                loop.call_soon_threadsafe(self._settle)
            except RuntimeError:
                pass

    def _settle(self) -> None:
        self._prune()
        writer = self._writer
        if writer is None:
            return
        committed = writer.committed
        waiters = self._waiters
        while waiters and waiters[0][0] <= committed:
            fut = waiters.popleft()[1]
            if not fut.done():
                fut.set_result(None)
        failure = (
            writer.error
            if writer.error is not None
            else (StoreClosed("store closed") if self._closed else None)
        )
        while failure is not None and waiters:
            fut = waiters.popleft()[1]
            if not fut.done():
                fut.set_exception(_again(failure))

    def flush(self, start: bool = False) -> asyncio.Future[None]:
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[None] = loop.create_future()
        writer = self._writer
        if self._closed or writer is None:
            fut.set_exception(StoreClosed(f"stream store {self._name!r} is closed"))
            return fut
        self._loop = loop
        target = self._gen + (1 if self._dirty else 0)
        if writer.error is not None:
            fut.set_exception(_again(writer.error))
        elif target <= writer.committed:
            fut.set_result(None)
        else:
            self._waiters.append((target, fut))
            if start:
                self._submit()
            elif self._dirty and not self._scheduled:
                self._schedule()
        return fut

    def sync(self) -> None:
        if self._closed or self._writer is None:
            return
        self._submit()
        self._writer.wait(self._gen)
        self._prune()
        self._wake_waiters()
        if self._writer.error is not None:
            raise _again(self._writer.error)

    def _wake_waiters(self) -> None:
        loop = self._loop
        if loop is None or not self._waiters:
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._settle()
        else:
            self._on_commit()

    # -- lifecycle --------------------------------------------------------------------------------

    def close(self) -> None:
        if self._closed:
            return
        try:
            self._submit()
        finally:
            if self._writer is not None:
                self._writer.close()
            self._closed = True
            self._prune()
            self._wake_waiters()
            self._reader.close()
            if self._lock_fd >= 0:
                os.close(self._lock_fd)
                self._lock_fd = -1

    def delete(self) -> None:
        self.close()
        shutil.rmtree(self._dir, ignore_errors=True)


def _check_seq(seq: int) -> None:
    if seq > MAX_SEQ:
        raise StoreError(f"sequence {seq} is beyond the file store's limit of {MAX_SEQ}")


def _again(err: StoreError) -> StoreError:
    """A fresh exception of the same kind for each caller that sees a failed writer."""
    return type(err)(str(err))


def _lock(path: Path) -> int:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    if fcntl is not None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise StoreError(f"stream store {path.parent} is in use by another process") from None
    return fd


def _open_db(path: Path, sync_interval: float | None) -> sqlite3.Connection:
    """Connect, verify the file's structure and create the schema when it is new."""
    try:
        conn = connect(path, sync_interval=sync_interval)
    except sqlite3.Error as exc:
        raise store_error(exc, f"cannot open {path.name}") from None
    try:
        problems = [row[0] for row in conn.execute("PRAGMA quick_check").fetchall()]
        if problems != ["ok"]:
            raise StoreCorrupt(f"{path}: integrity check failed: {'; '.join(problems)[:500]}")
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if not tables:
            init = f"INSERT INTO meta VALUES ('format', X'{FORMAT.hex()}', {zlib.crc32(FORMAT)});"
            conn.executescript(f"BEGIN IMMEDIATE;{SCHEMA}{init}COMMIT;")
        else:
            fmt = conn.execute("SELECT value FROM meta WHERE key='format'").fetchall()
            if not fmt or bytes(fmt[0][0]) != FORMAT:
                raise StoreCorrupt(f"{path}: not a stream store of this format")
    except sqlite3.Error as exc:
        conn.close()
        raise store_error(exc, f"{path}: cannot open") from None
    except BaseException:
        conn.close()
        raise
    return conn
