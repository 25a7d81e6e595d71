# A JetStream consumer at run time: which stored messages it hands out, to whom, and what is still
# unacknowledged. The API layer creates and configures consumers; this module makes them deliver.
#
# Theory of operation
# - Progress lives in the consumer's state store (store/consumer.py, nats-server's rules): delivered
#   and ack-floor sequence pairs, the pending (unacked) deliveries and redelivery counts. On a file
#   stream that store lives inside the stream's database, so it is committed with the stream's
#   group commit; memory streams and mem_storage consumers keep an unpersisted one.
# - `sseq` is the next stream sequence to look at. A delivery pass (`_run`, scheduled with
#   call_soon and coalesced) first serves redeliveries (the `rdq` queue), then new messages from
#   the store matching the filters, until there is no target (no pull request waiting, no interest
#   on the deliver subject, paused, flow control stalled), max_ack_pending is reached or nothing is
#   left. A pass delivers at most _BUDGET messages and reschedules itself, so a large backlog never
#   holds the event loop.
# - The stream calls `on_stored` for every stored message; a matching one bumps the pending count
#   and schedules a pass. Pull requests and acks schedule a pass too. Nothing here awaits.
# - Timers, each at most one per consumer: the ack timer (the earliest redelivery deadline), the
#   pull timer (request expiry, heartbeats, pin timeouts), the push heartbeat, the inactivity
#   check, the pause end and the pacing delay (replay "original", rate limit).
# - Info follows nats-server: a new consumer's delivered and ack-floor stream sequences sit just
#   before where its deliver policy starts; after a purge they catch up with the stream's first
#   sequence (consumer_ack.sync_first).
# - A pull consumer's pass first hands out what it can in runs (consumer_batch.py: same result, the
#   work shared across messages) and leaves the rest to the message-at-a-time loop below.
# - Split out: acks and redelivery (consumer_ack.py), pull requests (consumer_requests.py, with the
#   request parsing and framing in consumer_pull.py), push delivery (consumer_push.py) and the
#   stream's registry (consumer_admin.py). This module holds the state they share.
from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import TYPE_CHECKING, Final, NamedTuple

from pynatsd.core.internal import subscribe_internal, unsubscribe_internal
from pynatsd.jetstream import consumer_ack, consumer_batch, consumer_requests
from pynatsd.jetstream.advisories import consumer_event, consumer_pause
from pynatsd.jetstream.consumer_pull import (
    PullRequest,
    WaitQueue,
    send_msg,
    send_to,
)
from pynatsd.jetstream.consumer_push import Pacer, PushState
from pynatsd.jetstream.consumer_requests import msg_size
from pynatsd.jetstream.jsonutil import parse_go_time
from pynatsd.protocol.subject import subject_matches

if TYPE_CHECKING:
    from pynatsd.core.subscription import Subscription
    from pynatsd.jetstream.errors import JSError
    from pynatsd.jetstream.store import StoreMsg
    from pynatsd.jetstream.store.consumer import ConsumerStateStore
    from pynatsd.jetstream.stream import Stream
    from pynatsd.jetstream.types_consumer import ConsumerConfig

__all__ = ["Consumer", "ConsumerRuntime"]

NS: Final = 1_000_000_000
DEFAULT_ACK_WAIT: Final = 30 * NS
_BUDGET: Final = 256


class ConsumerRuntime(NamedTuple):
    """What a ConsumerInfo shows of a consumer's progress."""

    delivered_consumer_seq: int
    delivered_stream_seq: int
    delivered_last_active_ns: int
    ack_floor_consumer_seq: int
    ack_floor_stream_seq: int
    ack_floor_last_active_ns: int
    num_ack_pending: int
    num_redelivered: int
    num_waiting: int
    num_pending: int
    push_bound: bool
    paused_until_ns: int
    priority_groups: list[tuple[str, str, int]]


