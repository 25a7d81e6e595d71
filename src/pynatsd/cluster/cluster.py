# Cluster: the route listener, the registry of route links, gossip, cluster names and interest.
#
# Theory of operation. Every server keeps one route link to every other server (a full mesh).
# A link registers once the peer's INFO is in; the registry is keyed by the peer's server id, so a
# second link to the same peer is a duplicate. Between two pynatsd servers the one solicited by
# the server with the smaller id is kept, which both ends compute alike; a duplicate solicited by
# the same side as the kept one is simply closed. With nats-server, which keeps the route it
# registered first, the first one is kept here too.
#
# Gossip. When a link registers, the peer's INFO (with the address it was reached at) is
# forwarded to every other peer, which dials the newcomer if it does not know it yet: so a server
# learns the whole cluster from any one seed.
#
# Cluster names: a configured name is fixed; without one the server makes up a dynamic name and
# takes a configured name from a peer (between two dynamic names the greater wins). Two different
# configured names cannot form a cluster: the link is refused.
#
# The peers' client URLs (their INFO connect_urls) are merged into the INFO this server gives its
# clients; a change is pushed to protocol-1 clients as an async INFO.
#
# Route TLS (tls.py) and what may cross a route (policy.py: permissions, compression) come from the
# cluster block and are settled when the Cluster is made, so a bad block stops the server at start.
from __future__ import annotations

import asyncio
import sys
from typing import TYPE_CHECKING, Any

from pynatsd._version import NATS_SERVER_VERSION
from pynatsd.cluster import dial
from pynatsd.cluster.interest import LocalInterest
from pynatsd.cluster.link import RouteLink
from pynatsd.cluster.policy import COMPRESSION_OFF, compression_warning, permissions_info, route_permissions
from pynatsd.cluster.tls import route_tls
from pynatsd.cluster.urls import own_client_urls
from pynatsd.protocol.encode import encode_info, go_json

if TYPE_CHECKING:
    from pynatsd.core.accounts import Account
    from pynatsd.core.client import ClientConnection
    from pynatsd.core.server import Server
    from pynatsd.core.subscription import Subscription

__all__ = ["Cluster"]

ROUTE_PROTO = 3
# Accepted in the cluster block, not acted on: one route per peer carries every account (nats-server's
# `pool_size: -1`).
_NOT_YET = ("accounts", "pool_size")
_INSECURE_WARNING = (
    "TLS certificate chain and hostname of solicited routes will not be verified. DO NOT USE IN PRODUCTION!"
)


