# Route TLS: a pynatsd cluster whose routes all run over mutually verified TLS, peers without the
# cluster's CA (or without TLS) turned away, `insecure` on the dialling side, and a mixed pynatsd + nats-server cluster with route TLS
# carrying traffic both ways.
from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import nats
import pytest

from conftest import CapturedLog, client_url, config_process, process_route_url, wait_connected
from pynatsd import Server
from pynatsd.monitor.endpoints import varz
from pynatsd.testing.cluster import start_node, wait_interest, wait_mesh
from pynatsd.testing.embedded import wait_until
from pynatsd.testing.servers import ServerKind, ServerProcess, nats_server_binary

pytestmark = pytest.mark.timeout(60)

CERTS = Path(__file__).resolve().parents[1] / "fixtures" / "tls" / "route"


def tls_block(node: str = "node", ca: str | None = "ca") -> dict[str, Any]:
    block = {"cert_file": str(CERTS / f"{node}-cert.pem"), "key_file": str(CERTS / f"{node}-key.pem")}
    if ca is not None:
        block["ca_file"] = str(CERTS / f"{ca}.pem")
    return block


def tls_conf(node: str = "node", ca: str = "ca") -> str:
    fields = "\n".join(f'    {k}: "{v}"' for k, v in tls_block(node, ca).items())
    return f"  tls {{\n{fields}\n    timeout: 2\n  }}"


async def test_cluster_over_tls(cluster_factory: Callable[..., Awaitable[list[Server]]]) -> None:
    servers = await cluster_factory(3, cluster_block={"tls": tls_block()})
    for srv in servers:
        assert srv.cluster is not None
        for link in srv.cluster.routes.values():
            assert link.transport is not None
            peer = link.transport.get_extra_info("peercert")
            assert peer is not None
            assert (("commonName", "localhost"),) in peer["subject"]
        info = srv.cluster.route_info(nonce=True)
        assert (info["tls_required"], info["tls_verify"], info["compression"]) == (True, True, "off")
        assert srv.cluster.connect_fields("")["tls_required"] is True
        cluster_varz = varz(srv)["cluster"]
        assert cluster_varz["tls_required"] is True
        assert cluster_varz["tls_verify"] is True
    a = await nats.connect(servers[0].client_url)
    b = await nats.connect(servers[2].client_url)
    try:
        sub = await b.subscribe("secure.>")
        await b.flush()
        await wait_interest(servers, "secure.x")
        await a.publish("secure.x", b"hello", headers={"k": "v"})
        msg = await sub.next_msg(timeout=5)
        assert (msg.subject, msg.data, msg.headers) == ("secure.x", b"hello", {"k": "v"})
    finally:
        await a.close()
        await b.close()


@pytest.mark.parametrize(
    "peer",
    [
        pytest.param({"tls": tls_block("other", "other-ca")}, id="other-ca"),
        pytest.param({"tls": tls_block("node", None)}, id="no-ca-file"),
        pytest.param({}, id="plain"),
    ],
)
async def test_route_without_the_cluster_ca_is_refused(peer: dict[str, Any]) -> None:
    log = CapturedLog()
    good = await start_node(name="good", cluster_block={"tls": tls_block()}, logger=log)
    try:
        other = await start_node([good], name="other", cluster_block=peer, logger=CapturedLog())
        try:
            # Two refusals: the dialling side keeps trying, and keeps being turned away.
            await wait_until(lambda: log.count("TLS route handshake error") >= 2, 10.0)
            assert good.cluster is not None
            assert other.cluster is not None
            assert not good.cluster.routes
            assert not other.cluster.routes
        finally:
            await other.shutdown()
    finally:
        await good.shutdown()


async def test_insecure_skips_checking_the_servers_dialled() -> None:
    seed = await start_node(name="seed", cluster_block={"tls": tls_block()})
    try:
        # Its CA does not know the seed's certificate, but it does not check it; the seed still checks
        # the joiner's certificate, which its CA signed.
        log = CapturedLog()
        joiner_tls = {**tls_block("node", "other-ca"), "insecure": True}
        joiner = await start_node([seed], name="joiner", cluster_block={"tls": joiner_tls}, logger=log)
        try:
            await wait_mesh([seed, joiner])
            assert log.count("DO NOT USE IN PRODUCTION") == 1
        finally:
            await joiner.shutdown()
    finally:
        await seed.shutdown()


needs_nats_server = pytest.mark.skipif(nats_server_binary() is None, reason="nats-server is not installed")


@needs_nats_server
@pytest.mark.parametrize("seed_kind", ["nats-server", "pynatsd"])
async def test_mixed_cluster_over_tls(seed_kind: ServerKind) -> None:
    other_kind: ServerKind = "pynatsd" if seed_kind == "nats-server" else "nats-server"
    procs: list[ServerProcess] = []
    try:
        seed = config_process(seed_kind, "seed", cluster=tls_conf()).start()
        procs.append(seed)
        procs.append(
            config_process(other_kind, "joiner", [process_route_url(seed)], cluster=tls_conf()).start()
        )
        await _traffic_both_ways([client_url(p) for p in procs])
    finally:
        for p in procs:
            p.stop()


async def _traffic_both_ways(urls: list[str]) -> None:
    clients = [await nats.connect(u) for u in urls]
    try:
        subs = [await nc.subscribe(f"to.{i}") for i, nc in enumerate(clients)]
        for nc in clients:
            await nc.flush()
        # Answered probes, subscribed after to.*, prove the to.* interest crossed the route too.
        await wait_connected(urls)
        for i, nc in enumerate(clients):
            await nc.publish(f"to.{1 - i}", b"from %d" % i, headers={"n": str(i)})
        for i, sub in enumerate(subs):
            assert (await sub.next_msg(timeout=5)).data == b"from %d" % (1 - i)
    finally:
        for nc in clients:
            await nc.close()


@needs_nats_server
async def test_nats_server_refuses_a_pynatsd_without_the_cluster_ca() -> None:
    seed = config_process("nats-server", "seed", cluster=tls_conf()).start()
    try:
        joiner = config_process(
            "pynatsd", "joiner", [process_route_url(seed)], cluster=tls_conf("other", "other-ca")
        ).start()
        try:
            seed.wait_for_log("TLS route handshake error", timeout=10.0)
            joiner.wait_for_log("TLS route handshake error", timeout=10.0)
            async with await nats.connect(client_url(seed)) as service:
                await service.subscribe("svc")
                await service.flush()
                async with await nats.connect(client_url(joiner)) as nc:
                    with pytest.raises(nats.errors.NoRespondersError):
                        await nc.request("svc", b"", timeout=1.0)
        finally:
            joiner.stop()
    finally:
        seed.stop()
