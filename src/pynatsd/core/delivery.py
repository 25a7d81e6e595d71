# Fan-out: one published message to every matching subscription. Never awaits.
#
# Strategy. The MSG line differs per subscriber only by its sid, so the parts before and after the
# sid are built once per publish and the payload bytes are shared: each subscriber's outbound list
# gets the line start (`MSG <subject> <sid>`, ready-made for a literal subscription) and the shared
# line end with the payload, joined once per flush. A plain PUB brings that line end ready-made: it
# is the publisher's own ` [reply ]<size>\r\n<payload>\r\n`, cut from its input by the parser,
# so nothing is formatted per message. Large payloads of other publishes (HPUB, internal) go in as
# a separate shared object. Queue groups get one member per group, chosen round-robin. This module
# is compiled by the optional mypyc build, where these small functions cost little to call.
#
# Headers: a subscriber that did not negotiate headers gets a plain MSG with the header block
# stripped, as nats-server does; `hdr_len == 0` means the message has no headers at all.
from __future__ import annotations

from typing import TYPE_CHECKING, Final

from pynatsd.core.subscription import SubKind
from pynatsd.protocol.encode import no_responders_hmsg

if TYPE_CHECKING:
    from pynatsd.core.accounts import Account
    from pynatsd.core.client import ClientConnection
    from pynatsd.core.sublist import Sublist, SublistResult
    from pynatsd.core.subscription import Subscription

__all__ = ["current_source", "deliver", "deliver_pub", "deliver_replies", "send_no_responders"]

# Below this payload size a framing keeps its line end and the payload in one bytes object.
_INLINE_MAX: Final = 2048
_rr = [0]
_CLIENT: Final = SubKind.CLIENT
_MSG: Final = b"MSG "
_SP: Final = b" "
# The publishing client while an internal subscriber's callback runs (see current_source).
_source: list[ClientConnection | None] = [None]


class _Frames:
    """The per-publish pieces of the MSG and HMSG framings, each built on first use.

    A framing is (line end, separate tail): the bytes after the sid, up to and (for small
    payloads) including the payload and CRLF; for large payloads the shared payload + CRLF.
    A publish that arrived as a plain PUB line brings its MSG framing ready-made (see
    deliver_pub), and its payload is cut from that only if someone asks for it.
    """

    __slots__ = ("_payload", "_pre", "hdr_len", "hmsg", "msg", "reply", "size", "sizes", "subject")

    def __init__(
        self, subject: bytes, reply: bytes, hdr_len: int, payload: bytes | None, size: int, sizes: bytes
    ) -> None:
        self.subject = subject
        self.reply = reply
        self.hdr_len = hdr_len
        self._payload = payload
        self.size = size
        # The size field(s) exactly as the publisher wrote them, when they differ from the plain
        # decimal form (leading zeros): nats-server echoes them unchanged.
        self.sizes = sizes
        self.msg: tuple[bytes, bytes | None] | None = None
        self.hmsg: tuple[bytes, bytes | None] | None = None
        self._pre = b""

    def payload(self) -> bytes:
        p = self._payload
        if p is None:
            assert self.msg is not None
            line_end = self.msg[0]
            n = len(line_end)
            p = self._payload = line_end[n - self.size - 2 : n - 2]
        return p

    def pre(self) -> bytes:
        """`MSG <subject> `, for subscriptions without a ready-made prefix."""
        if not self._pre:
            self._pre = b"MSG " + self.subject + b" "
        return self._pre

    def plain(self) -> tuple[bytes, bytes | None]:
        """The MSG framing: the payload without any header block."""
        if self.msg is None:
            payload = self.payload()
            if self.hdr_len:
                body = payload[self.hdr_len :]
                sizes = b"%d" % len(body)
            else:
                body = payload
                sizes = self.sizes or b"%d" % len(body)
            self.msg = _line_end(self.reply, sizes, body)
        return self.msg

    def with_headers(self) -> tuple[bytes, bytes | None]:
        """The HMSG framing (its line starts `HMSG <subject> <sid>`)."""
        if self.hmsg is None:
            payload = self.payload()
            sizes = self.sizes or b"%d %d" % (self.hdr_len, len(payload))
            self.hmsg = _line_end(self.reply, sizes, payload)
        return self.hmsg


