# Publish/subscribe across a route: a publisher on server A, a subscriber on server B, the two
# servers clustered. The same run measures a pynatsd pair and a nats-server pair, alternating
# rounds so that both see the same machine load, and prints the pynatsd / nats-server ratio.
#
#   python -m pynatsd.bench.route --msgs 200000 --size 128 --rounds 3
#
# The workers are the bench's raw-socket publisher and subscriber (workers.py): the subscriber
# checks that every message arrived once and in order; the rate is messages over the time from
# the first publish to the last delivery. The publisher is not marked as a producer: the
# subscriber stops when it has every message, not at a PONG from its own server, which across a
# route does not mean that all that was published on the other server has arrived.
from __future__ import annotations

import argparse
import json
import re
import socket
import statistics
import sys
import time
from typing import Any

from pynatsd.bench.launch import Launched
from pynatsd.bench.scenarios import Checks
from pynatsd.bench.team import Team

__all__ = ["main", "run_pair"]

_ROUTE_RE = re.compile(r"Listening for route connections on \S+:(\d+)")
_KINDS = ("pynatsd", "nats-server")


def _wait_log(server: Launched, pattern: re.Pattern[str], timeout: float = 20.0) -> re.Match[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        m = pattern.search(server.log_text())
        if m:
            return m
        time.sleep(0.05)
    raise RuntimeError(f"{server.kind}: no {pattern.pattern!r} in the log:\n{server.log_text()[-2000:]}")


def start_pair(kind: str) -> tuple[Launched, Launched]:
    a = Launched(kind, jetstream=False)
    a.cmd += ["--cluster", "nats://127.0.0.1:-1", "--cluster_name", "BENCH", "-n", "bench-a"]
    a.start()
    port = int(_wait_log(a, _ROUTE_RE).group(1))
    b = Launched(kind, jetstream=False)
    b.cmd += ["--cluster", "nats://127.0.0.1:-1", "--cluster_name", "BENCH", "-n", "bench-b"]
    b.cmd += ["--routes", f"nats://127.0.0.1:{port}"]
    try:
        b.start()
        _wait_log(b, re.compile(r"Route connection created"))
    except BaseException:
        b.stop()
        a.stop()
        raise
    return a, b


def _raw(url: str, connect: bytes) -> socket.socket:
    host, port = url.rsplit("/", 1)[-1].rsplit(":", 1)
    sock = socket.create_connection((host, int(port)), timeout=5.0)
    sock.recv(4096)
    sock.sendall(b"CONNECT " + connect + b"\r\n")
    return sock


def _until(sock: socket.socket, marker: bytes) -> bytes:
    data = b""
    while marker not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise RuntimeError("probe connection closed")
        data += chunk
    return data


def wait_route_interest(pub_url: str, sub_url: str, timeout: float = 20.0) -> None:
    """Until B's newest subscriptions are known on A: a probe subscribed on B after the bench's
    subscriber (same account, so the same route and order) receives a publish made on A."""
    subject = f"route.probe.{int(time.time() * 1e6)}".encode()
    listener = _raw(sub_url, b'{"verbose":false}')
    sender = _raw(pub_url, b'{"verbose":false}')
    try:
        listener.sendall(b"SUB %b 1\r\nPING\r\n" % subject)
        _until(listener, b"PONG")
        listener.settimeout(0.2)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            sender.sendall(b"PUB %b 0\r\n\r\nPING\r\n" % subject)
            _until(sender, b"PONG")
            try:
                if b"MSG " + subject in _until(listener, b"\r\n"):
                    return
            except TimeoutError:
                continue
        raise RuntimeError("the subscription on B never reached A")
    finally:
        listener.close()
        sender.close()


def run_pair(pub_url: str, sub_url: str, msgs: int, size: int, timeout: float = 60.0) -> dict[str, Any]:
    subject = f"route.bench.{int(time.time() * 1000)}"
    checks = Checks()
    with Team(pub_url, timeout) as team:
        team.add("sub", subject=subject, queue="", pubs=1, msgs=msgs)
        team.specs[-1].update(expect=msgs, sub_idx=[0], progress=True, url=sub_url)
        team.add("pub", pub_id=0, msgs=msgs, subjects=[subject], size=size, varied=False, seed=1)
        window = max(64, min(50_000, (8 << 20) // (size + 48)))
        team.specs[-1].update(progress=False, window=window, pub_idx=[1], sub_idx=[0], sub_agg="min")
        team.start()
        wait_route_interest(pub_url, sub_url)
        sub, pub = team.go()
    checks.failed += [f"sub: {e}" for e in sub["errors"]]
    checks.expect(sub["next"] == [msgs], f"sub got {sub['msgs']:,} of {msgs:,} messages")
    elapsed = max(sub["t1"] - pub["t0"], 1e-9)
    return {
        "msgs": msgs,
        "size": size,
        "elapsed_s": elapsed,
        "msgs_per_s": msgs / elapsed,
        "checks": checks.failed,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m pynatsd.bench.route", description=__doc__)
    ap.add_argument("--msgs", type=int, default=200_000)
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json", action="store_true", help="print the results as JSON")
    args = ap.parse_args(argv)
    rates: dict[str, list[float]] = {k: [] for k in _KINDS}
    failures: list[str] = []
    for r in range(args.rounds):
        for kind in _KINDS if r % 2 == 0 else reversed(_KINDS):
            a, b = start_pair(kind)
            try:
                res = run_pair(a.url, b.url, args.msgs, args.size)
            finally:
                b.stop()
                a.stop()
            failures += [f"{kind}: {c}" for c in res["checks"]]
            rates[kind].append(res["msgs_per_s"])
            print(f"round {r + 1} {kind:11s} {res['msgs_per_s']:12,.0f} msgs/s", file=sys.stderr)
    med = {k: statistics.median(v) for k, v in rates.items()}
    ratio = med["pynatsd"] / med["nats-server"]
    out = {
        "msgs": args.msgs,
        "size": args.size,
        "median_msgs_per_s": med,
        "ratio": ratio,
        "failures": failures,
    }
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        print(f"pubsub across a route, {args.msgs:,} x {args.size} B, median of {args.rounds}:")
        for k in _KINDS:
            print(f"  {k:11s} {med[k]:12,.0f} msgs/s")
        print(f"  pynatsd / nats-server = {ratio:.3f}")
        for f in failures:
            print(f"  FAILED {f}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
