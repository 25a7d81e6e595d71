# The storage contract of a JetStream stream: what a back-end stores, what it answers, and the
# sequence rules every back-end must share, modelled on nats-server's store.go.
#
# Theory of operation
# - A stream is a log of messages numbered by a sequence that only grows. The store assigns the next
#   sequence synchronously (`store_msg` returns it at once), so the caller can answer with it without
#   awaiting anything; durability is a separate step (`flush`).
# - Sequence rules (observed on nats-server 2.15, both storage types):
#     new, empty stream                first_seq 0, last_seq 0
#     config first_seq N               first_seq N, last_seq N-1 (the caller runs `compact(N)`)
#     messages removed, store empty    first_seq = last_seq + 1; last_seq never goes back
#     interior removals                num_deleted = last_seq - first_seq + 1 - msgs
#     compact(seq) past the end        first_seq = seq, last_seq = seq - 1
# - Removal never renumbers. last_ts survives removals; first_ts is 0 when the store is empty.
# - Subject filters: "" and ">" mean every subject; `*` matches one token and `>` one or more.
# - The caller owns the stream semantics (limits, retention, dedupe, markers). The store gives it cheap
#   answers: per-subject counts and first/last, the oldest timestamp and a per-message TTL index.
# - Byte accounting follows nats-server: 16 + subject + header + payload in memory; on file
#   30 + subject + payload, plus 4 + header when there is one.
#
# Threading: a store belongs to one thread (the event loop). Back-ends may use worker threads
# internally, but no method may be called concurrently from two threads.
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Final, Literal, NamedTuple, Protocol

__all__ = [
    "AckPolicy",
    "ConsumerState",
    "ConsumerStore",
    "Pending",
    "SequencePair",
    "SimpleState",
    "StoreClosed",
    "StoreCorrupt",
    "StoreError",
    "StoreMsg",
    "StreamState",
    "StreamStore",
]

AckPolicy = Literal["none", "all", "explicit"]


class StoreError(Exception):
    """A store operation failed (I/O error, disk full, bad argument, store unusable)."""


class StoreCorrupt(StoreError):
    """Stored data failed an integrity check (checksum, database structure, lost records)."""


class StoreClosed(StoreError):
    """The store was closed or deleted."""


class WriterLost(StoreError):
    """The store writer process went away: the store must be reopened to write again."""


class StoreMsg(NamedTuple):
    """One stored message. `ts` is nanoseconds since the Unix epoch."""

    subject: str
    hdr: bytes
    msg: bytes
    seq: int
    ts: int


# Building a StoreMsg through tuple.__new__ skips the generated Python-level __new__ (hot path).
_new_msg: Final = tuple.__new__


class SimpleState(NamedTuple):
    """Messages matching a filter: their count and first and last sequence (0 when none)."""

    msgs: int = 0
    first: int = 0
    last: int = 0


@dataclass(slots=True)
class StreamState:
    """The whole-stream state. `consumer_count` is left for the stream layer to fill in."""

    msgs: int = 0
    bytes: int = 0
    first_seq: int = 0
    first_ts: int = 0
    last_seq: int = 0
    last_ts: int = 0
    num_deleted: int = 0
    deleted: list[int] | None = None
    num_subjects: int = 0
    consumer_count: int = 0


class SequencePair(NamedTuple):
    """A consumer sequence and the stream sequence it corresponds to."""

    consumer: int = 0
    stream: int = 0


class Pending(NamedTuple):
    """An unacknowledged delivery: the consumer sequence it went out as and when (ns)."""

    consumer_seq: int
    ts: int


@dataclass(slots=True)
class ConsumerState:
    """Durable consumer progress. `pending` and `redelivered` are keyed by stream sequence."""

    delivered: SequencePair = field(default_factory=SequencePair)
    ack_floor: SequencePair = field(default_factory=SequencePair)
    pending: dict[int, Pending] = field(default_factory=dict)
    redelivered: dict[int, int] = field(default_factory=dict)

    def copy(self) -> ConsumerState:
        """An independent copy."""
        return ConsumerState(self.delivered, self.ack_floor, dict(self.pending), dict(self.redelivered))


