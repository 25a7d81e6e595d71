# The Server: listeners, the connection registry, start-up, shutdown, lame duck and reload.
#
# A Server runs inside an asyncio loop, either embedded (`async with Server(...) as srv`) or from
# the command line (cli.py), which adds signal handling. All state is touched only from the loop's
# thread, so there are no locks: a publish, a close and a reload never interleave.
from __future__ import annotations

import asyncio
import base64
import collections
import hashlib
import os
import socket
import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pynatsd._version import GIT_COMMIT, NATS_SERVER_VERSION, __version__, build_kind
from pynatsd.core.accounts import GLOBAL_ACCOUNT, Account
from pynatsd.core.auth import Authenticator
from pynatsd.core.auth_reload import reauthorize
from pynatsd.core.client import ClientConnection
from pynatsd.core.imports import configure_imports
from pynatsd.core.jwt import jwt_account_block
from pynatsd.core.nkeys import new_server_keys
from pynatsd.core.outbound import Outbound
from pynatsd.core.system import start_system_services
from pynatsd.core.tls import tls_config
from pynatsd.core.websocket import start_websocket, websocket_config
from pynatsd.logger import Logger
from pynatsd.options import RANDOM_PORT, Options
from pynatsd.protocol.encode import encode_info
from pynatsd.protocol.errors import ERR_MAX_CONNECTIONS

if TYPE_CHECKING:
    from pynatsd.cluster.cluster import Cluster
    from pynatsd.monitor.http import MonitorServer

__all__ = ["Server", "ServerError"]

API_LEVEL = 5
# nats-server's accept backlog: a burst of reconnecting clients must not overflow it.
LISTEN_BACKLOG = 4096


class ServerError(Exception):
    """A fatal start-up problem (address in use, bad address...)."""


@dataclass
class ServerStats:
    in_msgs: int = 0
    in_bytes: int = 0
    out_msgs: int = 0
    out_bytes: int = 0
    total_connections: int = 0
    slow_consumers: int = 0
    stale_connections: int = 0
    stalled_clients: int = 0


