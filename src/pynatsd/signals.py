# `--signal NAME[=PID|PIDFILE]`: send a signal to a running server, as `nats-server --signal` does.
#
# Without a pid, the single running pynatsd process is looked up in /proc; more than one is an
# error, as in nats-server.
from __future__ import annotations

import os
import signal
import sys
from typing import Final

__all__ = ["SIGNALS", "send_signal"]

SIGNALS: Final = {
    "stop": signal.SIGKILL,
    "quit": signal.SIGINT,
    "term": signal.SIGTERM,
    "reopen": signal.SIGUSR1,
    "reload": signal.SIGHUP,
    "ldm": signal.SIGUSR2,
}


def _find_pids() -> list[int]:
    me = os.getpid()
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == me:
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmd = f.read().split(b"\0")
        except OSError:
            continue
        if (
            any(part.endswith(b"pynatsd") for part in cmd[:3])
            and b"--signal" not in cmd
            and b"-sl" not in cmd
        ):
            pids.append(int(entry))
    return pids


def _resolve_pid(target: str) -> int:
    if target.isdigit():
        return int(target)
    with open(target) as f:
        return int(f.read().strip())


def send_signal(spec: str, pid_file: str = "") -> int:
    name, _, target = spec.partition("=")
    sig = SIGNALS.get(name.lower())
    if sig is None:
        print(f"pynatsd: unknown signal {name!r}", file=sys.stderr)
        return 1
    try:
        if target or pid_file:
            pid = _resolve_pid(target or pid_file)
        else:
            pids = _find_pids()
            if len(pids) != 1:
                what = "no pynatsd process running" if not pids else "multiple pynatsd processes running"
                print(f"pynatsd: {what}, specify a pid or pid file", file=sys.stderr)
                return 1
            pid = pids[0]
        os.kill(pid, sig)
    except (OSError, ValueError) as e:
        print(f"pynatsd: error sending signal: {e}", file=sys.stderr)
        return 1
    return 0
