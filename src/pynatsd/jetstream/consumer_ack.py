# The ack side of a consumer: what a publish to a delivered message's `$JS.ACK...` reply means
# (+ACK, -NAK with an optional delay, +WPI, +NXT, +TERM), redelivery after ack_wait or backoff, the
# ack floor, and the messages interest and work-queue streams drop once they are acknowledged.
#
# The ack subject carries the delivery: `$JS.ACK.<stream>.<consumer>.<dc>.<sseq>.<cseq>.<ts>.
# <pending>` (9 tokens, or 11+ in the v2 form with a domain and account hash in front). Acks for
# messages that are no longer pending are ignored, as by nats-server. An ack published with a reply
# subject is answered with an empty message once the store has made it durable ("double ack"), so a
# client that waited for that answer never sees the message again after a crash.
#
# Redelivery deadlines are derived from each pending entry's delivery time: a delivery is due again
# at ts + wait(dc). Progress (+WPI) moves ts to now; a NAK with a delay moves it so that the
# deadline falls `delay` from now, which is how nats-server stores it too.
from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Final

import msgspec

from pynatsd.core.internal import publish_internal
from pynatsd.jetstream.advisories import consumer_event
from pynatsd.jetstream.errors import JSError, js_error
from pynatsd.jetstream.store import StoreError
from pynatsd.jetstream.store.base import ConsumerState, SequencePair
from pynatsd.jetstream.types_consumer import NakDelay

if TYPE_CHECKING:
    from pynatsd.jetstream.consumer import Consumer

__all__ = ["check_pending", "forget", "process", "reset", "retention_ack", "settle_floor"]

_ACK: Final = (b"", b"+ACK", b"+OK")


def _tokens(subject: bytes) -> tuple[int, int, int] | None:
    """(delivery count, stream seq, consumer seq) from an ack subject."""
    toks = subject.split(b".")
    n = len(toks)
    if n == 9:
        at = 4
    elif n >= 11:
        at = 6
    else:
        return None
    try:
        return int(toks[at]), int(toks[at + 1]), int(toks[at + 2])
    except ValueError:
        return None


def process(c: Consumer, subject: bytes, reply: bytes, body: bytes) -> None:
    """Act on one ack publish."""
    parsed = _tokens(subject)
    if parsed is None:
        return
    dc, sseq, cseq = parsed
    if body == b"+ACK" and not reply:
        ack(c, sseq, cseq)
        return
    body = body.strip()
    skip_reply = False
    if body in _ACK:
        ack(c, sseq, cseq)
    elif body.startswith(b"-NAK"):
        nak(c, sseq, cseq, dc, body[4:].strip())
    elif body == b"+WPI":
        if sseq in c.cs.live.pending:
            c.cs.touch(sseq, time.time_ns())
            c.acked_active = time.time_ns()
    elif body.startswith(b"+NXT"):
        ack(c, sseq, cseq)
        skip_reply = True
        if reply:
            c.process_request(reply, body[4:].strip())
    elif body.startswith(b"+TERM"):
        term(c, sseq, cseq, dc, body[5:].strip().decode(errors="replace"))
    if reply and not skip_reply:
        _reply_when_durable(c, reply)


def _reply_when_durable(c: Consumer, reply: bytes) -> None:
    """Answer a double ack once the store has committed the ack (at once for memory state)."""
    account = c.account
    try:
        fut = c.stream.store.flush()
    except StoreError:
        publish_internal(account, reply, b"", b"")
        return
    if fut.done():
        publish_internal(account, reply, b"", b"")
    else:

        def answer(f: asyncio.Future[None]) -> None:
            if not f.cancelled():
                f.exception()  # retrieved: a failed commit is the stream's to report
            publish_internal(account, reply, b"", b"")

        fut.add_done_callback(answer)


def ack(c: Consumer, sseq: int, cseq: int) -> None:
    if c.ack_none:
        return
    cs = c.cs
    pending = cs.live.pending
    if sseq not in pending:
        _late_ack(c, sseq)
        return
    done = sorted(s for s in pending if s <= sseq) if c.config.ack_policy == "all" else (sseq,)
    stalled = c.maxp and len(pending) >= c.maxp
    try:
        cs.update_acks(cseq, sseq)
    except StoreError:
        return
    c.acked_active = time.time_ns()
    if c.rdq_set:
        for seq in done:
            if seq in c.rdq_set:
                c.rdq_set.discard(seq)
                c.rdq.remove(seq)
    if c.stream.config.retention != "limits":
        for seq in done:
            _retention_drop(c, seq)
    if stalled:
        c.kick()  # an ack matters to delivery only when it ends a max_ack_pending stall


def _late_ack(c: Consumer, sseq: int) -> None:
    """An ack for a delivery no longer pending (e.g. past max_deliver) still lets interest and
    work-queue streams drop the message, as nats-server does."""
    if c.stream.config.retention != "limits" and sseq <= c.cs.live.delivered.stream:
        _retention_drop(c, sseq)


def nak(c: Consumer, sseq: int, cseq: int, dc: int, arg: bytes) -> None:
    if c.ack_none:
        return
    p = c.cs.live.pending.get(sseq)
    if p is None:
        return
    delay = _nak_delay(arg)
    consumer_event(c.stream.jsa, "nak", c.stream.name, c.name, sseq, dc, cseq=cseq)
    now = time.time_ns()
    if delay > 0:
        c.cs.touch(sseq, now + delay - c.wait_for(dc))
        c.arm_ack_timer(now + delay)
        return
    if sseq not in c.rdq_set:
        c.rdq.append(sseq)
        c.rdq_set.add(sseq)
    c.kick()


