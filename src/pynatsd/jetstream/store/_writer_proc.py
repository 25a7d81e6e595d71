# The store writer process (see _host for why and for the protocol): one thread per store socket
# reads batches and hands them to a `Writer`, which commits and answers. Run by `WriterHost` as
# `python -m pynatsd.jetstream.store._writer_proc <control fd>`.
from __future__ import annotations

import os
import signal
import socket
import sys
import threading
from pathlib import Path
from typing import Any

from ._host import CLOSED, FRAME, decode, frame
from ._sqlio import store_error
from ._writer import Writer
from .base import StoreCorrupt, StoreError

__all__ = ["main"]


def _read_frame(sock: socket.socket) -> Any:
    """The next decoded frame, or None at the end of the stream."""
    head = _read_exact(sock, FRAME.size)
    if head is None:
        return None
    body = _read_exact(sock, FRAME.unpack(head)[0])
    return None if body is None else decode(body)


def _read_exact(sock: socket.socket, n: int) -> bytes | None:
    parts: list[bytes] = []
    while n:
        chunk = sock.recv(min(n, 1 << 20))
        if not chunk:
            return None
        parts.append(chunk)
        n -= len(chunk)
    return b"".join(parts)


def _error(exc: BaseException, what: str) -> list[Any]:
    err = exc if isinstance(exc, StoreError) else store_error(exc, what)
    return [2 if isinstance(err, StoreCorrupt) else 1, str(err)]


def _serve_store(sock: socket.socket) -> None:
    """Serve one store's socket: batches in, answers out (see the protocol above)."""
    lock = threading.Lock()

    def answer(obj: Any) -> None:
        with lock:
            sock.sendall(frame(obj))

    try:
        hello = _read_frame(sock)
        if hello is None:
            return
        holder: list[Writer] = []

        def on_commit() -> None:
            w = holder[0]
            try:
                answer(_error(w.error, "write failed") if w.error is not None else [0, w.committed])
            except OSError:
                pass

        try:
            holder.append(Writer(Path(hello[0]), on_commit, sync_interval=hello[1], max_db_bytes=hello[2]))
        except Exception as exc:
            answer(_error(exc, "cannot open the store for writing"))
            return
        answer([0, 0])
        writer = holder[0]
        while (request := _read_frame(sock)) is not None and not isinstance(request[0], str):
            writer.submit(request[0], request[1])
        writer.close()
        answer([CLOSED])
    except OSError:
        pass
    finally:
        sock.close()


def main(argv: list[str]) -> None:
    # Signals are for the server: it closes its stores, and this process, in its own time.
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2):
        signal.signal(sig, signal.SIG_IGN)
    ctrl = socket.socket(fileno=int(argv[0]))
    while True:
        try:
            msg, fds, _, _ = socket.recv_fds(ctrl, 16, 8)
        except OSError:
            break
        if not msg and not fds:
            break
        for fd in fds:
            threading.Thread(target=_serve_store, args=(socket.socket(fileno=fd),), daemon=True).start()
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv[1:])
