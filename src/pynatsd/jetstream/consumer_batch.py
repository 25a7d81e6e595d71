# Pull delivery in runs: the common case of a delivery pass (new messages only, one filter, plain
# pull requests) done for many messages at once instead of one by one.
#
# The result is what the message-at-a-time pass in consumer.py produces, byte for byte: the same
# messages in the same order, handed round robin to the waiting requests (a request that has lost
# its requester is dropped when its turn comes), the same ack subjects and consumer state. What is
# shared is the work: one store read for the run, one consumer-state update, one sublist match per
# request, and the frames for each connection queued in one piece. Anything the run does not cover
# (redeliveries, byte budgets, pinned or overflow priority groups, pacing, headers-only) is left to
# the general pass, which also takes over wherever a run stops.
from __future__ import annotations

import time
from typing import TYPE_CHECKING, Final

from pynatsd.core.subscription import SubKind
from pynatsd.jetstream.consumer_pull import send_to
from pynatsd.jetstream.consumer_requests import drop_gone, requester_there

if TYPE_CHECKING:
    from pynatsd.core.client import ClientConnection
    from pynatsd.core.subscription import Subscription
    from pynatsd.jetstream.consumer import Consumer
    from pynatsd.jetstream.consumer_pull import PullRequest
    from pynatsd.jetstream.store import StoreMsg
    from pynatsd.jetstream.types_consumer import ConsumerConfig

__all__ = ["batchable", "deliver_run"]

_CLIENT: Final = SubKind.CLIENT


def batchable(cfg: ConsumerConfig, ack_none: bool, paced: bool, nfilters: int) -> bool:
    """Can this consumer's pull deliveries go out in runs (see the module comment)?"""
    return (
        not ack_none
        and not paced
        and not cfg.deliver_subject
        and not cfg.headers_only
        and nfilters <= 1
        and cfg.priority_policy not in ("pinned_client", "overflow")
    )


def deliver_run(c: Consumer, budget: int) -> int:
    """Deliver up to `budget` new messages to the waiting pull requests; how many went out."""
    room = budget
    if c.maxp:
        room = min(room, c.maxp - len(c.cs.live.pending))
    want = c.waiting.demand(room) if room > 0 else 0
    if want < 2:
        return 0
    msgs = c.stream.store.load_next_many(c.filters[0] if c.filters else ">", c.sseq, want)
    plan = _assign(c, msgs)
    if plan:
        _send(c, plan)
    return len(plan)


def _assign(c: Consumer, msgs: list[StoreMsg]) -> list[tuple[StoreMsg, PullRequest]]:
    """Which request gets each message, in the order the general pass would hand them out; the
    requests' counts are updated as it goes."""
    waiting = c.waiting
    rotate = c.config.priority_policy != "prioritized"
    match = c.account.sublist.match
    seen: set[PullRequest] = set()
    plan: list[tuple[StoreMsg, PullRequest]] = []
    beat = 0
    for sm in msgs:
        req = waiting.head()
        while req is not None and req not in seen:
            target = match(req.reply)
            if requester_there(req, target):
                req.target = target
                seen.add(req)
                break
            if plan and req.acc is not None:
                return plan  # its status goes out after this run's messages, from the general pass
            drop_gone(c, req)
            req = waiting.head()
        if req is None or req.max_bytes:
            break
        plan.append((sm, req))
        req.n -= 1
        req.delivered += 1
        if req.hb:
            beat = beat or time.monotonic_ns()
            req.hb_at = beat + req.hb
        if req.n > 0:
            if rotate:
                waiting.cycle()
        else:
            waiting.remove(req)
    return plan


