# Durable consumer state inside a stream store: delivered and ack-floor sequence pairs, the pending
# (unacknowledged) deliveries and redelivery counts, with nats-server's update rules.
#
# Strategy
# - One `ConsumerStateStore` per consumer holds the state in memory and applies the rules of
#   nats-server's consumer store (UpdateDelivered / UpdateAcks), so the consumer layer can use it as
#   the record of what is pending.
# - Every change calls `on_change(self, config_changed)`; the owning stream store decides what that
#   costs. In memory nothing; the file store marks the consumer dirty and writes its encoded state
#   once in the next group commit, however many updates happened in between.
# - The encoding is little-endian fixed-width integers: a header (version, the two sequence pairs,
#   the entry counts), then pending as (stream seq, consumer seq, ts) triples, then redelivered as
#   (stream seq, count) pairs. The file store adds a checksum around it.
# - The file store encodes the state at every group commit, and pending holds every unacked
#   delivery, so once encoded the store keeps each pending entry's triple ready (`_packed`, updated
#   with pending) and an encoding only joins them.
from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Final

from .base import AckPolicy, ConsumerState, Pending, SequencePair, StoreCorrupt, StoreError

__all__ = ["ConsumerStateStore", "decode_state", "encode_state"]

_HEAD: Final = struct.Struct("<BQQQQII")
_TRIPLE: Final = struct.Struct("<qqq").pack
_VERSION: Final = 1
# Builds a NamedTuple without its Python-level __new__: these run for every delivery and ack.
_new: Final = tuple.__new__


def encode_state(state: ConsumerState, packed: bytes | None = None) -> bytes:
    """Serialise a consumer state; `packed` is its pending triples if already at hand."""
    pending = state.pending
    redelivered = state.redelivered
    head = _HEAD.pack(_VERSION, *state.delivered, *state.ack_floor, len(pending), len(redelivered))
    if packed is None:
        flat_p = [v for sseq, p in pending.items() for v in (sseq, p.consumer_seq, p.ts)]
        packed = struct.pack(f"<{len(flat_p)}q", *flat_p)
    flat_r = [v for item in redelivered.items() for v in item]
    return b"".join((head, packed, struct.pack(f"<{len(flat_r)}Q", *flat_r)))


def decode_state(data: bytes) -> ConsumerState:
    """Parse what `encode_state` produced.

    Raises:
        StoreCorrupt: the bytes are not a valid encoding.
    """
    try:
        version, dc, ds, ac, as_, np, nr = _HEAD.unpack_from(data)
        if version != _VERSION or len(data) != _HEAD.size + 24 * np + 16 * nr:
            raise StoreCorrupt("consumer state has a bad version or length")
        flat_p = struct.unpack_from(f"<{3 * np}q", data, _HEAD.size)
        flat_r = struct.unpack_from(f"<{2 * nr}Q", data, _HEAD.size + 24 * np)
    except struct.error as exc:
        raise StoreCorrupt(f"consumer state does not decode: {exc}") from None
    pending = {flat_p[i]: Pending(flat_p[i + 1], flat_p[i + 2]) for i in range(0, len(flat_p), 3)}
    redelivered = {flat_r[i]: flat_r[i + 1] for i in range(0, len(flat_r), 2)}
    return ConsumerState(SequencePair(dc, ds), SequencePair(ac, as_), pending, redelivered)


