# Push delivery: a consumer with a deliver_subject publishes its messages there (the MSG line keeps
# each message's own subject), while anyone subscribes to it ("push bound").
#
# - Interest is a subscription on exactly the deliver subject (a wildcard covering it does not
#   count, as in nats-server). Without it nothing is sent; while
#   messages wait, a slow poll timer notices a new subscriber, so a durable can be bound again later.
# - Idle heartbeats: every idle_heartbeat with nothing sent, a `100 Idle Heartbeat` status carrying
#   Nats-Last-Consumer / Nats-Last-Stream (and Nats-Consumer-Stalled when flow control holds
#   delivery), which ordered consumers use to detect gaps.
# - Flow control: once half the window is sent since the last answered request, a
#   `100 FlowControl Request` goes out with reply `$JS.FC.<stream>.<consumer>.<n>`; past the whole
#   window delivery stops until the client publishes to that reply. As nats-server, an answer
#   releases the bytes counted when that request was sent and doubles the window (2 MiB up to
#   32 MiB), so a responsive client gets fewer requests.
from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Final

from pynatsd.core.internal import publish_internal
from pynatsd.jetstream.consumer_pull import has_literal_interest, status

if TYPE_CHECKING:
    from pynatsd.core.subscription import Subscription
    from pynatsd.jetstream.consumer import Consumer

__all__ = ["PushState"]

NS: Final = 1_000_000_000
FC_LIMIT: Final = 32 * 1024 * 1024
FC_WINDOW: Final = FC_LIMIT // 16
_POLL: Final = 0.1


class PushState:
    def __init__(self, consumer: Consumer) -> None:
        self.c = consumer
        self.last_interest = time.monotonic_ns()
        self.last_sent = time.monotonic_ns()
        self.pbytes = 0
        self.window = FC_WINDOW
        self.fc_reply = b""
        self.fc_size = 0
        self.fc_n = 0
        self._hb_timer: asyncio.TimerHandle | None = None
        self._poll_timer: asyncio.TimerHandle | None = None
        self.configure()

    def configure(self) -> None:
        cfg = self.c.config
        self.target = cfg.deliver_subject.encode()
        self.flow_control = cfg.flow_control
        self.hb = cfg.idle_heartbeat
        if self._hb_timer is not None:
            self._hb_timer.cancel()
            self._hb_timer = None
        if self.hb > 0:
            self._hb_timer = asyncio.get_running_loop().call_later(self.hb / NS, self._on_hb)

    def stop(self) -> None:
        for timer in (self._hb_timer, self._poll_timer):
            if timer is not None:
                timer.cancel()
        self._hb_timer = self._poll_timer = None

    def interest(self) -> bool:
        return has_literal_interest(self.c.account, self.target)

    def can_send(self) -> bool:
        if not self.interest():
            c = self.c
            if c.npc > 0 or c.rdq or c.lps:
                self._poll()
            return False
        self.last_interest = time.monotonic_ns()
        return not (self.flow_control and self.pbytes > self.window)

    def _poll(self) -> None:
        if self._poll_timer is None and not self.c.closed:
            self._poll_timer = asyncio.get_running_loop().call_later(_POLL, self._on_poll)

    def _on_poll(self) -> None:
        self._poll_timer = None
        if not self.c.closed:
            self.c.kick()

    def sent(self, size: int) -> None:
        """A message of `size` bytes went out; ask for flow control when the window is half used."""
        self.last_sent = time.monotonic_ns()
        if not self.flow_control:
            return
        self.pbytes += size
        if not self.fc_reply:
            if self.pbytes > self.window // 2:
                self._send_fc()
        elif self.pbytes - self.fc_size >= self.window:
            self.fc_size += size

    def _send_fc(self) -> None:
        c = self.c
        self.fc_n += 1
        self.fc_reply = b"$JS.FC.%b.%b.%d" % (c.stream.name.encode(), c.name.encode(), self.fc_n)
        self.fc_size = self.pbytes
        publish_internal(c.account, self.target, self.fc_reply, b"", status(100, "FlowControl Request"))

    def on_fc(self, sub: Subscription, subject: bytes, reply: bytes, hdr_len: int, msg: bytes) -> None:
        if not self.fc_reply or subject != self.fc_reply:
            return
        self.window = min(self.window * 2, FC_LIMIT)
        self.pbytes = max(self.pbytes - self.fc_size, 0)
        self.fc_reply = b""
        self.fc_size = 0
        self.c.kick()

    def _on_hb(self) -> None:
        self._hb_timer = None
        c = self.c
        if c.closed:
            return
        now = time.monotonic_ns()
        idle = now - self.last_sent
        if idle >= self.hb * 9 // 10:
            self._heartbeat()
            idle = 0
        delay = max(self.hb - idle, self.hb // 10) / NS
        self._hb_timer = asyncio.get_running_loop().call_later(delay, self._on_hb)

    def _heartbeat(self) -> None:
        c = self.c
        extra = c.heartbeat_hdr()
        if self.fc_reply and self.pbytes > self.window:
            extra += b"Nats-Consumer-Stalled: %b\r\n" % self.fc_reply
        publish_internal(c.account, self.target, b"", b"", status(100, "Idle Heartbeat", extra=extra))


class Pacer:
    """Replay policy "original" (keep the stored gaps between messages) and rate_limit_bps (a token
    bucket of bytes): how long the next message must wait, in seconds (0 = send now)."""

    def __init__(self, replay_original: bool, rate_bps: int) -> None:
        self.replay_original = replay_original
        self.rate = rate_bps / 8
        self.tokens = self.rate
        self.filled_at = time.monotonic_ns()
        self.last: tuple[int, int] | None = None

    def delay(self, ts: int, size: int) -> float:
        now = time.monotonic_ns()
        if self.replay_original and self.last is not None:
            sent, prev_ts = self.last
            due = sent + max(ts - prev_ts, 0)
            if due > now:
                return (due - now) / NS
        if self.rate > 0:
            self.tokens = min(max(self.rate, size), self.tokens + (now - self.filled_at) * self.rate / NS)
            self.filled_at = now
            if self.tokens < size:
                return (size - self.tokens) / self.rate
            self.tokens -= size
        self.last = (now, ts)
        return 0.0
