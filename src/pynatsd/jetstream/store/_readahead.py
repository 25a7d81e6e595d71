# Batch reads for the file store: one SELECT for the next messages a consumer is about to deliver,
# instead of one per message (each execute costs far more than reading a row).
#
# The caller chooses the sequences from the index (live, matching, in order). Rows come back with
# their checksums verified, as in a single read; a row that is missing or fails its check is left
# out, so the single read that follows reports it exactly as before.
from __future__ import annotations

import sqlite3
from typing import Final

from ._sqlio import record_crcs
from .base import StoreMsg, _new_msg

__all__ = ["read_many"]

_QUERY: Final = "SELECT seq, ts, ttl, size, hcrc, crc, subject, hdr, msg FROM msgs WHERE seq BETWEEN ? AND ?"
# A range scan reads every row in between: not worth it when the wanted rows are sparse.
_MAX_SPAN_FACTOR: Final = 4


def read_many(reader: sqlite3.Connection, seqs: list[int]) -> dict[int, StoreMsg]:
    """The stored messages with these sequences (ascending), by sequence."""
    if len(seqs) < 2:
        return {}
    lo, hi = seqs[0], seqs[-1]
    if hi - lo + 1 > _MAX_SPAN_FACTOR * len(seqs):
        return {}
    wanted = set(seqs)
    out: dict[int, StoreMsg] = {}
    try:
        rows = reader.execute(_QUERY, (lo, hi)).fetchall()
    except sqlite3.Error:
        return {}
    for seq, ts, ttl, size, hcrc, crc, subject, hdr, msg in rows:
        if seq not in wanted:
            continue
        hdr, msg = bytes(hdr), bytes(msg)
        if record_crcs(seq, ts, ttl, size, subject.encode(), hdr, msg) == (hcrc, crc):
            out[seq] = _new_msg(StoreMsg, (subject, hdr, msg, seq, ts))
    return out
