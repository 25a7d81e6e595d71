# TLS from nats-py: the INFO-first upgrade, handshake-first, mutual TLS and certificate-mapped
# users, plus the raw view of a plain-text client on a TLS server.
from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import nats
import nats.errors
import pytest

from pynatsd import Server
from pynatsd.config import parse_config
from pynatsd.config.apply import apply_config
from pynatsd.testing import run_server
from pynatsd.testing.wire import RawClient

CERTS = Path(__file__).resolve().parent.parent / "fixtures" / "tls"
WAIT = 2.0


def _server_options(tls_extra: str = "", rest: str = "") -> Any:
    text = f"""
    tls {{
      cert_file: "{CERTS / "server-cert.pem"}"
      key_file: "{CERTS / "server-key.pem"}"
      ca_file: "{CERTS / "ca.pem"}"
      {tls_extra}
    }}
    {rest}
    """
    opts, _ = apply_config(parse_config(text))
    return opts.copy(host="127.0.0.1", port=-1)


def _client_context(with_cert: bool = False) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(CERTS / "ca.pem"))
    if with_cert:
        ctx.load_cert_chain(str(CERTS / "client-cert.pem"), str(CERTS / "client-key.pem"))
    return ctx


async def _roundtrip(url: str, **kw: Any) -> None:
    nc = await nats.connect(url, allow_reconnect=False, connect_timeout=WAIT, **kw)
    try:
        sub = await nc.subscribe("tls.check")
        await nc.publish("tls.check", b"secret")
        msg = await sub.next_msg(timeout=WAIT)
        assert msg.data == b"secret"
    finally:
        await nc.close()


@pytest.fixture
async def tls_server() -> AsyncIterator[Server]:
    async with run_server(_server_options()) as srv:
        yield srv


async def test_upgrade_after_info(tls_server: Server) -> None:
    url = f"tls://127.0.0.1:{tls_server.port}"
    await _roundtrip(url, tls=_client_context(), tls_hostname="localhost")


async def test_info_asks_for_tls_and_plain_client_is_dropped(tls_server: Server) -> None:
    raw = await RawClient.connect("127.0.0.1", tls_server.port, wait=WAIT)
    assert raw.info["tls_required"] is True
    assert "tls_verify" not in raw.info
    await raw.send(b"CONNECT {}\r\nPING\r\n")
    data, closed = await raw.read_all_until_closed(WAIT * 2)
    assert closed
    assert b"PONG" not in data


async def test_handshake_first() -> None:
    async with run_server(_server_options("handshake_first: true")) as srv:
        url = f"tls://127.0.0.1:{srv.port}"
        await _roundtrip(url, tls=_client_context(), tls_hostname="localhost", tls_handshake_first=True)


async def test_mutual_tls_requires_a_client_certificate() -> None:
    async with run_server(_server_options("verify: true")) as srv:
        url = f"tls://127.0.0.1:{srv.port}"
        await _roundtrip(url, tls=_client_context(with_cert=True), tls_hostname="localhost")
        with pytest.raises((nats.errors.Error, OSError, ssl.SSLError, asyncio.TimeoutError)):
            await _roundtrip(url, tls=_client_context(), tls_hostname="localhost")


async def test_verify_and_map_uses_certificate_identity() -> None:
    users = 'authorization { users = [ {user: "alice@example.com", permissions: {publish: "tls.>", subscribe: "tls.>"}} ] }'
    async with run_server(_server_options("verify_and_map: true", users)) as srv:
        url = f"tls://127.0.0.1:{srv.port}"
        await _roundtrip(url, tls=_client_context(with_cert=True), tls_hostname="localhost")
        client = next(iter(srv.clients.values()), None)
        assert client is None or client.user == "alice@example.com"


async def test_verify_and_map_refuses_an_unmapped_certificate() -> None:
    users = 'authorization { users = [ {user: "CN=bob,O=pynatsd test"} ] }'
    async with run_server(_server_options("verify_and_map: true", users)) as srv:
        url = f"tls://127.0.0.1:{srv.port}"
        with pytest.raises((nats.errors.Error, OSError)):
            await _roundtrip(url, tls=_client_context(with_cert=True), tls_hostname="localhost")


async def test_rfc2253_subject_maps_when_no_san_matches() -> None:
    users = 'authorization { users = [ {user: "CN=alice,OU=clients,O=pynatsd test,C=US"} ] }'
    async with run_server(_server_options("verify_and_map: true", users)) as srv:
        url = f"tls://127.0.0.1:{srv.port}"
        await _roundtrip(url, tls=_client_context(with_cert=True), tls_hostname="localhost")


async def test_allow_non_tls_serves_both() -> None:
    async with run_server(_server_options(rest="allow_non_tls: true")) as srv:
        raw = await RawClient.connect("127.0.0.1", srv.port, wait=WAIT)
        assert raw.info["tls_available"] is True
        assert "tls_required" not in raw.info
        await raw.close()
        await _roundtrip(srv.client_url)
        await _roundtrip(f"tls://127.0.0.1:{srv.port}", tls=_client_context(), tls_hostname="localhost")


async def test_cipher_suites_limit_tls12_ciphers() -> None:
    suite = "cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384]"
    async with run_server(_server_options(suite)) as srv:
        ctx = _client_context()
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        reader, writer = await asyncio.open_connection("127.0.0.1", srv.port)
        await reader.readline()
        await writer.start_tls(ctx, server_hostname="localhost")
        cipher = writer.get_extra_info("cipher")
        assert cipher[0] == "ECDHE-ECDSA-AES256-GCM-SHA384"
        writer.close()


def test_unknown_cipher_suite_is_refused() -> None:
    from pynatsd.core.tls import TLSConfigError, tls_config

    with pytest.raises(TLSConfigError, match="unrecognized cipher suite"):
        tls_config(_server_options("cipher_suites: [TLS_NOT_A_CIPHER]"))
