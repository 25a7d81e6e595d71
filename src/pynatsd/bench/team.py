# The parent side of a bench run: start worker processes, release them together, collect results.
#
# Workers are started from a forkserver that has the worker modules preloaded (spawn where there is
# no forkserver), so a run's start-up costs a fork per worker rather than an interpreter each. The
# run is in three steps: every worker connects and says ready; the parent says go to all at once;
# results come back over the pipes. While waiting the parent shows progress from the shared counters,
# raises the DONE flag once all producers have reported (receivers then drain with a PING), and on a
# worker error or the deadline raises STOP so that every loop ends. close() ends whatever is left by
# its own pid: a polite release first, then terminate, then kill.
from __future__ import annotations

import multiprocessing as mp
import os
import sys
import time
from multiprocessing.connection import Connection, wait
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess
from types import TracebackType
from typing import Any, cast

from pynatsd.bench.workers import DONE, STOP, entry

__all__ = ["Progress", "RunError", "Team", "proc_cpu", "proc_rss_kib"]

_ctx: BaseContext | None = None


class RunError(Exception):
    pass


def mp_context() -> BaseContext:
    global _ctx
    if _ctx is None:
        if "forkserver" in mp.get_all_start_methods():
            ctx = mp.get_context("forkserver")
            ctx.set_forkserver_preload(["pynatsd.bench.workers", "pynatsd.bench.reqworkers"])
            _ctx = ctx
        else:
            _ctx = mp.get_context("spawn")
    return _ctx


def proc_cpu(pid: int | None) -> float | None:
    """user + system CPU seconds of a process and its live children (a store writer process),
    from /proc; None when it cannot be read."""
    if pid is None:
        return None
    total = _own_cpu(pid)
    if total is None:
        return None
    for child in _children(pid):
        total += _own_cpu(child) or 0.0
    return total


def _own_cpu(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                out.extend(int(c) for c in f.read().split())
    except OSError:
        pass
    return out


def proc_rss_kib(pid: int | None) -> int | None:
    if pid is None:
        return None
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


class Progress:
    """A one-line progress display on stderr, redrawn at most four times a second."""

    def __init__(self, label: str, target: int, enabled: bool) -> None:
        self.label, self.target, self.enabled = label, max(1, target), enabled
        self.t0 = time.monotonic()
        self._last = 0.0
        self._shown = False

    def show(self, done: int) -> None:
        now = time.monotonic()
        if not self.enabled or now - self._last < 0.25:
            return
        self._last = now
        rate = done / max(1e-9, now - self.t0)
        pct = 100.0 * done / self.target
        sys.stderr.write(f"\r\033[K{self.label}: {done:,}/{self.target:,} ({pct:.0f}%) {rate:,.0f}/s")
        sys.stderr.flush()
        self._shown = True

    def clear(self) -> None:
        if self._shown:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()
            self._shown = False


class Team:
    """The worker processes of one run."""

    def __init__(self, url: str, timeout: float) -> None:
        self.url, self.timeout = url, timeout
        self.specs: list[dict[str, Any]] = []
        self.procs: list[BaseProcess] = []
        self.pipes: list[Connection] = []
        self.counts: Any = None
        self.flags: Any = None

    def add(self, role: str, **cfg: Any) -> int:
        idx = len(self.specs)
        cfg.update(role=role, idx=idx, url=self.url, timeout=self.timeout)
        self.specs.append(cfg)
        return idx

    def __enter__(self) -> Team:
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def start(self) -> list[dict[str, Any]]:
        """Start every worker and wait until all are connected; returns their ready infos."""
        ctx: Any = mp_context()
        self.counts = ctx.RawArray("q", len(self.specs))
        self.flags = ctx.RawArray("i", 2)
        for cfg in self.specs:
            mine, theirs = ctx.Pipe()
            p = ctx.Process(target=entry, args=(cfg, self.counts, self.flags, theirs), daemon=True)
            p.start()
            theirs.close()
            self.procs.append(p)
            self.pipes.append(mine)
        return self._gather("ready", min(self.timeout, 60.0), None)

    def go(self, progress: Progress | None = None) -> list[dict[str, Any]]:
        """Release all workers at once; their results, in the order they were added."""
        for c in self.pipes:
            c.send("go")
        return self._gather("result", self.timeout, progress)

    def _gather(self, want: str, timeout: float, progress: Progress | None) -> list[dict[str, Any]]:
        pending = dict(zip(self.pipes, range(len(self.pipes)), strict=True))
        got: dict[int, dict[str, Any]] = {}
        errors: list[str] = []
        producers = {i for i, c in enumerate(self.specs) if c.get("producer")}
        deadline = time.monotonic() + timeout
        grace: float | None = None
        while pending and (grace is None or time.monotonic() < grace):
            for c in cast(list[Connection], wait(list(pending), timeout=0.1)):
                i = pending.pop(c)
                kind, payload = self._recv(c, i)
                if kind == want:
                    got[i] = payload
                elif not errors or "stopped" not in payload:
                    errors.append(str(payload))
            if want == "result" and producers and producers <= got.keys():
                self.flags[DONE] = 1
            if progress is not None:
                progress.show(sum(self.counts[i] for i in progress_indices(self.specs)))
            if grace is None and (errors or time.monotonic() > deadline):
                if not errors:
                    errors.append(f"timed out after {timeout:g} s ({want} from {len(got)}/{len(self.specs)})")
                self.flags[STOP] = 1
                grace = time.monotonic() + 3.0
        if progress is not None:
            progress.clear()
        if errors:
            raise RunError(errors[0])
        return [got[i] for i in range(len(self.specs))]

    def _recv(self, c: Connection, i: int) -> tuple[str, Any]:
        try:
            kind, payload = c.recv()
        except (EOFError, OSError):
            self.procs[i].join(1.0)
            return "error", f"{self.specs[i]['role']} worker {i} died (exit code {self.procs[i].exitcode})"
        return str(kind), payload

    def close(self) -> None:
        if self.flags is not None:
            self.flags[STOP] = 1
        for c in self.pipes:
            try:
                c.send("release")
            except (OSError, ValueError):
                pass
        for p in self.procs:
            p.join(3.0)
            if p.is_alive():
                p.terminate()
                p.join(2.0)
            if p.is_alive():
                p.kill()
                p.join(2.0)
        for c in self.pipes:
            c.close()
        self.procs, self.pipes = [], []


def progress_indices(specs: list[dict[str, Any]]) -> list[int]:
    return [i for i, c in enumerate(specs) if c.get("progress")]