class ConsumerStateStore:
    """A consumer's persisted state, following nats-server's consumer store rules."""

    def __init__(
        self,
        name: str,
        on_change: Callable[[ConsumerStateStore, bool], None],
        on_delete: Callable[[str], None],
        state: ConsumerState | None = None,
        config: bytes = b"",
    ) -> None:
        self._name = name
        self._on_change = on_change
        self._on_delete = on_delete
        self._state = state if state is not None else ConsumerState()
        self._config = config
        self.ack_policy: AckPolicy = "explicit"
        self.max_deliver = -1
        self._packed: dict[int, bytes] | None = None

    @property
    def name(self) -> str:
        return self._name

    def config(self) -> bytes:
        return self._config

    def update_config(
        self, config: bytes, *, ack_policy: AckPolicy = "explicit", max_deliver: int = -1
    ) -> None:
        # Empty bytes reopen the store with its saved configuration (after a restart the caller
        # reads the configuration from here before it knows the ack rules).
        if config:
            self._config = bytes(config)
        self.ack_policy = ack_policy
        self.max_deliver = max_deliver
        self._on_change(self, True)

    def state(self) -> ConsumerState:
        return self._state.copy()

    @property
    def live(self) -> ConsumerState:
        """The current state itself, for readers that must not copy it; never mutate it."""
        return self._state

    def touch(self, sseq: int, ts: int) -> None:
        """Move the delivery time of pending `sseq` (progress, delayed NAK); not persisted at once."""
        p = self._state.pending.get(sseq)
        if p is not None:
            self._state.pending[sseq] = Pending(p.consumer_seq, ts)
            if self._packed is not None:
                self._packed[sseq] = _TRIPLE(sseq, p.consumer_seq, ts)

    def encoded_state(self) -> bytes:
        st = self._state
        packed = self._packed
        if packed is None:
            packed = self._packed = {s: _TRIPLE(s, p.consumer_seq, p.ts) for s, p in st.pending.items()}
        return encode_state(st, b"".join(packed.values()))

    def update(self, state: ConsumerState) -> None:
        if state.ack_floor.consumer > state.delivered.consumer:
            raise StoreError("bad ack floor for consumer")
        if state.ack_floor.stream > state.delivered.stream:
            raise StoreError("bad ack floor for stream")
        for seq in state.pending:
            if seq <= state.ack_floor.stream or seq > state.delivered.stream:
                raise StoreError(f"bad pending entry, sequence [{seq}] out of range")
        self._state = state.copy()
        self._packed = None
        self._on_change(self, False)

    def update_delivered(self, dseq: int, sseq: int, dc: int, ts: int) -> None:
        st = self._state
        if self.ack_policy == "none":
            self._delivered_no_ack(st, dseq, sseq, dc)
            return
        if dseq <= st.ack_floor.consumer:
            return
        delivered = st.delivered
        packed = self._packed
        if sseq <= delivered.stream:
            p = st.pending.get(sseq)
            if p is not None:
                st.pending[sseq] = _new(Pending, (p.consumer_seq, ts))
                if packed is not None:
                    packed[sseq] = _TRIPLE(sseq, p.consumer_seq, ts)
        else:
            st.pending[sseq] = _new(Pending, (dseq, ts))
            if packed is not None:
                packed[sseq] = _TRIPLE(sseq, dseq, ts)
        if dseq > delivered.consumer or sseq > delivered.stream:
            st.delivered = _new(SequencePair, (max(dseq, delivered.consumer), max(sseq, delivered.stream)))
        if dc > 1:
            if 0 < self.max_deliver < dc:
                st.pending.pop(sseq, None)
                if packed is not None:
                    packed.pop(sseq, None)
            if st.redelivered.get(sseq, 0) < dc - 1:
                st.redelivered[sseq] = dc - 1
        self._on_change(self, False)

    def update_delivered_run(self, dseq: int, seqs: list[int], ts: int) -> None:
        """update_delivered(dseq + i, seqs[i], 1, ts) for each first delivery of `seqs` (ascending),
        reported as one change."""
        st = self._state
        if self.ack_policy == "none" or dseq <= st.ack_floor.consumer or seqs[0] <= st.delivered.stream:
            for i, sseq in enumerate(seqs):
                self.update_delivered(dseq + i, sseq, 1, ts)
            return
        pending = st.pending
        packed = self._packed
        for sseq in seqs:
            pending[sseq] = _new(Pending, (dseq, ts))
            if packed is not None:
                packed[sseq] = _TRIPLE(sseq, dseq, ts)
            dseq += 1
        delivered = st.delivered
        st.delivered = _new(SequencePair, (max(dseq - 1, delivered.consumer), seqs[-1]))
        self._on_change(self, False)

    def _delivered_no_ack(self, st: ConsumerState, dseq: int, sseq: int, dc: int) -> None:
        if dc != 1:
            raise StoreError("redelivery with ack policy none")
        if dseq <= st.ack_floor.consumer:
            return
        if dseq > st.delivered.consumer:
            st.delivered = SequencePair(dseq, st.delivered.stream)
            st.ack_floor = SequencePair(dseq, st.ack_floor.stream)
        if sseq > st.delivered.stream:
            st.delivered = SequencePair(st.delivered.consumer, sseq)
            st.ack_floor = SequencePair(st.ack_floor.consumer, sseq)
        self._on_change(self, False)

    def update_acks(self, dseq: int, sseq: int) -> None:
        st = self._state
        if self.ack_policy == "none":
            raise StoreError("ack with ack policy none")
        if dseq <= st.ack_floor.consumer:
            return
        if sseq not in st.pending:
            st.redelivered.pop(sseq, None)
            raise StoreError(f"stream sequence {sseq} is not pending")
        packed = self._packed
        if self.ack_policy == "all":
            st.ack_floor = SequencePair(dseq, sseq)
            for seq in [s for s in st.pending if s <= sseq]:
                del st.pending[seq]
                st.redelivered.pop(seq, None)
                if packed is not None:
                    del packed[seq]
        else:
            self._ack_explicit(st, dseq, sseq)
            if packed is not None:
                del packed[sseq]
        self._on_change(self, False)

    @staticmethod
    def _ack_explicit(st: ConsumerState, dseq: int, sseq: int) -> None:
        pending = st.pending
        p = pending.pop(sseq)
        if 0 < p.consumer_seq < dseq:
            dseq = p.consumer_seq
        if not pending:
            st.ack_floor = st.delivered
        elif dseq == st.ack_floor.consumer + 1:
            floor = (dseq, sseq)
            if st.delivered.consumer > dseq:
                # acks in delivery order, the usual case, find the next pending entry at once
                nxt = sseq + 1 if sseq + 1 in pending else ConsumerStateStore._next_pending(st, sseq)
                if nxt and pending[nxt].consumer_seq > 0:
                    floor = (pending[nxt].consumer_seq - 1, nxt - 1)
            st.ack_floor = _new(SequencePair, floor)
        if st.redelivered:
            st.redelivered.pop(sseq, None)

    @staticmethod
    def _next_pending(st: ConsumerState, sseq: int) -> int:
        pending = st.pending
        if sseq + 1 in pending:
            return sseq + 1
        if st.delivered.stream - sseq <= len(pending):
            return next((s for s in range(sseq + 2, st.delivered.stream + 1) if s in pending), 0)
        return min((s for s in pending if s > sseq), default=0)

    def delete(self) -> None:
        self._on_delete(self._name)
