# The pull side of a consumer: accepting a pull request (nats-server's checks and their status
# replies, in its order), choosing which waiting request gets the next message (requests whose
# requester went away are dropped; priority groups), and ending requests: batch or byte budget used,
# expired (408), nothing left for a no_wait request (404), message too big for the budget (409).
#
# A request that came through a service import has a reply subject of the export's account; whether
# its requester is still there is asked of the importing account, and when it is gone the request
# ends with `408 Interest Expired`, as in nats-server.
#
# Priority groups (ADR-42): with the overflow policy a request with min_pending / min_ack_pending
# is served only while the consumer is that far behind. With pinned_client the first request of a
# group served gets a pin id, sent with each message as Nats-Pin-Id; only requests carrying that id
# are served until the pin is released (unpin, or no request from it for priority_timeout), and a
# request with another id gets `423 Nats-Wrong-Pin-Id`. With the prioritized policy the waiting
# requests are kept in priority order (0 first) and the head is served until it is done.
from __future__ import annotations

import time
from typing import TYPE_CHECKING

from pynatsd.core.imports import track_down
from pynatsd.core.internal import publish_internal
from pynatsd.jetstream.advisories import Nuid
from pynatsd.jetstream.consumer_pull import PullRequest, RequestError, has_interest, parse_request, status
from pynatsd.monitor.endpoints import go_duration

if TYPE_CHECKING:
    from pynatsd.core.sublist import SublistResult
    from pynatsd.jetstream.consumer import Consumer
    from pynatsd.jetstream.store import StoreMsg
    from pynatsd.jetstream.types_consumer import ConsumerConfig

__all__ = [
    "drop_gone",
    "expire_requests",
    "fits",
    "next_request",
    "no_more",
    "process_request",
    "req_status",
    "requester_there",
    "send_status",
]


_pin_ids = Nuid()


def msg_size(sm: StoreMsg) -> int:
    return len(sm.subject) + len(sm.hdr) + len(sm.msg)


def process_request(c: Consumer, reply: bytes, body: bytes) -> None:
    """A pull request (or the request part of +NXT) asking for messages on `reply`."""
    now = time.monotonic_ns()
    c.last_request = now
    cfg = c.config
    if c.push is not None:
        send_status(c, reply, 409, "Consumer is push based")
        return
    if c.waiting.full():
        expire_requests(c, now)
        if c.waiting.full():
            send_status(c, reply, 409, "Exceeded MaxWaiting")
            return
    try:
        req = parse_request(reply, body, now)
    except RequestError as e:
        send_status(c, reply, 400, f"Bad Request - {e}")
        return
    err = _limits_error(cfg, req)
    if err:
        send_status(c, reply, 409, err)
        return
    if cfg.priority_groups and req.group not in cfg.priority_groups:
        send_status(c, reply, 400, "Bad Request - Invalid Priority Group")
        return
    if cfg.priority_policy == "pinned_client":
        pin = c.pins.get(req.group)
        if pin is not None and req.pin_id and req.pin_id != pin[0]:
            req_status(c, req, 423, "Nats-Wrong-Pin-Id")
            return
    if req.expires_at and req.expires_at < now:
        req_status(c, req, 408, "Request Timeout")
        return
    if req.no_wait and not req.expires_at and not available(c):
        send_status(c, reply, 404, "No Messages")
        return
    acc, interest = track_down(c.account, reply)
    if interest != reply:
        req.acc, req.interest = acc, interest
    c.waiting.add(req, prioritized=cfg.priority_policy == "prioritized")
    c.arm_pull_timer(req.next_deadline())
    c.kick()


def available(c: Consumer) -> bool:
    """Anything left to deliver, max_ack_pending aside (nats-server's no_wait check)."""
    return bool(c.rdq) or c.npc > 0 or bool(c.lps) or c.load_next() is not None


def next_request(c: Consumer) -> PullRequest | None:
    """The request to serve next, dropping those whose requester went away. Its `target` holds
    the subscribers found, for the delivery that follows in the same pass."""
    for _ in range(len(c.waiting)):
        req = c.waiting.head()
        if req is None:
            return None
        target = c.account.sublist.match(req.reply)
        if not requester_there(req, target):
            drop_gone(c, req)
            continue
        req.target = target
        if not _priority_ok(c, req):
            c.waiting.cycle()
            continue
        return req
    return None


def requester_there(req: PullRequest, target: SublistResult) -> bool:
    """Is anyone still waiting for the answers to `req` (`target`: who its reply reaches)?"""
    if req.acc is None:
        return bool(target[0] or target[1])
    return req.acc.sublist.has_interest(req.interest)


def drop_gone(c: Consumer, req: PullRequest) -> None:
    """Forget a request whose requester went away."""
    c.waiting.remove(req)
    if req.acc is not None:
        req_status(c, req, 408, "Interest Expired")


