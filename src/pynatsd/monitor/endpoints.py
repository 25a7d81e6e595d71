# Monitoring data as plain dicts: varz(), connz(), healthz() ... computed from the Server.
#
# Computing is kept apart from serving (http.py), so the same functions serve HTTP, tests and, later,
# the $SYS request subjects. Field names and units follow nats-server's JSON.
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pynatsd.core.client import ClientConnection
    from pynatsd.core.server import Server

__all__ = ["closed_conn_info"]


def closed_conn_info(server: Server, client: ClientConnection) -> dict[str, Any]:
    """The snapshot of a closed connection kept for /connz?state=closed."""
    return {
        "cid": client.cid,
        "ip": client.host,
        "port": client.port,
        "start": client.start,
        "stop": client.stop,
        "reason": client.close_reason,
        "in_msgs": client.in_msgs,
        "out_msgs": client.out_msgs,
        "in_bytes": client.in_bytes,
        "out_bytes": client.out_bytes,
        "name": client.opts.name if client.opts else "",
        "lang": client.opts.lang if client.opts else "",
        "version": client.opts.version if client.opts else "",
        "account": client.account.name,
        "authorized_user": client.user,
        "subscriptions_list": [s.subject.decode(errors="replace") for s in client.subs.values()],
    }
