# `pynatsd bench SCENARIO [options]`: drive any NATS server and report throughput, latency, memory.
#
# Exit status: 0 when the run passed its checks, 1 when it FAILED (lost, duplicated or reordered
# messages, errors, timeout), 2 for a usage error, 3 when the server lacks what the scenario needs.
from __future__ import annotations

import argparse
import json
import sys

from pynatsd.bench.report import render
from pynatsd.bench.scenarios import SCENARIOS, Params, run
from pynatsd.bench.wire import KEY_LEN

__all__ = ["build_parser", "main", "params_from"]

_EPILOG = """scenarios:
  pub       publishers only; timed until a PING/PONG after the last PUB
  pubsub    1 publisher, 1 subscriber
  fanout    1 publisher, --subs subscribers on the same subjects, each gets every message
  queue     --subs subscribers in one queue group, each message delivered once in the group
  reqrep    requests with up to --inflight outstanding to an echoing responder
  latency   reqrep with one request in flight at a time
  js-pub    JetStream publishes with PubAcks, up to --inflight outstanding
  js-fetch  fill a stream, then fetch it with a pull consumer, acking each message
  conns     hold --conns idle connections with --subs-per-conn subscriptions each; server RSS
"""


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="pynatsd bench",
        description="Benchmark a NATS server (pynatsd or nats-server) with raw-socket clients.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("scenario", choices=sorted(SCENARIOS))
    ap.add_argument("--server", "-s", default="nats://127.0.0.1:4222", help="server URL")
    ap.add_argument("--msgs", "-n", type=int, default=0, help="messages in total (default: per scenario)")
    ap.add_argument("--size", type=int, default=128, help=f"payload bytes, at least {KEY_LEN} (default 128)")
    ap.add_argument(
        "--varied",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="payload sizes jittered +-25%% with different bytes, several subjects under a wildcard",
    )
    ap.add_argument("--pubs", type=int, default=1, help="publisher (requester) processes")
    ap.add_argument("--subs", type=int, default=0, help="subscriber/responder/fetcher processes")
    ap.add_argument("--inflight", type=int, default=0, help="outstanding requests (reqrep 64, js 1000)")
    ap.add_argument("--batch", type=int, default=500, help="js-fetch pull batch size")
    ap.add_argument("--storage", choices=("file", "memory"), default="file", help="JetStream storage")
    ap.add_argument("--conns", type=int, default=2000, help="connections for the conns scenario")
    ap.add_argument("--subs-per-conn", type=int, default=10, help="subscriptions per idle connection")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds before a run is FAILED")
    ap.add_argument("--server-pid", type=int, default=None, help="server pid, for its CPU time and RSS")
    ap.add_argument("--json", action="store_true", help="print the result as JSON")
    ap.add_argument(
        "--progress", action=argparse.BooleanOptionalAction, default=None, help="progress on stderr"
    )
    return ap


def params_from(ns: argparse.Namespace) -> Params:
    progress = sys.stderr.isatty() if ns.progress is None else ns.progress
    return Params(
        url=ns.server,
        msgs=ns.msgs,
        size=ns.size,
        varied=ns.varied,
        pubs=ns.pubs,
        subs=ns.subs,
        inflight=ns.inflight,
        batch=ns.batch,
        storage=ns.storage,
        conns=ns.conns,
        subs_per_conn=ns.subs_per_conn,
        timeout=ns.timeout,
        server_pid=ns.server_pid,
        progress=progress,
    )


def _validate(ap: argparse.ArgumentParser, ns: argparse.Namespace) -> None:
    if ns.size < KEY_LEN:
        ap.error(f"--size must be at least {KEY_LEN} (the sequence key)")
    for opt in ("msgs", "pubs", "subs", "inflight", "conns", "subs_per_conn"):
        if getattr(ns, opt) < 0:
            ap.error(f"--{opt.replace('_', '-')} must not be negative")
    if ns.pubs < 1 or ns.batch < 1 or ns.timeout <= 0:
        ap.error("--pubs, --batch and --timeout must be positive")
    if ns.pubs > 0xFFFF:
        ap.error("--pubs is at most 65535")


def main(argv: list[str]) -> int:
    ap = build_parser()
    try:
        ns = ap.parse_args(argv)
        _validate(ap, ns)
    except SystemExit as e:
        return int(e.code or 0)
    res = run(ns.scenario, params_from(ns))
    print(json.dumps(res, indent=2) if ns.json else render(res))
    return {"ok": 0, "n/a": 3}.get(res["status"], 1)