class Server:
    def __init__(
        self, options: Options | None = None, *, logger: Logger | None = None, **overrides: Any
    ) -> None:
        opts = options or Options()
        if overrides:
            opts = opts.copy(**overrides)
        self.options = opts
        self.log = logger or Logger(
            debug=opts.debug, trace=opts.trace, logtime=opts.logtime, log_file=opts.log_file
        )
        self.server_id, self.xkey = new_server_keys()
        self.name = opts.server_name or self.server_id
        self.global_account = Account(GLOBAL_ACCOUNT, cache=not opts.disable_sublist_cache)
        self.accounts: dict[str, Account] = {GLOBAL_ACCOUNT: self.global_account}
        self.auth = Authenticator(opts)
        self.tls = tls_config(opts)
        self.websocket = websocket_config(opts)
        self.websocket_port = 0
        self._configure_accounts(opts)
        configure_imports(self.accounts, self._account_blocks(opts))
        self.system = start_system_services(self)
        self.clients: dict[int, ClientConnection] = {}
        self.closed_clients: collections.deque[dict[str, Any]] = collections.deque(
            maxlen=opts.max_closed_clients
        )
        self.stats = ServerStats()
        self.start_time = time.time()
        self.config_load_time = self.start_time
        self.lame_duck = False
        self.host = opts.host
        self.port = opts.port
        self.monitor: MonitorServer | None = None
        # The JetStream engine, once it runs; INFO advertises `jetstream` only then.
        self.jetstream: Any = None
        self.http_port = 0
        self._cid = 0
        self._servers: list[asyncio.base_events.Server] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        # Connections with bytes to write this loop pass; read on every delivery, so a plain attribute.
        self.outbound = Outbound()
        self._shutdown_done = asyncio.Event()
        self._shutting_down = False
        self._ldm_task: asyncio.Task[None] | None = None
        # Routes to the other cluster members, once clustering runs (cluster/).
        self.cluster: Cluster | None = None

    # -- properties used by connections ---------------------------------------------------------

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        assert self._loop is not None
        return self._loop

    @property
    def client_url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        if ":" in host:
            host = f"[{host}]"
        return f"nats://{host}:{self.port}"

    def next_cid(self) -> int:
        self._cid += 1
        return self._cid

    # -- start / stop ---------------------------------------------------------------------------

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.outbound.bind(self._loop)
        opts = self.options
        self._log_banner()
        if opts.jetstream:
            await self._start_jetstream()
        if opts.http_port or opts.https_port:
            await self._start_monitor()
        await self._listen()
        await self._start_cluster()
        self._write_files()
        self.log.info("Server is ready")

    def _log_banner(self) -> None:
        log = self.log
        log.info(f"Starting pynatsd (NATS server {NATS_SERVER_VERSION} protocol)")
        log.info(f"  Version:  {__version__} ({build_kind()})")
        log.info(f"  Python:   {sys.version.split()[0]}")
        log.info(f"  Name:     {self.name}")
        log.info(f"  ID:       {self.server_id}")
        if self.auth.has_plaintext_passwords():
            log.warn("Plaintext passwords detected, use nkeys or bcrypt")
        path = self.options.config_file
        if path:
            try:
                with open(path, "rb") as f:
                    digest = f" (sha256:{hashlib.sha256(f.read()).hexdigest()})"
            except OSError:
                digest = ""
            log.info(f"Using configuration file: {path}{digest}")

    async def _start_jetstream(self) -> None:
        from pynatsd.jetstream.engine import JetStream
        from pynatsd.jetstream.store import StoreError

        js = JetStream(self)
        try:
            await js.start()
            self._enable_account_jetstream(js)
        except StoreError as e:
            raise ServerError(f"Can't start JetStream: {e}") from e
        self.jetstream = js

    def _enable_account_jetstream(self, js: Any) -> None:
        # Configured accounts use JetStream only when their block enables it; the others are told
        # so on $JS.API.
        from pynatsd.jetstream.limits import answer_not_enabled, parse_account_jetstream

        for name, block in (self.options.accounts or {}).items():
            account = self.accounts[name]
            if account.is_system:
                continue
            limits = parse_account_jetstream(block.get("jetstream") if isinstance(block, dict) else None)
            if limits is None:
                answer_not_enabled(account)
            else:
                js.enable_account(account).limits = limits

    async def _start_cluster(self) -> None:
        from pynatsd.cluster.cluster import Cluster
        from pynatsd.cluster.dial import listen_address

        addr = listen_address(self.options)
        if addr is not None:
            try:
                self.cluster = Cluster(self, *addr)
            except ValueError as e:
                raise ServerError(f"Cluster configuration: {e}") from e
            try:
                await self.cluster.start()
            except OSError as e:
                raise ServerError(f"Error listening on router port: {addr[1]}, {e}") from e

    async def _start_monitor(self) -> None:
        from pynatsd.monitor.http import MonitorServer

        self.monitor = MonitorServer(self)
        self.http_port = await self.monitor.start()

    async def _listen(self) -> None:
        opts = self.options
        if self.websocket is not None:
            listener, self.websocket_port = await start_websocket(self, self.websocket)
            self._servers.append(listener)
        port = 0 if opts.port in (RANDOM_PORT, 0) else opts.port
        host = opts.host or "0.0.0.0"
        socks = _bind_sockets(host, port)
        self.port = socks[0].getsockname()[1]
        tls = self.tls
        first = tls if tls is not None and tls.handshake_first else None
        for sock in socks:
            srv = await self.loop.create_server(
                lambda: ClientConnection(self),
                sock=sock,
                backlog=LISTEN_BACKLOG,
                ssl=first.context if first else None,
                ssl_handshake_timeout=first.timeout if first else None,
            )
            self._servers.append(srv)
        self.log.info(f"Listening for client connections on {_join_host_port(host, self.port)}")
        if tls is not None:
            self.log.info(f"TLS {'available' if tls.allow_non_tls else 'required'} for client connections")

    def _write_files(self) -> None:
        opts = self.options
        if opts.pid_file:
            with open(opts.pid_file, "w") as f:
                f.write(str(os.getpid()))
        if opts.ports_file_dir:
            import json

            exe = os.path.basename(sys.argv[0]) or "pynatsd"
            path = os.path.join(opts.ports_file_dir, f"{exe}_{os.getpid()}.ports")
            ports: dict[str, Any] = {"nats": [self.client_url]}
            if self.http_port:
                ports["monitoring"] = [f"http://127.0.0.1:{self.http_port}"]
            with open(path, "w") as f:
                json.dump(ports, f)
            self._ports_file = path

    async def shutdown(self) -> None:
        """Stop listening, close every client and the monitor. Idempotent."""
        if self._shutting_down:
            await self._shutdown_done.wait()
            return
        self._shutting_down = True
        self._close_listeners()
        if self.cluster is not None:
            await self.cluster.stop()
        for client in list(self.clients.values()):
            client.close("Server Shutdown")
        if self._ldm_task is not None and self._ldm_task is not asyncio.current_task():
            self._ldm_task.cancel()
        if self.jetstream is not None:
            await self.jetstream.shutdown()
        if self.monitor is not None:
            await self.monitor.stop()
        for srv in self._servers:
            srv.close()
        self._remove_files()
        self.log.info("Server Exiting..")
        self._shutdown_done.set()

    def _close_listeners(self) -> None:
        for srv in self._servers:
            srv.close()

    def _remove_files(self) -> None:
        if self.options.pid_file:
            try:
                os.unlink(self.options.pid_file)
            except OSError:
                pass
        path = getattr(self, "_ports_file", "")
        if path:
            try:
                os.unlink(path)
            except OSError:
                pass

    async def wait_for_shutdown(self) -> None:
        await self._shutdown_done.wait()

    async def __aenter__(self) -> Server:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.shutdown()

    def _account_blocks(self, opts: Options) -> dict[str, Any]:
        # In operator mode the accounts, with their exports and imports, come from account JWTs.
        trust = self.auth.trust
        if trust is None:
            return dict(opts.accounts or {})
        blocks = {}
        for pub, claims in trust.accounts.items():
            self.accounts.setdefault(pub, Account(pub, cache=not opts.disable_sublist_cache))
            blocks[pub] = jwt_account_block(claims.nats)
        return blocks

    def _configure_accounts(self, opts: Options) -> None:
        for name, block in (opts.accounts or {}).items():
            if name not in self.accounts:
                self.accounts[name] = Account(name, cache=not opts.disable_sublist_cache)
            limits = block.get("limits") if isinstance(block, dict) else None
            self.accounts[name].set_limits(limits if isinstance(limits, dict) else {})

    @staticmethod
    def new_nonce() -> str:
        return base64.urlsafe_b64encode(os.urandom(11)).decode().rstrip("=")

    def lookup_account(self, name: str) -> Account:
        return self.accounts.get(name) or self.global_account

    def bind_account(self, client: ClientConnection, account: Account) -> None:
        """Move an authenticated client into its account (before it has subscriptions)."""
        if client.account is account:
            return
        client.account.clients.discard(client)
        client.account = account
        if client.cid in self.clients:
            account.clients.add(client)

    # -- connections ----------------------------------------------------------------------------

    def register_client(self, client: ClientConnection) -> bool:
        if self._shutting_down:
            client.close("Server Shutdown")
            return False
        if len(self.clients) >= self.options.max_connections:
            self.log.error(f"{client.log_prefix()} - {ERR_MAX_CONNECTIONS}")
            client.close("Maximum Connections Exceeded", err=ERR_MAX_CONNECTIONS)
            return False
        self.clients[client.cid] = client
        client.account.clients.add(client)
        self.stats.total_connections += 1
        self.log.debug(f"{client.log_prefix()} - Client connection created")
        return True

    def unregister_client(self, client: ClientConnection) -> None:
        if self.clients.pop(client.cid, None) is None:
            return
        client.account.clients.discard(client)
        st = self.stats
        st.in_msgs += client.in_msgs
        st.in_bytes += client.in_bytes
        st.out_msgs += client.out_msgs
        st.out_bytes += client.out_bytes
        if self.options.max_closed_clients:
            from pynatsd.monitor.endpoints import closed_conn_info

            self.closed_clients.append(closed_conn_info(self, client))

    def totals(self) -> ServerStats:
        """Lifetime message counters: closed connections plus live ones."""
        st = self.stats
        out = ServerStats(**st.__dict__)
        for c in self.clients.values():
            out.in_msgs += c.in_msgs
            out.in_bytes += c.in_bytes
            out.out_msgs += c.out_msgs
            out.out_bytes += c.out_bytes
        return out

    def client_info(self, client: ClientConnection | None, *, connect_info: bool = False) -> dict[str, Any]:
        """The INFO object in nats-server's key order, for one connection."""
        opts = self.options
        info: dict[str, Any] = {
            "server_id": self.server_id,
            "server_name": self.name,
            "version": NATS_SERVER_VERSION,
            "proto": 1,
            "git_commit": GIT_COMMIT,
            "go": f"python{sys.version.split()[0]}",
            "host": opts.host,
            "port": self.websocket_port if client is not None and client.websocket else self.port,
            "headers": not opts.no_header_support,
        }
        auth = client.auth if client is not None else self.auth
        if auth.required and (connect_info or not auth.no_auth_user):
            info["auth_required"] = True
        if self.tls is not None and not (client is not None and client.websocket):
            info["tls_available" if self.tls.allow_non_tls else "tls_required"] = True
            if self.tls.verify:
                info["tls_verify"] = True
        info["max_payload"] = opts.max_payload
        if self.jetstream is not None:
            info["jetstream"] = True
        if client is not None:
            info["client_id"] = client.cid
            info["client_ip"] = client.host
            if client.nonce and not connect_info:
                info["nonce"] = client.nonce
        if self.cluster is not None:
            self.cluster.add_client_info(info)
        if self.lame_duck:
            info["ldm"] = True
        if connect_info and client is not None:
            info["connect_info"] = True
            info["remote_account"] = client.account.name
            if client.account.is_system:
                info["acc_is_sys"] = True
        info["api_lvl"] = API_LEVEL
        info["xkey"] = self.xkey
        return info

    # -- lame duck ------------------------------------------------------------------------------

    def enter_lame_duck(self) -> None:
        if self.lame_duck or self._shutting_down:
            return
        self.lame_duck = True
        self.log.info("Entering lame duck mode, stop accepting new clients")
        self._close_listeners()
        if self.cluster is not None:
            self.cluster.enter_lame_duck()
        for client in list(self.clients.values()):
            if client.takes_async_info:
                client.queue(encode_info(self.client_info(client)))
        self._ldm_task = self.loop.create_task(self._lame_duck())

    async def _lame_duck(self) -> None:
        opts = self.options
        await asyncio.sleep(opts.lame_duck_grace_period)
        clients = list(self.clients.values())
        if clients:
            gap = max(opts.lame_duck_duration - opts.lame_duck_grace_period, 0.0) / len(clients)
            self.log.info(f"Closing existing clients over {opts.lame_duck_duration:.0f}s")
            for client in clients:
                client.close("Server Shutdown")
                if gap:
                    await asyncio.sleep(gap)
        await self.shutdown()

    # -- reload ---------------------------------------------------------------------------------

    def apply_reload(self, new: Options) -> list[str]:
        """Apply reloadable options; return the names that changed. Raise ValueError if not allowed."""
        old = self.options
        for name in ("host", "port", "store_dir", "cluster_host", "cluster_port"):
            if getattr(new, name) != getattr(old, name):
                raise ValueError(f"config reload not supported for {name.capitalize()}")
        changed = [f for f in old.__dataclass_fields__ if getattr(old, f) != getattr(new, f)]
        auth = Authenticator(new)
        self.options = new
        self.log.debug_enabled = new.debug
        self.log.trace_enabled = new.trace
        old_auth, self.auth = self.auth, auth
        self._configure_accounts(new)
        for client in list(self.clients.values()):
            reauthorize(client, old_auth, self.auth)
            if client.auth is old_auth:
                client.auth = self.auth
            client.parser.max_payload = new.max_payload
            client.parser.max_control_line = new.max_control_line
        self.config_load_time = time.time()
        return changed


