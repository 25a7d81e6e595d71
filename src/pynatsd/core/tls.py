# TLS for client connections (stdlib ssl).
#
# nats-server's default is INFO first: the server sends INFO in plain text with `tls_required`,
# then both sides run the TLS handshake and everything after it (CONNECT onwards) is encrypted. A
# client that answers the INFO with plain text fails the handshake and is closed without a word.
# With `handshake_first` the listener itself is TLS: the handshake comes before INFO.
#
# The handshake must finish within the TLS timeout (2s by default); the ping and auth timers start
# only once it has. With `verify`, a client certificate signed by the CA is required; with
# `verify_and_map`, its identity (email SANs, DNS SANs, then the RFC 2253 subject) names the user,
# so no password is needed.
from __future__ import annotations

import asyncio
import ssl
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from pynatsd.core.transport import WrappingTransport

if TYPE_CHECKING:
    from pynatsd.core.client import ClientConnection
    from pynatsd.options import Options

__all__ = ["TLSConfig", "TLSConfigError", "build_context", "cert_identities", "start_tls", "tls_config"]

_VERSIONS = {"1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}
# Go's pkix attribute names for the RFC 2253 form of a certificate subject.
_RDN_NAMES = {
    "countryName": "C",
    "organizationName": "O",
    "organizationalUnitName": "OU",
    "commonName": "CN",
    "localityName": "L",
    "stateOrProvinceName": "ST",
    "streetAddress": "STREET",
    "postalCode": "POSTALCODE",
    "serialNumber": "SERIALNUMBER",
}


# Go's names for the TLS 1.2 cipher suites `cipher_suites` may list, in OpenSSL's spelling (TLS 1.3
# suites are not configurable, in Go either).
_CIPHERS = {
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256": "ECDHE-ECDSA-AES128-GCM-SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384": "ECDHE-ECDSA-AES256-GCM-SHA384",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256": "ECDHE-RSA-AES128-GCM-SHA256",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384": "ECDHE-RSA-AES256-GCM-SHA384",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305": "ECDHE-ECDSA-CHACHA20-POLY1305",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256": "ECDHE-ECDSA-CHACHA20-POLY1305",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305": "ECDHE-RSA-CHACHA20-POLY1305",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256": "ECDHE-RSA-CHACHA20-POLY1305",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA": "ECDHE-ECDSA-AES128-SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA": "ECDHE-ECDSA-AES256-SHA",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA": "ECDHE-RSA-AES128-SHA",
    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA": "ECDHE-RSA-AES256-SHA",
    "TLS_RSA_WITH_AES_128_GCM_SHA256": "AES128-GCM-SHA256",
    "TLS_RSA_WITH_AES_256_GCM_SHA384": "AES256-GCM-SHA384",
}


class TLSConfigError(ValueError):
    """A TLS block the server cannot load."""


class TLSConfig(NamedTuple):
    context: ssl.SSLContext
    timeout: float
    verify: bool
    verify_and_map: bool
    handshake_first: bool
    allow_non_tls: bool = False


def build_context(
    block: Mapping[str, Any], cert: str, key: str, ca: str, *, verify: bool, server_side: bool = True
) -> ssl.SSLContext:
    """An SSL context for one end of a connection: its certificate, the CA it trusts (the system
    roots without one) and the `min_version` and `cipher_suites` of its `tls {}` block."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER if server_side else ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    version = str(block.get("min_version", "") or "")
    if version:
        if version not in _VERSIONS:
            raise TLSConfigError(f"unknown version: {version}")
        ctx.minimum_version = _VERSIONS[version]
    try:
        ctx.load_cert_chain(cert, key)
        if ca:
            ctx.load_verify_locations(ca)
        elif verify:
            ctx.load_default_certs(ssl.Purpose.CLIENT_AUTH if server_side else ssl.Purpose.SERVER_AUTH)
    except (OSError, ssl.SSLError) as e:
        raise TLSConfigError(f"error parsing X509 certificate/key pair: {e}") from e
    if verify:
        ctx.verify_mode = ssl.CERT_REQUIRED
    suites = block.get("cipher_suites")
    if suites:
        unknown = [s for s in suites if s not in _CIPHERS]
        if unknown:
            raise TLSConfigError(f'unrecognized cipher suite: "{unknown[0]}"')
        ctx.set_ciphers(":".join(_CIPHERS[s] for s in suites))
    return ctx


def tls_config(opts: Options) -> TLSConfig | None:
    """The client TLS settings, or None when client connections are plain."""
    if not opts.tls:
        return None
    if not (opts.tls_cert and opts.tls_key):
        raise TLSConfigError("TLS requires a certificate and a key (tls cert_file and key_file)")
    block = opts.tls_block
    mapped = bool(block.get("verify_and_map", False))
    verify = opts.tls_verify or mapped
    first = block.get("handshake_first", block.get("first", False))
    return TLSConfig(
        context=build_context(block, opts.tls_cert, opts.tls_key, opts.tls_ca_cert, verify=verify),
        timeout=opts.tls_timeout,
        verify=verify,
        verify_and_map=mapped,
        handshake_first=first is True or (isinstance(first, str) and first.lower() not in ("false", "")),
        allow_non_tls=opts.allow_non_tls,
    )


def websocket_context(block: Mapping[str, Any]) -> ssl.SSLContext:
    """The TLS context of a websocket listener from its `tls {}` block (required unless no_tls)."""
    cert, key = str(block.get("cert_file", "") or ""), str(block.get("key_file", "") or "")
    if not (cert and key):
        raise TLSConfigError("websocket requires TLS configuration (or no_tls: true)")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        ctx.load_cert_chain(cert, key)
        ca = str(block.get("ca_file", "") or "")
        if ca:
            ctx.load_verify_locations(ca)
    except (OSError, ssl.SSLError) as e:
        raise TLSConfigError(f"error parsing X509 certificate/key pair: {e}") from e
    if block.get("verify", False):
        ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


def cert_identities(peercert: Mapping[str, Any] | None) -> list[str]:
    """The names a client certificate can map to, in nats-server's order of preference."""
    if not peercert:
        return []
    sans = peercert.get("subjectAltName", ())
    emails = [v for k, v in sans if k == "email"]
    dns = [v for k, v in sans if k == "DNS"]
    parts = []
    for rdn in reversed(peercert.get("subject", ())):
        for name, value in rdn:
            parts.append(f"{_RDN_NAMES.get(name, name)}={value}")
    return [*emails, *dns, *([",".join(parts)] if parts else [])]


async def start_tls(client: ClientConnection, tls: TLSConfig) -> None:
    """Run the server side of the handshake on a connection that has sent its INFO."""
    srv = client.server
    transport = client.transport
    if transport is None:
        return
    srv.log.debug(f"{client.log_prefix()} - Starting TLS client connection handshake")
    try:
        secured = await srv.loop.start_tls(
            transport, client, tls.context, server_side=True, ssl_handshake_timeout=tls.timeout
        )
    except (TimeoutError, ssl.SSLError, OSError, ConnectionError, RuntimeError) as e:
        if not client.closed:
            srv.log.error(f"{client.log_prefix()} - TLS handshake error: {e}")
            client.close("TLS Handshake Failure", abort=True)
        return
    if secured is None or client.closed:
        return
    client.tls_established(secured)


# -- optional TLS (allow_non_tls) --------------------------------------------------------------
#
# With allow_non_tls the INFO offers TLS (`tls_available`) and the client chooses: its first bytes
# are either a TLS handshake record or plain protocol. TLSSniffer looks at them; for TLS it puts a
# memory-BIO TLS layer between the socket and the connection (the bytes it already read go into
# that layer, which a transport-level start_tls could not take back), otherwise it steps aside.


class TLSSniffer(asyncio.Protocol):
    def __init__(self, client: ClientConnection, tls: TLSConfig) -> None:
        self.client = client
        self.tls = tls

    def data_received(self, data: bytes) -> None:
        client = self.client
        raw = client.transport
        if raw is None or not data:
            return
        if data[0] != 0x16:
            raw.set_protocol(client)
            client.data_received(data)
            return
        client.server.log.debug(f"{client.log_prefix()} - Starting TLS client connection handshake")
        layer = MemoryTLS(client, raw, self.tls)
        raw.set_protocol(layer)
        layer.data_received(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self.client.connection_lost(exc)


class MemoryTLS(asyncio.Protocol, WrappingTransport):
    """TLS over memory BIOs: the socket's protocol and, towards the client, its transport."""

    def __init__(self, client: ClientConnection, raw: asyncio.Transport, tls: TLSConfig) -> None:
        WrappingTransport.__init__(self, raw)
        self.client = client
        self._in = ssl.MemoryBIO()
        self._out = ssl.MemoryBIO()
        self._obj = tls.context.wrap_bio(self._in, self._out, server_side=True)
        self._ready = False

    def data_received(self, data: bytes) -> None:
        self._in.write(data)
        try:
            if not self._ready:
                self._obj.do_handshake()
                self._ready = True
                self._send()
                self.client.tls_established(cast(asyncio.Transport, self))
            plain = self._read_all()
        except ssl.SSLWantReadError:
            self._send()
            return
        except ssl.SSLError as e:
            self._send()
            self.client.server.log.error(f"{self.client.log_prefix()} - TLS handshake error: {e}")
            self.client.close("TLS Handshake Failure", abort=True)
            return
        self._send()
        if plain:
            self.client.data_received(plain)

    def _read_all(self) -> bytes:
        chunks = []
        while True:
            try:
                chunk = self._obj.read(65536)
            except ssl.SSLWantReadError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)

    def _send(self) -> None:
        pending = self._out.read()
        if pending:
            self._raw.write(pending)

    def connection_lost(self, exc: Exception | None) -> None:
        self.client.connection_lost(exc)

    def pause_writing(self) -> None:
        self.client.pause_writing()

    def resume_writing(self) -> None:
        self.client.resume_writing()

    # -- the transport the client writes to --------------------------------------------------

    def write(self, data: bytes) -> None:
        self._obj.write(data)
        self._send()

    def close(self) -> None:
        try:
            self._obj.unwrap()
        except ssl.SSLError:
            pass
        self._send()
        self._raw.close()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        if name == "peercert":
            return self._obj.getpeercert()
        if name == "cipher":
            return self._obj.cipher()
        return super().get_extra_info(name, default)
