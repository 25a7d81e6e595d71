# pynatsd against nats-server, side by side, on the same machine and the same clients.
#
# Each round starts a fresh pynatsd and a fresh nats-server, runs every case against both back to
# back (which one goes first alternates between rounds, so neither always gets the warmer caches),
# then stops both. The conns case goes first, while both servers are fresh: memory freed by earlier
# traffic would otherwise be reused by the new connections and hide their cost. Each run waits until
# both servers are idle: closing 10,000 connections takes a server about a second of CPU, which
# would otherwise be taken from whichever server runs next. Machine noise moves both numbers of a
# pair together, so the figure that matters is the per-round ratio pynatsd / nats-server, and the
# report gives the median of those ratios. A case that FAILED its checks in any round is reported
# as FAILED, never as a number; a case the server cannot run (JetStream on pynatsd today) is n/a.
from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import statistics
import sys
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pynatsd.bench.launch import Launched, LaunchError, nats_server_binary, server_version
from pynatsd.bench.scenarios import Params, run
from pynatsd.bench.team import proc_cpu

__all__ = ["CASES", "Case", "main"]

KINDS = ("pynatsd", "nats-server")


@dataclass(frozen=True)
class Case:
    name: str
    label: str
    scenario: str
    full: int
    quick: int
    size: int = 128
    subs: int = 0
    inflight: int = 0
    metric: str = "msgs_per_s"
    unit: str = "msgs/s"
    lower_is_better: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def params(self, url: str, pid: int, quick: bool, varied: bool, timeout: float) -> Params:
        n = self.quick if quick else self.full
        p = Params(url=url, size=self.size, subs=self.subs, inflight=self.inflight, varied=varied)
        p = replace(p, server_pid=pid, timeout=timeout, **self.extra)
        return replace(p, conns=n) if self.scenario == "conns" else replace(p, msgs=n)


CASES = [
    Case("pubsub-16", "pubsub 16 B", "pubsub", 1_000_000, 100_000, size=16),
    Case("pubsub-128", "pubsub 128 B", "pubsub", 1_000_000, 100_000),
    Case("pubsub-16k", "pubsub 16 KiB", "pubsub", 100_000, 10_000, size=16 << 10),
    Case("fanout-4", "fanout K=4 128 B", "fanout", 300_000, 30_000, subs=4),
    Case("queue-4", "queue K=4 128 B", "queue", 500_000, 50_000, subs=4),
    Case("pub-128", "pub only 128 B", "pub", 1_000_000, 100_000),
    Case("reqrep-64", "reqrep inflight 64", "reqrep", 200_000, 20_000, inflight=64),
    Case(
        "latency",
        "reqrep p50 inflight 1",
        "latency",
        10_000,
        2_000,
        metric="latency_us.p50",
        unit="us",
        lower_is_better=True,
    ),
    Case("js-pub", "js-pub file, inflight 1000", "js-pub", 200_000, 20_000),
    Case("js-fetch", "js-fetch file, batch 500", "js-fetch", 200_000, 20_000),
    Case(
        "conns",
        "conns RSS per conn",
        "conns",
        10_000,
        2_000,
        metric="rss_per_conn_kib",
        unit="KiB",
        lower_is_better=True,
    ),
]


def metric(res: dict[str, Any], case: Case) -> float | None:
    if res.get("status") != "ok":
        return None
    value: Any = res
    for key in case.metric.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    return float(value) if isinstance(value, int | float) else None


def _run_round(
    r: int, cases: list[Case], args: argparse.Namespace, runs: dict[str, dict[str, list[dict[str, Any]]]]
) -> None:
    servers = {k: Launched(k, args.nats_server) for k in KINDS}
    try:
        for s in servers.values():
            s.start()
        order = KINDS if r % 2 == 0 else KINDS[::-1]
        for case in sorted(cases, key=lambda c: c.scenario != "conns"):
            for kind in order:
                s = servers[kind]
                _settle(list(servers.values()))
                p = case.params(s.url, s.pid, args.quick, args.varied, args.timeout)
                res = run(case.scenario, p)
                runs[case.name][kind].append(res)
                _say(r, args.rounds, case, kind, res)
                if s.proc is not None and s.proc.poll() is not None:
                    raise LaunchError(f"{kind} exited during {case.name}:\n{s.log_text()[-2000:]}")
    finally:
        for s in servers.values():
            s.stop()


