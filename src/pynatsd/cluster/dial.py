# Route addresses and soliciting routes.
#
# Explicit routes (the `routes` list) are dialled for as long as the server runs: after a failure
# or a lost link the next attempt waits a little longer each time, up to a cap. Implicit routes
# (peers learned by gossip) get a bounded number of attempts: the peer that went away will come
# back through its own seeds, and the seed's gossip brings it to everyone again. While the peer is
# reachable over another link (the other side dialled first), a dialler waits instead of making
# duplicate connections.
from __future__ import annotations

import asyncio
import random
import secrets
import string
from typing import TYPE_CHECKING, Final
from urllib.parse import unquote, urlsplit

if TYPE_CHECKING:
    from pynatsd.cluster.cluster import Cluster
    from pynatsd.options import Options

__all__ = ["RouteURL", "dial_loop", "listen_address", "parse_route_url", "random_cluster_name"]

BACKOFF_START: Final = 0.25
BACKOFF_MAX: Final = 2.0
IMPLICIT_MIN_ATTEMPTS: Final = 3
# Close reasons after which dialling that address again makes no sense.
FINAL_REASONS: Final = frozenset({"Route to self", "Cluster Name Conflict", "Pooled route refused"})


class RouteURL:
    __slots__ = ("host", "password", "port", "text", "user")

    def __init__(self, text: str, host: str, port: int, user: str, password: str) -> None:
        self.text = text
        self.host = host
        self.port = port
        self.user = user
        self.password = password

    @property
    def key(self) -> str:
        return f"{self.host.lower()}:{self.port}"


def parse_route_url(text: str) -> RouteURL:
    raw = text if "://" in text else f"nats-route://{text}"
    parts = urlsplit(raw)
    if not parts.hostname or not parts.port:
        raise ValueError(f"invalid route URL {text!r}")
    user = unquote(parts.username or "")
    password = unquote(parts.password or "")
    return RouteURL(text, parts.hostname, parts.port, user, password)


def listen_address(opts: Options) -> tuple[str, int] | None:
    """The cluster listener's host and port (0: any free port); None when clustering is off."""
    host, port = opts.cluster_host, opts.cluster_port
    if opts.cluster_listen and not port:
        url = parse_listen(opts.cluster_listen)
        host, port = url
    if not port:
        return None
    return host or "0.0.0.0", 0 if port < 0 else port


def parse_listen(text: str) -> tuple[str, int]:
    raw = text if "://" in text else f"nats://{text}"
    parts = urlsplit(raw)
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is None:
        tail = raw.rsplit(":", 1)[-1]
        port = int(tail) if tail.lstrip("-").isdigit() else 0
    return parts.hostname or "", port


_ALPHABET: Final = string.ascii_letters + string.digits


def random_cluster_name() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(22))


async def dial_loop(cluster: Cluster, url: RouteURL, *, explicit: bool) -> None:
    """Keep a route to `url`: forever if explicit, for a few attempts if implicit."""
    budget = max(cluster.server.options.connect_retries, IMPLICIT_MIN_ATTEMPTS)
    delay = BACKOFF_START
    failures = 0
    while not cluster.stopping:
        link = await cluster.connect(url, explicit=explicit)
        if link is None:
            failures += 1
            if not explicit and failures > budget:
                return
            await asyncio.sleep(_jitter(delay))
            delay = min(delay * 2, BACKOFF_MAX)
            continue
        await link.closed_event.wait()
        if cluster.stopping or link.close_reason in FINAL_REASONS:
            return
        if link.registered:
            failures, delay = 0, BACKOFF_START
        else:
            failures += 1
            if not explicit and failures > budget:
                return
        if not explicit and link.close_reason == "Duplicate Route":
            return
        await _while_reachable_elsewhere(cluster, link.remote_id)
        await asyncio.sleep(_jitter(delay))
        delay = min(delay * 2, BACKOFF_MAX)


def _jitter(delay: float) -> float:
    # Two servers that lost each other at the same moment should not dial each other at the same
    # moment again (both links would be duplicates).
    return delay * random.uniform(0.5, 1.5)


async def _while_reachable_elsewhere(cluster: Cluster, remote_id: str) -> None:
    while remote_id and not cluster.stopping:
        other = cluster.routes.get(remote_id)
        if other is None:
            return
        await other.closed_event.wait()
