# Pull requests and the messages a consumer sends back: request parsing, the waiting queue, the
# status messages of nats-server 2.15, and delivery to a subject under another subject's name.
#
# A pull request is a publish to `$JS.API.CONSUMER.MSG.NEXT.<stream>.<consumer>` whose reply subject
# is where messages go. The body is empty (one message), an ASCII integer (the batch) or JSON
# (read leniently, unknown fields ignored, as Go's json.Unmarshal does). Requests wait in arrival
# order, at most max_waiting of them; each gets messages in turn until its batch or byte budget is
# used, it expires (408) or, for no_wait, nothing is left (404).
#
# Consumers deliver a stored message to a reply inbox or deliver_subject, but the MSG line carries
# the message's own subject; `send_msg` builds those frames itself because the core fan-out reuses
# a literal subscription's ready-made `MSG <subject> <sid>` prefix.
from __future__ import annotations

import random
from collections import deque
from collections.abc import Iterator
from typing import TYPE_CHECKING, Final

import msgspec

from pynatsd.core.sublist import EMPTY_RESULT, SublistResult
from pynatsd.core.subscription import SubKind

if TYPE_CHECKING:
    from pynatsd.core.accounts import Account
    from pynatsd.core.subscription import Subscription

__all__ = [
    "PullRequest",
    "RequestError",
    "WaitQueue",
    "has_interest",
    "has_literal_interest",
    "parse_request",
    "send_msg",
    "send_to",
    "status",
]

_CLIENT: Final = SubKind.CLIENT


class _Body(msgspec.Struct, forbid_unknown_fields=False):
    batch: int = 0
    expires: int = 0
    no_wait: bool = False
    max_bytes: int = 0
    idle_heartbeat: int = 0
    group: str = ""
    min_pending: int = 0
    min_ack_pending: int = 0
    id: str = ""
    priority: int = 0


class RequestError(Exception):
    """A pull request nats-server answers with `400 Bad Request - <text>`."""


class PullRequest:
    """One waiting pull request: what is left of its batch and byte budget, and its deadlines."""

    __slots__ = (
        "acc",
        "batch",
        "bytes_left",
        "delivered",
        "expires_at",
        "group",
        "hb",
        "hb_at",
        "interest",
        "max_bytes",
        "min_ack_pending",
        "min_pending",
        "n",
        "no_wait",
        "pin_id",
        "priority",
        "reply",
        "target",
    )

    def __init__(self, reply: bytes, body: _Body, now: int) -> None:
        self.reply = reply
        self.batch = body.batch
        self.n = body.batch
        self.max_bytes = body.max_bytes
        self.bytes_left = body.max_bytes
        self.no_wait = body.no_wait
        self.expires_at = now + body.expires if body.expires else 0
        self.hb = body.idle_heartbeat
        self.hb_at = now + self.hb if self.hb > 0 else 0
        self.group = body.group
        self.min_pending = body.min_pending
        self.min_ack_pending = body.min_ack_pending
        self.pin_id = body.id
        self.priority = body.priority
        self.delivered = 0
        # Where the requester's interest lives when the request came through a service import (its
        # reply is then a response subject of the export), else None: `reply` in the consumer's account.
        self.acc: Account | None = None
        self.interest = reply
        # Who `reply` reached when the request was last chosen to be served (see next_request).
        self.target: SublistResult = EMPTY_RESULT

    def next_deadline(self) -> int:
        """The earliest of its expiry and next heartbeat (monotonic ns), 0 for none."""
        times = [t for t in (self.expires_at, self.hb_at) if t]
        return min(times) if times else 0


def parse_request(reply: bytes, body: bytes, now: int) -> PullRequest:
    """Read a pull request body.

    Raises:
        RequestError: bad JSON or a heartbeat longer than half the expiry.
    """
    text = body.strip()
    if not text:
        req = _Body(batch=1)
    elif text[:1] == b"{":
        try:
            req = msgspec.json.decode(text, type=_Body)
        except (msgspec.DecodeError, msgspec.ValidationError) as e:
            raise RequestError(str(e)) from None
    else:
        try:
            req = _Body(batch=int(text))
        except ValueError:
            req = _Body(batch=1)
    asked = req.batch
    if req.batch <= 0:
        req.batch = 1
    if req.idle_heartbeat > 0 and req.idle_heartbeat * 2 > req.expires:
        raise RequestError("heartbeat value too large")
    out = PullRequest(reply, req, now)
    if req.expires < 0:
        out.n = max(asked, 0)  # already expired: reported with the batch as asked
    return out


