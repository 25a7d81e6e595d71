# A JetStream pynatsd as a subprocess on a random loopback port, for tests that kill it for real.
from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

LISTEN = re.compile(rb"Listening for client connections on [^:]+:(\d+)")


def start_js_server(store: Path) -> tuple[subprocess.Popen[bytes], int]:
    """Start `pynatsd -js -sd store`; the process and its client port."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "pynatsd", "-a", "127.0.0.1", "-p", "-1", "-js", "-sd", str(store)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert proc.stderr is not None
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        m = LISTEN.search(proc.stderr.readline())
        if m:
            return proc, int(m.group(1))
    proc.kill()
    raise AssertionError("server did not start")