class Consumer:
    def __init__(
        self, stream: Stream, name: str, config: ConsumerConfig, created: int, cs: ConsumerStateStore
    ) -> None:
        self.stream = stream
        self.account = stream.jsa.account
        self.name = name
        self.config = config
        self.created = created
        self.cs = cs
        self.closed = False
        self.sseq = 0
        self.npc = 0
        self.rdq: deque[int] = deque()
        self.rdq_set: set[int] = set()
        self.lps: deque[int] = deque()
        self._lps_taken = 0
        self.waiting = WaitQueue(config.max_waiting)
        self.delivered_active = 0
        self.acked_active = 0
        self.last_request = time.monotonic_ns()
        self.paused_until = 0
        self.pins: dict[str, tuple[str, int]] = {}
        self.pin_seen: dict[str, int] = {}
        self.push: PushState | None = None
        self._scheduled = False
        self._subs: list[Subscription] = []
        self._ack_timer: asyncio.TimerHandle | None = None
        self._ack_timer_at = 0
        self._pull_at = 0
        self._pull_timer: asyncio.TimerHandle | None = None
        self._inactive_timer: asyncio.TimerHandle | None = None
        self._pause_timer: asyncio.TimerHandle | None = None
        self._delay_timer: asyncio.TimerHandle | None = None
        self._derive()

    # -- configuration ----------------------------------------------------------------------------

    def _derive(self) -> None:
        cfg = self.config
        flt = list(cfg.filter_subjects or ([cfg.filter_subject] if cfg.filter_subject else []))
        self.filters: list[str] = [] if flt == [">"] else flt
        self._filters_b = [f.encode() for f in self.filters]
        self.ack_none = cfg.ack_policy in ("none", "flow_control")
        self.maxp = cfg.max_ack_pending if not self.ack_none and cfg.max_ack_pending > 0 else 0
        self.ack_wait = cfg.ack_wait if cfg.ack_wait > 0 else DEFAULT_ACK_WAIT
        self.backoff = list(cfg.backoff or ())
        self.max_deliver = cfg.max_deliver
        self.ack_prefix = b"$JS.ACK.%b.%b." % (self.stream.name.encode(), self.name.encode())
        replay = cfg.replay_policy == "original"
        rate = cfg.rate_limit_bps if cfg.deliver_subject else 0
        self.pacer = Pacer(replay, rate) if replay or rate else None
        self.batchable = consumer_batch.batchable(
            cfg, self.ack_none, self.pacer is not None, len(self.filters)
        )
        self.waiting.limit = cfg.max_waiting
        ap = "none" if self.ack_none else cfg.ack_policy
        self.cs.ack_policy = ap  # type: ignore[assignment]
        self.cs.max_deliver = cfg.max_deliver

    def matches(self, subject: str) -> bool:
        if not self.filters:
            return True
        subj = subject.encode()
        return any(subject_matches(f, subj) for f in self._filters_b)

    def wait_for(self, dc: int) -> int:
        """How long delivery number `dc` may stay unacked before it is redelivered (ns)."""
        if self.backoff:
            return int(self.backoff[min(max(dc, 1), len(self.backoff)) - 1])
        return self.ack_wait

    # -- lifecycle --------------------------------------------------------------------------------

    def start(self, resume: bool = False) -> None:
        """Choose where to start (or, reloaded with its state, resume), subscribe and deliver."""
        st = self.cs.live
        if resume or st.delivered.stream or st.delivered.consumer:
            self.sseq = st.delivered.stream + 1
        else:
            first = self.stream.store.state().first_seq
            self.sseq = max(self.starting_seq(), first, 1)
            start = min(self.lps[0], self.sseq) if self.lps else self.sseq
            if start > 1:
                consumer_ack.set_floor(self, 0, start - 1)
        self.npc = self.calc_pending()
        acc = self.account
        base = b"%b.%b" % (self.stream.name.encode(), self.name.encode())
        self._subs.append(subscribe_internal(acc, b"$JS.ACK." + base + b".>", self._on_ack))
        if self.config.deliver_subject:
            self.push = PushState(self)
            self._subs.append(subscribe_internal(acc, b"$JS.FC." + base + b".>", self.push.on_fc))
        self._subs.append(subscribe_internal(acc, b"$JS.API.CONSUMER.MSG.NEXT." + base, self._on_next))
        if self.config.pause_until:
            self.pause(parse_go_time(self.config.pause_until).unix_ns, announce=False)
        if st.pending:
            self.arm_ack_timer(min(p.ts for p in st.pending.values()) + self.ack_wait)
        self._arm_inactive()
        self.kick()

    def starting_seq(self) -> int:
        cfg = self.config
        store = self.stream.store
        state = store.state()
        policy = cfg.deliver_policy
        if policy == "new":
            return state.last_seq + 1
        if policy == "by_start_sequence":
            return cfg.opt_start_seq
        if policy == "by_start_time" and cfg.opt_start_time:
            return store.seq_for_time(parse_go_time(cfg.opt_start_time).unix_ns)
        if policy == "last":
            last = max((self._last_of(f) for f in self.filters or [">"]), default=0)
            return last or state.last_seq + 1
        if policy == "last_per_subject":
            self.lps = deque(store.multi_last_seqs(self.filters or [">"]))
            return state.last_seq + 1
        return state.first_seq

    def _last_of(self, flt: str) -> int:
        sm = self.stream.store.load_last(flt)
        return sm.seq if sm is not None else 0

    def update(self, config: ConsumerConfig) -> None:
        """Take a new configuration (the API checked what may change)."""
        self.config = config
        self._derive()
        self.npc = self.calc_pending()
        if self.push is not None:
            self.push.configure()
        self._arm_inactive()
        self.kick()

    def stop(self, deleted: bool = True) -> None:
        """Stop delivering; `deleted` tells waiting pull requests the consumer is gone."""
        if self.closed:
            return
        self.closed = True
        for sub in self._subs:
            unsubscribe_internal(self.account, sub)
        self._subs.clear()
        timers = (
            self._ack_timer,
            self._pull_timer,
            self._inactive_timer,
            self._pause_timer,
            self._delay_timer,
        )
        for timer in timers:
            if timer is not None:
                timer.cancel()
        if self.push is not None:
            self.push.stop()
        for req in self.waiting.clear():
            if deleted:
                consumer_requests.send_status(self, req.reply, 409, "Consumer Deleted")

    # -- pending counts ---------------------------------------------------------------------------

    def calc_pending(self) -> int:
        store = self.stream.store
        if not self.filters:
            return store.num_pending(self.sseq, ">") + len(self.lps)
        return sum(store.num_pending(self.sseq, f) for f in self.filters) + len(self.lps)

    def on_stored(self, subject: str, seq: int) -> None:
        if seq >= self.sseq and self.matches(subject):
            self.npc += 1
            if self.push is not None or len(self.waiting):
                self.kick()

    def needs_ack(self, sseq: int, subject: str) -> bool:
        """Does this consumer still owe an ack for message `sseq` (interest retention)?"""
        if not self.matches(subject):
            return False
        floor = self.cs.live.ack_floor.stream
        if sseq <= floor:
            return False
        if self.ack_none or self.config.ack_policy == "all":
            return True
        return sseq >= self.sseq or sseq in self.cs.live.pending

    # -- the delivery pass ------------------------------------------------------------------------

    def kick(self) -> None:
        if not self._scheduled and not self.closed:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._run)

    def _run(self) -> None:
        self._scheduled = False
        if self.closed or self.paused_until:
            return
        consumer_ack.sync_first(self)
        self._read_ahead()
        budget = _BUDGET
        if self.batchable and not self.rdq and not self.lps:
            budget -= consumer_batch.deliver_run(self, budget)
        while budget > 0 and not self.closed:
            req: PullRequest | None = None
            if self.push is not None:
                if not self.push.can_send():
                    return
            else:
                req = consumer_requests.next_request(self)
                if req is None:
                    return
            got = self._next_msg()
            if got is None:
                if req is not None and not self.stalled():
                    consumer_requests.no_more(self)
                return
            sm, dc = got
            if req is not None and not consumer_requests.fits(self, req, sm, dc):
                continue
            if self.pacer is not None and dc == 1 and self._paced(sm):
                return
            self._deliver(sm, dc, req)
            budget -= 1
        self.kick()

    def _read_ahead(self) -> None:
        """Let the store read the new messages this pass is likely to send in one go."""
        if self.rdq or self.lps or len(self.filters) > 1 or self.npc < 2:
            return
        want = min(_BUDGET, self.npc)
        if self.push is None:
            want = self.waiting.demand(want)
        if self.maxp:
            want = min(want, self.maxp - len(self.cs.live.pending))
        if want > 1:
            self.stream.store.prefetch(self.filters[0] if self.filters else ">", self.sseq, want)

    def stalled(self) -> bool:
        """At max_ack_pending: nothing new goes out until acks come in."""
        return bool(self.maxp) and len(self.cs.live.pending) >= self.maxp

    def _paced(self, sm: StoreMsg) -> bool:
        """Hold a message back for replay timing or the rate limit; True when held."""
        assert self.pacer is not None
        wait = self.pacer.delay(sm.ts, msg_size(sm))
        if wait <= 0:
            return False
        self.put_back(sm, 1)
        if self._delay_timer is None:
            self._delay_timer = asyncio.get_running_loop().call_later(wait, self._on_delay)
        return True

    def _on_delay(self) -> None:
        self._delay_timer = None
        self.kick()

    def _next_msg(self) -> tuple[StoreMsg, int] | None:
        """The next message to send and its delivery count: a redelivery first, then a new one."""
        store = self.stream.store
        pending = self.cs.live.pending
        while self.rdq:
            sseq = self.rdq.popleft()
            self.rdq_set.discard(sseq)
            if sseq not in pending:
                continue
            sm = store.load(sseq)
            if sm is None:
                consumer_ack.forget(self, sseq)
                continue
            dc = self.cs.live.redelivered.get(sseq, 0) + 2
            if 0 < self.max_deliver < dc:
                self.max_delivered(sseq, dc)
                continue
            return sm, dc
        if self.maxp and len(pending) >= self.maxp:
            return None
        while self.lps:
            sm = store.load(self.lps.popleft())
            if sm is not None:
                self.npc = max(self.npc - 1, 0)
                self._lps_taken = sm.seq
                return sm, 1
        sm = self.load_next()
        if sm is None:
            # Nothing matches up to the end: skip past it, as nats-server does on EOF.
            self.sseq = max(self.sseq, store.state().last_seq + 1)
            self.npc = 0
            return None
        self.sseq = sm.seq + 1
        self.npc = max(self.npc - 1, 0)
        return sm, 1

    def load_next(self) -> StoreMsg | None:
        store = self.stream.store
        if not self.filters:
            return store.load_next(">", self.sseq)
        if len(self.filters) == 1:
            return store.load_next(self.filters[0], self.sseq)
        found = [m for m in (store.load_next(f, self.sseq) for f in self.filters) if m is not None]
        return min(found, key=lambda m: m.seq) if found else None

    def put_back(self, sm: StoreMsg, dc: int) -> None:
        if dc > 1:
            self.rdq.appendleft(sm.seq)
            self.rdq_set.add(sm.seq)
        elif sm.seq == self._lps_taken:
            self.lps.appendleft(sm.seq)
            self.npc += 1
        else:
            self.sseq = sm.seq
            self.npc += 1

    def max_delivered(self, sseq: int, dc: int) -> None:
        p = self.cs.live.pending.get(sseq)
        if p is None:
            return
        consumer_event(self.stream.jsa, "max_deliver", self.stream.name, self.name, sseq, dc - 1)
        state = self.cs.state()
        del state.pending[sseq]
        consumer_ack.store_state(self, state)

    def reply_size(self, dc: int, sm: StoreMsg) -> int:
        """The length of the ack reply the next delivery of `sm` carries (pull byte budgets)."""
        dseq = self.cs.live.delivered.consumer + 1
        return len(self.ack_prefix) + len(b"%d.%d.%d.%d.%d" % (dc, sm.seq, dseq, sm.ts, self.npc))

    def _deliver(self, sm: StoreMsg, dc: int, req: PullRequest | None) -> None:
        cs = self.cs
        dseq = cs.live.delivered.consumer + 1
        now = time.time_ns()
        cs.update_delivered(dseq, sm.seq, 1 if self.ack_none else dc, now)
        self.delivered_active = now
        hdr, payload = sm.hdr, sm.msg
        if self.config.headers_only:
            size = b"Nats-Msg-Size: %d\r\n\r\n" % len(payload)
            hdr = (hdr[:-2] if hdr.endswith(b"\r\n\r\n") else b"NATS/1.0\r\n") + size
            payload = b""
        if req is not None and req.pin_id and self.config.priority_policy == "pinned_client":
            pin = b"Nats-Pin-Id: %b\r\n\r\n" % req.pin_id.encode()
            hdr = (hdr[:-2] if hdr.endswith(b"\r\n\r\n") else b"NATS/1.0\r\n") + pin
        reply = self.ack_prefix + b"%d.%d.%d.%d.%d" % (dc, sm.seq, dseq, sm.ts, self.npc)
        subject = sm.subject.encode()
        if req is not None:
            send_to(req.target, subject, reply, hdr, payload)
            consumer_requests.delivered(self, req, len(reply) + msg_size(sm) if req.max_bytes else 0)
        else:
            assert self.push is not None
            send_msg(self.account, self.push.target, subject, reply, hdr, payload)
            self.push.sent(len(subject) + len(reply) + len(hdr) + len(payload))
        if self.ack_none:
            consumer_ack.retention_ack(self, sm.seq, sm.subject)
        else:
            at = now + self.wait_for(dc)
            if self._ack_timer is None or at < self._ack_timer_at:
                self.arm_ack_timer(at)

    # -- pull requests ----------------------------------------------------------------------------

    def _on_next(self, sub: Subscription, subject: bytes, reply: bytes, hdr_len: int, msg: bytes) -> None:
        if reply:
            try:
                self.process_request(reply, msg[hdr_len:])
            except Exception as e:  # a consumer bug must not break the requester's connection
                self._log_error("pull request", e)

    def process_request(self, reply: bytes, body: bytes) -> None:
        """A pull request (or the request part of +NXT) asking for messages on `reply`."""
        consumer_requests.process_request(self, reply, body)

    def heartbeat_hdr(self) -> bytes:
        st = self.cs.live
        return b"Nats-Last-Consumer: %d\r\nNats-Last-Stream: %d\r\n" % (
            st.delivered.consumer,
            max(self.sseq - 1, st.delivered.stream, 0),
        )

    def arm_pull_timer(self, at: int) -> None:
        if not at or self.closed:
            return
        timer = self._pull_timer
        if timer is not None:
            if self._pull_at <= at:
                return
            timer.cancel()
        self._pull_at = at
        delay = max(at - time.monotonic_ns(), 0) / NS
        self._pull_timer = asyncio.get_running_loop().call_later(delay, self._on_pull_timer)

    def _on_pull_timer(self) -> None:
        self._pull_timer = None
        if self.closed:
            return
        nxt = consumer_requests.expire_requests(self, time.monotonic_ns())
        self.arm_pull_timer(nxt)
        if self.pins:
            self.kick()

    # -- acks and redelivery ----------------------------------------------------------------------

    def _on_ack(self, sub: Subscription, subject: bytes, reply: bytes, hdr_len: int, msg: bytes) -> None:
        try:
            consumer_ack.process(self, subject, reply, msg[hdr_len:])
        except Exception as e:  # a consumer bug must not break the acking connection
            self._log_error("ack", e)

    def _log_error(self, what: str, e: Exception) -> None:
        log = self.stream.jsa.js.server.log
        log.error(f"JetStream consumer '{self.stream.name} > {self.name}' {what}: {e!r}")

    def arm_ack_timer(self, at: int) -> None:
        """Make sure the ack timer fires no later than `at` (wall clock ns)."""
        if self.closed:
            return
        timer = self._ack_timer
        if timer is not None:
            if self._ack_timer_at <= at:
                return
            timer.cancel()
        self._ack_timer_at = at
        delay = max(at - time.time_ns(), 0) / NS
        self._ack_timer = asyncio.get_running_loop().call_later(delay, self._on_ack_timer)

    def _on_ack_timer(self) -> None:
        self._ack_timer = None
        if self.closed:
            return
        nxt = consumer_ack.check_pending(self, time.time_ns())
        if nxt:
            self.arm_ack_timer(nxt)
        if self.rdq:
            self.kick()

    # -- inactivity -------------------------------------------------------------------------------

    def _arm_inactive(self) -> None:
        if self._inactive_timer is not None:
            self._inactive_timer.cancel()
            self._inactive_timer = None
        threshold = self.config.inactive_threshold
        if threshold > 0 and not self.closed:
            loop = asyncio.get_running_loop()
            self._inactive_timer = loop.call_later(threshold / NS, self._on_inactive_timer)

    def _on_inactive_timer(self) -> None:
        self._inactive_timer = None
        if self.closed:
            return
        threshold = self.config.inactive_threshold
        now = time.monotonic_ns()
        if self.push is not None:
            idle = now - self.push.last_interest if not self.push.interest() else 0
        else:
            idle = now - self.last_request if not len(self.waiting) else 0
        if idle >= threshold:
            self.stream.expire_consumer(self)
            return
        delay = (threshold - idle) / NS
        self._inactive_timer = asyncio.get_running_loop().call_later(delay, self._on_inactive_timer)

    # -- pause, unpin, reset, info ----------------------------------------------------------------

    def pause(self, until_ns: int, announce: bool = True) -> None:
        """Stop delivering until `until_ns` (wall clock ns); a past time or 0 resumes."""
        if self._pause_timer is not None:
            self._pause_timer.cancel()
            self._pause_timer = None
        now = time.time_ns()
        if until_ns > now and not self.closed:
            self.paused_until = until_ns
            loop = asyncio.get_running_loop()
            self._pause_timer = loop.call_later((until_ns - now) / NS, self._resume)
            if announce:
                consumer_pause(self.stream.jsa, self.stream.name, self.name, until_ns)
        elif self.paused_until or announce:
            self._resume()

    def _resume(self) -> None:
        self._pause_timer = None
        self.paused_until = 0
        consumer_pause(self.stream.jsa, self.stream.name, self.name, 0)
        self.kick()

    def unpin(self, group: str) -> bool:
        self.pin_seen.pop(group, None)
        if self.pins.pop(group, None) is None:
            return False
        self.kick()
        return True

    def reset(self, seq: int) -> int | JSError:
        """ADR-60: forget all progress and restart delivery at `seq` (0: per the deliver policy)."""
        return consumer_ack.reset(self, seq)

    def info_state(self) -> ConsumerRuntime:
        consumer_ack.sync_first(self)
        st = self.cs.live
        self.npc = self.calc_pending()
        push_bound = self.push is not None and self.push.interest()
        groups = [(g, pin, ts) for g, (pin, ts) in self.pins.items()]
        return ConsumerRuntime(
            delivered_consumer_seq=st.delivered.consumer,
            delivered_stream_seq=st.delivered.stream,
            delivered_last_active_ns=self.delivered_active,
            ack_floor_consumer_seq=st.ack_floor.consumer,
            ack_floor_stream_seq=st.ack_floor.stream,
            ack_floor_last_active_ns=self.acked_active,
            num_ack_pending=len(st.pending),
            num_redelivered=sum(1 for n in st.redelivered.values() if n > 0),
            num_waiting=len(self.waiting),
            num_pending=self.npc,
            push_bound=push_bound,
            paused_until_ns=self.paused_until,
            priority_groups=groups,
        )