def _line_end(reply: bytes, sizes: bytes, body: bytes) -> tuple[bytes, bytes | None]:
    if len(body) < _INLINE_MAX:
        if reply:
            return b" %b %b\r\n%b\r\n" % (reply, sizes, body), None
        return b" %b\r\n%b\r\n" % (sizes, body), None
    if reply:
        return b" %b %b\r\n" % (reply, sizes), body + b"\r\n"
    return b" %b\r\n" % sizes, body + b"\r\n"


def deliver(
    src: ClientConnection | None,
    account: Account,
    subject: bytes,
    reply: bytes,
    hdr_len: int,
    payload: bytes,
    res: SublistResult,
    sizes: bytes = b"",
) -> bool:
    """Deliver to every plain subscriber and one member of each queue group; True if anyone got it."""
    return _fan_out(src, _Frames(subject, reply, hdr_len, payload, len(payload), sizes), res)


def deliver_replies(sublist: Sublist, replies: list[tuple[bytes, bytes]]) -> None:
    """Deliver (subject, payload) pairs published by the server, without headers or reply subject:
    the answers to a batch of requests, such as PubAcks. Each subject is a requester's one-off
    reply inbox, so it is matched without entering the match cache."""
    for subject, payload in replies:
        res = sublist.match_once(subject)
        if res[0] or res[1]:
            _fan_out(None, _Frames(subject, b"", 0, payload, len(payload), b""), res)


def deliver_pub(
    src: ClientConnection, subject: bytes, reply: bytes, line_end: bytes, size: int, res: SublistResult
) -> bool:
    """deliver() for a plain PUB whose `line_end` is already MSG's bytes after the sid:
    ` [reply ]<size>\\r\\n<payload>\\r\\n`, as the parser cut it from the publisher's input.

    Client subscribers get their line start and the shared line end, with nothing built per
    message. Everyone else takes the general path (_deliver_one), with _Frames made on first need:
    internal subscribers, and clients with permissions, so their checks have one place to live."""
    psubs, qgroups = res
    frames: _Frames | None = None
    delivered = False
    for sub in psubs:
        c = sub.client
        if sub.kind is _CLIENT and c is not None and c.perms is None:
            if _pub_one(src, sub, subject, line_end, size):
                delivered = True
            continue
        if frames is None:
            frames = _pub_frames(subject, reply, line_end, size)
        if _deliver_one(src, sub, frames):
            delivered = True
    for group in qgroups:
        n = len(group)
        start = _rr[0] = _rr[0] + 1
        for k in range(n):
            sub = group[(start + k) % n]
            c = sub.client
            if sub.kind is _CLIENT and c is not None and c.perms is None:
                ok = _pub_one(src, sub, subject, line_end, size)
            else:
                if frames is None:
                    frames = _pub_frames(subject, reply, line_end, size)
                ok = _deliver_one(src, sub, frames)
            if ok:
                delivered = True
                break
    return delivered


def _pub_frames(subject: bytes, reply: bytes, line_end: bytes, size: int) -> _Frames:
    frames = _Frames(subject, reply, 0, None, size, b"")
    frames.msg = (line_end, None)
    return frames


