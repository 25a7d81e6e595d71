# What subject permissions cost on the publish path, for pynatsd and for nats-server.
#
# Each round starts four fresh servers in turn, pynatsd and nats-server each with two configs that
# differ only in permissions: the same authenticated user, once with no permissions and once with
# publish and subscribe allow and deny lists, one deny entry overlapping the subscriber's wildcard
# so that every delivery is filtered. The same pubsub run (varied payloads and subjects) goes
# against each. The figure per server is the median over rounds of (with permissions / without):
# 1.0 means permissions cost nothing. `bench/compare permissions [--rounds R] [--msgs N]` runs it;
# results go to PERMISSIONS.md beside bench/compare's RESULTS.md.
from __future__ import annotations

import argparse
import statistics
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pynatsd.bench.compare import KINDS
from pynatsd.bench.launch import Launched
from pynatsd.bench.scenarios import Params, run

__all__ = ["main"]

_DENIES = ", ".join(f'"bench.*.denied{i}.>"' for i in range(20))
_PERMISSIONS = (
    'permissions: { publish: { allow: ["bench.>", "_INBOX.>"], deny: [' + _DENIES + "] }, "
    'subscribe: { allow: ["bench.>", "_INBOX.>"], deny: [' + _DENIES + "] } }"
)
CONFIGS = {
    "open": "authorization { users = [ {user: bench, password: bench} ] }\n",
    "perms": "authorization { users = [ {user: bench, password: bench, " + _PERMISSIONS + "} ] }\n",
}


def _one(kind: str, mode: str, msgs: int) -> dict[str, Any]:
    with Launched(kind, jetstream=False, config=CONFIGS[mode]) as srv:
        url = f"nats://bench:bench@127.0.0.1:{srv.port}"
        p = Params(url=url, msgs=msgs, size=128, varied=True, server_pid=srv.pid, timeout=120.0)
        return run("pubsub", p)


def measure(rounds: int, msgs: int) -> dict[str, list[dict[str, Any]]]:
    runs: dict[str, list[dict[str, Any]]] = {f"{k}/{m}": [] for k in KINDS for m in CONFIGS}
    for r in range(rounds):
        kinds = KINDS if r % 2 == 0 else tuple(reversed(KINDS))
        for kind in kinds:
            for mode in CONFIGS if r % 2 == 0 else reversed(tuple(CONFIGS)):
                result = _one(kind, mode, msgs)
                runs[f"{kind}/{mode}"].append(result)
                rate = result.get("msgs_per_s") or 0
                print(f"round {r + 1} {kind:12} {mode:6} {result['status']:7} {rate:,.0f} msgs/s", flush=True)
    return runs


def _ratios(runs: dict[str, list[dict[str, Any]]], kind: str) -> list[float]:
    out = []
    for with_perms, without in zip(runs[f"{kind}/perms"], runs[f"{kind}/open"], strict=True):
        if with_perms["status"] == "ok" and without["status"] == "ok" and without["msgs_per_s"]:
            out.append(with_perms["msgs_per_s"] / without["msgs_per_s"])
    return out


def report(runs: dict[str, list[dict[str, Any]]], rounds: int, msgs: int) -> str:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# The cost of subject permissions",
        "",
        f"Measured with `bench/compare permissions` on {stamp}: pubsub, 128 B varied payloads, {msgs:,} messages,",
        f"{rounds} rounds. Each server runs once with an authenticated user without permissions and once",
        "with publish/subscribe allow and deny lists (20 deny patterns, one overlapping the subscriber's",
        "wildcard, so every delivery is checked).",
        "",
        "| server | without permissions | with permissions | ratio with/without (median) | range |",
        "|---|---:|---:|---:|---:|",
    ]
    for kind in KINDS:
        ratios = _ratios(runs, kind)
        med = {m: statistics.median([r.get("msgs_per_s") or 0 for r in runs[f"{kind}/{m}"]]) for m in CONFIGS}
        span = f"{min(ratios):.3f}-{max(ratios):.3f}" if ratios else "n/a"
        ratio = f"{statistics.median(ratios):.3f}" if ratios else "FAILED"
        lines.append(
            f"| {kind} | {med['open']:,.0f} msgs/s | {med['perms']:,.0f} msgs/s | {ratio} | {span} |"
        )
    lines += [
        "",
        "A ratio of 1.0 means the checks cost nothing; below 1.0 is the share of throughput kept.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None, out_dir: Path | None = None) -> int:
    ap = argparse.ArgumentParser(prog="bench/compare permissions")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--msgs", type=int, default=300_000)
    args = ap.parse_args(argv)
    runs = measure(args.rounds, args.msgs)
    text = report(runs, args.rounds, args.msgs)
    print(text)
    if out_dir is not None:
        (out_dir / "PERMISSIONS.md").write_text(text)
    failed = any(r["status"] != "ok" for rs in runs.values() for r in rs)
    return 1 if failed else 0