def _join_host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _bind_sockets(host: str, port: int) -> list[socket.socket]:
    """Bind the client listener. The any-address binds IPv4 and IPv6, both on the same port."""
    if host == "0.0.0.0":
        first = _bind_one(socket.AF_INET, host, port)
        try:
            second = _bind_one(socket.AF_INET6, "::", first.getsockname()[1], v6only=True)
        except OSError:
            return [first]
        return [first, second]
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as e:
        raise ServerError(
            f'Error listening on port: {_join_host_port(host, port)}, "listen tcp: lookup {host}: {e.strerror}"'
        ) from e
    family, _, _, _, addr = infos[0]
    return [_bind_one(family, str(addr[0]), port)]


def _bind_one(family: int, host: str, port: int, *, v6only: bool = False) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1 if v6only else 0)
        sock.bind((host, port))
        sock.listen(LISTEN_BACKLOG)
        sock.setblocking(False)
    except OSError as e:
        sock.close()
        if family == socket.AF_INET6 and v6only:
            raise
        reason = "bind: address already in use" if e.errno == 98 else (e.strerror or str(e))
        raise ServerError(
            f'Error listening on port: {_join_host_port(host, port)}, "listen tcp {_join_host_port(host, port)}: {reason}"'
        ) from e
    return sock
