# Applying a reloaded auth configuration to the connections already open.
#
# nats-server re-checks every client when its configuration is reloaded (SIGHUP): a client whose
# user is gone is closed at once; one whose credentials changed is checked again and closed with an
# Authorization Violation if they no longer pass; the others keep their connection and get the new
# permissions, losing (with an -ERR naming the sid) any subscription those no longer allow.
# Credentials that did not change are not checked again, so a reload does not run a bcrypt
# comparison per connection.
from __future__ import annotations

from typing import TYPE_CHECKING

from pynatsd.protocol.encode import encode_err
from pynatsd.protocol.errors import ERR_AUTH_VIOLATION

if TYPE_CHECKING:
    from pynatsd.core.auth import Authenticator
    from pynatsd.core.client import ClientConnection

__all__ = ["reauthorize"]


def reauthorize(client: ClientConnection, old: Authenticator, new: Authenticator) -> None:
    opts = client.opts
    if client.closed or not client.connect_received or opts is None or client.auth is not old:
        return
    srv = client.server
    if not new.required:
        client.perms = None
        return
    before, after = old.find(client.user), new.find(client.user)
    if client.user and (after is None or after.account != client.account.name):
        client.close("Authentication Failure")
        return
    if client.user:
        unchanged = before is not None and after is not None and before[:3] == after[:3]
    else:
        unchanged = old.token == new.token
    if not unchanged:
        result = new.check(opts, client.nonce.encode())
        if result is None or result.user != client.user:
            who = f' - User "{opts.user}"' if opts.user else ""
            srv.log.error(f"{client.log_prefix()} - authentication error{who}")
            client.close("Authentication Failure", err=ERR_AUTH_VIOLATION)
            return
    client.perms = after.permissions if after is not None else None
    _drop_forbidden_subscriptions(client)


def _drop_forbidden_subscriptions(client: ClientConnection) -> None:
    perms = client.perms
    if perms is None:
        return
    for sub in list(client.subs.values()):
        if not perms.can_subscribe(sub.subject, sub.queue):
            subject, sid = sub.subject.decode(errors="replace"), sub.sid.decode(errors="replace")
            client.queue(encode_err(f'Permissions Violation for Subscription to "{subject}" (sid "{sid}")'))
            client.remove_sub(sub)
