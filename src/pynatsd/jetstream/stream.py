# A stream: captures the messages published on its subjects into its store and answers with a
# PubAck, with nats-server's publish semantics.
#
# Theory of operation. The stream holds an internal subscription on each of its subjects, so a
# publish reaches it on the publisher's turn of the event loop, like any subscriber. process() runs
# the checks in nats-server's order (sealed, size, Nats-Expected-Stream, Nats-Msg-Id dedup,
# Nats-Expected-Last-Msg-Id / -Last-Sequence / -Last-Subject-Sequence, rollup, TTL, discard-new
# limits), stores the message (the store assigns the sequence at once), applies the discard-old
# limits and the rollup, and queues the PubAck. PubAcks are not sent until the store has made the
# message durable: every ack queued in one loop pass waits on one store flush (group commit), so an
# acknowledged message survives kill -9.
#
# Retention: limits (max_msgs, max_bytes, max_age, max_msgs_per_subject) is enforced here; interest
# and workqueue retention remove messages as consumers acknowledge them (consumer_ack.py). An
# interest stream keeps nothing published while no consumer's filter matches the subject (the
# sequence still advances). `consumers` is the stream's consumer registry (consumer_admin.py).
#
# Optional features are resolved once per configuration (start()), so a stream without them pays
# one attribute test each: the input subject transform (applied before anything else), republish
# (after storing, with Nats-Stream/-Subject/-Sequence/-Time-Stamp/-Last-Sequence, as nats-server
# 2.15 writes them), subject delete markers (when max_age or a TTL removes the last message of a
# subject, a `Nats-Marker-Reason: MaxAge` message with the marker TTL takes its place, ADR-43), and
# the followers (mirrors and sources in sourcing.py) woken after each store.
from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from typing import TYPE_CHECKING

from pynatsd.core.internal import publish_internal, publish_replies, subscribe_internal, unsubscribe_internal
from pynatsd.jetstream import consumer_admin
from pynatsd.jetstream.errors import JSError, js_error
from pynatsd.jetstream.jsonutil import encode, format_go_time, go_quote
from pynatsd.jetstream.sourcing import start_links, stop_links
from pynatsd.jetstream.store import StoreError, StoreMsg, StreamStore, WriterLost
from pynatsd.jetstream.transform import SubjectTransform, compile_transform
from pynatsd.jetstream.types_api import PubAck, PubAckResponse, encode_pub_ack, pub_ack_head
from pynatsd.monitor.endpoints import go_duration
from pynatsd.protocol.headers import get_header

if TYPE_CHECKING:
    from pynatsd.core.subscription import Subscription
    from pynatsd.jetstream.consumer import Consumer
    from pynatsd.jetstream.engine import JSAccount
    from pynatsd.jetstream.sourcing import SourceLink
    from pynatsd.jetstream.types_consumer import ConsumerConfig
    from pynatsd.jetstream.types_stream import StreamConfig

__all__ = ["Stream"]

NS = 1_000_000_000
_ACK_SLICE = 256
_UNITS = {"ns": 1, "us": 1_000, "µs": 1_000, "ms": 1_000_000, "s": NS, "m": 60 * NS, "h": 3600 * NS}


def parse_ttl(value: bytes) -> int:
    """Nats-TTL: a Go duration or a number of seconds, at least 1s and kept in whole seconds as
    nats-server does; "never" is -1. Returns ns, or raises ValueError."""
    text = value.decode().strip()
    if text == "never":
        return -1
    total = int(text) * NS if text.isdigit() else _parse_duration(text)
    if total < NS:
        raise ValueError(text)
    return total - total % NS


def _parse_duration(text: str) -> int:
    total = 0
    num = ""
    i = 0
    while i < len(text):
        ch = text[i]
        if ch.isdigit() or ch == ".":
            num += ch
            i += 1
            continue
        unit = text[i : i + 2] if text[i : i + 2] in _UNITS else ch
        if unit not in _UNITS or not num:
            raise ValueError(text)
        total += int(float(num) * _UNITS[unit])
        num = ""
        i += len(unit)
    if num:
        raise ValueError(text)
    return total


