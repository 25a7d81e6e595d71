# Batch reads for the file store: one SELECT for the next messages a consumer is about to deliver,
# instead of one per message (each execute costs far more than reading a row).
#
# The caller chooses the sequences from the index (live, matching, in order). Rows come back with
# their checksums verified, as in a single read; a row that is missing or fails its check is left
# out, so the single read that follows reports it exactly as before.
from __future__ import annotations

import sqlite3
import struct
import zlib
from typing import Final

from .base import StoreMsg, _new_msg

__all__ = ["read_many"]

_QUERY: Final = "SELECT seq, ttl, hcrc, crc, hdr, msg FROM msgs WHERE seq BETWEEN ? AND ?"
# A range scan reads every row in between: not worth it when the wanted rows are sparse.
_MAX_SPAN_FACTOR: Final = 4
# _sqlio.record_crcs, inlined as it runs for every row: the record header it checksums first.
_HEAD: Final = struct.Struct("<qqqq")


def read_many(
    reader: sqlite3.Connection, seqs: list[int], index: dict[int, tuple[str, int, int]]
) -> dict[int, StoreMsg]:
    """The stored messages with these sequences (ascending), by sequence. Subject, size and time
    come from the store's index (`index[seq]`, as the rows were verified when it was built); the
    row's checksums cover them too."""
    if len(seqs) < 2:
        return {}
    lo, hi = seqs[0], seqs[-1]
    span = hi - lo + 1
    if span > _MAX_SPAN_FACTOR * len(seqs):
        return {}
    try:
        rows = reader.execute(_QUERY, (lo, hi)).fetchall()
    except sqlite3.Error:
        return {}
    wanted = set(seqs) if span != len(seqs) else None
    out: dict[int, StoreMsg] = {}
    pack, crc32, new = _HEAD.pack, zlib.crc32, _new_msg
    for seq, ttl, hcrc, crc, hdr, msg in rows:
        if wanted is not None and seq not in wanted:
            continue
        meta = index.get(seq)
        if meta is None:
            continue
        subject, size, ts = meta
        hc = crc32(subject.encode(), crc32(pack(seq, ts, ttl, size)))
        if hc == hcrc and crc32(msg, crc32(hdr, hc)) == crc:
            out[seq] = new(StoreMsg, (subject, hdr, msg, seq, ts))
    return out
