# ClientConnection: one NATS client on one socket (asyncio.Protocol).
#
# Theory of operation. data_received feeds the sans-I/O parser, which calls back the on_* methods
# below. A PUB is matched against the account's sublist and delivered synchronously (see
# delivery.py): nothing on that path awaits, so each publish is atomic. Everything a connection sends
# goes through `out`, a list of byte strings written once per read or event-loop pass by the server's
# flush (outbound.py), so +OK, PONG, MSG and -ERR keep their order and small writes are coalesced.
# A plain PUB takes a faster twin of on_hpub, on_pub_tail, which forwards the publisher's bytes as
# they are; any check on publishing belongs in on_hpub, and on_pub_tail sends such cases there.
#
# Lifecycle: CONNECTING (INFO sent, CONNECT awaited if auth is required) -> CONNECTED -> CLOSED.
# close() is idempotent; it removes every subscription before anything else can run, so no message
# is ever delivered to a closed connection.
from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any, cast

import msgspec

from pynatsd.core import outbound
from pynatsd.core.client_auth import (
    accept_identity,
    authenticate_off_loop,
    fill_from_cookies,
    pub_violation,
    sub_violation,
)
from pynatsd.core.delivery import deliver, deliver_pub, send_no_responders
from pynatsd.core.subscription import SubKind, Subscription
from pynatsd.core.tls import TLSSniffer, cert_identities, start_tls
from pynatsd.options import FIRST_PING_INTERVAL
from pynatsd.protocol.connect import PEER_INFO_DECODER, ConnectOptions, decode_connect
from pynatsd.protocol.encode import OK, PING, PONG, encode_err, encode_info
from pynatsd.protocol.errors import (
    ERR_AUTH_TIMEOUT,
    ERR_AUTH_VIOLATION,
    ERR_BAD_PROTOCOL,
    ERR_INVALID_SUBJECT,
    ERR_MAX_SUBSCRIPTIONS,
    ERR_NO_RESPONDERS_HEADERS,
    ERR_STALE_CONNECTION,
    ProtocolError,
)
from pynatsd.protocol.parser import ClientParser
from pynatsd.protocol.subject import is_valid_subject

if TYPE_CHECKING:
    from pynatsd.core.accounts import Account
    from pynatsd.core.auth import Authenticator
    from pynatsd.core.permissions import Permissions
    from pynatsd.core.server import Server

__all__ = ["ClientConnection"]


