# The command line as tools use it: nats-server's flags and spellings, log lines that harnesses wait
# for, exit codes on fatal errors, signals, pid and ports files. Each test runs `python -m pynatsd`
# as a real subprocess bound to loopback.
from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

LISTEN_RE = re.compile(r"Listening for client connections on (\S+):(\d+)")
CMD = [sys.executable, "-m", "pynatsd"]


class Proc:
    """A pynatsd subprocess whose stderr lines are collected by a thread."""

    def __init__(self, args: list[str]) -> None:
        self.p = subprocess.Popen([*CMD, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        self.done = False
        self._cond = threading.Condition()
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        assert self.p.stdout is not None
        for line in self.p.stdout:
            with self._cond:
                self.lines.append(line.rstrip("\n"))
                self._cond.notify_all()
        with self._cond:
            self.done = True
            self._cond.notify_all()

    def wait_for(self, pattern: str, timeout: float = 10.0) -> re.Match[str]:
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for line in self.lines:
                    m = rx.search(line)
                    if m:
                        return m
                left = deadline - time.monotonic()
                if left <= 0 or self.done:
                    raise AssertionError(f"{pattern!r} not logged; got:\n" + "\n".join(self.lines))
                self._cond.wait(min(left, 0.1))

    def port(self) -> int:
        return int(self.wait_for(LISTEN_RE.pattern).group(2))

    def stop(self) -> None:
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(5)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait(5)


@contextmanager
def pynatsd(*args: str) -> Iterator[Proc]:
    proc = Proc(list(args))
    try:
        yield proc
    finally:
        proc.stop()


def run(*args: str, timeout: float = 20.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CMD, *args], capture_output=True, text=True, timeout=timeout)


def ping(host: str, port: int, family: int = socket.AF_INET) -> bytes:
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.settimeout(5)
        s.connect((host, port))
        f = s.makefile("rb")
        assert f.readline().startswith(b"INFO ")
        s.sendall(b'CONNECT {"verbose":false}\r\nPING\r\n')
        return f.readline()


def test_cli_random_port_logged_and_served() -> None:
    with pynatsd("-a", "127.0.0.1", "-p", "-1") as proc:
        port = proc.port()
        proc.wait_for("Server is ready")
        assert port > 0
        assert ping("127.0.0.1", port) == b"PONG\r\n"


def test_cli_go_flag_spellings() -> None:
    with pynatsd("--addr=127.0.0.1", "--port=-1", "-DV", "--name", "srv-a") as proc:
        port = proc.port()
        assert ping("127.0.0.1", port) == b"PONG\r\n"
        proc.wait_for(r"\[DBG\] .*Client connection created")
        proc.wait_for(r"Name:\s+srv-a")


def test_cli_default_bind_reaches_ipv4_and_ipv6() -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    with pynatsd("-p", "-1") as proc:
        port = proc.port()
        assert ping("127.0.0.1", port) == b"PONG\r\n"
        try:
            reply = ping("::1", port, socket.AF_INET6)
        except OSError:
            pytest.skip("IPv6 loopback not available")
        assert reply == b"PONG\r\n"


def test_cli_ipv6_loopback_bind() -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    with pynatsd("-a", "::1", "-p", "-1") as proc:
        try:
            m = proc.wait_for(LISTEN_RE.pattern)
        except AssertionError:
            pytest.skip("IPv6 loopback not available")
        assert m.group(1) == "[::1]"
        assert ping("::1", int(m.group(2)), socket.AF_INET6) == b"PONG\r\n"


def test_cli_bad_address_exits_with_error() -> None:
    res = run("-a", "no.such.host.invalid", "-p", "-1")
    assert res.returncode != 0
    out = res.stdout + res.stderr
    assert "[FTL]" in out
    assert "error" in out.lower()


def test_cli_port_in_use_exits_with_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        res = run("-a", "127.0.0.1", "-p", str(port))
    assert res.returncode != 0
    out = res.stdout + res.stderr
    assert "[FTL]" in out
    assert "port" in out.lower()
    assert "address already in use" in out


def test_cli_version_and_help() -> None:
    res = run("-v")
    assert res.returncode == 0
    assert re.search(r"v\d+\.\d+\.\d+", res.stdout)
    res = run("--help")
    assert res.returncode == 0
    assert "--jetstream" in res.stdout


def test_cli_unknown_flag_is_an_error() -> None:
    res = run("--no-such-flag")
    assert res.returncode == 2
    assert "flag provided but not defined: -no-such-flag" in res.stderr


def test_cli_config_test_mode(tmp_path: Path) -> None:
    good = tmp_path / "good.conf"
    good.write_text("port: 4333\nmax_payload: 2MB\n")
    res = run("-t", "-c", str(good))
    assert res.returncode == 0, res.stderr
    assert "is valid" in res.stderr
    bad = tmp_path / "bad.conf"
    bad.write_text("port: 4333\ncluster {\n  name: x\n")
    res = run("-t", "-c", str(bad))
    assert res.returncode != 0
    assert "Parse error" in res.stderr or "parse error" in res.stderr.lower()


def test_cli_flags_override_config(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        taken = s.getsockname()[1]
    conf = tmp_path / "server.conf"
    conf.write_text(f'listen: "127.0.0.1:{taken}"\nserver_name: from-config\n')
    with pynatsd("-c", str(conf), "-p", "-1", "-n", "from-flag") as proc:
        port = proc.port()
        assert port != taken
        proc.wait_for(r"Name:\s+from-flag")
        assert ping("127.0.0.1", port) == b"PONG\r\n"


def test_cli_pid_and_ports_files(tmp_path: Path) -> None:
    pid_file = tmp_path / "srv.pid"
    with pynatsd(
        "-a", "127.0.0.1", "-p", "-1", "-P", str(pid_file), "--ports_file_dir", str(tmp_path)
    ) as proc:
        port = proc.port()
        proc.wait_for("Server is ready")
        assert int(pid_file.read_text()) == proc.p.pid
        ports = list(tmp_path.glob("*.ports"))
        assert len(ports) == 1
        assert json.loads(ports[0].read_text())["nats"] == [f"nats://127.0.0.1:{port}"]


def test_cli_sigterm_is_fast_with_idle_clients() -> None:
    with pynatsd("-a", "127.0.0.1", "-p", "-1") as proc:
        port = proc.port()
        socks = []
        for _ in range(20):
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(b"CONNECT {}\r\nSUB foo 1\r\n")
            socks.append(s)
        started = time.monotonic()
        proc.p.send_signal(signal.SIGTERM)
        proc.p.wait(5)
        elapsed = time.monotonic() - started
        for s in socks:
            s.close()
        assert proc.p.returncode == 0
        # Well under the 1 s goal when the machine is idle; the margin absorbs a loaded CI host.
        assert elapsed < 2.0
        proc.wait_for('Trapped "terminated" signal')


def test_cli_sighup_reloads_config(tmp_path: Path) -> None:
    conf = tmp_path / "server.conf"
    conf.write_text("max_payload: 1024\n")
    with pynatsd("-c", str(conf), "-a", "127.0.0.1", "-p", "-1") as proc:
        port = proc.port()
        proc.wait_for("Server is ready")
        conf.write_text("max_payload: 2048\ndebug: true\n")
        proc.p.send_signal(signal.SIGHUP)
        proc.wait_for("Reloaded server configuration")
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            info = json.loads(s.makefile("rb").readline()[5:])
        assert info["max_payload"] == 2048


def test_cli_signal_flag_with_pid_file(tmp_path: Path) -> None:
    pid_file = tmp_path / "srv.pid"
    with pynatsd("-a", "127.0.0.1", "-p", "-1", "-P", str(pid_file)) as proc:
        proc.wait_for("Server is ready")
        res = run("--signal", f"quit={pid_file}")
        assert res.returncode == 0, res.stderr
        proc.p.wait(5)
        proc.wait_for('Trapped "interrupt" signal')


def test_cli_sigusr1_reopens_log(tmp_path: Path) -> None:
    log = tmp_path / "srv.log"
    with pynatsd("-a", "127.0.0.1", "-p", "-1", "-l", str(log)) as proc:
        deadline = time.monotonic() + 10
        while "Server is ready" not in (log.read_text() if log.exists() else ""):
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.05)
        rotated = tmp_path / "srv.log.1"
        os.rename(log, rotated)
        proc.p.send_signal(signal.SIGUSR1)
        while "File log re-opened" not in (log.read_text() if log.exists() else ""):
            assert time.monotonic() < deadline, "log was not reopened"
            time.sleep(0.05)
        assert "Server is ready" in rotated.read_text()