def _pub_one(src: ClientConnection, sub: Subscription, subject: bytes, line_end: bytes, size: int) -> bool:
    """_deliver_one for a client subscription and a plain PUB's ready-made line end."""
    c = sub.client
    assert c is not None
    if c is src and not c.echo:
        return False
    if sub.max and sub.delivered >= sub.max:
        return False
    sub.delivered += 1
    out = c.out
    prefix = sub.msg_prefix
    if prefix:
        out.append(prefix)
        n = len(prefix)
    else:
        out.append(_MSG)
        out.append(subject)
        out.append(_SP)
        out.append(sub.sid)
        n = 5 + len(subject) + len(sub.sid)
    out.append(line_end)
    c.pending_bytes += n + len(line_end)
    c.out_msgs += 1
    c.out_bytes += size
    if not c.flush_pending:
        c.flush_pending = True
        c.server.outbound.mark(c)
    if c.pending_bytes > c.stall_mark:
        c.stall_producer(src)
    if sub.max and sub.delivered >= sub.max:
        c.remove_sub(sub)
    return True


def _fan_out(src: ClientConnection | None, frames: _Frames, res: SublistResult) -> bool:
    psubs, qgroups = res
    delivered = False
    for sub in psubs:
        if _deliver_one(src, sub, frames):
            delivered = True
    if qgroups and _to_groups(src, frames, qgroups):
        delivered = True
    return delivered


def _to_groups(
    src: ClientConnection | None, frames: _Frames, qgroups: tuple[tuple[Subscription, ...], ...]
) -> bool:
    delivered = False
    for group in qgroups:
        n = len(group)
        start = _rr[0] = _rr[0] + 1
        for k in range(n):
            if _deliver_one(src, group[(start + k) % n], frames):
                delivered = True
                break
    return delivered


def _deliver_one(src: ClientConnection | None, sub: Subscription, frames: _Frames) -> bool:
    c = sub.client
    if sub.kind is not _CLIENT or c is None:
        cb = sub.callback
        if cb is None:
            return False
        # An internal subscriber that returns False declined the message: it does not count as
        # interest (so a request can still get the no-responders status).
        prev = _source[0]
        _source[0] = src
        try:
            return cb(sub, frames.subject, frames.reply, frames.hdr_len, frames.payload()) is not False
        finally:
            _source[0] = prev
    if c is src and not c.echo:
        return False
    if sub.max and sub.delivered >= sub.max:
        return False
    if c.perms is not None and not _permitted(c, sub, frames):
        return False
    sub.delivered += 1
    out = c.out
    # The line start, the line end (with a small payload) and a large payload go in as separate
    # pieces, joined once per flush: the shared parts are never copied per subscriber.
    if frames.hdr_len and c.headers:
        post, tail = frames.with_headers()
        head = b"H" + frames.pre() + sub.sid
    else:
        post, tail = frames.plain()
        head = sub.msg_prefix or frames.pre() + sub.sid
    out.append(head)
    out.append(post)
    if tail is None:
        c.pending_bytes += len(head) + len(post)
    else:
        out.append(tail)
        c.pending_bytes += len(head) + len(post) + len(tail)
    c.out_msgs += 1
    c.out_bytes += frames.size
    if not c.flush_pending:
        c.flush_pending = True
        c.server.outbound.mark(c)
    if c.pending_bytes > c.stall_mark and src is not None:
        c.stall_producer(src)
    if sub.max and sub.delivered >= sub.max:
        c.remove_sub(sub)
    return True


def _permitted(c: ClientConnection, sub: Subscription, frames: _Frames) -> bool:
    # A wildcard subscription may overlap the user's subscribe deny list: those messages are held
    # back. A request the user may answer grants it a reply permission (allow_responses).
    perms = c.perms
    assert perms is not None
    if perms.deny_delivery(sub.subject, frames.subject):
        return False
    if frames.reply and perms.resp is not None:
        perms.grant_reply(frames.reply)
    return True


def current_source() -> ClientConnection | None:
    """The client whose publish an internal subscriber's callback is handling, else None."""
    return _source[0]


def send_no_responders(client: ClientConnection, subject: bytes, reply: bytes) -> None:
    """Tell a requester that nobody listens on `subject`, on its own subscription for `reply`."""
    for sub in client.account.sublist.match(reply)[0]:
        if sub.client is client:
            client.queue(no_responders_hmsg(reply, sub.sid, subject))
            return
