# The HTTP monitoring listener (aiohttp): nats-server's monitoring paths served from endpoints.py.
#
# Responses copy nats-server's: JSON indented by two spaces (compact for /healthz), Go's escaping of
# `<`, `>` and `&` in strings, `Content-Type: application/json` and `Access-Control-Allow-Origin: *`;
# a bad query option is a 400 with a plain-text reason. `?callback=fn` wraps the JSON as JSONP (only
# for a plain JavaScript name, so the parameter cannot inject script). Every request to a known path
# is counted under that path for /varz `http_req_stats`; the socket is bound here so that port -1 can
# pick a free port and report it.
from __future__ import annotations

import errno
import html
import json
import re
import socket
import ssl
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Final

from aiohttp import web

from pynatsd._version import NATS_SERVER_VERSION
from pynatsd.core.server import ServerError
from pynatsd.monitor import endpoints

if TYPE_CHECKING:
    from pynatsd.core.server import Server

__all__ = ["MonitorServer", "render_json"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# An endpoint answers a query with (HTTP status, JSON body, pretty-printed?).
Endpoint = Callable[[Mapping[str, str]], tuple[int, Any, bool]]

_GO_ESCAPES: Final = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)
_CALLBACK: Final = re.compile(r"[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*")
_CORS: Final = {"Access-Control-Allow-Origin": "*"}
_INDEX_LINKS: Final = (
    ("General", "varz"),
    ("JetStream", "jsz"),
    ("Connections", "connz"),
    ("Accounts", "accountz"),
    ("Subscriptions", "subsz"),
    ("Routes", "routez"),
    ("LeafNodes", "leafz"),
    ("Gateways", "gatewayz"),
    ("Health Probe", "healthz"),
)


def render_json(obj: Any, *, pretty: bool = True) -> str:
    """JSON text as Go's encoding/json writes it (MarshalIndent with two spaces, or Marshal)."""
    if pretty:
        text = json.dumps(obj, indent=2, ensure_ascii=False)
    else:
        text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    return text.translate(_GO_ESCAPES)


def _base_path(raw: str) -> str:
    trimmed = raw.strip("/")
    return f"/{trimmed}" if trimmed else ""


def _join_host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _bind(host: str, port: int) -> socket.socket:
    """Listen like Go does: the IPv4 any-address also accepts IPv6 where the system allows it."""
    where = _join_host_port(host, port)
    try:
        if host == "0.0.0.0" and socket.has_dualstack_ipv6():
            sock = socket.create_server(("::", port), family=socket.AF_INET6, dualstack_ipv6=True)
        else:
            family, _, _, _, addr = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
            sock = socket.create_server(addr[:2], family=family)
    except socket.gaierror as e:
        raise ServerError(f"Can't listen to the Monitor port: listen tcp: lookup {host}: {e.strerror}") from e
    except OSError as e:
        reason = "bind: address already in use" if e.errno == errno.EADDRINUSE else (e.strerror or str(e))
        raise ServerError(f"Can't listen to the Monitor port: listen tcp {where}: {reason}") from e
    sock.setblocking(False)
    return sock