class ConsumerStore(Protocol):
    """Persisted state of one durable consumer, kept inside its stream's store."""

    @property
    def name(self) -> str:
        """The consumer's durable name."""
        ...

    def config(self) -> bytes:
        """The configuration bytes last given (opaque to the store)."""
        ...

    def update_config(
        self, config: bytes, *, ack_policy: AckPolicy = "explicit", max_deliver: int = -1
    ) -> None:
        """Replace the configuration and the ack rules `update_delivered`/`update_acks` follow."""
        ...

    def state(self) -> ConsumerState:
        """A copy of the current state."""
        ...

    def update(self, state: ConsumerState) -> None:
        """Replace the whole state (used after a reset or when restoring).

        Raises:
            StoreError: the ack floor is above delivered, or a pending entry is out of range.
        """
        ...

    def update_delivered(self, dseq: int, sseq: int, dc: int, ts: int) -> None:
        """Record delivery `dseq` of stream message `sseq`, its delivery count `dc`, at `ts` (ns).

        Follows nats-server: a redelivery keeps the original consumer sequence and updates the
        timestamp; with ack policy "none" delivered and the ack floor move together.

        Raises:
            StoreError: a redelivery (dc > 1) under ack policy "none".
        """
        ...

    def update_acks(self, dseq: int, sseq: int) -> None:
        """Record the ack of stream message `sseq` (delivered as `dseq`) and move the ack floor.

        Ack policy "all" acknowledges everything up to `sseq`.

        Raises:
            StoreError: ack policy "none", or `sseq` is not pending.
        """
        ...

    def delete(self) -> None:
        """Remove this consumer and its state from the store."""
        ...


