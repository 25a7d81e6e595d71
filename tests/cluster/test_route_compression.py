# Route compression: pynatsd does not speak S2, so it announces `compression: off` and every
# nats-server mode answers with an uncompressed route. A compressing mode in pynatsd's own cluster
# block is accepted with one warning; `off` and `accept` pass silently. A route setting the server
# cannot use (an unknown mode, TLS without a key, permissions with responses) stops it at start.
from __future__ import annotations

import asyncio
import json
import re
import urllib.request
from typing import Any

import pytest

from conftest import CapturedLog, client_url, config_process, process_route_url, wait_connected
from pynatsd.core.server import ServerError
from pynatsd.monitor.endpoints import routez
from pynatsd.testing.cluster import start_node, wait_mesh
from pynatsd.testing.servers import ServerKind, ServerProcess, nats_server_binary

pytestmark = pytest.mark.timeout(60)

_MONITOR_RE = re.compile(r"Starting http monitor on (\S+)")
WARNING = "not supported: routes run uncompressed"


@pytest.mark.skipif(nats_server_binary() is None, reason="nats-server is not installed")
@pytest.mark.parametrize(
    ("mode", "seed_kind"),
    [("s2_auto", "nats-server"), ("s2_fast", "pynatsd"), ("accept", "nats-server")],
)
async def test_nats_server_compression_modes_settle_on_off(mode: str, seed_kind: ServerKind) -> None:
    ref_conf = {"cluster": f"  compression: {mode}", "top": 'http: "127.0.0.1:-1"'}
    procs: list[ServerProcess] = []
    try:
        if seed_kind == "nats-server":
            procs.append(config_process("nats-server", "ref", **ref_conf).start())
            procs.append(config_process("pynatsd", "py", [process_route_url(procs[0])]).start())
        else:
            procs.append(config_process("pynatsd", "py").start())
            procs.append(
                config_process("nats-server", "ref", [process_route_url(procs[0])], **ref_conf).start()
            )
        await wait_connected([client_url(p) for p in procs])
        ref = next(p for p in procs if p.kind == "nats-server")
        rows = (await _routez(ref))["routes"]
        assert [(r["remote_name"], r["compression"]) for r in rows] == [("py", "off")]
    finally:
        for p in procs:
            p.stop()


async def _routez(proc: ServerProcess) -> dict[str, Any]:
    m = _MONITOR_RE.search(proc.wait_for_log(_MONITOR_RE, timeout=5.0))
    assert m is not None

    def fetch() -> dict[str, Any]:
        with urllib.request.urlopen(f"http://{m.group(1)}/routez", timeout=5) as resp:
            return dict(json.load(resp))

    return await asyncio.to_thread(fetch)


@pytest.mark.parametrize(
    ("mode", "warnings"), [("s2_best", 1), ({"mode": "s2_auto"}, 1), ("off", 0), ("accept", 0)]
)
async def test_own_compression_setting(mode: Any, warnings: int) -> None:
    log = CapturedLog()
    first = await start_node(name="a", cluster_block={"compression": mode}, logger=log)
    try:
        second = await start_node([first], name="b")
        try:
            await wait_mesh([first, second])
            assert log.count(WARNING) == warnings
            assert [r["compression"] for r in routez(first, {})["routes"]] == ["off"]
        finally:
            await second.shutdown()
    finally:
        await first.shutdown()


@pytest.mark.parametrize(
    ("block", "problem"),
    [
        ({"compression": "zstd"}, 'unsupported compression mode "zstd"'),
        ({"tls": {"cert_file": "cert.pem"}}, "requires a certificate and a key"),
        ({"permissions": {"import": "a", "allow_responses": True}}, "do not support dynamic responses"),
    ],
)
async def test_bad_route_settings_stop_the_server(block: dict[str, Any], problem: str) -> None:
    with pytest.raises(ServerError, match=problem):
        await start_node(name="bad", cluster_block=block)
