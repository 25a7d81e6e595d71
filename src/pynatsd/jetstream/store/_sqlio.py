# SQLite plumbing of the file store: the schema, record checksums, error mapping, and `apply_ops`,
# which turns queued operations into one atomic write.
#
# Schema (one database per stream):
#   msgs(seq PK, ts, ttl, size, hcrc, crc, subject, hdr, msg)   the small columns come first, so
#                                        rebuilding the index on open never reads payload pages
#   meta(key PK, value, crc)             "format", "marks" (watermarks, totals), "config"
#   consumers(name PK, config, state, crc)
# `hcrc` is a CRC32 over (seq, ts, ttl, size, subject) and is checked when the index is rebuilt;
# `crc` continues it over the header and payload and is checked on every read. Together with
# `PRAGMA quick_check` on open this turns torn or flipped bytes into StoreCorrupt, never into data.
#
# Durability. The database runs in WAL mode. With synchronous=FULL every commit appends the
# transaction's frames to the WAL and fsyncs it before returning, and SQLite's recovery ignores
# everything after the last complete, checksummed commit frame: on storage that honours fsync a
# committed transaction survives kill -9 and power loss, and an uncommitted one vanishes whole.
# With a sync interval the store uses synchronous=NORMAL (a commit has reached the OS, so it
# survives kill -9 but not power loss) and checkpoints, which fsync, at most that interval apart.
#
# Group commit (see _writer): a batch of queued operations becomes, usually, one multi-row
# statement, so one transaction and one fsync (`apply_ops`).
from __future__ import annotations

import functools
import sqlite3
import struct
import zlib
from collections.abc import Callable
from itertools import chain
from pathlib import Path
from typing import Any, Final

from .base import StoreCorrupt, StoreError

__all__ = [
    "FORMAT",
    "OP_ABOVE",
    "OP_BELOW",
    "OP_CONSUMER",
    "OP_CONSUMER_DEL",
    "OP_DEL",
    "OP_ERASE",
    "OP_META",
    "OP_PUT",
    "SCHEMA",
    "Op",
    "apply_ops",
    "connect",
    "record_crcs",
    "store_error",
]

FORMAT: Final = b"pynatsd-stream-1"
Op = tuple[Any, ...]
OP_PUT: Final = 0  # (OP_PUT, StoreMsg or its fields, ttl, size)
OP_DEL: Final = 1  # (OP_DEL, seq)
OP_ERASE: Final = 2  # (OP_ERASE, seq)
OP_BELOW: Final = 3  # (OP_BELOW, seq): every seq < seq
OP_ABOVE: Final = 4  # (OP_ABOVE, seq): every seq > seq
OP_META: Final = 5  # (OP_META, key, value)
OP_CONSUMER: Final = 6  # (OP_CONSUMER, name, config, state)
OP_CONSUMER_DEL: Final = 7  # (OP_CONSUMER_DEL, name)

SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS msgs(
    seq INTEGER PRIMARY KEY, ts INTEGER NOT NULL, ttl INTEGER NOT NULL, size INTEGER NOT NULL,
    hcrc INTEGER NOT NULL, crc INTEGER NOT NULL, subject TEXT NOT NULL, hdr BLOB NOT NULL,
    msg BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value BLOB NOT NULL, crc INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS consumers(
    name TEXT PRIMARY KEY, config BLOB NOT NULL, state BLOB NOT NULL, crc INTEGER NOT NULL);
"""
_HEAD: Final = struct.Struct("<qqqq")
_CORRUPT_CODES: Final = frozenset({11, 26})  # SQLITE_CORRUPT, SQLITE_NOTADB

# Every change is a row: a message is inserted into `msgs` as itself; any other change is a row
# with a negative `seq` naming its kind, inserted into the writer's TEMP view `ops`, whose trigger
# carries it out. The target of a delete or truncation travels in `ts`, a key (meta key, consumer
# name) in `subject`. Messages bypass the trigger (it costs about as much as the insert itself).
# Statements come in a few fixed sizes, padded with rows that are filtered out (messages) or that
# the trigger ignores (ops), so they stay prepared. A commit is usually two statements, messages and
# the watermarks, in one transaction.
_OPS_SCHEMA: Final = """
CREATE TEMP VIEW ops(seq, ts, ttl, size, hcrc, crc, subject, hdr, msg) AS
    SELECT 0, 0, 0, 0, 0, 0, '', x'', x'' WHERE 0;
CREATE TEMP TRIGGER ops_apply INSTEAD OF INSERT ON ops BEGIN
    DELETE FROM msgs WHERE NEW.seq = -1 AND seq = NEW.ts;
    UPDATE msgs SET hdr = zeroblob(length(hdr)), msg = zeroblob(length(msg))
        WHERE NEW.seq = -2 AND seq = NEW.ts;
    DELETE FROM msgs WHERE NEW.seq = -2 AND seq = NEW.ts;
    DELETE FROM msgs WHERE NEW.seq = -3 AND seq < NEW.ts;
    DELETE FROM msgs WHERE NEW.seq = -4 AND seq > NEW.ts;
    INSERT OR REPLACE INTO meta SELECT NEW.subject, NEW.msg, NEW.crc WHERE NEW.seq = -5;
    INSERT OR REPLACE INTO consumers SELECT NEW.subject, NEW.hdr, NEW.msg, NEW.crc WHERE NEW.seq = -6;
    DELETE FROM consumers WHERE NEW.seq = -7 AND name = NEW.subject;
END;
"""
_SIZES: Final = (4, 8, 16, 32, 48, 64, 96, 128, 192, 272, 384, 528, 768, 1088, 1536, 2176, 3200)
# Padding and unused columns are integers: sqlite3 binds exact ints, floats and strs directly but
# runs every other value (None, bytes) through its adapter registry, which costs far more.
_NOP: Final = (-8, 0, 0, 0, 0, 0, 0, 0, 0)
_EMPTY_BLOB: Final = bytearray()  # bound, never modified
_COPY_MAX: Final = 4096
Row = tuple[Any, ...]


def record_crcs(
    seq: int, ts: int, ttl: int, size: int, subject: bytes, hdr: bytes, msg: bytes
) -> tuple[int, int]:
    """(hcrc, crc) of one message record."""
    hcrc = zlib.crc32(subject, zlib.crc32(_HEAD.pack(seq, ts, ttl, size)))
    return hcrc, zlib.crc32(msg, zlib.crc32(hdr, hcrc))


def store_error(exc: BaseException, what: str) -> StoreError:
    """Map an sqlite3/OS error to StoreCorrupt (damaged file) or StoreError (anything else)."""
    code = getattr(exc, "sqlite_errorcode", -1) & 0xFF
    if code in _CORRUPT_CODES:
        return StoreCorrupt(f"{what}: {exc}")
    return StoreError(f"{what}: {exc}")


def connect(
    path: Path, *, sync_interval: float | None, max_db_bytes: int | None = None, writer: bool = False
) -> sqlite3.Connection:
    """A connection in autocommit mode with the store's pragmas applied (and `ops` for the writer)."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        # A writer process of a server killed a moment ago may still be finishing its last commit.
        conn.execute("PRAGMA busy_timeout=10000")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=" + ("FULL" if sync_interval is None else "NORMAL"))
        conn.execute("PRAGMA cell_size_check=ON")
        conn.execute("PRAGMA journal_size_limit=67108864")
        if writer:
            conn.execute("PRAGMA temp_store=MEMORY")
            conn.executescript(_OPS_SCHEMA)
        if max_db_bytes is not None:
            page = conn.execute("PRAGMA page_size").fetchall()[0][0]
            conn.execute(f"PRAGMA max_page_count={max(1, max_db_bytes // page)}")
    except BaseException:
        conn.close()
        raise
    return conn


def _put_row(
    op: Op, crc32: Callable[[bytes, int], int] = zlib.crc32, pack: Callable[..., bytes] = _HEAD.pack
) -> Row:
    subject, hdr, msg, seq, ts = op[1]  # a StoreMsg, or its fields as a list (see _host)
    ttl, size = op[2], op[3]
    hcrc = crc32(subject.encode(), crc32(pack(seq, ts, ttl, size), 0))
    crc = crc32(msg, crc32(hdr, hcrc) if hdr else hcrc)
    # sqlite3 binds a bytearray directly but sends bytes through its adapter registry first, which
    # costs about a microsecond per value: more than copying a few kilobytes.
    blob_hdr = (bytearray(hdr) if len(hdr) <= _COPY_MAX else hdr) if hdr else _EMPTY_BLOB
    blob_msg = (bytearray(msg) if len(msg) <= _COPY_MAX else msg) if msg else _EMPTY_BLOB
    return (seq, ts, ttl, size, hcrc, crc, subject, blob_hdr, blob_msg)


def _blob(data: bytes) -> bytes | bytearray:
    """`data` in the form sqlite3 binds fastest (see _put_row)."""
    if not data:
        return _EMPTY_BLOB
    return bytearray(data) if len(data) <= _COPY_MAX else data


def _op_row(kind: int, target: int = 0, crc: int = 0, key: Any = 0, hdr: Any = 0, msg: Any = 0) -> Row:
    """The row that makes the trigger carry out a change other than storing a message."""
    return (-kind, target, 0, 0, 0, crc, key, hdr, msg)


def _keyed_row(op: Op) -> Row:
    kind = op[0]
    if kind == OP_META:
        return _op_row(OP_META, crc=zlib.crc32(op[2]), key=op[1], msg=_blob(op[2]))
    if kind == OP_CONSUMER:
        crc = zlib.crc32(op[3], zlib.crc32(op[2]))
        return _op_row(OP_CONSUMER, crc=crc, key=op[1], hdr=_blob(op[2]), msg=_blob(op[3]))
    return _op_row(OP_CONSUMER_DEL, key=op[1])


def _reduce(ops: list[Op]) -> list[Row]:
    """The rows for a run of ops with no truncation in it, where every row commutes with the rest.

    Without truncation a sequence is never reused, so a put deleted later in the same run cancels
    out, a put that survives is untouched by every delete in the run, and for metadata and
    consumers only the last value counts (a consumer's key is its name, whether upsert or delete).
    Rows can therefore be applied in any order.
    """
    puts: dict[int, Op] = {}
    deletes: list[Row] = []
    below = 0
    keyed: dict[tuple[bool, str], Row] = {}
    for op in ops:
        kind = op[0]
        if kind == OP_PUT:
            puts[op[1][3]] = op
        elif kind in (OP_DEL, OP_ERASE):
            if puts.pop(op[1], None) is None:
                deletes.append(_op_row(kind, op[1]))
        elif kind == OP_BELOW:
            below = max(below, op[1])
            for seq in [s for s in puts if s < below]:
                del puts[seq]
        elif kind in (OP_META, OP_CONSUMER, OP_CONSUMER_DEL):
            keyed[(kind == OP_META, op[1])] = _keyed_row(op)
        else:
            raise StoreError(f"unknown store operation {kind}")
    rows = [_put_row(op) for op in puts.values()]
    rows.extend(row for row in deletes if row[1] >= below or row[0] == -OP_ERASE)
    if below:
        rows.append(_op_row(OP_BELOW, below))
    rows.extend(keyed.values())
    return rows


@functools.cache
def _statement(into_ops: bool, size: int) -> str:
    values = ",".join(["(?,?,?,?,?,?,?,?,?)"] * size)
    if into_ops:
        return "INSERT INTO ops VALUES " + values
    return f"INSERT INTO msgs SELECT * FROM (VALUES {values}) WHERE column1 > 0"


def _chunks(rows: list[Row]) -> list[tuple[str, tuple[Any, ...]]]:
    """(statement, flat parameters) for at most _SIZES[-1] rows each, padded to a size in _SIZES."""
    out: list[tuple[str, tuple[Any, ...]]] = []
    for into_ops in (False, True):
        kind = [row for row in rows if (row[0] < 0) is into_ops]
        for i in range(0, len(kind), _SIZES[-1]):
            part = kind[i : i + _SIZES[-1]]
            size = next(n for n in _SIZES if n >= len(part))
            part.extend([_NOP] * (size - len(part)))
            out.append((_statement(into_ops, size), tuple(chain.from_iterable(part))))
    return out


def apply_ops(conn: sqlite3.Connection, ops: list[Op]) -> None:
    """Apply `ops` atomically: one statement when possible, else one transaction."""
    segments: list[list[Row]] = []
    start = 0
    for i, op in enumerate(ops):
        if op[0] == OP_ABOVE:
            segments.append(_reduce(ops[start:i]))
            segments.append([_op_row(OP_ABOVE, op[1])])
            start = i + 1
    segments.append(_reduce(ops[start:]))
    chunks = [chunk for rows in segments if rows for chunk in _chunks(rows)]
    if not chunks:
        return
    if len(chunks) == 1:
        conn.execute(*chunks[0])
        return
    conn.execute("BEGIN IMMEDIATE")
    for chunk in chunks:
        conn.execute(*chunk)
    conn.execute("COMMIT")
