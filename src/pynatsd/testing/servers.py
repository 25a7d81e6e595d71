# Child-process servers for protocol tests.
#
# The same scenario runs against nats-server (the reference) and against pynatsd, so both are started
# the same way: listen on a loopback address with `-p -1` (any free port) and learn the real port from
# the `Listening for client connections on HOST:PORT` log line. A daemon thread per pipe keeps reading
# the child's output so that a chatty server can never block on a full pipe; the lines stay available
# for assertions and for failure reports. Stopping goes through the child's own pid: SIGTERM, then
# SIGKILL once the grace period is over.
from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Literal, Self

ServerKind = Literal["nats-server", "pynatsd"]
SERVER_KINDS: tuple[ServerKind, ...] = ("nats-server", "pynatsd")

_LISTEN_RE = re.compile(r"Listening for client connections on (\S+):(\d+)")
_READY_TEXT = "Server is ready"
_SRC_DIR = Path(__file__).resolve().parents[2]


def nats_server_binary() -> str | None:
    """Path of the nats-server executable: next to the running interpreter first, then on PATH."""
    names = ["nats-server.exe", "nats-server"] if os.name == "nt" else ["nats-server"]
    bindir = Path(sys.executable).parent
    for name in names:
        candidate = bindir / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return shutil.which("nats-server")


class ServerStartError(RuntimeError):
    pass