def _priority_ok(c: Consumer, req: PullRequest) -> bool:
    policy = c.config.priority_policy
    if policy == "pinned_client":
        return _pinned_ok(c, req)
    if policy != "overflow":
        return True
    if req.min_pending and c.npc < req.min_pending:
        return False
    return not (req.min_ack_pending and len(c.cs.live.pending) < req.min_ack_pending)


def _pinned_ok(c: Consumer, req: PullRequest) -> bool:
    """Serve only the pinned client of the group; pin the first one asking when nobody is."""
    group = req.group
    now = time.monotonic_ns()
    pin = c.pins.get(group)
    if pin is not None and req.pin_id == pin[0]:
        c.pin_seen[group] = now
        return True
    if pin is not None:
        if any(r.pin_id == pin[0] for r in c.waiting):
            c.pin_seen[group] = now
            return False
        timeout = c.config.priority_timeout
        seen = c.pin_seen.get(group, now)
        if not timeout or now - seen < timeout:
            if timeout:
                c.arm_pull_timer(seen + timeout)
            return False
    req.pin_id = _pin_ids.next()
    c.pins[group] = (req.pin_id, time.time_ns())
    c.pin_seen[group] = now
    return True


def fits(c: Consumer, req: PullRequest, sm: StoreMsg, dc: int) -> bool:
    """Does the message fit what is left of the request's byte budget? If not, the request ends
    with 409 and the message waits for the next one. Sizes count the ack reply, as nats-server."""
    if req.max_bytes and msg_size(sm) + c.reply_size(dc, sm) > req.bytes_left:
        c.put_back(sm, dc)
        c.waiting.remove(req)
        req_status(c, req, 409, "Message Size Exceeds MaxBytes")
        return False
    return True


def delivered(c: Consumer, req: PullRequest, size: int) -> None:
    """Account for a message sent to `req`; a filled batch ends it (with `409 Batch Completed`
    when a byte budget is left)."""
    req.n -= 1
    req.delivered += 1
    if req.hb:
        req.hb_at = time.monotonic_ns() + req.hb
    if req.max_bytes:
        req.bytes_left -= size
    if req.n > 0 and not (req.max_bytes and req.bytes_left <= 0):
        if c.config.priority_policy != "prioritized":
            c.waiting.cycle()
        return
    c.waiting.remove(req)
    if req.n <= 0 and req.max_bytes and req.bytes_left > 0:
        req_status(c, req, 409, "Batch Completed")


def no_more(c: Consumer) -> None:
    """Nothing to deliver: no_wait requests without an expiry end with 404."""
    for req in c.waiting:
        if req.no_wait and not req.expires_at:
            c.waiting.remove(req)
            send_status(c, req.reply, 404, "No Messages")


def req_status(c: Consumer, req: PullRequest, code: int, text: str) -> None:
    send_status(c, req.reply, code, text, (req.n, req.bytes_left if req.max_bytes else 0))


def send_status(
    c: Consumer,
    reply: bytes,
    code: int,
    text: str,
    pending: tuple[int, int] | None = None,
    extra: bytes = b"",
) -> None:
    publish_internal(c.account, reply, b"", b"", status(code, text, pending, extra))


def expire_requests(c: Consumer, now: int) -> int:
    """End expired requests (408), send due heartbeats; the next deadline (0 = none)."""
    nxt = 0
    stalled = c.stalled()
    for req in c.waiting:
        if stalled and req.no_wait and not req.expires_at:
            c.waiting.remove(req)
            send_status(c, req.reply, 404, "No Messages")
            continue
        if req.expires_at and req.expires_at <= now:
            c.waiting.remove(req)
            if has_interest(c.account, req.reply):
                req_status(c, req, 408, "Request Timeout")
            continue
        if req.hb_at and req.hb_at <= now:
            req.hb_at = now + req.hb
            send_status(c, req.reply, 100, "Idle Heartbeat", extra=c.heartbeat_hdr())
        d = req.next_deadline()
        if d and (not nxt or d < nxt):
            nxt = d
    return nxt


def _limits_error(cfg: ConsumerConfig, req: PullRequest) -> str:
    if cfg.max_batch > 0 and req.batch > cfg.max_batch:
        return f"Exceeded MaxRequestBatch of {cfg.max_batch}"
    if cfg.max_expires > 0 and req.expires_at and req.expires_at - time.monotonic_ns() > cfg.max_expires:
        return f"Exceeded MaxRequestExpires of {go_duration(cfg.max_expires)}"
    if req.max_bytes > 0 and cfg.max_bytes > 0 and req.max_bytes > cfg.max_bytes:
        return f"Exceeded MaxRequestMaxBytes of {cfg.max_bytes}"
    return ""