class Cluster:
    def __init__(self, server: Server, host: str, port: int) -> None:
        self.server = server
        opts = server.options
        self.host, self.port = host, port
        self.dynamic = not opts.cluster_name
        self.name = opts.cluster_name or dial.random_cluster_name()
        auth = opts.cluster_block.get("authorization") or {}
        self.user = str(auth.get("user", "")) if isinstance(auth, dict) else ""
        self.password = str(auth.get("password", "")) if isinstance(auth, dict) else ""
        block = opts.cluster_block
        self.tls = route_tls(block)
        self.perms = route_permissions(block)
        self._compression_warning = compression_warning(block.get("compression"))
        self.routes: dict[str, RouteLink] = {}
        self.links: set[RouteLink] = set()
        self.interest = LocalInterest(self.perms.can_publish if self.perms is not None else None)
        self.inbound_subject: bytes | None = None
        self.peer_urls: dict[str, list[str]] = {}
        self.stopping = False
        self.explicit = [dial.parse_route_url(u) for u in opts.routes]
        self._explicit_keys = {u.key for u in self.explicit}
        self._dialing: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._listener: asyncio.base_events.Server | None = None
        self._rid = 0
        self._paused_by: set[RouteLink] = set()
        self._paused_clients: list[ClientConnection] = []

    def next_rid(self) -> int:
        self._rid += 1
        return self._rid

    def log_debug(self, link: RouteLink, text: str) -> None:
        self.server.log.debug(f"{link.log_prefix()} - {text}")

    # -- start / stop ---------------------------------------------------------------------------

    async def start(self) -> None:
        srv = self.server
        self._listener = await srv.loop.create_server(
            lambda: self._track(RouteLink(self, solicited=False)), self.host, self.port, backlog=1024
        )
        self.port = self._listener.sockets[0].getsockname()[1]
        srv.log.info(f"Cluster name is {self.name}")
        if self.dynamic:
            srv.log.warn("Cluster name was dynamically generated, consider setting one")
        srv.log.info(f"Listening for route connections on {_host_port(self.host, self.port)}")
        self._warn_settings()
        for url in self.explicit:
            self._spawn(url, explicit=True)

    def _warn_settings(self) -> None:
        log = self.server.log
        block = self.server.options.cluster_block
        unsupported = [k for k in _NOT_YET if k in block and not (k == "pool_size" and block[k] == -1)]
        if unsupported:
            log.warn(f"Cluster options not supported yet, ignored: {', '.join(unsupported)}")
        if self._compression_warning:
            log.warn(self._compression_warning)
        if self.tls is not None and self.tls.insecure:
            log.warn(_INSECURE_WARNING)

    def _track(self, link: RouteLink) -> RouteLink:
        self.links.add(link)
        return link

    async def stop(self) -> None:
        self.stopping = True
        if self._listener is not None:
            self._listener.close()
        for task in list(self._tasks):
            task.cancel()
        for link in list(self.links):
            link.flush()
            link.close("Server Shutdown")
        self._release_clients()

    def _spawn(self, url: dial.RouteURL, *, explicit: bool) -> None:
        if url.key in self._dialing or self.stopping:
            return
        self._dialing.add(url.key)
        task = self.server.loop.create_task(dial.dial_loop(self, url, explicit=explicit))
        self._tasks.add(task)

        def done(t: asyncio.Task[None]) -> None:
            self._tasks.discard(t)
            self._dialing.discard(url.key)

        task.add_done_callback(done)

    async def connect(self, url: dial.RouteURL, *, explicit: bool) -> RouteLink | None:
        loop = self.server.loop
        try:
            _, link = await asyncio.wait_for(
                loop.create_connection(
                    lambda: self._track(RouteLink(self, solicited=True, url=url.text, explicit=explicit)),
                    url.host,
                    url.port,
                ),
                timeout=2.0,
            )
        except (OSError, TimeoutError) as e:
            self.server.log.debug(f"Error trying to connect to route ({url.text}): {e}")
            return None
        return link

    # -- what this server tells its peers -------------------------------------------------------

    def route_info(self, *, nonce: bool = False, ldm: bool = False) -> dict[str, Any]:
        srv = self.server
        opts = srv.options
        adv = opts.cluster_advertise
        host, port = dial.parse_listen(adv) if adv else (self.host, self.port)
        info: dict[str, Any] = {
            "server_id": srv.server_id,
            "server_name": srv.name,
            "version": NATS_SERVER_VERSION,
            "proto": ROUTE_PROTO,
            "go": f"python{sys.version.split()[0]}",
            "host": host,
            "port": port,
            "headers": not opts.no_header_support,
        }
        if self.user:
            info["auth_required"] = True
        if self.tls is not None:
            info["tls_required"] = info["tls_verify"] = True
        info["max_payload"] = opts.max_payload
        if nonce:
            info["nonce"] = srv.new_nonce()
        info["cluster"] = self.name
        if self.dynamic:
            info["cluster_dynamic"] = True
        if not srv.lame_duck:
            info["connect_urls"] = own_client_urls(srv)
        if adv:
            info["ip"] = f"nats-route://{_host_port(host, port)}/"
        if ldm:
            info["ldm"] = True
        if nonce:
            info["compression"] = COMPRESSION_OFF
        info.update(permissions_info(self.perms))
        return info

    def connect_fields(self, url_text: str) -> dict[str, Any]:
        url = dial.parse_route_url(url_text) if url_text else None
        user = url.user if url is not None and url.user else self.user
        password = url.password if url is not None and url.user else self.password
        fields: dict[str, Any] = {"echo": True, "verbose": False, "pedantic": False}
        if user:
            fields["user"] = user
            fields["pass"] = password
        fields.update(
            tls_required=self.tls is not None, headers=True, name=self.server.server_id, cluster=self.name
        )
        if self.dynamic:
            fields["cluster_dynamic"] = True
        return fields

    # -- handshake and registration -------------------------------------------------------------

    def check_connect(self, link: RouteLink, fields: dict[str, Any]) -> None:
        if link.solicited or not self.user:
            return
        if fields.get("user") != self.user or fields.get("pass") != self.password:
            self.server.log.error(f"{link.log_prefix()} - authentication error")
            link.close("Authentication Failure", err="Authorization Violation")

    def first_info(self, link: RouteLink, info: dict[str, Any]) -> None:
        sid = str(info.get("server_id", ""))
        if sid == self.server.server_id:
            self.log_debug(link, "Detected route to self, ignoring")
            link.close("Route to self")
            return
        if info.get("route_account"):
            link.close("Pooled route refused")
            return
        if not self._settle_name(link, info):
            return
        link.info = info
        link.remote_id = sid
        link.remote_name = str(info.get("server_name", ""))
        link.connect_urls = [str(u) for u in info.get("connect_urls") or []]
        port = info.get("port", 0)
        link.route_url = str(info.get("ip") or f"nats-route://{_host_port(link.host, int(port))}/")
        self._register(link)

    def _settle_name(self, link: RouteLink, info: dict[str, Any]) -> bool:
        theirs = str(info.get("cluster", ""))
        if not theirs or theirs == self.name:
            return True
        theirs_dynamic = bool(info.get("cluster_dynamic"))
        if self.dynamic and (not theirs_dynamic or theirs > self.name):
            self.server.log.info(f"Cluster name updated to {theirs}")
            self.name = theirs
            self.dynamic = theirs_dynamic
            self._broadcast_info()
            return True
        if theirs_dynamic:
            return True
        self.server.log.error(
            f'{link.log_prefix()} - Rejecting connection, cluster name "{theirs}" does not match "{self.name}"'
        )
        link.close("Cluster Name Conflict", err="Cluster Name Conflict")
        return False

    def _register(self, link: RouteLink) -> None:
        sid = link.remote_id
        existing = self.routes.get(sid)
        if existing is not None and not existing.closed:
            if not self._replaces(link, existing):
                self.log_debug(link, f'Detected duplicate remote route "{sid}"')
                existing.retry = True
                link.close("Duplicate Route")
                return
            self.routes[sid] = link
            link.registered = True
            existing.close("Duplicate Route")
        else:
            self.routes[sid] = link
            link.registered = True
            self._forward_info(link)
        self.server.log.info(f"{link.log_prefix()} - Route connection created")
        for line in self.interest.all_lines():
            link.queue(line)
        link.send_ping()
        self._set_peer_urls(sid, link.connect_urls)

    def _replaces(self, new: RouteLink, old: RouteLink) -> bool:
        if not str(new.info.get("go", "")).startswith("python"):
            # nats-server keeps the route it registered first; doing the same avoids each side
            # keeping a different one (and both being closed).
            return False
        mine, theirs = self.server.server_id, new.remote_id
        new_by = mine if new.solicited else theirs
        old_by = mine if old.solicited else theirs
        return new_by != old_by and new_by == min(mine, theirs)

    def _forward_info(self, link: RouteLink) -> None:
        if len(self.routes) < 2:
            return
        gossip = {k: v for k, v in link.info.items() if k not in ("nonce", "ldm")}
        gossip["ip"] = link.route_url
        line = encode_info(gossip)
        for other in self.routes.values():
            if other is not link:
                other.queue(line)

    def later_info(self, link: RouteLink, info: dict[str, Any]) -> None:
        sid = str(info.get("server_id", ""))
        if sid and sid != link.remote_id:
            self._implicit(info)
            return
        if info.get("cluster") and info.get("cluster") != self.name:
            self._settle_name(link, info)
        if info.get("ldm"):
            self._set_peer_urls(link.remote_id, [])
        elif info.get("connect_urls") is not None:
            link.connect_urls = [str(u) for u in info.get("connect_urls") or []]
            self._set_peer_urls(link.remote_id, link.connect_urls)

    def _implicit(self, info: dict[str, Any]) -> None:
        sid = str(info.get("server_id", ""))
        if not sid or sid == self.server.server_id or sid in self.routes or info.get("route_account"):
            return
        text = str(
            info.get("ip") or f"nats-route://{_host_port(str(info.get('host')), int(info.get('port', 0)))}/"
        )
        try:
            url = dial.parse_route_url(text)
        except ValueError:
            return
        if url.key in self._explicit_keys:
            return
        self._spawn(url, explicit=False)

    def link_closed(self, link: RouteLink) -> None:
        self.links.discard(link)
        if link in self._paused_by:
            self.route_paused(link, False)
        if not link.registered or self.routes.get(link.remote_id) is not link:
            return
        del self.routes[link.remote_id]
        self.server.log.info(f"{link.log_prefix()} - Route connection closed: {link.close_reason}")
        self._set_peer_urls(link.remote_id, None)
        if link.retry and not link.solicited and not self.stopping and link.route_url:
            try:
                self._spawn(dial.parse_route_url(link.route_url), explicit=False)
            except ValueError:
                pass

    # -- interest ------------------------------------------------------------------------------

    def local_interest(self, account: Account, sub: Subscription, added: bool) -> None:
        line = self.interest.change(account, sub, added)
        if line is not None:
            for link in self.routes.values():
                link.queue(line)

    def client_closed(self, client: ClientConnection) -> None:
        for sub in client.subs.values():
            self.local_interest(client.account, sub, False)

    # -- clients: connect_urls, lame duck, flow control -----------------------------------------

    def _set_peer_urls(self, sid: str, urls: list[str] | None) -> None:
        before = self.client_urls()
        if urls is None:
            self.peer_urls.pop(sid, None)
        else:
            self.peer_urls[sid] = urls
        if self.client_urls() != before and not self.server.options.no_advertise:
            self.notify_clients()

    def client_urls(self) -> list[str]:
        srv = self.server
        urls = [] if srv.lame_duck else own_client_urls(srv)
        for peer in self.peer_urls.values():
            for url in peer:
                if url not in urls:
                    urls.append(url)
        return urls

    def add_client_info(self, info: dict[str, Any]) -> None:
        info["cluster"] = self.name
        if not self.server.options.no_advertise:
            info["connect_urls"] = self.client_urls()

    def notify_clients(self) -> None:
        srv = self.server
        for client in list(srv.clients.values()):
            if client.takes_async_info and not client.websocket:
                client.queue(encode_info(srv.client_info(client)))

    def varz(self) -> dict[str, Any]:
        """The `cluster` block of /varz."""
        out: dict[str, Any] = {"name": self.name, "addr": self.host, "cluster_port": self.port}
        out["auth_timeout"] = 1 if self.user else 0
        out["urls"] = [u.text for u in self.explicit]
        timeout = self.tls.timeout if self.tls is not None else 2
        out["tls_timeout"] = int(timeout) if timeout == int(timeout) else timeout
        if self.tls is not None:
            out["tls_required"] = out["tls_verify"] = True
        return out

    def enter_lame_duck(self) -> None:
        line = b"INFO " + go_json(self.route_info(ldm=True)) + b" \r\n"
        for link in self.routes.values():
            link.queue(line)

    def _broadcast_info(self) -> None:
        line = b"INFO " + go_json(self.route_info()) + b" \r\n"
        for link in self.routes.values():
            link.queue(line)

    def route_paused(self, link: RouteLink, paused: bool) -> None:
        """A route's socket fell behind (or caught up): hold (release) local publishers."""
        if paused:
            if not self._paused_by:
                self._paused_clients = [c for c in self.server.clients.values() if c.transport is not None]
                for c in self._paused_clients:
                    c.transport.pause_reading()  # type: ignore[union-attr]
            self._paused_by.add(link)
            return
        self._paused_by.discard(link)
        if not self._paused_by:
            self._release_clients()

    def _release_clients(self) -> None:
        clients, self._paused_clients = self._paused_clients, []
        for c in clients:
            if not c.closed and c.transport is not None and c._stall_timer is None:
                c.transport.resume_reading()


def _host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
