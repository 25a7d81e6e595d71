# TLS on routes (`cluster { tls { cert_file, key_file, ca_file, timeout, insecure } }`).
#
# Routes put TLS first: as soon as the TCP connection is up both ends run the handshake, and INFO,
# CONNECT and everything after them travel encrypted (clients, by contrast, read a plain INFO
# first). Every server is a TLS server for the routes it accepts and a TLS client for the routes it
# dials, with the same certificate, so that certificate must be good for both uses.
#
# The peer is always verified against `ca_file` (the system roots without one), whatever `verify`
# says: a route must present the certificate of a cluster member, as nats-server requires. The
# dialling side also checks the accepting side's certificate against the host it dialled (an IP SAN
# for an address). `insecure` skips that check of the servers this one dials; routes it accepts are
# still verified.
#
# A handshake that fails or does not finish within the TLS timeout closes the link before it has
# said a word; an explicit route is dialled again as after any other failure.
from __future__ import annotations

import asyncio
import ssl
from asyncio.sslproto import SSLProtocol
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from pynatsd.cluster.dial import parse_route_url
from pynatsd.config import ConfigError, parse_duration
from pynatsd.core.tls import TLSConfigError, build_context
from pynatsd.options import TLS_TIMEOUT

if TYPE_CHECKING:
    from pynatsd.cluster.link import RouteLink

__all__ = ["RouteTLS", "log_secured", "route_tls", "start_handshake"]


class RouteTLS(NamedTuple):
    server: ssl.SSLContext
    client: ssl.SSLContext
    timeout: float
    insecure: bool


def route_tls(cluster_block: Mapping[str, Any]) -> RouteTLS | None:
    """The route TLS settings of a cluster block, or None when routes are plain TCP."""
    block = cluster_block.get("tls")
    if block is None:
        return None
    if not isinstance(block, Mapping):
        raise TLSConfigError("cluster tls must be a map")
    cert, key, ca = (str(block.get(k, "") or "") for k in ("cert_file", "key_file", "ca_file"))
    if not (cert and key):
        raise TLSConfigError("route TLS requires a certificate and a key (tls cert_file and key_file)")
    insecure = block.get("insecure", False) is True
    server = build_context(block, cert, key, ca, verify=True)
    client = build_context(block, cert, key, ca, verify=not insecure, server_side=False)
    if insecure:
        client.check_hostname = False
        client.verify_mode = ssl.CERT_NONE
    return RouteTLS(server, client, _timeout(block.get("timeout")), insecure)


def _timeout(value: Any) -> float:
    if value is None or isinstance(value, bool):
        return TLS_TIMEOUT
    if isinstance(value, int | float):
        return float(value) if value > 0 else TLS_TIMEOUT
    try:
        return parse_duration(value, field="timeout")
    except ConfigError as e:
        raise TLSConfigError(str(e)) from None


def start_handshake(link: RouteLink, tls: RouteTLS, transport: asyncio.Transport) -> asyncio.Task[None]:
    """Put a TLS layer between the socket and the link at once, before any byte is read.

    The layer calls link.connection_made again, with the secured transport, once the handshake is
    done; the task returned reports a handshake that failed or never finished.
    """
    srv = link.server
    side = "client" if link.solicited else "server"
    srv.log.debug(f"{link.log_prefix()} - Starting TLS route {side} handshake")
    done = srv.loop.create_future()
    # Set up here rather than through loop.start_tls, which runs a loop pass later: by then the
    # peer's first handshake bytes may already have been read (uvloop starts reading a new
    # connection as soon as connection_made returns).
    layer = SSLProtocol(
        srv.loop,
        link,
        tls.client if link.solicited else tls.server,
        done,
        server_side=not link.solicited,
        server_hostname=parse_route_url(link.url).host if link.solicited else None,
        ssl_handshake_timeout=tls.timeout,  # type: ignore[arg-type]  # seconds, not only whole ones
    )
    transport.set_protocol(layer)
    layer.connection_made(transport)
    return srv.loop.create_task(_watch(link, done))


async def _watch(link: RouteLink, done: asyncio.Future[None]) -> None:
    try:
        await done
        error: BaseException | None = None
    except (ssl.SSLError, OSError, ValueError, RuntimeError) as e:
        error = e
    if link.closed or (error is None and link.is_secured):
        return
    reason = error if error is not None else "connection closed during the handshake"
    link.server.log.error(f"{link.log_prefix()} - TLS route handshake error: {reason}")
    link.close("TLS Handshake Failure")


def log_secured(link: RouteLink, transport: asyncio.Transport) -> None:
    log = link.server.log
    cipher = transport.get_extra_info("cipher") or ("", "", 0)
    log.debug(f"{link.log_prefix()} - TLS handshake complete")
    log.debug(f"{link.log_prefix()} - TLS version {cipher[1].removeprefix('TLSv')}, cipher suite {cipher[0]}")
