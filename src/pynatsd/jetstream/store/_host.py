# The store writer process: where a server's file stores run their SQLite writes.
#
# Why a process: a commit is mostly SQLite work (binding rows, B-tree inserts, the fsync), and in
# a thread of the server it competes with the event loop for the interpreter lock, so publishing
# and writing take turns instead of overlapping. In a process of its own that work runs on another
# core. The server side (`RemoteWriter`) needs no thread: the event loop writes each batch to a
# socket and reads the answers, so nothing waits for the lock.
#
# Protocol. The server starts one process lazily (`WriterHost`) and keeps a SOCK_SEQPACKET control
# socket to it. For each store it makes a socket pair and passes one end over the control socket;
# the process serves that socket with a `Writer` (see _writer) of its own. Frames are msgpack,
# length-prefixed. A hello [path, sync_interval, max_db_bytes] opens the database and is answered
# [0, 0]; then [generation, ops] batches, answered [0, generation] once that generation and all
# before it are durable (batches that queue up while a commit runs share the next one), or
# [1|2, message] once a commit failed (2: the database is damaged), after which nothing more is
# written; ["close"] commits what is queued and is answered [3]. When the server goes away (exit or
# kill -9) the control socket reaches its end and the process exits; an unfinished transaction is
# rolled back by SQLite as after any crash.
from __future__ import annotations

import asyncio
import os
import socket
import struct
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import msgspec

from ._sqlio import Op
from .base import StoreCorrupt, StoreError, WriterLost

__all__ = ["CLOSED", "FRAME", "RemoteWriter", "WriterHost", "decode", "frame"]

FRAME: Final = struct.Struct(">I")
_encode = msgspec.msgpack.Encoder().encode
decode = msgspec.msgpack.Decoder().decode
_PACKAGE_ROOT: Final = str(Path(__file__).resolve().parents[3])
CLOSED: Final = 3
_PROCESS_MODULE: Final = "pynatsd.jetstream.store._writer_proc"
_SOCKET_BUFFER: Final = 4 << 20


