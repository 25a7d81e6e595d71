# pynatsd bench: tiny runs of every scenario against pynatsd and nats-server (subprocesses on
# loopback, nats-server cases skipped without the binary), checking that the correctness checks
# pass and the JSON has its keys; plus the receive-side checkers on hand-made frames, so a lost,
# duplicated or reordered message is known to turn into FAILED.
from __future__ import annotations

import json
import struct
from collections.abc import Iterator
from typing import Any

import pytest

from pynatsd.bench import cli
from pynatsd.bench.compare import CASES, summarize
from pynatsd.bench.launch import Launched, nats_server_binary
from pynatsd.bench.scenarios import Checks, _merge_marks
from pynatsd.bench.workers import _scan

KINDS = ["pynatsd", pytest.param("nats-server", marks=pytest.mark.reference)]
SCENARIOS = ["pub", "pubsub", "fanout", "queue", "reqrep", "latency", "js-pub", "js-fetch"]
COMMON = {"scenario", "server", "status", "error", "checks", "params", "cpu_s"}
RATES = {"msgs", "bytes", "deliveries", "elapsed_s", "msgs_per_s", "mb_per_s", "deliveries_per_s"}


@pytest.fixture(scope="module", params=KINDS)
def server(request: pytest.FixtureRequest) -> Iterator[Launched]:
    if request.param == "nats-server" and nats_server_binary() is None:
        pytest.skip("nats-server binary not found")
    with Launched(request.param) as srv:
        yield srv


def bench(capsys: pytest.CaptureFixture[str], srv: Launched, *args: str) -> tuple[int, dict[str, Any]]:
    argv = [*args, "--server", srv.url, "--server-pid", str(srv.pid), "--json", "--timeout", "30"]
    code = cli.main(argv)
    return code, json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("varied", [True, False])
def test_scenario(capsys: pytest.CaptureFixture[str], server: Launched, scenario: str, varied: bool) -> None:
    args = [scenario, "--msgs", "2000", "--size", "64", "--varied" if varied else "--no-varied"]
    if scenario in ("fanout", "queue"):
        args += ["--subs", "3"]
    code, res = bench(capsys, server, *args)
    assert COMMON - {"cpu_s"} <= res.keys()
    assert (code, res["status"], res["checks"]) == (0, "ok", []), res
    assert res.keys() >= COMMON | RATES
    assert res["msgs"] == 2000
    assert res["msgs_per_s"] > 0
    assert res["deliveries"] == {"pub": 0, "fanout": 6000}.get(scenario, 2000)
    assert "server" in res["cpu_s"]
    if scenario in ("reqrep", "latency", "js-pub"):
        assert {"p50", "p90", "p99"} <= res["latency_us"].keys()


def test_js_fetch_memory_two_fetchers(capsys: pytest.CaptureFixture[str], server: Launched) -> None:
    code, res = bench(
        capsys, server, "js-fetch", "--msgs", "3000", "--subs", "2", "--batch", "100", "--storage", "memory"
    )
    assert code == 0, res


def test_conns(capsys: pytest.CaptureFixture[str], server: Launched) -> None:
    code, res = bench(capsys, server, "conns", "--conns", "300", "--subs-per-conn", "5")
    assert (code, res["status"]) == (0, "ok"), res
    assert res["conns"] == 300
    assert res["subs"] == 1500
    assert res["rss_per_conn_kib"] is not None
    assert res["rss_kib"] >= res["rss_base_kib"]


def test_unreachable_server_fails_cleanly(capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["pubsub", "--server", "nats://127.0.0.1:1", "--msgs", "10", "--json"])
    res = json.loads(capsys.readouterr().out)
    assert (code, res["status"]) == (1, "FAILED")
    assert "cannot connect" in res["error"]


def _frames(keys: list[tuple[int, int]], size: int = 12) -> bytes:
    out = b""
    for pub, seq in keys:
        payload = struct.pack(">Q", pub << 48 | seq) + b"\r\n\r\n"[: size - 8]
        out += b"MSG bench.x 1 %d\r\n%b\r\n" % (len(payload), payload)
    return out


def _check(keys: list[tuple[int, int]], queue: bool) -> tuple[list[int], list[str], list[bytearray] | None]:
    nxt = [0, 1 << 48]
    marks = [bytearray(4), bytearray(4)] if queue else None
    st, errs = [0, 0, 0, 0, 0], list[str]()
    data = _frames(keys) + b"PING\r\nMSG bench.x 1 12\r\npartial"
    end = _scan(data, nxt, marks, st, errs)
    assert data[end:].startswith(b"MSG bench.x 1 12\r\n")
    assert (st[0], st[3]) == (len(keys), 1)
    return st, errs, marks


def test_scan_in_order_passes() -> None:
    st, errs, _ = _check([(0, 0), (1, 0), (0, 1), (1, 1)], queue=False)
    assert (st[2], errs) == (0, [])


@pytest.mark.parametrize(
    "keys", [[(0, 0), (0, 2)], [(0, 0), (0, 0)], [(0, 1), (0, 0)]], ids=["gap", "duplicate", "reordered"]
)
def test_scan_flags_anomalies(keys: list[tuple[int, int]]) -> None:
    st, errs, _ = _check(keys, queue=False)
    assert st[2] >= 1
    assert len(errs) == st[2]


def test_queue_marks_find_missing_and_duplicates() -> None:
    _, _, a = _check([(0, 0), (0, 1)], queue=True)
    _, _, b = _check([(0, 1), (0, 3)], queue=True)
    assert a is not None
    assert b is not None
    checks = Checks()
    _merge_marks([[bytes(m) for m in a], [bytes(m) for m in b]], [4, 0], checks)
    assert checks.failed == [
        "publisher 0: 1 of 4 messages never delivered",
        "publisher 0: 1 duplicate deliveries",
    ]


def test_compare_reports_failed_not_a_number() -> None:
    case = next(c for c in CASES if c.name == "pubsub-128")
    ok: dict[str, Any] = {"status": "ok", "msgs_per_s": 100.0}
    runs: dict[str, list[dict[str, Any]]] = {
        "pynatsd": [ok, {"status": "FAILED"}],
        "nats-server": [{**ok, "msgs_per_s": 200.0}] * 2,
    }
    s = summarize(case, runs)
    assert s["pynatsd"]["summary"] == "FAILED (1/2)"
    assert s["ratio_median"] is None
    js = next(c for c in CASES if c.name == "js-pub")
    s = summarize(js, {"pynatsd": [{"status": "n/a"}], "nats-server": [ok]})
    assert (s["pynatsd"]["summary"], s["nats-server"]["summary"], s["ratio_median"]) == ("n/a", 100.0, None)