class WaitQueue:
    """Pull requests in arrival order, served round robin."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._q: deque[PullRequest] = deque()

    def __len__(self) -> int:
        return len(self._q)

    def __iter__(self) -> Iterator[PullRequest]:
        return iter(list(self._q))

    def full(self) -> bool:
        return self.limit > 0 and len(self._q) >= self.limit

    def demand(self, cap: int) -> int:
        """How many messages the waiting requests still ask for, counted up to `cap`."""
        total = 0
        for req in self._q:
            total += req.n
            if total >= cap:
                return cap
        return total

    def add(self, req: PullRequest, prioritized: bool = False) -> None:
        """Queue a request; `prioritized` keeps the queue ordered by priority (0 first)."""
        q = self._q
        if prioritized and q and q[-1].priority > req.priority:
            at = next(i for i, r in enumerate(q) if r.priority > req.priority)
            q.insert(at, req)
            return
        q.append(req)

    def head(self) -> PullRequest | None:
        return self._q[0] if self._q else None

    def cycle(self) -> None:
        """Move the head to the back after it got a message (round robin)."""
        if len(self._q) > 1:
            self._q.rotate(-1)

    def remove(self, req: PullRequest) -> None:
        try:
            self._q.remove(req)
        except ValueError:
            pass

    def clear(self) -> list[PullRequest]:
        out = list(self._q)
        self._q.clear()
        return out


def status(code: int, text: str, pending: tuple[int, int] | None = None, extra: bytes = b"") -> bytes:
    """A status header block; `pending` adds Nats-Pending-Messages and -Bytes."""
    out = b"NATS/1.0 %d %b\r\n" % (code, text.encode())
    if pending is not None:
        out += b"Nats-Pending-Messages: %d\r\nNats-Pending-Bytes: %d\r\n" % pending
    return out + extra + b"\r\n"


def has_interest(account: Account, subject: bytes) -> bool:
    return account.sublist.has_interest(subject)


def has_literal_interest(account: Account, subject: bytes) -> bool:
    """A subscription on exactly `subject`: how nats-server decides a push consumer is bound
    (its interest notifications see literal subscriptions, not wildcards covering the subject)."""
    psubs, qgroups = account.sublist.match(subject)
    return any(s.subject == subject for s in psubs) or any(
        s.subject == subject for group in qgroups for s in group
    )


def send_msg(account: Account, to: bytes, subject: bytes, reply: bytes, hdr: bytes, payload: bytes) -> bool:
    """Deliver to the subscribers of `to` with `subject` on the MSG line; True if anyone got it."""
    return send_to(account.sublist.match(to), subject, reply, hdr, payload)


def send_to(res: SublistResult, subject: bytes, reply: bytes, hdr: bytes, payload: bytes) -> bool:
    """`send_msg` to the subscribers a sublist match just found."""
    psubs, qgroups = res
    if not psubs and not qgroups:
        return False
    sent = False
    for sub in psubs:
        if _send_one(sub, subject, reply, hdr, payload):
            sent = True
    for group in qgroups:
        n = len(group)
        start = random.randrange(n)
        for k in range(n):
            if _send_one(group[(start + k) % n], subject, reply, hdr, payload):
                sent = True
                break
    return sent


def _send_one(sub: Subscription, subject: bytes, reply: bytes, hdr: bytes, payload: bytes) -> bool:
    c = sub.client
    if sub.kind is not _CLIENT or c is None:
        cb = sub.callback
        if cb is None:
            return False
        return cb(sub, subject, reply, len(hdr), hdr + payload) is not False
    if c.closed or (sub.max and sub.delivered >= sub.max):
        return False
    sub.delivered += 1
    rep = b" " + reply if reply else b""
    if hdr and c.headers:
        line = b"HMSG %b %b%b %d %d\r\n" % (subject, sub.sid, rep, len(hdr), len(hdr) + len(payload))
        c.queue(b"".join((line, hdr, payload, b"\r\n")))
    else:
        line = b"MSG %b %b%b %d\r\n" % (subject, sub.sid, rep, len(payload))
        c.queue(b"".join((line, payload, b"\r\n")))
    c.out_msgs += 1
    c.out_bytes += len(payload)
    if sub.max and sub.delivered >= sub.max:
        c.remove_sub(sub)
    return True
