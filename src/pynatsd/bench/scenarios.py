# Bench scenarios: which workers a run needs, what it measures, and how its correctness is checked.
#
# Every scenario returns one result dict (see report.py for its keys). A run whose checks fail gets
# status FAILED and keeps its numbers only for diagnosis; a run that cannot start because the server
# lacks a feature (JetStream) gets status n/a. Throughput is measured from the first publish to the
# last message received by every receiver (publish-only: to the PONG that follows the last PUB).
# Each run uses its own random subject prefix, so runs never see each other's traffic.
from __future__ import annotations

import math
import secrets
import time
from array import array
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any

from pynatsd.bench.jsapi import JsApi, JsError, NoJetStream
from pynatsd.bench.team import Progress, RunError, Team, proc_cpu, proc_rss_kib
from pynatsd.bench.wire import WireError, subject_tokens

__all__ = ["DEFAULT_MSGS", "SCENARIOS", "Params", "run"]

DEFAULT_MSGS = {"reqrep": 50_000, "latency": 10_000, "js-pub": 50_000, "js-fetch": 50_000}
_CONNS_PER_PROC = 2500


@dataclass
class Params:
    url: str = "nats://127.0.0.1:4222"
    msgs: int = 0
    size: int = 128
    varied: bool = False
    pubs: int = 1
    subs: int = 0
    inflight: int = 0
    batch: int = 500
    storage: str = "file"
    conns: int = 2000
    subs_per_conn: int = 10
    timeout: float = 60.0
    server_pid: int | None = None
    progress: bool = False
    window_bytes: int = 8 << 20


class Checks:
    """Failed correctness checks of one run."""

    def __init__(self) -> None:
        self.failed: list[str] = []

    def expect(self, ok: bool, text: str) -> None:
        if not ok:
            self.failed.append(text)


def _split(total: int, parts: int) -> list[int]:
    q, r = divmod(total, parts)
    return [q + (1 if i < r else 0) for i in range(parts)]


def _base(name: str, p: Params) -> dict[str, Any]:
    params = {k: v for k, v in asdict(p).items() if k not in ("progress", "url", "server_pid")}
    return {"scenario": name, "server": p.url, "status": "ok", "error": None, "checks": [], "params": params}


def _rates(res: dict[str, Any], msgs: int, nbytes: int, t0: float, t1: float, deliveries: int) -> None:
    dt = max(t1 - t0, 1e-9)
    res.update(msgs=msgs, bytes=nbytes, deliveries=deliveries, elapsed_s=round(dt, 6))
    res.update(msgs_per_s=msgs / dt, mb_per_s=nbytes / dt / 1e6, deliveries_per_s=deliveries / dt)


def _cpu(
    res: dict[str, Any], team: Team, results: list[dict[str, Any]], server0: float | None, pid: int | None
) -> None:
    cpu = {
        f"{c['role']}-{c['idx']}": round(r.get("cpu_s", 0.0), 3)
        for c, r in zip(team.specs, results, strict=True)
    }
    server1 = proc_cpu(pid)
    if server0 is not None and server1 is not None:
        cpu["server"] = round(server1 - server0, 3)
    res["cpu_s"] = cpu


def _go(team: Team, p: Params, label: str, target: int) -> tuple[list[dict[str, Any]], float | None]:
    team.start()
    server0 = proc_cpu(p.server_pid)
    return team.go(Progress(label, target, p.progress)), server0