class ClientConnection(asyncio.Protocol):
    def __init__(self, server: Server, auth: Authenticator | None = None) -> None:
        self.server = server
        # Websocket clients may have an authorization of their own (websocket { authorization }).
        self.auth = auth or server.auth
        self._account = server.global_account
        self.sublist = self._account.sublist
        self.cid = server.next_cid()
        opts = server.options
        self.parser = ClientParser(self, max_payload=opts.max_payload, max_control_line=opts.max_control_line)
        if server.log.trace_enabled:
            from pynatsd.core.trace import Tracer

            self.parser.handler = Tracer(self)
        else:
            self.parser.on_pub_tail = self.on_pub_tail
        self.transport: asyncio.Transport | None = None
        self.out: list[bytes] = []
        self.flush_pending = False
        self.closed = False
        self.subs: dict[bytes, Subscription] = {}
        self.verbose = True
        self.pedantic = True
        self.echo = True
        self.headers = False
        self.no_responders = False
        self.protocol = 0
        self.connect_received = False
        self.opts: ConnectOptions | None = None
        self._connect_fields: dict[str, Any] = {}
        self.user = ""
        self.auth_kind = "user"
        self.perms: Permissions | None = None
        self.nonce = server.new_nonce() if self.auth.needs_nonce else ""
        self._ident = ""
        self.cert_names: list[str] = []
        self.max_subs = 0
        self.websocket = False
        self.cookie_credentials: dict[str, str] = {}
        self._tls_task: asyncio.Task[None] | None = None
        self.host = ""
        self.port = 0
        self.start = time.time()
        self.last_activity = self.start
        self.stop = 0.0
        self.close_reason = ""
        self.in_msgs = 0
        self.in_bytes = 0
        self.out_msgs = 0
        self.out_bytes = 0
        self.pings_out = 0
        self.rtt = 0.0
        self._rtt_start = 0.0
        self._active = False
        self._first_pong_info = False
        self._ping_timer: asyncio.TimerHandle | None = None
        self._auth_timer: asyncio.TimerHandle | None = None
        self._write_timer: asyncio.TimerHandle | None = None
        # Flow control (see outbound.py): bytes handed to the transport, for write-deadline
        # progress; unsent bytes (transport buffer + queued), against the stall mark; producers
        # paused on us; our own pause as a producer.
        self._written = 0
        self._drained_mark = 0
        self.pending_bytes = 0
        self.stall_mark = int(opts.max_pending * outbound.STALL_FRACTION)
        self._stalled_producers: set[ClientConnection] = set()
        self._stall_timer: asyncio.TimerHandle | None = None

    @property
    def account(self) -> Account:
        return self._account

    @account.setter
    def account(self, account: Account) -> None:
        # The account's sublist is read on every publish: kept at hand, not looked up each time.
        self._account = account
        self.sublist = account.sublist

    # -- lifecycle ----------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, but they have its methods.
        transport = cast(asyncio.Transport, transport)
        self._set_transport(transport)
        peer = transport.get_extra_info("peername") or ("", 0)
        self.host, self.port = str(peer[0]), int(peer[1])
        srv = self.server
        info = encode_info(srv.client_info(self))
        tls = srv.tls if not self.websocket else None
        if tls is not None and tls.allow_non_tls and not tls.handshake_first:
            self.queue(info)
            if srv.register_client(self):
                transport.set_protocol(TLSSniffer(self, tls))
                self._start_timers()
            return
        if tls is not None and not tls.handshake_first:
            # INFO goes out in plain text at once; the TLS handshake follows it (core/tls.py).
            transport.write(info)
            transport.pause_reading()
            if srv.register_client(self):
                self._tls_task = srv.loop.create_task(start_tls(self, tls))
            return
        self.queue(info)
        if not srv.register_client(self):
            return
        if tls is not None:
            self._note_tls(transport)
        self._start_timers()

    def _set_transport(self, transport: asyncio.Transport) -> None:
        self.transport = transport
        # pause_writing comes no later than the stall mark, so a stall ends in a resume_writing.
        high = min(outbound.HIGH_WATER, self.stall_mark)
        transport.set_write_buffer_limits(high=high, low=high // 4)

    def _start_timers(self) -> None:
        srv = self.server
        loop = srv.loop
        if self.auth.required:
            self.parser.auth_pending = True
            self._auth_timer = loop.call_later(srv.options.auth_timeout, self._on_auth_timeout)
        first = min(srv.options.ping_interval, FIRST_PING_INTERVAL)
        self._ping_timer = loop.call_later(first, self._on_ping_timer)

    def tls_established(self, transport: asyncio.Transport) -> None:
        """The INFO-first handshake finished: carry on over the secured transport."""
        self._tls_task = None
        self._set_transport(transport)
        self._note_tls(transport)
        self._start_timers()

    def _note_tls(self, transport: asyncio.Transport) -> None:
        log = self.server.log
        cipher = transport.get_extra_info("cipher") or ("", "", 0)
        log.debug(f"{self.log_prefix()} - TLS handshake complete")
        log.debug(
            f"{self.log_prefix()} - TLS version {cipher[1].removeprefix('TLSv')}, cipher suite {cipher[0]}"
        )
        self.cert_names = cert_identities(transport.get_extra_info("peercert"))

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed:
            self.close("Client Closed")

    def data_received(self, data: bytes) -> None:
        if self.closed:
            return
        self._active = True
        self.last_activity = time.time()
        try:
            self.parser.feed(data)
        except ProtocolError as e:
            self.protocol_error(e)
        if len(data) >= outbound.EAGER_FLUSH_READ:
            self.server.outbound.flush()

    def pause_writing(self) -> None:
        # The socket is not keeping up. Give it write_deadline to make progress (see
        # _on_write_deadline); meanwhile publishers to it may be stalled (see stall_producer).
        self._drained_mark = self._written - self.transport.get_write_buffer_size() if self.transport else 0
        self._write_timer = self.server.loop.call_later(
            self.server.options.write_deadline, self._on_write_deadline
        )

    def resume_writing(self) -> None:
        if self._write_timer is not None:
            self._write_timer.cancel()
            self._write_timer = None
        if self.transport is not None:
            self.pending_bytes = self.transport.get_write_buffer_size()
        self._release_producers()

    def stall_producer(self, producer: ClientConnection) -> None:
        """`producer` just pushed this connection's unsent bytes over the stall mark.

        The producer stops parsing at once (the rest of its input waits in its parser) and stops
        reading, until this connection drains or for STALL_MAX at most; so a fast publisher slows
        down instead of pushing a healthy subscriber into a slow-consumer close.
        """
        if producer is self or producer.closed or producer.transport is None:
            return
        self._stalled_producers.add(producer)
        if producer._stall_timer is None:
            self.server.stats.stalled_clients += 1
            producer.parser.stopped = True
            producer.transport.pause_reading()
            producer._stall_timer = self.server.loop.call_later(outbound.STALL_MAX, producer.unstall)

    def _release_producers(self) -> None:
        if self._stalled_producers and self.pending_bytes <= self.stall_mark:
            producers = list(self._stalled_producers)
            self._stalled_producers.clear()
            for producer in producers:
                producer.unstall()

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

    def protocol_error(self, e: ProtocolError) -> None:
        if e.err is None:
            self.server.log.error(f"{self.log_prefix()} - {e.reason}")
        else:
            self.server.log.error(f"{self.log_prefix()} - {e.err}: {e.reason}")
        self.close(_close_reason(e), err=e.err)

    def close(self, reason: str, *, err: str | None = None, abort: bool = False) -> None:
        """Close the connection, optionally after `-ERR '<err>'`. Idempotent."""
        if self.closed:
            return
        self.closed = True
        self.close_reason = reason
        self.stop = time.time()
        for t in (self._ping_timer, self._auth_timer, self._write_timer, self._stall_timer):
            if t is not None:
                t.cancel()
        for sub in self.subs.values():
            self.account.sublist.remove(sub)
        if self.server.cluster is not None:
            self.server.cluster.client_closed(self)
        self.pending_bytes = 0
        self._release_producers()
        self.server.unregister_client(self)
        transport = self.transport
        if transport is None:
            return
        if err is not None:
            self.out.append(encode_err(err))
        if self.out and not abort:
            transport.write(b"".join(self.out))
        self.out = []
        if abort:
            transport.abort()
        else:
            transport.close()
        self.server.log.debug(f"{self.log_prefix()} - Client connection closed: {reason}")

    def log_prefix(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        tag = "wid" if self.websocket else "cid"
        return f"{host}:{self.port} - {tag}:{self.cid}{self._ident}"

    # -- outbound ------------------------------------------------------------------------------

    def queue(self, data: bytes) -> None:
        self.out.append(data)
        self.pending_bytes += len(data)
        if not self.flush_pending:
            self.flush_pending = True
            self.server.outbound.mark(self)

    def flush(self) -> None:
        """Write everything queued in one call. Run once per read or loop pass (outbound.py)."""
        self.flush_pending = False
        out = self.out
        if not out or self.closed:
            return
        self.out = []
        transport = self.transport
        assert transport is not None
        if len(out) == 1:
            self._written += len(out[0])
            transport.write(out[0])
        elif len(out[-1]) < outbound.GATHER_MIN:
            data = b"".join(out)
            self._written += len(data)
            transport.write(data)
        else:
            # Large payloads: handed over as they are (one writev), not copied into one string.
            self._written += sum(map(len, out))
            transport.writelines(out)
        pending = self.pending_bytes = transport.get_write_buffer_size()
        if pending > self.server.options.max_pending:
            self.slow_consumer(f"MaxPending of {self.server.options.max_pending} Exceeded")
        elif self._stalled_producers:
            self._release_producers()

    def slow_consumer(self, why: str) -> None:
        self.server.log.info(f"{self.log_prefix()} - Slow Consumer Detected: {why}")
        self.server.stats.slow_consumers += 1
        self.close(
            "Slow Consumer (Pending Bytes)" if "MaxPending" in why else "Slow Consumer (Write Deadline)",
            abort=True,
        )

    # -- parser callbacks ----------------------------------------------------------------------

    def on_connect(self, arg: bytes) -> None:
        try:
            opts, self._connect_fields = decode_connect(arg, self._connect_fields)
        except (msgspec.DecodeError, msgspec.ValidationError) as e:
            raise ProtocolError(None, f"connect parse error: {e}") from e
        if opts.account or opts.new_account:
            raise ProtocolError(ERR_AUTH_VIOLATION, "account in CONNECT")
        if self.cookie_credentials:
            fill_from_cookies(opts, self.cookie_credentials)
        if self.auth.required and not self.connect_received:
            if self.auth.is_slow(opts):
                authenticate_off_loop(self, opts)
                return
            accept_identity(self, opts, self.auth.check(opts, self.nonce.encode(), self.cert_names))
        self.finish_connect(opts)

    def finish_connect(self, opts: ConnectOptions) -> None:
        srv = self.server
        if self._auth_timer is not None:
            self._auth_timer.cancel()
            self._auth_timer = None
        self.parser.auth_pending = False
        self.connect_received = True
        self.opts = opts
        self.verbose, self.pedantic, self.echo = opts.verbose, opts.pedantic, opts.echo
        self.headers = opts.headers and not srv.options.no_header_support
        self.parser.headers = self.headers
        self.parser.pedantic = opts.pedantic
        if not 0 <= opts.protocol <= 1:
            raise ProtocolError(ERR_BAD_PROTOCOL, "invalid client protocol")
        self.protocol = opts.protocol
        if opts.no_responders and not self.headers:
            raise ProtocolError(ERR_NO_RESPONDERS_HEADERS, "no responders requires headers support")
        self.no_responders = opts.no_responders
        if self.verbose:
            self.queue(OK)

    def on_pub(self, subject: bytes, reply: bytes, payload: bytes, sizes: bytes = b"") -> None:
        self.on_hpub(subject, reply, 0, payload, sizes)

    def on_hpub(self, subject: bytes, reply: bytes, hdr_len: int, msg: bytes, sizes: bytes = b"") -> None:
        self.in_msgs += 1
        self.in_bytes += len(msg)
        perms = self.perms
        if perms is not None and not perms.can_publish(subject):
            pub_violation(self, subject)
            return
        if self.verbose:
            self.queue(OK)
        res = self.sublist.match(subject)
        if res[0] or res[1]:
            if not deliver(self, self.account, subject, reply, hdr_len, msg, res, sizes) and reply:
                self._no_interest(subject, reply)
        elif reply:
            self._no_interest(subject, reply)

    def on_pub_tail(self, subject: bytes, reply: bytes, tail: bytes, size: int) -> None:
        # on_pub for a plain PUB in canonical form (see ClientParser.on_pub_tail), forwarding the
        # publisher's bytes as they are. It makes on_hpub's checks too.
        self.in_msgs += 1
        self.in_bytes += size
        perms = self.perms
        if perms is not None and not perms.can_publish(subject):
            pub_violation(self, subject)
            return
        if self.verbose:
            self.queue(OK)
        res = self.sublist.match(subject)
        if res[0] or res[1]:
            if not deliver_pub(self, subject, reply, tail, size, res) and reply:
                self._no_interest(subject, reply)
        elif reply:
            self._no_interest(subject, reply)

    def _no_interest(self, subject: bytes, reply: bytes) -> None:
        if self.no_responders:
            send_no_responders(self, subject, reply)

    def on_sub(self, subject: bytes, queue: bytes, sid: bytes) -> None:
        # The checks run in nats-server's order: limit, duplicate sid, tokens, then validity.
        srv = self.server
        opts = srv.options
        limit = self.max_subs or opts.max_subscriptions
        if limit and len(self.subs) >= limit:
            srv.log.error(f"{self.log_prefix()} - {ERR_MAX_SUBSCRIPTIONS}")
            self.queue(encode_err(ERR_MAX_SUBSCRIPTIONS))
            return
        if sid in self.subs:
            if self.verbose:
                self.queue(OK)
            return
        if self.perms is not None and not self.perms.can_subscribe(subject, queue):
            sub_violation(self, subject, queue, sid)
            return
        if opts.max_sub_tokens and subject.count(b".") + 1 > opts.max_sub_tokens:
            text = f'Permissions Violation for Subscription to "{subject.decode(errors="replace")}", too many tokens'
            self.queue(encode_err(text))
            return
        if not is_valid_subject(subject):
            self.queue(encode_err(ERR_INVALID_SUBJECT))
            return
        sub = Subscription(self, subject, queue, sid, SubKind.CLIENT)
        self.subs[sid] = sub
        self.account.sublist.insert(sub)
        if srv.cluster is not None:
            srv.cluster.local_interest(self.account, sub, True)
        if self.verbose:
            self.queue(OK)

    def on_unsub(self, sid: bytes, max_msgs: int) -> None:
        sub = self.subs.get(sid)
        if sub is not None:
            if max_msgs > 0 and max_msgs > sub.delivered:
                sub.max = max_msgs
            else:
                self.remove_sub(sub)
        if self.verbose:
            self.queue(OK)

    def remove_sub(self, sub: Subscription) -> None:
        if self.subs.pop(sub.sid, None) is not None:
            self.account.sublist.remove(sub)
            if self.server.cluster is not None:
                self.server.cluster.local_interest(self.account, sub, False)

    @property
    def takes_async_info(self) -> bool:
        """Whether an INFO update may be sent now: a protocol-1 client past its first PING/PONG (one
        still in its handshake would read an INFO after its PING as the PONG)."""
        return self.protocol >= 1 and self._first_pong_info and not self.closed

    def on_ping(self) -> None:
        self.queue(PONG)
        if self.protocol >= 1 and self.connect_received and not self._first_pong_info:
            self._first_pong_info = True
            self.queue(encode_info(self.server.client_info(self, connect_info=True)))

    def on_pong(self) -> None:
        self.pings_out = 0
        if self._rtt_start:
            self.rtt = time.monotonic() - self._rtt_start
            self._rtt_start = 0.0

    def on_info(self, arg: bytes) -> None:
        # A client's INFO is ignored, but it must be valid JSON: nats-server closes otherwise.
        try:
            PEER_INFO_DECODER.decode(arg)
        except (msgspec.DecodeError, msgspec.ValidationError) as e:
            raise ProtocolError(None, f"info parse error: {e}") from e

    def on_err(self, arg: bytes) -> None:
        self.server.log.error(f"{self.log_prefix()} - Client Error {arg.decode(errors='replace')}")
        self.close("Client Closed")

    def on_notice(self, err: str) -> None:
        self.queue(encode_err(err))

    # -- timers --------------------------------------------------------------------------------

    def _on_ping_timer(self) -> None:
        srv = self.server
        opts = srv.options
        if self.closed:
            return
        if self.pings_out + 1 > opts.ping_max:
            srv.log.debug(f"{self.log_prefix()} - Stale Client Connection - Closing")
            srv.stats.stale_connections += 1
            self.close("Stale Connection", err=ERR_STALE_CONNECTION)
            return
        need_rtt = self.rtt == 0.0
        if self._active and not need_rtt:
            self._active = False
        else:
            self._active = False
            self.pings_out += 1
            self._rtt_start = time.monotonic()
            self.queue(PING)
        self._ping_timer = srv.loop.call_later(opts.ping_interval, self._on_ping_timer)

    def set_ident(self, ident: str) -> None:
        """The client's name and identity, as they follow the cid in its log lines."""
        self._ident = ident

    def auth_expired(self) -> None:
        if not self.closed:
            self.server.log.debug(f"{self.log_prefix()} - User Authentication Expired")
            self.close("Authentication Expired", err="User Authentication Expired")

    def _on_auth_timeout(self) -> None:
        self._auth_timer = None
        if not self.closed and not self.connect_received:
            self.server.log.error(f"{self.log_prefix()} - Authentication Timeout")
            self.close("Authentication Timeout", err=ERR_AUTH_TIMEOUT)

    def _on_write_deadline(self) -> None:
        # Still paused after write_deadline. A socket that drained anything meanwhile is slow but
        # alive: check again later. One that took nothing is a slow consumer.
        self._write_timer = None
        if self.closed or self.transport is None:
            return
        drained = self._written - self.transport.get_write_buffer_size()
        if drained > self._drained_mark:
            self._drained_mark = drained
            self._write_timer = self.server.loop.call_later(
                self.server.options.write_deadline, self._on_write_deadline
            )
            return
        self.slow_consumer(f"WriteDeadline of {self.server.options.write_deadline}s Exceeded")


def _close_reason(e: ProtocolError) -> str:
    if e.err == ERR_AUTH_VIOLATION:
        return "Authentication Failure"
    if e.err is not None and "Payload" in e.err:
        return "Maximum Payload Exceeded"
    if e.err is not None and "control line" in e.err:
        return "Maximum Control Line Exceeded"
    return "Protocol Violation"