class WriterHost:
    """One store writer process, shared by the file stores of a server."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._ctrl: socket.socket | None = None

    def open_writer(
        self,
        path: Path,
        on_commit: Callable[[], None],
        loop: asyncio.AbstractEventLoop,
        *,
        sync_interval: float | None,
        max_db_bytes: int | None,
    ) -> RemoteWriter:
        """The writer of the store at `path`, served by the process; `on_commit` runs on `loop`.

        Raises:
            WriterLost: the process cannot be started or reached.
            StoreError: it cannot open the database.
        """
        ours, theirs = socket.socketpair()
        try:
            with self._lock:
                socket.send_fds(self._control(), [b"S"], [theirs.fileno()])
        except OSError as exc:
            ours.close()
            raise WriterLost(f"cannot reach the store writer process: {exc}") from None
        finally:
            theirs.close()
        return RemoteWriter(ours, [str(path), sync_interval, max_db_bytes], loop, on_commit)

    def close(self) -> None:
        """Stop the process; every store using it must be closed first."""
        with self._lock:
            ctrl, proc = self._ctrl, self._proc
            self._ctrl = self._proc = None
        if ctrl is not None:
            ctrl.close()
        if proc is not None:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def _control(self) -> socket.socket:
        if self._ctrl is not None and self._proc is not None and self._proc.poll() is None:
            return self._ctrl
        if self._ctrl is not None:
            self._ctrl.close()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_PACKAGE_ROOT, env.get("PYTHONPATH")) if p)
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", _PROCESS_MODULE, str(theirs.fileno())],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                env=env,
            )
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        self._ctrl = ours
        return ours


class RemoteWriter:
    """A store's writer in the store writer process, driven by the event loop (see Writer for the
    interface: submit, committed, error, wait, close)."""

    def __init__(
        self,
        sock: socket.socket,
        hello: list[Any],
        loop: asyncio.AbstractEventLoop,
        on_commit: Callable[[], None],
    ) -> None:
        self.committed = 0
        self.error: StoreError | None = None
        self._sock = sock
        self._fd = sock.fileno()
        self._loop = loop
        self._on_commit = on_commit
        self._out = bytearray()
        self._in = bytearray()
        self._writing = False
        self._open = False
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, _SOCKET_BUFFER)
            self._out += frame(hello)
            self._exchange(lambda: self.error is not None or self._open)
        except BaseException:
            sock.close()
            raise
        if self.error is not None:
            sock.close()
            raise self.error
        sock.setblocking(False)
        loop.add_reader(self._fd, self._on_readable)

    def submit(self, gen: int, ops: list[Op]) -> None:
        """Send batch `gen`; the answer comes through the event loop."""
        if self._sock.fileno() < 0:
            return
        self._out += frame([gen, ops])
        if not self._writing:
            self._flush_out()

    def wait(self, gen: int, timeout: float | None = None) -> bool:
        """Block until batch `gen` is committed or the writer failed; True if committed."""
        if self.error is None and self.committed < gen:
            self._exchange(lambda: self.error is not None or self.committed >= gen, timeout)
        return self.committed >= gen

    def close(self) -> None:
        """Commit what was sent, then let the process close the database."""
        if self._sock.fileno() < 0:
            return
        self._loop.remove_reader(self._fd)
        self._loop.remove_writer(self._fd)
        self._out += frame(["close"])
        try:
            self._exchange(lambda: self._sock.fileno() < 0 or not self._open)
        except StoreError:
            pass
        self._sock.close()

    # -- I/O ------------------------------------------------------------------------------------

    def _flush_out(self) -> None:
        try:
            sent = self._sock.send(self._out)
        except BlockingIOError:
            sent = 0
        except OSError as exc:
            self._fail(WriterLost(f"the store writer process is unreachable: {exc}"))
            return
        del self._out[:sent]
        if self._out and not self._writing:
            self._writing = True
            self._loop.add_writer(self._fd, self._on_writable)

    def _on_writable(self) -> None:
        self._writing = False
        self._loop.remove_writer(self._fd)
        if self._out:
            self._flush_out()

    def _on_readable(self) -> None:
        try:
            data = self._sock.recv(1 << 16)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._fail(WriterLost("the store writer process exited"))
            return
        self._in += data
        self._take_answers()

    def _exchange(self, done: Callable[[], bool], timeout: float | None = None) -> None:
        """Send what is queued and read answers, blocking, until `done()`."""
        sock = self._sock
        sock.settimeout(timeout)
        try:
            if self._out:
                sock.sendall(self._out)
                self._out.clear()
            while not done():
                data = sock.recv(1 << 16)
                if not data:
                    self._fail(WriterLost("the store writer process exited"))
                    return
                self._in += data
                self._take_answers()
        except TimeoutError:
            pass
        except OSError as exc:
            self._fail(WriterLost(f"the store writer process is unreachable: {exc}"))
        finally:
            if sock.fileno() >= 0:
                sock.setblocking(False)

    def _take_answers(self) -> None:
        buf = self._in
        at = 0
        changed = False
        while len(buf) - at >= FRAME.size:
            (size,) = FRAME.unpack_from(buf, at)
            if len(buf) - at - FRAME.size < size:
                break
            answer = decode(bytes(buf[at + FRAME.size : at + FRAME.size + size]))
            at += FRAME.size + size
            changed = True
            self._answer(answer)
        del buf[:at]
        if changed and self._open:
            self._on_commit()

    def _answer(self, answer: list[Any]) -> None:
        kind = answer[0]
        if kind == 0:
            self._open = True
            self.committed = max(self.committed, answer[1])
        elif kind == CLOSED:
            self._open = False
        elif self.error is None:
            self.error = (StoreCorrupt if kind == 2 else StoreError)(answer[1])

    def _fail(self, exc: StoreError) -> None:
        if self.error is None:
            self.error = exc
        self._loop.remove_reader(self._fd)
        self._loop.remove_writer(self._fd)
        self._writing = False
        self._sock.close()
        self._open = False
        self._on_commit()


def frame(obj: Any) -> bytes:
    """One length-prefixed msgpack frame of the protocol."""
    payload = _encode(obj)
    return FRAME.pack(len(payload)) + payload