def _window(p: Params) -> int:
    return max(64, min(50_000, p.window_bytes // (p.size + 48)))


def _merge_marks(marks: list[list[bytes]], per_pub: list[int], checks: Checks) -> None:
    """Exactly once across receivers: every key marked once in the sum of everyone's bitmaps."""
    for pub, n in enumerate(per_pub):
        tally = [sum(col) for col in zip(*(m[pub][:n] for m in marks), strict=True)]
        missing, dups = tally.count(0), sum(c - 1 for c in tally if c > 1)
        checks.expect(not missing, f"publisher {pub}: {missing} of {n} messages never delivered")
        checks.expect(not dups, f"publisher {pub}: {dups} duplicate deliveries")


def _pubsub(name: str, p: Params, run_id: str, nsubs: int, queue: bool) -> dict[str, Any]:
    res = _base(name, p)
    tokens = subject_tokens(p.varied)
    subjects = [f"bench.{run_id}.{t}" for t in tokens]
    sub_subject = f"bench.{run_id}.>" if p.varied else subjects[0]
    per_pub = _split(p.msgs, p.pubs)
    sub_idx, pub_idx = list(range(nsubs)), list(range(nsubs, nsubs + p.pubs))
    expect = p.msgs if (queue or nsubs) else 0
    checks = Checks()
    with Team(p.url, p.timeout) as team:
        for _ in sub_idx:
            team.add("sub", subject=sub_subject, queue="q" if queue else "", pubs=p.pubs, msgs=max(per_pub))
            team.specs[-1].update(expect=expect, sub_idx=sub_idx, progress=True)
        for i in range(p.pubs):
            team.add(
                "pub", pub_id=i, msgs=per_pub[i], subjects=subjects, size=p.size, varied=p.varied, seed=i + 1
            )
            window = _window(p) if nsubs else 0
            team.specs[-1].update(producer=True, progress=not nsubs, window=window, pub_idx=pub_idx)
            team.specs[-1].update(sub_idx=sub_idx, sub_agg="sum" if queue else "min")
        deliveries = p.msgs if queue else p.msgs * nsubs
        results, server0 = _go(team, p, name, deliveries or p.msgs)
        _cpu(res, team, results, server0, p.server_pid)
    subs, pubs = results[:nsubs], results[nsubs:]
    nbytes = sum(r["bytes"] for r in pubs)
    t0 = min(r["t0"] for r in pubs)
    t1 = max(r["t1"] for r in (subs or pubs))
    _rates(res, p.msgs, nbytes, t0, t1, deliveries if nsubs else 0)
    for k, r in enumerate(subs):
        checks.failed += [f"sub {k}: {e}" for e in r["errors"]]
        if not queue:
            checks.expect(r["next"] == per_pub, f"sub {k}: got {r['msgs']:,} of {p.msgs:,} messages")
            checks.expect(r["bytes"] == nbytes, f"sub {k}: got {r['bytes']:,} of {nbytes:,} payload bytes")
    if queue:
        _merge_marks([r["marks"] for r in subs], per_pub, checks)
    return _finish(res, checks)


def _finish(res: dict[str, Any], checks: Checks) -> dict[str, Any]:
    res["checks"] = checks.failed
    if checks.failed:
        res["status"] = "FAILED"
        res["error"] = checks.failed[0]
    return res


def _latency(lat: list[bytes]) -> dict[str, float]:
    values = array("d")
    for raw in lat:
        values.frombytes(raw)
    v = sorted(values)
    if not v:
        return {}

    def pct(q: float) -> float:
        return round(v[min(len(v) - 1, math.ceil(q * len(v)) - 1)] * 1e6, 1)

    out = {"p50": pct(0.50), "p90": pct(0.90), "p99": pct(0.99), "p999": pct(0.999)}
    out.update(min=round(v[0] * 1e6, 1), max=round(v[-1] * 1e6, 1), mean=round(sum(v) / len(v) * 1e6, 1))
    return out


def _requesters(
    team: Team, p: Params, run_id: str, subjects: list[str], mode: str, inflight: int
) -> list[int]:
    idx = []
    for i, n in enumerate(_split(p.msgs, p.pubs)):
        idx.append(
            team.add("req", pub_id=i, msgs=n, subjects=subjects, size=p.size, varied=p.varied, seed=i + 1)
        )
        team.specs[-1].update(inbox=f"_INBOX.{run_id}.{i}.", inflight=inflight, mode=mode)
        team.specs[-1].update(producer=True, progress=True)
    return idx


def _check_requesters(results: list[dict[str, Any]], p: Params, checks: Checks, what: str) -> None:
    for k, (r, n) in enumerate(zip(results, _split(p.msgs, p.pubs), strict=True)):
        checks.failed += [f"requester {k}: {e}" for e in r["errors"]]
        checks.expect(r["msgs"] == n, f"requester {k}: {r['msgs']:,} of {n:,} {what}")
        checks.expect(not r["dups"], f"requester {k}: {r['dups']} duplicate {what}")


def _reqrep(name: str, p: Params, run_id: str) -> dict[str, Any]:
    res = _base(name, p)
    subjects = [f"bench.{run_id}.req.{t}" for t in subject_tokens(p.varied)]
    rep_subject = f"bench.{run_id}.req.>" if p.varied else subjects[0]
    nrep = max(1, p.subs)
    checks = Checks()
    with Team(p.url, p.timeout) as team:
        rep_idx = list(range(nrep))
        for _ in rep_idx:
            team.add(
                "rep", subject=rep_subject, queue="r" if nrep > 1 else "", expect=p.msgs, sub_idx=rep_idx
            )
        _requesters(team, p, run_id, subjects, "echo", p.inflight)
        results, server0 = _go(team, p, name, p.msgs)
        _cpu(res, team, results, server0, p.server_pid)
    reqs = results[nrep:]
    t0, t1 = min(r["t0"] for r in reqs), max(r["t1"] for r in reqs)
    _rates(res, p.msgs, sum(r["bytes"] for r in reqs), t0, t1, p.msgs)
    res["latency_us"] = _latency([r["lat"] for r in reqs])
    _check_requesters(reqs, p, checks, "replies")
    return _finish(res, checks)


def _js_stream(api: JsApi, p: Params, run_id: str) -> tuple[str, list[str]]:
    api.check()
    stream = f"BENCH_{run_id}"
    api.create_stream(stream, [f"bench.{run_id}.js.>"], p.storage)
    return stream, [f"bench.{run_id}.js.{t}" for t in subject_tokens(p.varied)]


def _js_publish(p: Params, run_id: str, subjects: list[str], label: str) -> tuple[dict[str, Any], Checks]:
    """Publish p.msgs with acks through p.pubs requesters; the result has rates, latency and CPU."""
    res: dict[str, Any] = {}
    checks = Checks()
    with Team(p.url, p.timeout) as team:
        _requesters(team, p, run_id, subjects, "jsack", p.inflight)
        results, server0 = _go(team, p, label, p.msgs)
        _cpu(res, team, results, server0, p.server_pid)
    t0, t1 = min(r["t0"] for r in results), max(r["t1"] for r in results)
    _rates(res, p.msgs, sum(r["bytes"] for r in results), t0, t1, p.msgs)
    res["latency_us"] = _latency([r["lat"] for r in results])
    _check_requesters(results, p, checks, "acks")
    return res, checks


def _js_pub(name: str, p: Params, run_id: str) -> dict[str, Any]:
    res = _base(name, p)
    with JsApi(p.url) as api:
        stream, subjects = _js_stream(api, p, run_id)
        try:
            timed, checks = _js_publish(p, run_id, subjects, name)
            res.update(timed)
            stored = api.stream_info(stream)["state"]["messages"]
            checks.expect(stored == p.msgs, f"stream holds {stored:,} of {p.msgs:,} messages")
        finally:
            api.delete_stream(stream)
    return _finish(res, checks)


def _js_fetch(name: str, p: Params, run_id: str) -> dict[str, Any]:
    res = _base(name, p)
    nfetch = max(1, p.subs)
    with JsApi(p.url) as api:
        stream, subjects = _js_stream(api, p, run_id)
        try:
            fill, checks = _js_publish(p, run_id, subjects, f"{name} (fill)")
            res["fill_msgs_per_s"] = fill["msgs_per_s"]
            if checks.failed:
                return _finish(res, checks)
            api.create_consumer(stream, "bench", max(20_000, 4 * p.batch * nfetch))
            _fetch(res, p, run_id, stream, nfetch, checks)
            _check_consumer(api, stream, checks)
        finally:
            api.delete_stream(stream)
    return _finish(res, checks)


def _fetch(res: dict[str, Any], p: Params, run_id: str, stream: str, nfetch: int, checks: Checks) -> None:
    per_pub = _split(p.msgs, p.pubs)
    with Team(p.url, p.timeout) as team:
        for i, n in enumerate(_split(p.msgs, nfetch)):
            team.add("fetch", stream=stream, consumer="bench", msgs=n, batch=p.batch, pubs=p.pubs)
            team.specs[-1].update(per_pub=max(per_pub), inbox=f"_INBOX.{run_id}.f{i}.", progress=True)
        results, server0 = _go(team, p, res["scenario"], p.msgs)
        _cpu(res, team, results, server0, p.server_pid)
    t0, t1 = min(r["t0"] for r in results), max(r["t1"] for r in results)
    _rates(res, p.msgs, sum(r["bytes"] for r in results), t0, t1, p.msgs)
    _merge_marks([r["marks"] for r in results], per_pub, checks)


def _check_consumer(api: JsApi, stream: str, checks: Checks) -> None:
    """Every ack processed (acks are asynchronous: give the server a moment) and nothing redelivered."""
    info: dict[str, Any] = {}
    for _ in range(30):
        info = api.consumer_info(stream, "bench")
        if not info.get("num_ack_pending") and not info.get("num_pending"):
            break
        time.sleep(0.1)
    checks.expect(not info.get("num_ack_pending"), f"{info.get('num_ack_pending')} messages left unacked")
    checks.expect(not info.get("num_pending"), f"{info.get('num_pending')} messages never fetched")
    checks.expect(not info.get("num_redelivered"), f"{info.get('num_redelivered')} messages redelivered")


def _conns(name: str, p: Params, run_id: str) -> dict[str, Any]:
    res = _base(name, p)
    nproc = max(1, math.ceil(p.conns / _CONNS_PER_PROC))
    with Team(p.url, p.timeout) as team:
        first = 0
        for n in _split(p.conns, nproc):
            team.add("hold", first=first, conns=n, subs_per_conn=p.subs_per_conn, run=run_id, progress=True)
            first += n
        team.start()
        time.sleep(0.2)
        rss0, server0 = proc_rss_kib(p.server_pid), proc_cpu(p.server_pid)
        results = team.go(Progress(name, p.conns, p.progress))
        time.sleep(0.5)
        rss1 = proc_rss_kib(p.server_pid)
        _cpu(res, team, results, server0, p.server_pid)
    t0, t1 = min(r["t0"] for r in results), max(r["t1"] for r in results)
    held = sum(r["conns"] for r in results)
    res.update(conns=held, subs=held * p.subs_per_conn, connect_s=round(t1 - t0, 3))
    res.update(conns_per_s=held / max(t1 - t0, 1e-9), rss_base_kib=rss0, rss_kib=rss1)
    res["rss_per_conn_kib"] = (rss1 - rss0) / held if rss0 is not None and rss1 is not None and held else None
    checks = Checks()
    checks.expect(held == p.conns, f"{held:,} of {p.conns:,} connections held")
    return _finish(res, checks)


def _defaults(name: str, p: Params) -> Params:
    msgs = p.msgs or DEFAULT_MSGS.get(name, 100_000)
    inflight = p.inflight or {"latency": 1, "js-pub": 1000, "js-fetch": 1000}.get(name, 64)
    subs = p.subs or {"fanout": 4, "queue": 4}.get(name, 1)
    return replace(p, msgs=msgs, inflight=inflight, subs=subs)


SCENARIOS: dict[str, Callable[[str, Params, str], dict[str, Any]]] = {
    "pub": lambda n, p, r: _pubsub(n, p, r, 0, False),
    "pubsub": lambda n, p, r: _pubsub(n, p, r, 1, False),
    "fanout": lambda n, p, r: _pubsub(n, p, r, p.subs, False),
    "queue": lambda n, p, r: _pubsub(n, p, r, p.subs, True),
    "reqrep": _reqrep,
    "latency": _reqrep,
    "js-pub": _js_pub,
    "js-fetch": _js_fetch,
    "conns": _conns,
}


def run(name: str, p: Params) -> dict[str, Any]:
    """Run one scenario; never raises for a failed run, the result says what went wrong."""
    p = _defaults(name, p)
    if name == "latency":
        p = replace(p, inflight=1)
    try:
        return SCENARIOS[name](name, p, secrets.token_hex(4))
    except NoJetStream as e:
        return {**_base(name, p), "status": "n/a", "error": str(e)}
    except (RunError, WireError, JsError, OSError) as e:
        return {**_base(name, p), "status": "FAILED", "error": str(e)}
