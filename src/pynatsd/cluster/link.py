# RouteLink: one route connection to one peer server (asyncio.Protocol).
#
# Theory of operation. The accepting side sends INFO first; the soliciting side sends CONNECT and
# its own INFO. Once the peer's INFO is in, the link registers with the Cluster (which settles
# duplicates, cluster names and gossip) and then sends all local interest as RS+.
#
# Remote interest. Each RS+ from the peer becomes one internal subscription in the account's
# sublist, whose callback is the link. Delivery calls those callbacks synchronously, one per
# matching subscription, so several may fire for one publish (foo.* and foo.> both matching, plus
# queue groups). The link gathers them into one open entry: the same subject, reply and message
# objects, no subscription seen twice, and plain interest never after a queue group (delivery
# visits plain subscribers first). A callback that does not fit the open entry starts a new one;
# the open entry is encoded as one RMSG/HMSG, with its queue names, when the next starts, when a
# control line is queued, or at the flush that ends the loop pass.
#
# One hop only. A message that came in over a route is delivered with Cluster.inbound_subject set
# to its subject object; the route callbacks decline a delivery of that very object, so the
# message never goes out on another route. Queue
# groups prefer local members: a route declines a queue message while the group has a local
# client member, and delivery then moves on to that member.
#
# TLS. With route TLS the link says nothing until the handshake is done (cluster/tls.py); INFO and
# CONNECT then go out over the secured transport.
#
# Permissions. An RS+ for a subject the cluster may not export is ignored; a wildcard one that only
# overlaps an export deny is kept, and the denied subjects are declined message by message.
#
# Output. Everything queued for the peer is written once per loop pass (a call_soon flush), or at
# once when a pass has gathered ROUTE_FLUSH_BYTES, so a long burst of reads does not pile up.
#
# Flow control. A message from the route is delivered with the link as the publishing side, so a
# subscriber over its stall mark pauses the link's reading as it would a client's (with the
# compiled delivery module, whose signature admits only client connections, the link is not
# passed and subscribers rely on max_pending alone). When the route's own socket falls behind, the
# Cluster pauses reading from local clients until it drains; a route that stays blocked for
# write_deadline is closed.
from __future__ import annotations

import asyncio
import functools
import json
import time
from typing import TYPE_CHECKING, Any, cast

from pynatsd.cluster.tls import log_secured, start_handshake
from pynatsd.core import delivery as _delivery
from pynatsd.core.delivery import deliver, deliver_pub
from pynatsd.core.internal import subscribe_internal, unsubscribe_internal
from pynatsd.core.subscription import SubKind
from pynatsd.protocol.encode import PING, PONG, encode_err, go_json
from pynatsd.protocol.route import RouteParser, RouteProtocolError, encode_rmsg_head

if TYPE_CHECKING:
    from pynatsd.cluster.cluster import Cluster
    from pynatsd.core.accounts import Account
    from pynatsd.core.client import ClientConnection
    from pynatsd.core.subscription import Subscription

__all__ = ["RouteLink"]

# The route's socket buffer above which local publishers are paused (see Cluster.route_paused).
ROUTE_HIGH_WATER = 4 * 1024 * 1024
ROUTE_FLUSH_BYTES = 64 * 1024
_COMPILED_DELIVERY = not (_delivery.__file__ or "").endswith(".py")
_INLINE_MAX = 2048


class _Target:
    """One account as seen by one link; `deliver` is the callback of the link's remote
    subscriptions in that account."""

    __slots__ = ("acc", "account", "deliver")

    def __init__(self, link: RouteLink, account: Account, acc: bytes) -> None:
        self.account = account
        self.acc = acc
        self.deliver = functools.partial(link.collect, self)


class _Entry:
    __slots__ = ("hdr_len", "msg", "plain", "queues", "reply", "seen", "subject", "target")

    def __init__(self, target: _Target, subject: bytes, reply: bytes, hdr_len: int, msg: bytes) -> None:
        self.target = target
        self.subject = subject
        self.reply = reply
        self.hdr_len = hdr_len
        self.msg = msg
        self.plain = False
        self.queues: list[bytes] = []
        self.seen: list[Subscription] = []