def _settle(servers: list[Launched], quiet: float = 0.01, step: float = 0.2, limit: float = 10.0) -> None:
    """Wait until both servers are idle: still closing the last run's connections (10,000 of them
    after conns), one would take CPU from whichever server runs next, and only from that one."""
    deadline = time.monotonic() + limit
    before = [proc_cpu(s.pid) for s in servers]
    while time.monotonic() < deadline:
        time.sleep(step)
        after = [proc_cpu(s.pid) for s in servers]
        if all(a is None or b is None or a - b < quiet for a, b in zip(after, before, strict=True)):
            return
        before = after


def _say(r: int, rounds: int, case: Case, kind: str, res: dict[str, Any]) -> None:
    value = metric(res, case)
    shown = f"{value:,.2f} {case.unit}" if value is not None else f"{res['status']}: {res.get('error')}"
    print(f"[round {r + 1}/{rounds}] {case.name:<11} {kind:<11} {shown}", file=sys.stderr, flush=True)


def summarize(case: Case, runs: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Per-server medians and the median of per-round ratios, or why there is no number."""
    out: dict[str, Any] = {"label": case.label, "metric": case.metric, "unit": case.unit}
    out["better"] = "lower" if case.lower_is_better else "higher"
    for kind in KINDS:
        values = [metric(res, case) for res in runs[kind]]
        statuses = [res["status"] for res in runs[kind]]
        out[kind] = {"values": values, "statuses": statuses}
        failed = statuses.count("FAILED")
        if failed:
            out[kind]["summary"] = f"FAILED ({failed}/{len(statuses)})"
        elif "n/a" in statuses:
            out[kind]["summary"] = "n/a"
        else:
            out[kind]["summary"] = statistics.median(v for v in values if v is not None)
        out[kind]["server_us_per_msg"] = _server_cpu_per_msg(runs[kind])
    pairs = zip(out["pynatsd"]["values"], out["nats-server"]["values"], strict=True)
    ratios = [a / b for a, b in pairs if a is not None and b]
    both_numbers = all(isinstance(out[k]["summary"], float) for k in KINDS)
    out["ratios"] = ratios
    out["ratio_median"] = statistics.median(ratios) if ratios and both_numbers else None
    return out


def _server_cpu_per_msg(runs: list[dict[str, Any]]) -> float | None:
    """The server's CPU time per message in microseconds, median over the passed runs: unlike
    throughput, it hardly depends on what else the machine is running."""
    per = [
        r["cpu_s"]["server"] / r["msgs"] * 1e6
        for r in runs
        if r.get("status") == "ok" and r.get("msgs") and "server" in (r.get("cpu_s") or {})
    ]
    return statistics.median(per) if per else None


def _fmt(v: Any, unit: str) -> str:
    if not isinstance(v, float):
        return str(v)
    return f"{v:,.0f} {unit}" if v >= 100 else f"{v:,.2f} {unit}"


def table(summary: dict[str, dict[str, Any]]) -> list[list[str]]:
    rows = [
        [
            "scenario",
            "pynatsd",
            "nats-server",
            "ratio py/ns (median)",
            "range",
            "better",
            "server CPU/msg py / ns",
        ]
    ]
    for s in summary.values():
        ratio, rs = s["ratio_median"], s["ratios"]
        cpu = [s[k].get("server_us_per_msg") for k in KINDS]
        rows.append(
            [
                s["label"],
                _fmt(s["pynatsd"]["summary"], s["unit"]),
                _fmt(s["nats-server"]["summary"], s["unit"]),
                f"{ratio:.3f}" if ratio is not None else "n/a",
                f"{min(rs):.3f}-{max(rs):.3f}" if ratio is not None else "",
                s["better"],
                " / ".join(f"{c:.2f} us" for c in cpu) if None not in cpu else "",
            ]
        )
    return rows


def render_text(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def render_markdown(rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(rows[0]) + " |", "|" + "|".join(["---"] + ["---:"] * (len(rows[0]) - 1)) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows[1:]]
    return "\n".join(out)


def machine(binary: str | None) -> dict[str, Any]:
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "pynatsd": server_version("pynatsd"),
        "nats-server": server_version("nats-server", binary),
        "platform": platform.platform(),
    }


def _markdown(info: dict[str, Any], rows: list[list[str]], args: argparse.Namespace, minutes: float) -> str:
    conns = next((c for c in CASES if c.name == "conns"), None)
    nconns = (conns.quick if args.quick else conns.full) if conns else 0
    head = [
        "# pynatsd vs nats-server",
        "",
        f"Measured with `{info['command']}` on {info['date']} ({minutes:.1f} minutes).",
        "",
        "| | |",
        "|---|---|",
        f"| nproc | {info['nproc']} |",
        f"| CPU | {info['cpu']} |",
        f"| Python | {info['python']} |",
        f"| pynatsd | {info['pynatsd']} |",
        f"| nats-server | {info['nats-server']} |",
        f"| platform | {info['platform']} |",
        f"| rounds | {args.rounds}, fresh servers each round, which server goes first alternates |",
        f"| payloads | {'varied (sizes +-25%, several subjects under a wildcard)' if args.varied else 'fixed'} |",
        "",
        render_markdown(rows),
        "",
        "The ratio is pynatsd / nats-server, computed per round; the table gives the median over rounds",
        "and the range. Throughput (msgs/s, higher is better) runs from the first publish to the last",
        "message received; latency is the request/reply round trip at the 50th percentile; conns is the",
        f"growth of the server's RSS per idle connection with 10 subscriptions each ({nconns:,} connections)",
        "(lower is better). FAILED means a correctness check failed (lost, duplicated or reordered",
        "messages) in that many rounds; n/a means the server lacks the feature. Server CPU/msg is the",
        "server's CPU time (user + system, with pynatsd's store writer process) per message, median over",
        "rounds: it varies far less than throughput with what else the machine is running.",
        "",
        "The load generators are Python processes on the same machine as the server. Against",
        "nats-server they, not the server, are usually the limit, so the throughput ratios understate",
        "nats-server's lead; on a machine with few cores the clients and the server also compete for CPU.",
        "`bench/results.json` has every run's full result.",
    ]
    return "\n".join(head) + "\n"


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="bench/compare", description="pynatsd vs nats-server, side by side.")
    ap.add_argument("--rounds", type=int, default=5, help="rounds (default 5)")
    ap.add_argument("--quick", action="store_true", help="small message counts: about a minute in all")
    ap.add_argument("--scenarios", default="", help="comma-separated: " + ",".join(c.name for c in CASES))
    ap.add_argument("--varied", action=argparse.BooleanOptionalAction, default=True, help="varied payloads")
    ap.add_argument("--timeout", type=float, default=180.0, help="seconds before a run is FAILED")
    ap.add_argument("--nats-server", default=None, help="nats-server executable")
    ap.add_argument("--out", default=None, help="directory for RESULTS.md and results.json")
    return ap


def _select(spec: str) -> list[Case]:
    if not spec:
        return list(CASES)
    wanted = [w.strip() for w in spec.split(",") if w.strip()]
    by_name = {c.name: c for c in CASES}
    unknown = [w for w in wanted if w not in by_name]
    if unknown:
        raise SystemExit(f"unknown scenarios: {', '.join(unknown)} (known: {', '.join(by_name)})")
    return [by_name[w] for w in wanted]


def main(argv: list[str], out_dir: Path, command: str = "bench/compare") -> int:
    if argv[:1] == ["permissions"]:
        from pynatsd.bench.perms import main as permissions

        return permissions(argv[1:], out_dir)
    args = _parser().parse_args(argv)
    cases = _select(args.scenarios)
    args.nats_server = args.nats_server or nats_server_binary()
    if args.nats_server is None or args.rounds < 1:
        print("bench/compare: needs nats-server (--nats-server) and --rounds >= 1", file=sys.stderr)
        return 2
    info = machine(args.nats_server)
    info.update(command=shlex.join([command, *argv]), date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))
    runs: dict[str, dict[str, list[dict[str, Any]]]] = {c.name: {k: [] for k in KINDS} for c in cases}
    t0 = time.monotonic()
    for r in range(args.rounds):
        _run_round(r, cases, args, runs)
    minutes = (time.monotonic() - t0) / 60
    summary = {c.name: summarize(c, runs[c.name]) for c in cases}
    rows = table(summary)
    print(render_text(rows))
    out = Path(args.out) if args.out else out_dir
    out.mkdir(parents=True, exist_ok=True)
    (out / "RESULTS.md").write_text(_markdown(info, rows, args, minutes))
    doc = {"machine": info, "rounds": args.rounds, "quick": args.quick, "summary": summary, "runs": runs}
    (out / "results.json").write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {out / 'RESULTS.md'} and {out / 'results.json'} ({minutes:.1f} min)", file=sys.stderr)
    failed = any(
        isinstance(s[k]["summary"], str) and s[k]["summary"].startswith("FAILED")
        for s in summary.values()
        for k in KINDS
    )
    return 1 if failed else 0