class ServerProcess:
    """A server child process listening on `host` at a port chosen by the server itself."""

    def __init__(
        self,
        kind: ServerKind,
        *,
        args: Sequence[str] = (),
        config: str | None = None,
        host: str = "127.0.0.1",
        start_timeout: float = 10.0,
        stop_timeout: float = 5.0,
        env: dict[str, str] | None = None,
    ) -> None:
        if kind not in SERVER_KINDS:
            raise ValueError(f"unknown server kind {kind!r}")
        self.kind: ServerKind = kind
        self.args = list(args)
        self.config = config
        self.host = host
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self._env = env
        self._proc: subprocess.Popen[bytes] | None = None
        self._tmpdir: tempfile.TemporaryDirectory[str] | None = None
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._stderr: list[str] = []
        self._stdout: list[str] = []
        self._eof = 0
        self._threads: list[threading.Thread] = []
        self._port: int | None = None
        self.listen_host: str | None = None

    # -- properties ---------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("server not started")
        return self._port

    @property
    def pid(self) -> int:
        if self._proc is None:
            raise RuntimeError("server not started")
        return self._proc.pid

    @property
    def returncode(self) -> int | None:
        return None if self._proc is None else self._proc.poll()

    def is_running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def log_lines(self) -> list[str]:
        """Lines the server wrote to stderr so far."""
        with self._lock:
            return list(self._stderr)

    @property
    def stdout_lines(self) -> list[str]:
        with self._lock:
            return list(self._stdout)

    def log_text(self) -> str:
        return "\n".join(self.log_lines)

    # -- command line -------------------------------------------------------------------------------

    def command(self, config_path: str | None = None) -> list[str]:
        if self.kind == "nats-server":
            binary = nats_server_binary()
            if binary is None:
                raise ServerStartError("nats-server executable not found next to the interpreter or on PATH")
            cmd = [binary]
        else:
            cmd = [sys.executable, "-m", "pynatsd"]
        cmd += ["-a", self.host, "-p", "-1"]
        if config_path is not None:
            cmd += ["-c", config_path]
        return cmd + self.args

    def _child_env(self) -> dict[str, str]:
        env = dict(os.environ if self._env is None else self._env)
        if self.kind == "pynatsd" and (_SRC_DIR / "pynatsd").is_dir():
            parts = [str(_SRC_DIR)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
            env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(parts))
        env.setdefault("PYTHONUNBUFFERED", "1")
        return env

    # -- lifecycle ----------------------------------------------------------------------------------

    def start(self) -> Self:
        if self._proc is not None:
            raise RuntimeError("server already started")
        config_path = None
        if self.config is not None:
            self._tmpdir = tempfile.TemporaryDirectory(prefix="natsconf-")
            path = Path(self._tmpdir.name) / "server.conf"
            path.write_text(self.config, encoding="utf-8")
            config_path = str(path)
        cmd = self.command(config_path)
        try:
            self._proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=self._child_env(),
                cwd=self._tmpdir.name if self._tmpdir is not None else None,
            )
        except OSError as exc:
            self._cleanup_tmp()
            raise ServerStartError(f"cannot run {cmd!r}: {exc}") from exc
        assert self._proc.stdout is not None
        assert self._proc.stderr is not None
        for stream, sink in ((self._proc.stderr, self._stderr), (self._proc.stdout, self._stdout)):
            thread = threading.Thread(target=self._drain, args=(stream, sink), daemon=True)
            thread.start()
            self._threads.append(thread)
        try:
            self._wait_ready(cmd)
        except BaseException:
            self.stop()
            raise
        return self

    def _drain(self, stream: IO[bytes], sink: list[str]) -> None:
        try:
            for raw in iter(stream.readline, b""):
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                with self._changed:
                    sink.append(line)
                    if sink is self._stderr and self._port is None:
                        m = _LISTEN_RE.search(line)
                        if m:
                            self.listen_host = m.group(1)
                            self._port = int(m.group(2))
                    self._changed.notify_all()
        finally:
            with self._changed:
                self._eof += 1
                self._changed.notify_all()

    def _wait_ready(self, cmd: list[str]) -> None:
        deadline = time.monotonic() + self.start_timeout
        with self._changed:
            while True:
                if self._port is not None and any(_READY_TEXT in line for line in self._stderr):
                    return
                if self._eof >= 2 or (self._proc is not None and self._proc.poll() is not None):
                    problem = f"exited with status {self._proc.poll() if self._proc else None}"
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    missing = "the listening line" if self._port is None else repr(_READY_TEXT)
                    problem = f"did not log {missing} within {self.start_timeout:g}s"
                    break
                self._changed.wait(min(remaining, 0.1))
            out = "\n".join(self._stderr[-40:])
            err = "\n".join(self._stdout[-10:])
        raise ServerStartError(f"{self.kind} {problem}\ncommand: {cmd!r}\nstderr:\n{out}\nstdout:\n{err}")

    def reload(self, config: str) -> None:
        """Replace the config file's text and signal the server to reload it (SIGHUP)."""
        if self._tmpdir is None or self._proc is None:
            raise RuntimeError("reload needs a server started with a config")
        (Path(self._tmpdir.name) / "server.conf").write_text(config, encoding="utf-8")
        self.config = config
        self._proc.send_signal(signal.SIGHUP)

    def stop(self) -> None:
        proc = self._proc
        if proc is None:
            self._cleanup_tmp()
            return
        if proc.poll() is None:
            try:
                os.kill(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                proc.wait(self.stop_timeout)
            except subprocess.TimeoutExpired:
                try:
                    os.kill(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(self.stop_timeout)
        for thread in self._threads:
            thread.join(1.0)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
        self._cleanup_tmp()

    def _cleanup_tmp(self) -> None:
        if self._tmpdir is not None:
            self._tmpdir.cleanup()
            self._tmpdir = None

    def wait_for_log(self, pattern: str | re.Pattern[str], timeout: float = 5.0) -> str:
        """Block until a stderr line matches `pattern`; return that line."""
        rx = re.compile(pattern) if isinstance(pattern, str) else pattern
        deadline = time.monotonic() + timeout
        with self._changed:
            seen = 0
            while True:
                for line in self._stderr[seen:]:
                    if rx.search(line):
                        return line
                seen = len(self._stderr)
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._eof >= 2:
                    raise TimeoutError(f"no log line matching {rx.pattern!r}")
                self._changed.wait(min(remaining, 0.1))

    # -- context managers ---------------------------------------------------------------------------

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        return await asyncio.to_thread(self.start)

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await asyncio.to_thread(self.stop)

    def __repr__(self) -> str:
        where = f"{self.host}:{self._port}" if self._port is not None else "not listening"
        return f"<ServerProcess {self.kind} {where}>"


_PoolKey = tuple[ServerKind, str | None, tuple[str, ...]]


class ServerPool:
    """Servers shared between tests, keyed by kind, config text and extra arguments.

    A failed start is remembered, so a server that cannot start costs one start timeout per key
    rather than one per test.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._servers: dict[_PoolKey, ServerProcess] = {}
        self._failures: dict[_PoolKey, str] = {}

    def _check(self, key: _PoolKey) -> None:
        if key in self._failures:
            raise ServerStartError(f"(failed earlier in this session) {self._failures[key]}")

    def _start(self, key: _PoolKey) -> ServerProcess:
        server = ServerProcess(key[0], config=key[1], args=key[2])
        try:
            server.start()
        except ServerStartError as exc:
            self._failures[key] = str(exc)
            raise
        return server

    def shared(self, kind: ServerKind, config: str | None = None, args: Sequence[str] = ()) -> ServerProcess:
        """A running server for this key, started on first use (or again if it died)."""
        key: _PoolKey = (kind, config, tuple(args))
        with self._lock:
            self._check(key)
            server = self._servers.get(key)
            if server is None or not server.is_running():
                if server is not None:
                    server.stop()
                server = self._servers[key] = self._start(key)
            return server

    def fresh(self, kind: ServerKind, config: str | None = None, args: Sequence[str] = ()) -> ServerProcess:
        """A new server owned by the caller, who must stop it."""
        key: _PoolKey = (kind, config, tuple(args))
        with self._lock:
            self._check(key)
            return self._start(key)

    def stop_all(self) -> None:
        with self._lock:
            servers = list(self._servers.values())
            self._servers.clear()
        for server in servers:
            server.stop()
