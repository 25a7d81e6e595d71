# The identity side of a client connection: applying an authentication verdict, checking bcrypt
# secrets off the event loop, and reporting permission violations as nats-server does.
#
# A bcrypt comparison takes milliseconds, so it runs in a worker thread while the connection reads
# and parses nothing more; parsing resumes where it stopped once the verdict is in. An accepted
# identity brings the user's account, permissions, expiry and JWT limits, and the user's name in
# the connection's log prefix (`"<account>/user:<name>"`, `/nkey:`, `/jwt:`).
from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from pynatsd.protocol.encode import encode_err
from pynatsd.protocol.errors import ERR_AUTH_VIOLATION, ProtocolError

ERR_ACCOUNT_CONNECTIONS = "maximum account active connections exceeded"

if TYPE_CHECKING:
    from pynatsd.core.auth import AuthResult
    from pynatsd.core.client import ClientConnection
    from pynatsd.protocol.connect import ConnectOptions

__all__ = ["accept_identity", "authenticate_off_loop", "fill_from_cookies", "pub_violation", "sub_violation"]


def fill_from_cookies(opts: ConnectOptions, cookies: dict[str, str]) -> None:
    """A websocket client's credentials from its cookies, where CONNECT left them out."""
    for field, value in cookies.items():
        if not getattr(opts, field):
            setattr(opts, field, value)


def authenticate_off_loop(client: ClientConnection, opts: ConnectOptions) -> None:
    client.parser.stopped = True
    transport = client.transport
    if transport is not None:
        transport.pause_reading()
    check = client.auth.check
    fut = client.server.loop.run_in_executor(None, check, opts, client.nonce.encode(), client.cert_names)
    fut.add_done_callback(lambda f: _authenticated(client, opts, f))


def _authenticated(
    client: ClientConnection, opts: ConnectOptions, fut: asyncio.Future[AuthResult | None]
) -> None:
    if client.closed:
        return
    try:
        accept_identity(client, opts, fut.result())
        client.finish_connect(opts)
    except ProtocolError as e:
        client.protocol_error(e)
        return
    client.parser.stopped = False
    if client.transport is not None:
        client.transport.resume_reading()
    client.data_received(b"")


def accept_identity(client: ClientConnection, opts: ConnectOptions, result: AuthResult | None) -> None:
    """Apply a verdict: raise the Authorization Violation, or take on the identity."""
    srv = client.server
    if result is None:
        who = f' - User "{opts.user}"' if opts.user else ""
        srv.log.error(f"{client.log_prefix()} - authentication error{who}")
        raise ProtocolError(ERR_AUTH_VIOLATION, "authentication error")
    client.user = result.user
    client.perms = result.permissions
    if result.expires:
        srv.loop.call_later(max(result.expires - time.time(), 0.0), client.auth_expired)
    account = srv.lookup_account(result.account)
    if 0 < account.max_connections <= len(account.clients):
        srv.log.error(f"{client.log_prefix()} - {ERR_ACCOUNT_CONNECTIONS}")
        raise ProtocolError(ERR_ACCOUNT_CONNECTIONS, "account connections")
    for limit in (result.max_subs, account.max_subscriptions):
        if limit > 0:
            client.max_subs = min(client.max_subs, limit) if client.max_subs else limit
    for limit in (result.max_payload, account.max_payload):
        if limit > 0:
            client.parser.max_payload = min(client.parser.max_payload, limit)
    srv.bind_account(client, account)
    name = f' - "{opts.name}"' if opts.name else ""
    if result.user:
        kind = "jwt" if opts.jwt else "nkey" if opts.nkey and result.user == opts.nkey else "user"
        client.set_ident(f'{name} - "{result.account}/{kind}:{result.user}"')
    else:
        client.set_ident(name)


def pub_violation(client: ClientConnection, subject: bytes) -> None:
    text = subject.decode(errors="replace")
    client.server.log.error(f'{client.log_prefix()} - Publish Violation - Subject "{text}"')
    client.queue(encode_err(f'Permissions Violation for Publish to "{text}"'))


def sub_violation(client: ClientConnection, subject: bytes, queue: bytes, sid: bytes) -> None:
    subj, q, s = (v.decode(errors="replace") for v in (subject, queue, sid))
    using, qlog = (f' using queue "{q}"', f', Queue: "{q}"') if queue else ("", "")
    client.server.log.error(
        f'{client.log_prefix()} - Subscription Violation - Subject "{subj}"{qlog}, SID {s}'
    )
    client.queue(encode_err(f'Permissions Violation for Subscription to "{subj}"{using}'))
