# The client URLs this server advertises to its peers (and, through them, to every client).
#
# `client_advertise` wins. A server bound to a specific address advertises that address; one bound
# to the any-address advertises its non-loopback addresses, as nats-server does, since a loopback
# address means nothing to a client on another machine.
from __future__ import annotations

import socket
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pynatsd.core.server import Server

__all__ = ["own_client_urls"]

_cache: dict[tuple[str, int, str], list[str]] = {}


def own_client_urls(server: Server) -> list[str]:
    opts = server.options
    key = (opts.host, server.port, opts.client_advertise)
    urls = _cache.get(key)
    if urls is None:
        urls = _cache[key] = _compute(opts.host, server.port, opts.client_advertise)
    return list(urls)


def _compute(host: str, port: int, advertise: str) -> list[str]:
    if advertise:
        text = advertise.split("://", 1)[-1]
        return [text if ":" in text.rsplit("]", 1)[-1] else f"{text}:{port}"]
    if host not in ("", "0.0.0.0", "::"):
        return [_join(host, port)]
    addrs = _interface_addresses()
    return [_join(a, port) for a in addrs] or [_join("127.0.0.1", port)]


def _interface_addresses() -> list[str]:
    found: list[str] = []
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET, socket.SOCK_STREAM)
    except OSError:
        infos = []
    for info in infos:
        addr = str(info[4][0])
        if not addr.startswith("127.") and addr not in found:
            found.append(addr)
    if not found:
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.connect(("10.254.254.254", 1))
                addr = s.getsockname()[0]
            if not addr.startswith("127."):
                found.append(addr)
        except OSError:
            pass
    return found


def _join(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