class MonitorServer:
    def __init__(self, server: Server) -> None:
        self.server = server
        self.http_req_stats: dict[str, int] = {}
        self.port = 0
        self.base_path = _base_path(server.options.http_base_path)
        self._runner: web.AppRunner | None = None

    async def start(self) -> int:
        """Bind, serve, log nats-server's start line; return the bound port."""
        opts = self.server.options
        secure = bool(opts.https_port) and not opts.http_port
        wanted = opts.https_port if secure else opts.http_port
        host = opts.http_host or opts.host or "0.0.0.0"
        ssl_context = self._ssl_context() if secure else None
        sock = _bind(host, 0 if wanted < 0 else wanted)
        self.port = sock.getsockname()[1]
        app = web.Application()
        self._add_routes(app)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        self._runner = runner
        await web.SockSite(runner, sock, ssl_context=ssl_context).start()
        scheme = "https" if secure else "http"
        self.server.log.info(f"Starting {scheme} monitor on {_join_host_port(host, self.port)}")
        return self.port

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    def _ssl_context(self) -> ssl.SSLContext:
        opts = self.server.options
        if not (opts.tls_cert and opts.tls_key):
            raise ServerError("Can't listen to the Monitor port: https requires tls cert and key")
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        try:
            ctx.load_cert_chain(opts.tls_cert, opts.tls_key)
        except (OSError, ssl.SSLError) as e:
            raise ServerError(f"Can't listen to the Monitor port: {e}") from e
        return ctx

    # -- routes -------------------------------------------------------------------------------------

    def _add_routes(self, app: web.Application) -> None:
        srv = self.server
        bp = self.base_path
        router = app.router
        root = self._counted("/", self._index)
        router.add_route("*", bp or "/", root)
        if bp:
            router.add_route("*", bp + "/", root)
        routes: dict[str, tuple[str, Endpoint]] = {
            "/varz": ("/varz", lambda q: (200, endpoints.varz(srv), True)),
            "/connz": ("/connz", lambda q: (200, endpoints.connz(srv, q), True)),
            "/subsz": ("/subsz", lambda q: (200, endpoints.subsz(srv, q), True)),
            "/subscriptionsz": ("/subsz", lambda q: (200, endpoints.subsz(srv, q), True)),
            "/healthz": ("/healthz", lambda q: (*endpoints.healthz(srv, q), False)),
            "/routez": ("/routez", lambda q: (200, endpoints.routez(srv, q), True)),
            "/leafz": ("/leafz", lambda q: (200, endpoints.leafz(srv, q), True)),
            "/gatewayz": ("/gatewayz", lambda q: (200, endpoints.gatewayz(srv, q), True)),
            "/jsz": ("/jsz", lambda q: (200, endpoints.jsz(srv, q), True)),
            "/accountz": ("/accountz", lambda q: (200, endpoints.accountz(srv, q), True)),
        }
        for path, (stat, endpoint) in routes.items():
            router.add_route("*", bp + path, self._counted(stat, self._json(endpoint)))

    def _counted(self, stat: str, handler: Handler) -> Handler:
        async def handle(request: web.Request) -> web.StreamResponse:
            self.http_req_stats[stat] = self.http_req_stats.get(stat, 0) + 1
            return await handler(request)

        return handle

    def _json(self, endpoint: Endpoint) -> Handler:
        async def handle(request: web.Request) -> web.StreamResponse:
            try:
                status, body, pretty = endpoint(request.query)
            except endpoints.MonitorError as e:
                return web.Response(status=e.status, text=e.text)
            return _json_response(request, status, render_json(body, pretty=pretty))

        return handle

    async def _index(self, request: web.Request) -> web.StreamResponse:
        bp = self.base_path
        links = "\n".join(
            f'    <a href="{bp}/{path}">{html.escape(title)}<span class="endpoint"> /{path}</span></a>'
            for title, path in _INDEX_LINKS
        )
        page = _INDEX_PAGE.format(version=NATS_SERVER_VERSION, links=links)
        return web.Response(text=page, content_type="text/html")


def _json_response(request: web.Request, status: int, text: str) -> web.Response:
    callback = request.query.get("callback", "")
    if not callback:
        return web.Response(
            status=status, body=text.encode(), headers={"Content-Type": "application/json", **_CORS}
        )
    if not _CALLBACK.fullmatch(callback):
        return web.Response(status=400, text=f"invalid callback: {callback}")
    body = f"{callback}({text})".encode()
    return web.Response(status=status, body=body, headers={"Content-Type": "application/javascript", **_CORS})


_INDEX_PAGE: Final = """<html lang="en">
  <head>
    <title>pynatsd monitoring</title>
    <style type="text/css">
      body {{ font-family: ui-sans-serif, system-ui, sans-serif; font-size: 18px; margin-left: 32px }}
      a {{ display: block; margin-left: 7px; padding-bottom: 6px; color: rgb(72 72 92); text-decoration: none }}
      a:hover {{ font-weight: 600; color: rgb(59 50 202) }}
      .endpoint {{ font-size: 12px; color: #999; font-family: monospace; display: none }}
      a:hover .endpoint {{ display: inline }}
    </style>
  </head>
  <body>
    <h2>NATS server monitoring</h2>
    <p>pynatsd, NATS server {version} protocol</p>
{links}
    <a href="https://docs.nats.io/running-a-nats-service/nats_admin/monitoring">Help</a>
  </body>
</html>
"""
