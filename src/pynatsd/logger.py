# Log lines in nats-server's text format: `[pid] 2026/11/27 16:19:09.320220 [INF] message`.
#
# Test harnesses (nats.py's server runner, testcontainers) wait for exact lines such as
# `Listening for client connections on HOST:PORT` and `Server is ready`, so the format is part of the
# interface. Levels: INF, WRN, ERR, FTL always; DBG with -D; TRC with -V.
from __future__ import annotations

import os
import sys
import time
from typing import TextIO


class Logger:
    def __init__(
        self,
        *,
        debug: bool = False,
        trace: bool = False,
        logtime: bool = True,
        utc: bool = False,
        log_file: str = "",
    ) -> None:
        self.debug_enabled = debug
        self.trace_enabled = trace
        self.logtime = logtime
        self.utc = utc
        self.log_file = log_file
        self._pid = os.getpid()
        self._out: TextIO = sys.stderr
        if log_file:
            self._out = open(log_file, "a", encoding="utf-8")  # noqa: SIM115

    def _stamp(self) -> str:
        now = time.time()
        t = time.gmtime(now) if self.utc else time.localtime(now)
        return time.strftime("%Y/%m/%d %H:%M:%S", t) + f".{int(now % 1 * 1_000_000):06d} "

    def _write(self, level: str, msg: str) -> None:
        prefix = f"[{self._pid}] " + (self._stamp() if self.logtime else "")
        try:
            self._out.write(f"{prefix}[{level}] {msg}\n")
            self._out.flush()
        except (OSError, ValueError):
            pass

    def info(self, msg: str) -> None:
        self._write("INF", msg)

    def warn(self, msg: str) -> None:
        self._write("WRN", msg)

    def error(self, msg: str) -> None:
        self._write("ERR", msg)

    def fatal(self, msg: str) -> None:
        self._write("FTL", msg)

    def debug(self, msg: str) -> None:
        if self.debug_enabled:
            self._write("DBG", msg)

    def trace(self, msg: str) -> None:
        if self.trace_enabled:
            self._write("TRC", msg)

    def reopen(self) -> None:
        """Reopen the log file (SIGUSR1), for log rotation."""
        if not self.log_file:
            return
        old = self._out
        self._out = open(self.log_file, "a", encoding="utf-8")  # noqa: SIM115
        old.close()

    def close(self) -> None:
        if self.log_file:
            self._out.close()