def _send(c: Consumer, plan: list[tuple[StoreMsg, PullRequest]]) -> None:
    """Record the run as delivered and send it."""
    cs = c.cs
    dseq = cs.live.delivered.consumer + 1
    now = time.time_ns()
    cs.update_delivered_run(dseq, [sm.seq for sm, _ in plan], now)
    c.sseq = plan[-1][0].seq + 1
    npc = c.npc
    c.npc = max(npc - len(plan), 0)
    c.delivered_active = now
    routes = _sinks(plan)
    if routes is None:
        _send_each(c, plan, dseq, npc)
    else:
        _write(c, plan, routes, dseq, npc)
    c.arm_ack_timer(now + c.wait_for(1))


class _Sink:
    """One connection's share of a run: its frames, in order, and counts, queued at the end."""

    __slots__ = ("client", "headers", "n", "nbytes", "out")

    def __init__(self, client: ClientConnection) -> None:
        self.client = client
        self.headers = client.headers
        self.out: list[bytes] = []
        self.n = 0
        self.nbytes = 0

    def add(self, subject: bytes, sub: Subscription, ack: bytes, sm: StoreMsg, dseq: int, npc: int) -> None:
        """One message for `sub`; `ack` is its reply subject up to the stream sequence."""
        sub.delivered += 1
        out = self.out
        hdr, payload = sm.hdr, sm.msg
        args = (subject, sub.sid, ack, sm.seq, dseq, sm.ts, npc)
        if hdr and self.headers:
            out.append(b"HMSG %b %b %b%d.%d.%d.%d %d %d\r\n" % (*args, len(hdr), len(hdr) + len(payload)))
            out.append(hdr)
        else:
            out.append(b"MSG %b %b %b%d.%d.%d.%d %d\r\n" % (*args, len(payload)))
        out.append(payload)
        out.append(b"\r\n")
        self.n += 1
        self.nbytes += len(payload)

    def flush(self) -> None:
        client = self.client
        client.out_msgs += self.n
        client.out_bytes += self.nbytes
        client.queue(b"".join(self.out))


# Per request: the connection's sink and the subscription its messages go to (None: closed).
_Route = tuple[_Sink, "Subscription"] | None


def _sinks(plan: list[tuple[StoreMsg, PullRequest]]) -> dict[PullRequest, _Route] | None:
    """Where each request's messages go; None when a target is anything but one plain client
    subscription."""
    routes: dict[PullRequest, _Route] = {}
    by_client: dict[ClientConnection, _Sink] = {}
    for _, req in plan:
        if req in routes:
            continue
        psubs, qgroups = req.target
        if qgroups or len(psubs) != 1:
            return None
        sub = psubs[0]
        client = sub.client
        if sub.kind is not _CLIENT or client is None or sub.max:
            return None
        if client.closed:
            routes[req] = None
            continue
        sink = by_client.get(client)
        if sink is None:
            sink = by_client[client] = _Sink(client)
        routes[req] = (sink, sub)
    return routes


def _write(
    c: Consumer,
    plan: list[tuple[StoreMsg, PullRequest]],
    routes: dict[PullRequest, _Route],
    dseq: int,
    npc: int,
) -> None:
    prefix = c.ack_prefix + b"1."
    subject_s = ""
    subject = b""
    for sm, req in plan:
        npc = npc - 1 if npc > 0 else 0
        route = routes[req]
        if route is not None:
            if sm.subject != subject_s:
                subject_s = sm.subject
                subject = subject_s.encode()
            route[0].add(subject, route[1], prefix, sm, dseq, npc)
        dseq += 1
    done: set[_Sink] = set()
    for route in routes.values():
        if route is not None and route[0] not in done and route[0].n:
            done.add(route[0])
            route[0].flush()


def _send_each(c: Consumer, plan: list[tuple[StoreMsg, PullRequest]], dseq: int, npc: int) -> None:
    prefix = c.ack_prefix + b"1."
    for sm, req in plan:
        npc = npc - 1 if npc > 0 else 0
        reply = prefix + b"%d.%d.%d.%d" % (sm.seq, dseq, sm.ts, npc)
        send_to(req.target, sm.subject.encode(), reply, sm.hdr, sm.msg)
        dseq += 1