class StreamStore(Protocol):
    """Message storage for one stream. Every back-end passes the same contract tests."""

    @property
    def name(self) -> str:
        """The stream name."""
        ...

    def msg_size(self, subject: str, hdr: bytes, msg: bytes) -> int:
        """The bytes this message would add to `state().bytes` (for max_bytes checks)."""
        ...

    def store_msg(self, subject: str, hdr: bytes, msg: bytes, ttl_ns: int = 0) -> tuple[int, int]:
        """Append a message; returns its (sequence, timestamp ns). Never blocks on I/O.

        `ttl_ns` > 0 is a per-message TTL (see `expired`); < 0 means "never expires", which also
        exempts the message from max_age; 0 means none.

        Raises:
            StoreError: the store is closed or has failed.
        """
        ...

    def store_raw_msg(self, subject: str, hdr: bytes, msg: bytes, seq: int, ts: int, ttl_ns: int = 0) -> None:
        """Append a message with a given sequence and timestamp (mirrors, replication).

        Raises:
            StoreError: `seq` is not `last_seq + 1`.
        """
        ...

    def skip_msgs(self, seq: int, num: int) -> None:
        """Consume sequences `seq .. seq+num-1` without storing anything.

        Raises:
            StoreError: `seq` is not `last_seq + 1`.
        """
        ...

    def load(self, seq: int) -> StoreMsg | None:
        """The message at `seq`, or None if it does not exist.

        Raises:
            StoreCorrupt: the record fails its checksum.
        """
        ...

    def load_next(self, subject_filter: str, start_seq: int) -> StoreMsg | None:
        """The first message with sequence >= `start_seq` whose subject matches the filter."""
        ...

    def load_next_many(self, subject_filter: str, start_seq: int, limit: int) -> list[StoreMsg]:
        """What `load_next` returns called up to `limit` times, each from just after the previous
        message, in one call. A message that fails to load ends the list early (it is raised only
        when it would be the first)."""
        ...

    def prefetch(self, subject_filter: str, start_seq: int, limit: int) -> None:
        """A hint that `load_next` is about to be called for up to `limit` messages from
        `start_seq`: a back-end may read them in one go. Results are unaffected."""
        ...

    def load_prev(self, subject_filter: str, start_seq: int) -> StoreMsg | None:
        """The last message with sequence <= `start_seq` whose subject matches the filter."""
        ...

    def load_last(self, subject_filter: str) -> StoreMsg | None:
        """The newest message whose subject matches the filter."""
        ...

    def remove(self, seq: int, erase: bool = False) -> bool:
        """Delete one message; `erase` also overwrites its bytes where the back-end can.

        Returns whether a message was removed.
        """
        ...

    def purge(self, subject: str = "", seq: int = 0, keep: int = 0) -> int:
        """nats-server PurgeEx; returns how many messages were removed.

        With no filter ("" or ">"): no seq and no keep removes everything; `seq` > 1 removes all
        below `seq` (as `compact`); `keep` leaves the newest `keep` messages. With a filter: removes
        matching messages below `seq` (when > 1), leaving the newest `keep` matching ones. Combining
        seq and keep is refused by the API layer, not here.
        """
        ...

    def compact(self, seq: int) -> int:
        """Remove every message below `seq`; returns how many. Past the end, the next message gets
        sequence `seq`. `compact(0)` purges everything."""
        ...

    def truncate(self, seq: int) -> None:
        """Remove every message above `seq` and make `seq` the last sequence (0 resets the store)."""
        ...

    def state(self, deleted_details: bool = False) -> StreamState:
        """The stream state; the list of interior deleted sequences only when asked for."""
        ...

    def filtered_state(self, start_seq: int, subject_filter: str) -> SimpleState:
        """Count, first and last of the messages at or after `start_seq` matching the filter."""
        ...

    def subjects_state(self, subject_filter: str = "") -> dict[str, int]:
        """Message count per subject, for subjects matching the filter."""
        ...

    def subject_state(self, subject: str) -> SimpleState:
        """Count, oldest and newest sequence of one literal subject (max_msgs_per_subject)."""
        ...

    def num_pending(self, start_seq: int, subject_filter: str, last_per_subject: bool = False) -> int:
        """Messages at or after `start_seq` matching the filter; with `last_per_subject`, the
        number of matching subjects whose newest message is at or after `start_seq`."""
        ...

    def multi_last_seqs(self, filters: list[str], up_to_seq: int = 0) -> list[int]:
        """Sorted newest sequence per subject matching any filter, at or below `up_to_seq`
        (0 = the end). Direct get `multi_last`."""
        ...

    def seq_for_time(self, ts: int) -> int:
        """The first sequence whose timestamp is >= `ts`, or last_seq + 1 when none."""
        ...

    def next_expiry(self, max_age_ns: int = 0) -> int:
        """When (ns) the earliest message expires by per-message TTL or by `max_age_ns`; 0 = never."""
        ...

    def expired(self, now: int, max_age_ns: int = 0, limit: int = 10_000) -> list[int]:
        """Sorted sequences due to expire at `now`: per-message TTL passed, or older than
        `max_age_ns` (unless their TTL is "never"). The caller removes them."""
        ...

    def flush(self, start: bool = False) -> asyncio.Future[None]:
        """A future that completes once every change made before the call is durable.

        Must be called on the running event loop. Fails with StoreError if the write failed.
        Changes are written at the end of the loop pass; `start` hands them to the disk at once,
        so a long pass overlaps its writing with the rest of its work.
        """
        ...

    def sync(self) -> None:
        """Block until every change made so far is durable (shutdown, tests; not on the loop)."""
        ...

    def save_meta(self, data: bytes) -> None:
        """Persist the stream's configuration (opaque bytes)."""
        ...

    def load_meta(self) -> bytes | None:
        """The configuration last saved, if any."""
        ...

    def consumer_store(
        self, name: str, config: bytes, *, ack_policy: AckPolicy = "explicit", max_deliver: int = -1
    ) -> ConsumerStore:
        """Open (keeping its state) or create the store of durable consumer `name`."""
        ...

    def consumer_names(self) -> list[str]:
        """Names of the consumers this store holds."""
        ...

    def close(self) -> None:
        """Make everything durable and release resources. Idempotent."""
        ...

    def delete(self) -> None:
        """Close and remove everything this store holds, on disk too."""
        ...