def _nak_delay(arg: bytes) -> int:
    if not arg:
        return 0
    if arg.startswith(b"{"):
        try:
            return msgspec.json.decode(arg, type=NakDelay).delay
        except (msgspec.DecodeError, msgspec.ValidationError):
            return 0
    from pynatsd.jetstream.stream import _parse_duration

    try:
        return _parse_duration(arg.decode())
    except (ValueError, UnicodeDecodeError):
        return 0


def term(c: Consumer, sseq: int, cseq: int, dc: int, reason: str) -> None:
    if c.ack_none:
        return
    if sseq not in c.cs.live.pending:
        _late_ack(c, sseq)
        return
    consumer_event(c.stream.jsa, "term", c.stream.name, c.name, sseq, dc, cseq=cseq, reason=reason)
    forget(c, sseq)


def forget(c: Consumer, sseq: int) -> None:
    """Stop tracking a pending message as if acknowledged (terminated, or gone from the stream)."""
    p = c.cs.live.pending.get(sseq)
    if p is None:
        return
    if c.config.ack_policy == "all":
        state = c.cs.state()
        del state.pending[sseq]
        state.redelivered.pop(sseq, None)
        store_state(c, state)
    else:
        try:
            c.cs.update_acks(p.consumer_seq, sseq)
        except StoreError:
            return
    if sseq in c.rdq_set:
        c.rdq_set.discard(sseq)
        c.rdq.remove(sseq)
    if c.stream.config.retention != "limits":
        _retention_drop(c, sseq)
    c.kick()


def settle_floor(c: Consumer) -> None:
    """With nothing left pending, the ack floor catches up with delivered (nats-server's
    checkAckFloor), e.g. after a message hit max_deliver."""
    st = c.cs.live
    if st.pending or st.ack_floor == st.delivered:
        return
    state = c.cs.state()
    state.ack_floor = state.delivered
    store_state(c, state)


def set_floor(c: Consumer, dseq: int, sseq: int) -> None:
    """Set delivered and the ack floor to one point, with nothing pending (start, reset)."""
    pair = SequencePair(dseq, sseq)
    store_state(c, ConsumerState(pair, pair, {}, {}))


def sync_first(c: Consumer) -> None:
    """Catch up with messages removed under the consumer (purge, limits): pending entries below
    the stream's first sequence are dropped and the floors move up, as nats-server's purge does."""
    first = c.stream.store.state().first_seq
    st = c.cs.live
    if first <= st.ack_floor.stream + 1:
        return
    if c.stream.config.retention != "limits" and first <= st.delivered.stream:
        return  # acks remove messages there; only a purge past everything delivered counts
    c.sseq = max(c.sseq, first)
    gone = [s for s in st.pending if s < first]
    for seq in gone:
        if seq in c.rdq_set:
            c.rdq_set.discard(seq)
            c.rdq.remove(seq)
    state = c.cs.state()
    for seq in gone:
        del state.pending[seq]
        state.redelivered.pop(seq, None)
    if state.delivered.stream < first - 1:
        state.delivered = SequencePair(state.delivered.consumer, first - 1)
    if not state.pending:
        state.ack_floor = state.delivered
    else:
        state.ack_floor = SequencePair(state.ack_floor.consumer, first - 1)
    store_state(c, state)
    c.npc = c.calc_pending()


def store_state(c: Consumer, state: ConsumerState) -> None:
    try:
        c.cs.update(state)
    except StoreError:
        pass


def retention_ack(c: Consumer, sseq: int, subject: str) -> None:
    """An ack-none delivery counts as acked for interest retention."""
    if c.stream.config.retention == "interest":
        _retention_drop(c, sseq, subject)


def _retention_drop(c: Consumer, sseq: int, subject: str = "") -> None:
    """Remove an acknowledged message when the stream's retention says it is done."""
    stream = c.stream
    if stream.config.retention == "workqueue":
        stream.store.remove(sseq)
        return
    if not subject:
        sm = stream.store.load(sseq)
        if sm is None:
            return
        subject = sm.subject
    if not any(o.needs_ack(sseq, subject) for o in stream.consumers.values()):
        stream.store.remove(sseq)


def check_pending(c: Consumer, now: int) -> int:
    """Queue every delivery past its deadline for redelivery; the next deadline (0 = none)."""
    nxt = 0
    redelivered = c.cs.live.redelivered
    due: list[int] = []
    for sseq, p in c.cs.live.pending.items():
        deadline = p.ts + c.wait_for(redelivered.get(sseq, 0) + 1)
        if deadline <= now:
            if sseq not in c.rdq_set:
                due.append(sseq)
        elif not nxt or deadline < nxt:
            nxt = deadline
    for sseq in sorted(due):
        dc = redelivered.get(sseq, 0) + 2
        if 0 < c.max_deliver < dc:
            c.max_delivered(sseq, dc)
            continue
        c.rdq.append(sseq)
        c.rdq_set.add(sseq)
    if c.rdq and not nxt:
        nxt = now + c.wait_for(1)
    return nxt


def reset(c: Consumer, seq: int) -> int | JSError:
    """ADR-60: forget every pending delivery and restart at `seq`, or after the ack floor when 0;
    the consumer sequence starts over."""
    if seq and c.config.deliver_policy == "last_per_subject":
        return js_error("JSConsumerInvalidResetErr", err="not allowed")
    state = c.stream.store.state()
    start = max(seq or c.cs.live.ack_floor.stream + 1, 1)
    c.rdq.clear()
    c.rdq_set.clear()
    c.lps.clear()
    set_floor(c, 0, start - 1)
    c.sseq = max(start, state.first_seq)
    c.npc = c.calc_pending()
    c.kick()
    return start
