# The write side of a file store: a background thread per store that turns queued batches into
# group commits through its own SQLite connection.
#
# Group commit. The owner thread hands over `(generation, ops)` batches; the writer drains
# everything queued, applies it atomically (see `apply_ops`), publishes the highest generation
# committed and calls `on_commit`. While one commit runs the next batches queue up, so the batch
# size adapts to the disk. After a failed commit the writer stops accepting work; the error is kept
# for the store to report.
#
# `LocalSink` is the SQLite connection a writer commits through. A server runs its writers in the
# store writer process (see _host); tools and tests without a server run them in this process.
from __future__ import annotations

import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

from ._sqlio import Op, apply_ops, connect, store_error
from .base import StoreError

__all__ = ["LocalSink", "Writer"]


class LocalSink:
    """Commits through an SQLite connection owned by the calling thread."""

    def __init__(self, path: Path, sync_interval: float | None, max_db_bytes: int | None) -> None:
        self._conn = connect(path, sync_interval=sync_interval, max_db_bytes=max_db_bytes, writer=True)

    def apply(self, ops: list[Op]) -> None:
        conn = self._conn
        try:
            apply_ops(conn, ops)
        except (sqlite3.Error, OSError, OverflowError) as exc:
            if conn.in_transaction:
                with suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
            raise store_error(exc, "write failed") from None

    def checkpoint(self) -> None:
        with suppress(sqlite3.Error):
            self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def close(self) -> None:
        with suppress(sqlite3.Error):
            self._conn.close()


class Writer:
    """The background thread that owns the write side of one store."""

    def __init__(
        self,
        path: Path,
        on_commit: Callable[[], None],
        *,
        sync_interval: float | None = None,
        max_db_bytes: int | None = None,
    ) -> None:
        self.committed = 0
        self.error: StoreError | None = None
        self._path = path
        self._on_commit = on_commit
        self._interval = sync_interval
        self._max_db_bytes = max_db_bytes
        self._queue: queue.SimpleQueue[tuple[int, list[Op]] | None] = queue.SimpleQueue()
        self._cond = threading.Condition()
        self._started = threading.Event()
        self._start_error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._run, name=f"store-writer:{path.parent.name}", daemon=True
        )
        self._thread.start()
        self._started.wait()
        if self._start_error is not None:
            exc = self._start_error
            raise (
                exc if isinstance(exc, StoreError) else store_error(exc, "cannot open the store for writing")
            )

    def submit(self, gen: int, ops: list[Op]) -> None:
        """Queue batch `gen`; ownership of `ops` passes to the writer."""
        self._queue.put((gen, ops))

    def wait(self, gen: int, timeout: float | None = None) -> bool:
        """Block until batch `gen` is committed or the writer failed; True if committed."""
        with self._cond:
            self._cond.wait_for(lambda: self.committed >= gen or self.error is not None, timeout)
            return self.committed >= gen

    def close(self) -> None:
        """Commit what is queued, then stop the thread and close the sink."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()

    def _run(self) -> None:
        try:
            sink = LocalSink(self._path, self._interval, self._max_db_bytes)
        except BaseException as exc:
            self._start_error = exc
            self._started.set()
            return
        self._started.set()
        try:
            self._serve(sink)
        finally:
            sink.close()

    def _serve(self, sink: LocalSink) -> None:
        unsynced_since = 0.0
        while True:
            timeout = None
            if self._interval is not None and unsynced_since:
                timeout = max(0.0, unsynced_since + self._interval - time.monotonic())
            try:
                items = [self._queue.get(timeout=timeout)]
            except queue.Empty:
                self._checkpoint(sink)
                unsynced_since = 0.0
                continue
            with suppress(queue.Empty):
                while True:
                    items.append(self._queue.get_nowait())
            batches = [item for item in items if item is not None]
            if batches:
                self._commit(sink, batches)
                if self._interval is not None and not unsynced_since:
                    unsynced_since = time.monotonic()
            if None in items:
                if unsynced_since:
                    self._checkpoint(sink)
                return

    def _commit(self, sink: LocalSink, batches: list[tuple[int, list[Op]]]) -> None:
        if self.error is None:
            try:
                sink.apply([op for _, ops in batches for op in ops])
            except Exception as exc:
                failure = exc if isinstance(exc, StoreError) else StoreError(f"write failed: {exc}")
                with self._cond:
                    self.error = failure
                    self._cond.notify_all()
            else:
                with self._cond:
                    self.committed = batches[-1][0]
                    self._cond.notify_all()
        self._on_commit()

    def _checkpoint(self, sink: LocalSink) -> None:
        if self.error is None:
            with suppress(StoreError):
                sink.checkpoint()