class Stream:
    def __init__(self, jsa: JSAccount, config: StreamConfig, store: StreamStore, created: int) -> None:
        self.jsa = jsa
        self.config = config
        self.store = store
        self.created = created
        self.name = config.name
        self._subs: list[Subscription] = []
        # Nats-Msg-Id -> (sequence, time stored in ns), oldest first, for the duplicate window.
        self._dedup: OrderedDict[str, tuple[int, int]] = OrderedDict()
        self._last_msg_id = ""
        self._acks: list[tuple[bytes, bytes]] = []
        self._flushing = False
        self._expiry: asyncio.TimerHandle | None = None
        # Mirrors/sources of this stream, and the links of other streams that copy from it.
        self.links: dict[str, SourceLink] = {}
        self.followers: list[SourceLink] = []
        self._started = False
        self.consumers: dict[str, Consumer] = {}
        self._derive()

    def _derive(self) -> None:
        """Resolve the optional features of the current config once, for the publish path."""
        cfg = self.config
        itr = cfg.subject_transform
        self._itr = compile_transform(itr.src, itr.dest) if itr is not None else None
        rp = cfg.republish
        self._rp: SubjectTransform | None = None
        self._rp_headers_only = False
        if rp is not None and rp.dest:
            self._rp = SubjectTransform(rp.src, rp.dest)
            self._rp_headers_only = rp.headers_only
        # What process() has to do besides storing, so that a stream without limits skips it.
        self._discard_new = cfg.discard == "new"
        self._limited = cfg.max_msgs_per_subject > 0 or (
            not self._discard_new and (cfg.max_msgs > 0 or cfg.max_bytes > 0)
        )
        # A publish without headers to such a stream is only stored and acknowledged (_on_msg).
        self._plain = not (
            self._itr or self._rp or self._discard_new or self._limited or cfg.sealed or cfg.no_ack
        ) and (cfg.retention == "limits" and cfg.max_msg_size <= 0 and not cfg.max_age)
        self._ack_head = pub_ack_head(self.name, self.jsa.domain)
        self._marker_ttl = cfg.subject_delete_marker_ttl if cfg.allow_msg_ttl else 0
        self._marker_floor = self._marker_ttl - self._marker_ttl % NS  # TTLs compare in whole seconds
        self._marker_hdr = b""
        if self._marker_ttl > 0:
            ttl = go_duration(self._marker_ttl).encode()
            self._marker_hdr = (
                b"NATS/1.0\r\nNats-Marker-Reason: MaxAge\r\nNats-TTL: %b\r\nNats-Rollup: sub\r\n\r\n" % ttl
            )

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        self._derive()
        account = self.jsa.account
        for subject in self.config.subjects or ():
            self._subs.append(subscribe_internal(account, subject.encode(), self._on_msg))
        self._schedule_expiry()
        start_links(self, first=not self._started)
        self._started = True

    def stop(self) -> None:
        for sub in self._subs:
            unsubscribe_internal(self.jsa.account, sub)
        self._subs.clear()
        if self._expiry is not None:
            self._expiry.cancel()
            self._expiry = None
        stop_links(self)

    def apply_limits(self) -> None:
        """Enforce the current limits on everything stored (after an update that lowered them)."""
        if self.config.max_msgs_per_subject > 0:
            for subject in self.store.subjects_state():
                self._enforce_limits(subject)
        self._enforce_limits()
        self._schedule_expiry()

    # -- publishing ----------------------------------------------------------------------------

    def _on_msg(self, sub: Subscription, subject: bytes, reply: bytes, hdr_len: int, msg: bytes) -> None:
        if (
            self._plain
            and reply
            and not hdr_len
            and self._store_plain(subject.decode(errors="replace"), reply, msg)
        ):
            return
        hdr = msg[:hdr_len] if hdr_len else b""
        payload = msg[hdr_len:] if hdr_len else msg
        result = self.process(subject.decode(errors="replace"), hdr, payload)
        if not reply or self.config.no_ack:
            return
        if isinstance(result, JSError):
            self._queue_ack(reply, encode(PubAckResponse(error=result, ack=PubAck(stream=self.name))))
            return
        seq, duplicate = result
        if duplicate:
            self._queue_ack(reply, encode_pub_ack(self.name, seq, domain=self.jsa.domain, duplicate=True))
        else:
            self._queue_ack(reply, b"%b%d}" % (self._ack_head, seq))

    def _store_plain(self, subject: str, reply: bytes, payload: bytes) -> bool:
        """process() for a publish that needs nothing but storing; False if the store refused."""
        try:
            seq, _ = self.store.store_msg(subject, b"", payload, 0)
        except StoreError:
            return False  # process() reports it
        self._last_msg_id = ""
        self._announce(subject, seq)
        self._queue_ack(reply, b"%b%d}" % (self._ack_head, seq))
        return True

    def _announce(self, subject: str, seq: int) -> None:
        """A message was stored: wake the consumers and the streams that copy from this one."""
        if self.consumers:
            self.jsa.on_stored(self, subject, seq)
        if self.followers:
            for link in self.followers:
                link.wake()

    def process(
        self, subject: str, hdr: bytes, payload: bytes, sourced: bool = False
    ) -> tuple[int, bool] | JSError:
        """Store one published (or sourced) message; (sequence, duplicate) or the PubAck error."""
        if self._itr is not None:
            subject = self._itr.match(subject) or subject
        cfg = self.config
        if cfg.sealed:
            return js_error("JSStreamSealedErr")
        if cfg.max_msg_size > 0 and len(hdr) + len(payload) > cfg.max_msg_size:
            return js_error("JSStreamMessageExceedsMaximumErr")
        msg_id = ""
        ttl = 0
        rollup = b""
        if hdr:
            checked = self._check_sourced(hdr) if sourced else self._check_headers(subject, hdr)
            if isinstance(checked, JSError):
                return checked
            if isinstance(checked, int):
                return checked, True
            msg_id, ttl, rollup = checked
            if 0 < ttl < self._marker_floor:
                hdr, ttl = _raise_ttl(hdr, self._marker_floor)
        if self._discard_new:
            limit = self._discard_new_check(subject, hdr, payload)
            if limit is not None:
                return limit
        if cfg.retention == "interest" and not any(c.matches(subject) for c in self.consumers.values()):
            return self._skip_uninterested()
        rp_dest = prev = None
        if self._rp is not None:
            rp_dest = self._rp.match(subject)
            prev = self.store.subject_state(subject).last
        try:
            seq, ts = self.store.store_msg(subject, hdr, payload, ttl)
        except StoreError as e:
            if isinstance(e, WriterLost):
                self.jsa.writer_lost(self)
            return js_error("JSStreamStoreFailedF", err=str(e))
        if msg_id:
            self._remember_msg_id(msg_id, seq, ts)
        else:
            self._last_msg_id = ""  # Nats-Expected-Last-Msg-Id is about the last stored message
        if rollup:
            self._rollup(subject, seq, rollup)
        if self._limited:
            self._enforce_limits(subject)
        if ttl or cfg.max_age:
            self.note_ttl()
        if rp_dest is not None and prev is not None:
            self._republish(rp_dest, subject, hdr, payload, seq, ts, prev)
        self._announce(subject, seq)
        return seq, False

    def store_mirrored(self, sm: StoreMsg, subject: str) -> str | None:
        """Store an origin message under its own sequence and time (a mirror); None or why not."""
        if self.config.sealed:
            return js_error("JSStreamSealedErr").description
        store = self.store
        last = store.state().last_seq
        if sm.seq <= last:
            return None
        limit = self._discard_new_check(subject, sm.hdr, sm.msg)
        if limit is not None:
            return limit.description
        ttl = self._lenient_ttl(sm.hdr) if sm.hdr else 0
        rp_dest = self._rp.match(subject) if self._rp is not None else None
        prev = store.subject_state(subject).last if rp_dest is not None else 0
        try:
            if sm.seq > last + 1:
                store.skip_msgs(last + 1, sm.seq - last - 1)
            store.store_raw_msg(subject, sm.hdr, sm.msg, sm.seq, sm.ts, ttl)
        except StoreError as e:
            return str(e)
        # What follows a store, as in process(): limits, expiry, consumers, republish, followers.
        self._enforce_limits(subject)
        if ttl or self.config.max_age:
            self.note_ttl()
        self.jsa.on_stored(self, subject, sm.seq)
        if rp_dest is not None:
            self._republish(rp_dest, subject, sm.hdr, sm.msg, sm.seq, sm.ts, prev)
        for link in self.followers:
            link.wake()
        return None

    def _republish(
        self, dest: str, subject: str, hdr: bytes, payload: bytes, seq: int, ts: int, prev: int
    ) -> None:
        extra = b"Nats-Stream: %b\r\nNats-Subject: %b\r\nNats-Sequence: %d\r\nNats-Time-Stamp: %b\r\n" % (
            self.name.encode(),
            subject.encode(),
            seq,
            format_go_time(ts).encode(),
        )
        extra += b"Nats-Last-Sequence: %d\r\n" % prev
        if self._rp_headers_only:
            extra += b"Nats-Msg-Size: %d\r\n" % len(payload)
            payload = b""
        out = (hdr[:-2] if hdr.endswith(b"\r\n\r\n") else b"NATS/1.0\r\n") + extra + b"\r\n"
        publish_internal(self.jsa.account, dest.encode(), b"", payload, out)

    def _check_headers(self, subject: str, hdr: bytes) -> tuple[str, int, bytes] | int | JSError:
        """The Nats-* publish headers: (msg id, ttl, rollup), a duplicate's sequence, or an error."""
        cfg = self.config
        expected = get_header(hdr, b"Nats-Expected-Stream")
        if expected is not None and expected.decode() != self.name:
            return js_error("JSStreamNotMatchErr")
        msg_id = (get_header(hdr, b"Nats-Msg-Id") or b"").decode()
        if msg_id:
            dup = self._duplicate(msg_id)
            if dup:
                return dup
        last_id = get_header(hdr, b"Nats-Expected-Last-Msg-Id")
        if last_id and last_id.decode() != self._last_msg_id:
            return js_error("JSStreamWrongLastMsgIDErrF", id=self._last_msg_id)
        last_seq = get_header(hdr, b"Nats-Expected-Last-Sequence")
        if last_seq is not None:
            state_last = self.store.state().last_seq
            if _as_int(last_seq) != state_last:
                return js_error("JSStreamWrongLastSequenceErrF", seq=state_last)
        subj_seq = get_header(hdr, b"Nats-Expected-Last-Subject-Sequence")
        if subj_seq is not None:
            on = (get_header(hdr, b"Nats-Expected-Last-Subject-Sequence-Subject") or b"").decode() or subject
            last = self.store.load_last(on)
            have = last.seq if last is not None else 0
            if _as_int(subj_seq) != have:
                return js_error("JSStreamWrongLastSequenceErrF", seq=have)
        rollup = (get_header(hdr, b"Nats-Rollup") or b"").lower()
        if rollup:
            if not cfg.allow_rollup_hdrs:
                return js_error("JSStreamRollupFailedF", err="rollup not permitted")
            if rollup not in (b"sub", b"all"):
                value = go_quote(rollup.decode(errors="replace"))
                return js_error("JSStreamRollupFailedF", err=f"rollup value invalid: {value}")
        ttl = 0
        ttl_hdr = get_header(hdr, b"Nats-TTL")
        if ttl_hdr is not None:
            try:
                ttl = parse_ttl(ttl_hdr)
            except ValueError:
                return js_error("JSMessageTTLInvalidErr")
            if not cfg.allow_msg_ttl:
                return js_error("JSMessageTTLDisabledErr")
        return msg_id, ttl, rollup

    def _check_sourced(self, hdr: bytes) -> tuple[str, int, bytes] | int:
        """A sourced message's headers: deduplicated by Nats-Msg-Id, its TTL honoured when allowed;
        no expected-* checks (the source dropped them) and no rollup, as nats-server does."""
        msg_id = (get_header(hdr, b"Nats-Msg-Id") or b"").decode()
        if msg_id:
            dup = self._duplicate(msg_id)
            if dup:
                return dup
        return msg_id, self._lenient_ttl(hdr), b""

    def _lenient_ttl(self, hdr: bytes) -> int:
        """The Nats-TTL of a copied message, or 0 when TTLs are off or the value is bad."""
        ttl_hdr = get_header(hdr, b"Nats-TTL") if self.config.allow_msg_ttl else None
        if ttl_hdr is None:
            return 0
        try:
            return parse_ttl(ttl_hdr)
        except ValueError:
            return 0

    def _discard_new_check(self, subject: str, hdr: bytes, payload: bytes) -> JSError | None:
        cfg = self.config
        if cfg.discard != "new":
            return None
        state = self.store.state()
        if cfg.max_msgs > 0 and state.msgs >= cfg.max_msgs:
            return js_error("JSStreamStoreFailedF", err="maximum messages exceeded")
        if cfg.max_bytes > 0 and state.bytes + self.store.msg_size(subject, hdr, payload) > cfg.max_bytes:
            return js_error("JSStreamStoreFailedF", err="maximum bytes exceeded")
        if (
            cfg.discard_new_per_subject
            and cfg.max_msgs_per_subject > 0
            and self.store.subject_state(subject).msgs >= cfg.max_msgs_per_subject
        ):
            return js_error("JSStreamStoreFailedF", err="maximum messages per subject exceeded")
        return None

    # -- consumers -----------------------------------------------------------------------------

    def _skip_uninterested(self) -> tuple[int, bool]:
        """Interest retention with no consumer for the subject: the sequence advances, nothing is kept."""
        seq = self.store.state().last_seq + 1
        self.store.skip_msgs(seq, 1)
        return seq, False

    def add_consumer(self, config: ConsumerConfig) -> Consumer:
        return consumer_admin.add(self, config)

    def update_consumer(self, consumer: Consumer, config: ConsumerConfig) -> None:
        consumer_admin.update(self, consumer, config)

    def delete_consumer(self, name: str) -> bool:
        return consumer_admin.delete(self, name)

    def expire_consumer(self, consumer: Consumer) -> None:
        consumer_admin.expire(self, consumer)

    # -- dedup ---------------------------------------------------------------------------------

    def _duplicate(self, msg_id: str) -> int:
        self._expire_msg_ids()
        entry = self._dedup.get(msg_id)
        return entry[0] if entry is not None else 0

    def _remember_msg_id(self, msg_id: str, seq: int, ts: int) -> None:
        self._last_msg_id = msg_id
        if self.config.duplicate_window > 0:
            self._dedup[msg_id] = (seq, ts)
            self._dedup.move_to_end(msg_id)

    def _expire_msg_ids(self) -> None:
        horizon = time.time_ns() - self.config.duplicate_window
        dedup = self._dedup
        while dedup:
            msg_id, (_, ts) = next(iter(dedup.items()))
            if ts >= horizon:
                return
            del dedup[msg_id]

    def rebuild_dedup(self) -> None:
        """After a restart: recover the msg ids still inside the duplicate window from the store."""
        window = self.config.duplicate_window
        if window <= 0:
            return
        seq = max(self.store.seq_for_time(time.time_ns() - window), self.store.state().first_seq)
        while True:
            sm = self.store.load_next(">", seq)
            if sm is None:
                return
            msg_id = get_header(sm.hdr, b"Nats-Msg-Id") if sm.hdr else None
            if msg_id:
                self._remember_msg_id(msg_id.decode(), sm.seq, sm.ts)
            seq = sm.seq + 1

    # -- limits --------------------------------------------------------------------------------

    def _rollup(self, subject: str, seq: int, rollup: bytes) -> None:
        if rollup == b"all":
            self.store.compact(seq)
        else:
            self.store.purge(subject=subject, seq=seq)

    def _enforce_limits(self, subject: str = "") -> None:
        cfg = self.config
        store = self.store
        if cfg.max_msgs_per_subject > 0 and subject:
            while store.subject_state(subject).msgs > cfg.max_msgs_per_subject:
                first = store.subject_state(subject).first
                if not store.remove(first):
                    break
        if cfg.discard == "new" or (cfg.max_msgs <= 0 and cfg.max_bytes <= 0):
            return
        state = store.state()
        while (cfg.max_msgs > 0 and state.msgs > cfg.max_msgs) or (
            cfg.max_bytes > 0 and state.bytes > cfg.max_bytes
        ):
            if not store.remove(state.first_seq):
                break
            state = store.state()

    def _schedule_expiry(self) -> None:
        if self._expiry is not None:
            self._expiry.cancel()
            self._expiry = None
        at = self.store.next_expiry(self.config.max_age)
        if at:
            delay = max((at - time.time_ns()) / NS, 0.0) + 0.001
            self._expiry = asyncio.get_running_loop().call_later(delay, self._expire)

    def _expire(self) -> None:
        self._expiry = None
        seqs = self.store.expired(time.time_ns(), self.config.max_age)
        if self._marker_hdr and seqs:
            self._expire_with_markers(seqs)
        else:
            for seq in seqs:
                self.store.remove(seq)
        self._schedule_expiry()

    def _expire_with_markers(self, seqs: list[int]) -> None:
        """Remove expired messages; a subject left empty gets a delete marker (markers themselves
        expire without leaving another)."""
        store = self.store
        emptied: dict[str, None] = {}
        for seq in seqs:
            sm = store.load(seq)
            if sm is not None and not (sm.hdr and get_header(sm.hdr, b"Nats-Marker-Reason") is not None):
                emptied[sm.subject] = None
            store.remove(seq)
        for subject in emptied:
            if store.subject_state(subject).msgs == 0:
                self.process(subject, self._marker_hdr, b"")

    def note_ttl(self) -> None:
        """A message with a TTL or the first message under max_age: make sure expiry is scheduled."""
        if self._expiry is None:
            self._schedule_expiry()

    # -- acks ----------------------------------------------------------------------------------

    def _queue_ack(self, reply: bytes, body: bytes) -> None:
        acks = self._acks
        acks.append((reply, body))
        if not self._flushing:
            self._flushing = True
            asyncio.get_running_loop().call_soon(self._end_pass)
        elif len(acks) >= _ACK_SLICE:
            self._commit(True)

    def _end_pass(self) -> None:
        self._flushing = False
        if self._acks:
            self._commit(False)

    def _commit(self, start: bool) -> None:
        """Send the queued PubAcks once their messages are durable. A pass that stores many
        messages starts writing each slice of them at once instead of all at the end."""
        acks = self._acks
        self._acks = []
        fut = self.store.flush(start)
        if fut.done():
            self._send_acks(acks, fut)
        else:
            fut.add_done_callback(lambda f: self._send_acks(acks, f))

    def _send_acks(self, acks: list[tuple[bytes, bytes]], fut: asyncio.Future[None]) -> None:
        if fut.cancelled() or fut.exception() is not None:
            if not fut.cancelled() and isinstance(fut.exception(), WriterLost):
                self.jsa.writer_lost(self)
            err = js_error("JSStreamStoreFailedF", err=str(fut.exception() or "store closed"))
            body = encode(PubAckResponse(error=err, ack=PubAck(stream=self.name)))
            acks = [(reply, body) for reply, _ in acks]
        publish_replies(self.jsa.account, acks)


def _raise_ttl(hdr: bytes, marker_ttl: int) -> tuple[bytes, int]:
    """A TTL below the subject delete marker TTL is raised to it and the header rewritten to that
    number of seconds, as nats-server does."""
    seconds = marker_ttl // NS
    start = hdr.find(b"\r\nNats-TTL:")
    end = hdr.find(b"\r\n", start + 2)
    hdr = hdr[:start] + b"\r\nNats-TTL: %d" % seconds + hdr[end:]
    return hdr, seconds * NS


def _as_int(value: bytes) -> int:
    try:
        return int(value)
    except ValueError:
        return -1