class RouteLink(asyncio.Protocol):
    # What the server's own services may ask of a publishing connection (delivery's
    # current_source): a route publishes for no user and under no permissions of its own.
    user = ""
    perms = None

    def __init__(self, cluster: Cluster, *, solicited: bool, url: str = "", explicit: bool = False) -> None:
        self.cluster = cluster
        self.server = cluster.server
        self.solicited = solicited
        self.explicit = explicit
        self.url = url
        self.parser = RouteParser(self, max_payload=max(self.server.options.max_payload, 64 * 1024 * 1024))
        self.transport: asyncio.Transport | None = None
        self.out: list[bytes] = []
        self.flush_pending = False
        self.pending_bytes = 0
        self.closed = False
        self.close_reason = ""
        self.registered = False
        self.retry = False
        self.info: dict[str, Any] = {}
        self.remote_id = ""
        self.remote_name = ""
        self.route_url = ""
        self.connect_urls: list[str] = []
        self.host, self.port = "", 0
        self.rid = cluster.next_rid()
        self.start = time.time()
        self.last_activity = self.start
        self.in_msgs = self.in_bytes = self.out_msgs = self.out_bytes = 0
        self.rtt = 0.0
        self._rtt_start = 0.0
        self.pings_out = 0
        self.remote_subs: dict[tuple[bytes, bytes, bytes], Subscription] = {}
        self._targets: dict[bytes, _Target] = {}
        self._open: _Entry | None = None
        self._ping_timer: asyncio.TimerHandle | None = None
        self._stall_timer: asyncio.TimerHandle | None = None
        self.closed_event = asyncio.Event()
        # This link as the publishing side of what it delivers (see unstall).
        self._as_source = None if _COMPILED_DELIVERY else cast("ClientConnection", self)
        self._write_timer: asyncio.TimerHandle | None = None
        self._batched = 0
        self._handshake: asyncio.Task[None] | None = None
        self.is_secured = False

    # -- lifecycle ----------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport = cast(asyncio.Transport, transport)
        self.transport = transport
        transport.set_write_buffer_limits(high=ROUTE_HIGH_WATER, low=ROUTE_HIGH_WATER // 4)
        if self._handshake is not None:
            # Again, from the TLS layer: the handshake is done and this is the secured transport.
            self.is_secured = True
            log_secured(self, transport)
            self._begin()
            return
        peer = transport.get_extra_info("peername") or ("", 0)
        self.host, self.port = str(peer[0]), int(peer[1])
        tls = self.cluster.tls
        if tls is not None:
            self._handshake = start_handshake(self, tls, transport)
            return
        self._begin()

    def _begin(self) -> None:
        c = self.cluster
        if self.solicited:
            self.queue(b"CONNECT " + go_json(c.connect_fields(self.url)) + b"\r\n")
        self.queue(b"INFO " + go_json(c.route_info(nonce=True)) + b" \r\n")
        c.log_debug(self, "Route connection created")
        self._ping_timer = self.server.loop.call_later(self.server.options.ping_interval, self._on_ping_timer)

    def connection_lost(self, exc: Exception | None) -> None:
        self.close("Closed by remote" if exc is None else f"Read error: {exc}")

    def data_received(self, data: bytes) -> None:
        if self.closed:
            return
        self.last_activity = time.time()
        try:
            self.parser.feed(data)
        except RouteProtocolError as e:
            self.cluster.server.log.error(f"{self.log_prefix()} - {e}")
            self.close("Protocol Violation", err=str(e))
        if len(data) >= 32 * 1024:
            self.server.outbound.flush()
            self.flush()

    def close(self, reason: str, *, err: str | None = None) -> None:
        if self.closed:
            return
        self.closed = True
        self.close_reason = reason
        self.parser.stopped = True
        for t in (self._ping_timer, self._stall_timer, self._write_timer):
            if t is not None:
                t.cancel()
        self._drop_remote_subs()
        self.cluster.link_closed(self)
        transport = self.transport
        if transport is not None:
            if err is not None:
                self.out.append(encode_err(err))
            if self.out:
                transport.write(b"".join(self.out))
            self.out = []
            transport.close()
        self.closed_event.set()

    def _drop_remote_subs(self) -> None:
        for (acc, _, _), sub in self.remote_subs.items():
            target = self._targets.get(acc)
            if target is not None:
                unsubscribe_internal(target.account, sub)
        self.remote_subs.clear()

    def log_prefix(self) -> str:
        name = f' - "{self.remote_name}"' if self.remote_name else ""
        return f"{self.host}:{self.port} - rid:{self.rid}{name}"

    # -- outbound -----------------------------------------------------------------------------

    def queue(self, data: bytes) -> None:
        if self._open is not None:
            self._seal()
        self.out.append(data)
        self.pending_bytes += len(data)
        self._mark()

    def _mark(self) -> None:
        if not self.flush_pending:
            self.flush_pending = True
            self.server.loop.call_soon(self.flush)

    def flush(self) -> None:
        self.flush_pending = False
        self._batched = 0
        if self._open is not None:
            self._seal()
        out = self.out
        if not out or self.closed or self.transport is None:
            return
        self.out = []
        if len(out) == 1:
            self.transport.write(out[0])
        elif len(out[-1]) < 4096:
            self.transport.write(b"".join(out))
        else:
            self.transport.writelines(out)
        self.pending_bytes = self.transport.get_write_buffer_size()

    def pause_writing(self) -> None:
        self.cluster.route_paused(self, True)
        deadline = self.server.options.write_deadline
        self._write_timer = self.server.loop.call_later(deadline, self._on_write_deadline)

    def resume_writing(self) -> None:
        if self._write_timer is not None:
            self._write_timer.cancel()
            self._write_timer = None
        self.cluster.route_paused(self, False)

    def _on_write_deadline(self) -> None:
        self._write_timer = None
        if not self.closed:
            self.server.log.info(f"{self.log_prefix()} - Slow Consumer Detected: WriteDeadline exceeded")
            self.close("Slow Consumer (Write Deadline)")

    # -- outgoing messages ----------------------------------------------------------------------

    def collect(
        self, target: _Target, sub: Subscription, subject: bytes, reply: bytes, hdr_len: int, msg: bytes
    ) -> bool:
        c = self.cluster
        if self.closed or subject is c.inbound_subject:
            return False
        perms = c.perms
        if perms is not None and perms.deny_delivery(sub.subject, subject):
            return False
        queue = sub.queue
        if queue and _has_local_member(target.account, subject, queue):
            return False
        e = self._open
        if (
            e is None
            or e.msg is not msg
            or e.subject is not subject
            or e.reply is not reply
            or e.target is not target
            or sub in e.seen
            or (not queue and e.queues)
        ):
            if e is not None:
                self._seal()
            e = self._open = _Entry(target, subject, reply, hdr_len, msg)
            self._mark()
        e.seen.append(sub)
        if queue:
            e.queues.append(queue)
        else:
            e.plain = True
        return True

    def _seal(self) -> None:
        e = self._open
        assert e is not None
        self._open = None
        msg = e.msg
        n = len(msg)
        if n < _INLINE_MAX:
            if e.queues or e.hdr_len:
                data = (
                    encode_rmsg_head(e.target.acc, e.subject, e.reply, e.queues, e.hdr_len, n) + msg + b"\r\n"
                )
            elif e.reply:
                data = b"RMSG %b %b %b %d\r\n%b\r\n" % (e.target.acc, e.subject, e.reply, n, msg)
            else:
                data = b"RMSG %b %b %d\r\n%b\r\n" % (e.target.acc, e.subject, n, msg)
            self.out.append(data)
            self.pending_bytes += len(data)
        else:
            head = encode_rmsg_head(e.target.acc, e.subject, e.reply, e.queues, e.hdr_len, n)
            self.out.append(head)
            self.out.append(msg)
            self.out.append(b"\r\n")
            self.pending_bytes += len(head) + len(msg) + 2
        self.out_msgs += 1
        self.out_bytes += len(msg)
        self._batched += len(msg)
        if self._batched >= ROUTE_FLUSH_BYTES:
            self.flush()

    # -- parser callbacks -----------------------------------------------------------------------

    def on_route_info(self, arg: bytes) -> None:
        try:
            info = json.loads(arg)
        except ValueError as e:
            raise RouteProtocolError(f"info parse error: {e}") from e
        if not isinstance(info, dict):
            raise RouteProtocolError("info parse error: not an object")
        try:
            if not self.registered:
                self.cluster.first_info(self, info)
            else:
                self.cluster.later_info(self, info)
        except (TypeError, ValueError) as e:
            raise RouteProtocolError(f"info parse error: {e}") from e

    def on_route_connect(self, arg: bytes) -> None:
        try:
            fields = json.loads(arg)
        except ValueError as e:
            raise RouteProtocolError(f"connect parse error: {e}") from e
        if not isinstance(fields, dict):
            raise RouteProtocolError("connect parse error: not an object")
        self.cluster.check_connect(self, fields)

    def on_route_ping(self) -> None:
        self.queue(PONG)

    def on_route_pong(self) -> None:
        self.pings_out = 0
        if self._rtt_start:
            self.rtt = time.monotonic() - self._rtt_start
            self._rtt_start = 0.0

    def on_route_err(self, arg: bytes) -> None:
        # Before registration this is the peer refusing the link (a pooled route this server does
        # not offer, a duplicate): expected during the handshake, so not worth an error line.
        text = f"{self.log_prefix()} - Route Error {arg.decode(errors='replace')}"
        if self.registered:
            self.server.log.error(text)
        else:
            self.server.log.debug(text)
        self.close("Route Error")

    def send_ping(self) -> None:
        self._rtt_start = time.monotonic()
        self.pings_out += 1
        self.queue(PING)

    def _target(self, acc: bytes) -> _Target | None:
        target = self._targets.get(acc)
        if target is None:
            account = self.server.accounts.get(acc.decode(errors="replace"))
            if account is None:
                return None
            target = self._targets[acc] = _Target(self, account, acc)
        return target

    def on_route_sub(self, acc: bytes, subject: bytes, queue: bytes, weight: int) -> None:
        if not self.registered:
            return
        key = (acc, subject, queue)
        if key in self.remote_subs:
            return
        perms = self.cluster.perms
        if perms is not None and not perms.can_subscribe(subject):
            text = subject.decode(errors="replace")
            self.cluster.log_debug(self, f'Can not export "{text}", ignoring remote subscription request')
            return
        target = self._target(acc)
        if target is None:
            return
        self.remote_subs[key] = subscribe_internal(target.account, subject, target.deliver, queue)

    def on_route_unsub(self, acc: bytes, subject: bytes, queue: bytes) -> None:
        sub = self.remote_subs.pop((acc, subject, queue), None)
        target = self._targets.get(acc)
        if sub is not None and target is not None:
            unsubscribe_internal(target.account, sub)

    def on_route_msg(
        self, acc: bytes, subject: bytes, reply: bytes, queues: list[bytes], hdr_len: int, msg: bytes
    ) -> None:
        self.in_msgs += 1
        self.in_bytes += len(msg)
        target = self._targets.get(acc)
        if target is None:
            target = self._target(acc)
            if target is None:
                return
        res = target.account.sublist.match(subject)
        psubs, groups = res
        if not psubs and not groups:
            return
        groups = tuple(g for g in groups if g[0].queue in queues) if queues else ()
        if not psubs and not groups:
            return
        c = self.cluster
        c.inbound_subject = subject
        try:
            deliver(self._as_source, target.account, subject, reply, hdr_len, msg, (psubs, groups))
        finally:
            c.inbound_subject = None

    def on_route_pub(self, acc: bytes, subject: bytes, reply: bytes, line_end: bytes, size: int) -> None:
        """on_route_msg for a plain RMSG, its MSG line end ready-made (see RouteParser)."""
        self.in_msgs += 1
        self.in_bytes += size
        target = self._targets.get(acc)
        if target is None:
            target = self._target(acc)
            if target is None:
                return
        psubs = target.account.sublist.match(subject)[0]
        if not psubs:
            return
        c = self.cluster
        c.inbound_subject = subject
        try:
            src = self._as_source
            if src is not None:
                deliver_pub(src, subject, reply, line_end, size, (psubs, ()))
            else:
                payload = line_end[len(line_end) - size - 2 : -2]
                deliver(None, target.account, subject, reply, 0, payload, (psubs, ()))
        finally:
            c.inbound_subject = None

    # -- flow control (duck-typed like a publishing client; see ClientConnection.stall_producer) --

    def unstall(self) -> None:
        if self._stall_timer is None:
            return
        self._stall_timer.cancel()
        self._stall_timer = None
        if self.closed or self.transport is None:
            return
        self.parser.stopped = False
        self.transport.resume_reading()
        self.data_received(b"")

    # -- timers ---------------------------------------------------------------------------------

    def _on_ping_timer(self) -> None:
        if self.closed:
            return
        opts = self.server.options
        if self.pings_out + 1 > opts.ping_max:
            self.server.log.debug(f"{self.log_prefix()} - Stale Route Connection - Closing")
            self.close("Stale Connection", err="Stale Connection")
            return
        self.send_ping()
        self._ping_timer = self.server.loop.call_later(opts.ping_interval, self._on_ping_timer)


def _has_local_member(account: Account, subject: bytes, queue: bytes) -> bool:
    for group in account.sublist.match(subject)[1]:
        if group[0].queue == queue:
            for sub in group:
                if sub.kind is SubKind.CLIENT and sub.client is not None and not sub.client.closed:
                    return True
            return False
    return False
