# Fan-out: one published message to every matching subscription. Never awaits.
#
# Strategy. The MSG line differs per subscriber only by its sid, so the parts before and after the
# sid are built once per publish and the payload bytes are shared. For small payloads each
# subscriber gets a single `pre + sid + post + payload + CRLF` string (one list entry, one join at
# flush); large payloads are appended as a separate shared object so they are never copied per
# subscriber. A literal subscription keeps `MSG <subject> <sid>` ready-made. Queue groups get one
# member per group, chosen round-robin. This module is compiled by the optional mypyc build, where
# these small functions cost little to call.
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
    from pynatsd.core.sublist import SublistResult
    from pynatsd.core.subscription import Subscription

__all__ = ["deliver", "send_no_responders"]

# Below this payload size the whole MSG is built as one bytes object per subscriber.
_INLINE_MAX: Final = 2048
_rr = [0]
_CLIENT: Final = SubKind.CLIENT


class _Frames:
    """The per-publish pieces of the MSG and HMSG framings, each built on first use.

    A framing is (line end, separate tail): the bytes after the sid, up to and (for small
    payloads) including the payload and CRLF; for large payloads the shared payload + CRLF.
    """

    __slots__ = ("_pre", "hdr_len", "hmsg", "msg", "payload", "reply", "sizes", "subject")

    def __init__(self, subject: bytes, reply: bytes, hdr_len: int, payload: bytes, sizes: bytes) -> None:
        self.subject = subject
        self.reply = reply
        self.hdr_len = hdr_len
        self.payload = payload
        # The size field(s) exactly as the publisher wrote them, when they differ from the plain
        # decimal form (leading zeros): nats-server echoes them unchanged.
        self.sizes = sizes
        self.msg: tuple[bytes, bytes | None] | None = None
        self.hmsg: tuple[bytes, bytes | None] | None = None
        self._pre = b""

    def pre(self) -> bytes:
        """`MSG <subject> `, for subscriptions without a ready-made prefix."""
        if not self._pre:
            self._pre = b"MSG " + self.subject + b" "
        return self._pre

    def plain(self) -> tuple[bytes, bytes | None]:
        """The MSG framing: the payload without any header block."""
        if self.msg is None:
            if self.hdr_len:
                body = self.payload[self.hdr_len :]
                sizes = b"%d" % len(body)
            else:
                body = self.payload
                sizes = self.sizes or b"%d" % len(body)
            self.msg = _line_end(self.reply, sizes, body)
        return self.msg

    def with_headers(self) -> tuple[bytes, bytes | None]:
        """The HMSG framing (its line starts `HMSG <subject> <sid>`)."""
        if self.hmsg is None:
            sizes = self.sizes or b"%d %d" % (self.hdr_len, len(self.payload))
            self.hmsg = _line_end(self.reply, sizes, self.payload)
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
    psubs, qgroups = res
    frames = _Frames(subject, reply, hdr_len, payload, sizes)
    delivered = False
    for sub in psubs:
        if _deliver_one(src, sub, frames):
            delivered = True
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
        return cb(sub, frames.subject, frames.reply, frames.hdr_len, frames.payload) is not False
    if c is src and not c.echo:
        return False
    if sub.max and sub.delivered >= sub.max:
        return False
    sub.delivered += 1
    if frames.hdr_len and c.headers:
        post, tail = frames.with_headers()
        frame = b"H" + frames.pre() + sub.sid + post
    else:
        post, tail = frames.plain()
        prefix = sub.msg_prefix
        frame = prefix + post if prefix else frames.pre() + sub.sid + post
    out = c.out
    out.append(frame)
    if tail is None:
        c.pending_bytes += len(frame)
    else:
        out.append(tail)
        c.pending_bytes += len(frame) + len(tail)
    c.out_msgs += 1
    c.out_bytes += len(frames.payload)
    if not c.flush_pending:
        c.flush_pending = True
        c.server.outbound.mark(c)
    if c.pending_bytes > c.stall_mark and src is not None:
        c.stall_producer(src)
    if sub.max and sub.delivered >= sub.max:
        c.remove_sub(sub)
    return True


def send_no_responders(client: ClientConnection, subject: bytes, reply: bytes) -> None:
    """Tell a requester that nobody listens on `subject`, on its own subscription for `reply`."""
    for sub in client.account.sublist.match(reply)[0]:
        if sub.client is client:
            client.queue(no_responders_hmsg(reply, sub.sid, subject))
            return
