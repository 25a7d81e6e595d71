# The system account and its request services.
#
# The server keeps an account of its own (`$SYS`, or the configured system_account) where it answers
# requests about itself: `$SYS.REQ.SERVER.PING` (statistics from every server, which with one
# server is this one), `$SYS.REQ.SERVER.PING.<ENDPOINT>` and `$SYS.REQ.SERVER.<id>.<ENDPOINT>` (the
# monitoring endpoints, wrapped with the server's identity), and in every account
# `$SYS.REQ.USER.INFO`, which tells the requesting connection who it is and what it may do.
# Replies go out as internal publishes into the account the request came from.
from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pynatsd._version import NATS_SERVER_VERSION
from pynatsd.core.accounts import SYSTEM_ACCOUNT, Account
from pynatsd.core.delivery import current_source
from pynatsd.core.internal import publish_internal, subscribe_internal
from pynatsd.protocol.encode import go_json

if TYPE_CHECKING:
    from pynatsd.core.permissions import Permissions
    from pynatsd.core.server import Server
    from pynatsd.core.subscription import Subscription

__all__ = ["start_system_services"]

_FEATURE_FLAGS = {
    "js_ack_fc_v2": False,
    "js_api_reply_v2": False,
    "js_raft_delete_range": True,
    "js_snapshot_sources": False,
}


class SystemServices:
    def __init__(self, server: Server, account: Account) -> None:
        self.server = server
        self.account = account
        self._seq = itertools.count(1)

    def identity(self) -> dict[str, Any]:
        from pynatsd.monitor.endpoints import rfc3339

        srv = self.server
        return {
            "name": srv.name,
            "host": srv.options.host or "0.0.0.0",
            "id": srv.server_id,
            "ver": NATS_SERVER_VERSION,
            "feature_flags": dict(_FEATURE_FLAGS),
            "jetstream": srv.jetstream is not None,
            "flags": 0,
            "seq": next(self._seq),
            "time": rfc3339(time.time()),
        }

    def statsz(self) -> dict[str, Any]:
        from pynatsd.monitor.endpoints import rfc3339, varz

        v = varz(self.server)
        totals = self.server.totals()
        return {
            "start": rfc3339(self.server.start_time),
            "mem": v.get("mem", 0),
            "cores": v.get("cores", 1),
            "cpu": v.get("cpu", 0),
            "connections": len(self.server.clients),
            "total_connections": self.server.stats.total_connections,
            "active_accounts": sum(1 for a in self.server.accounts.values() if a.clients),
            "subscriptions": sum(a.sublist.count for a in self.server.accounts.values()),
            "sent": {"msgs": totals.out_msgs, "bytes": totals.out_bytes},
            "sent_to_clients": {"msgs": totals.out_msgs, "bytes": totals.out_bytes},
            "received": {"msgs": totals.in_msgs, "bytes": totals.in_bytes},
            "received_from_clients": {"msgs": totals.in_msgs, "bytes": totals.in_bytes},
            "slow_consumers": self.server.stats.slow_consumers,
            "active_servers": 1,
            "gomaxprocs": v.get("cores", 1),
        }

    def endpoint(self, name: str) -> dict[str, Any] | None:
        from pynatsd.monitor import endpoints

        srv = self.server
        table: dict[str, Callable[[], Any]] = {
            "VARZ": lambda: endpoints.varz(srv),
            "CONNZ": lambda: endpoints.connz(srv, {}),
            "SUBSZ": lambda: endpoints.subsz(srv, {}),
            "JSZ": lambda: endpoints.jsz(srv, {}),
            "HEALTHZ": lambda: endpoints.healthz(srv, {})[1],
            "STATSZ": self.statsz,
        }
        make = table.get(name)
        if make is None:
            return None
        return {"server": self.identity(), "data": make()}

    # -- subscriptions -----------------------------------------------------------------------

    def on_ping(self, sub: Subscription, subject: bytes, reply: bytes, hdr_len: int, msg: bytes) -> None:
        if reply:
            body = {"server": self.identity(), "statsz": self.statsz()}
            publish_internal(self.account, reply, b"", go_json(body))

    def on_endpoint(self, sub: Subscription, subject: bytes, reply: bytes, hdr_len: int, msg: bytes) -> bool:
        name = subject.rsplit(b".", 1)[-1].decode()
        if name == "IDZ":
            srv = self.server
            out: dict[str, Any] | None = {
                "name": srv.name,
                "host": srv.options.host or "0.0.0.0",
                "id": srv.server_id,
            }
        else:
            out = self.endpoint(name)
        if out is None:
            return False
        if reply:
            publish_internal(self.account, reply, b"", go_json(out))
        return True

    def on_user_info(self, account: Account) -> Callable[[Subscription, bytes, bytes, int, bytes], None]:
        def answer(sub: Subscription, subject: bytes, reply: bytes, hdr_len: int, msg: bytes) -> None:
            client = current_source()
            if not reply or client is None:
                return
            data: dict[str, Any] = {
                "user": client.user,
                "account": account.name,
                "account_name": account.name,
            }
            if client.perms is not None:
                data["permissions"] = _permissions_json(client.perms)
            body = {"server": self.identity(), "data": data}
            publish_internal(account, reply, b"", go_json(body))

        return answer

    def add_account(self, account: Account) -> None:
        subscribe_internal(account, b"$SYS.REQ.USER.INFO", self.on_user_info(account))


def _permissions_json(perms: Permissions) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, rule in (("publish", perms.pub), ("subscribe", perms.sub)):
        direction = {}
        for key, patterns in (("allow", rule.allow_patterns), ("deny", rule.deny_list)):
            if patterns is not None:
                direction[key] = patterns
        if direction:
            out[name] = direction
    return out


def start_system_services(server: Server) -> SystemServices | None:
    opts = server.options
    if getattr(opts, "no_system_account", False):
        return None
    name = opts.system_account or SYSTEM_ACCOUNT
    account = server.accounts.get(name)
    if account is None:
        account = server.accounts[name] = Account(name, cache=not opts.disable_sublist_cache, is_system=True)
    account.is_system = True
    services = SystemServices(server, account)
    subscribe_internal(account, b"$SYS.REQ.SERVER.PING", services.on_ping)
    subscribe_internal(account, b"$SYS.REQ.SERVER.PING.*", services.on_endpoint)
    subscribe_internal(account, b"$SYS.REQ.SERVER." + server.server_id.encode() + b".*", services.on_endpoint)
    for acc in list(server.accounts.values()):
        services.add_account(acc)
    return services
