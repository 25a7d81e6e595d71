# The NATS client protocol as the bench workers speak it: blocking sockets, no client library.
#
# Every message a bench publishes starts with an 8-byte big-endian key, (publisher id << 48) | seq, so
# a receiver can check exactly-once and per-publisher order by reading 8 bytes per frame. Receivers
# walk frames by the byte count at the end of the MSG/HMSG line and never look inside payloads, so a
# payload may hold any bytes. The hot receive loops live in the workers; this module has the slow
# paths (handshake, PONG waits, frame walking for control traffic) and the payload variants.
from __future__ import annotations

import json
import random
import socket
import time
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import unquote, urlsplit

__all__ = [
    "KEY_LEN",
    "Frame",
    "WireError",
    "connect",
    "parse_frames",
    "parse_url",
    "read_until_pong",
    "subject_tokens",
    "variants",
]

KEY_LEN: Final = 8
SEQ_MASK: Final = (1 << 48) - 1
RECV_SIZE: Final = 1 << 20
SOCK_BUF: Final = 4 << 20
PING: Final = b"PING\r\n"
PONG: Final = b"PONG\r\n"

_VARIANTS: Final = 61


class WireError(Exception):
    pass


@dataclass
class Frame:
    """One server frame: op is MSG, HMSG, PING, PONG, INFO, +OK or -ERR."""

    op: bytes
    args: list[bytes] = field(default_factory=list)
    headers: bytes = b""
    payload: bytes = b""

    @property
    def status(self) -> int:
        """The status code of an HMSG status message (503 no responders, 408 timeout ...), else 0."""
        if not self.headers.startswith(b"NATS/1.0 "):
            return 0
        code = self.headers[9:12]
        return int(code) if code.isdigit() else 0


def parse_url(url: str) -> tuple[str, int]:
    if "://" not in url:
        url = "nats://" + url
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 4222


def url_credentials(url: str) -> dict[str, str]:
    """CONNECT fields for a `nats://user:password@host:port` URL."""
    parts = urlsplit(url if "://" in url else "nats://" + url)
    if not parts.username:
        return {}
    return {"user": unquote(parts.username), "pass": unquote(parts.password or "")}


def parse_frames(data: bytes, pos: int = 0) -> tuple[list[Frame], int]:
    """Every complete frame in data[pos:], and the offset of the first incomplete one."""
    frames: list[Frame] = []
    n = len(data)
    while True:
        eol = data.find(b"\r\n", pos)
        if eol < 0:
            return frames, pos
        line = data[pos:eol]
        op, _, rest = line.partition(b" ")
        op = op.upper()
        if op in (b"MSG", b"HMSG"):
            args = rest.split()
            total = int(args[-1])
            end = eol + 2 + total
            if end + 2 > n:
                return frames, pos
            body = data[eol + 2 : end]
            hlen = int(args[-2]) if op == b"HMSG" else 0
            frames.append(Frame(op, args, body[:hlen], body[hlen:]))
            pos = end + 2
            continue
        frames.append(Frame(op, [rest] if rest else []))
        pos = eol + 2


def _recv(sock: socket.socket, deadline: float) -> bytes:
    left = deadline - time.monotonic()
    if left <= 0:
        raise WireError("timed out waiting for the server")
    sock.settimeout(left)
    try:
        chunk = sock.recv(RECV_SIZE)
    except TimeoutError:
        raise WireError("timed out waiting for the server") from None
    if not chunk:
        raise WireError("connection closed by the server")
    return chunk


def read_until_pong(sock: socket.socket, timeout: float, data: bytes = b"") -> list[Frame]:
    """The frames before the next PONG; answers PINGs, raises on -ERR. What follows the PONG (an async
    INFO after CONNECT, say) is dropped: callers wait for a PONG only when nothing else is due."""
    deadline = time.monotonic() + timeout
    seen: list[Frame] = []
    while True:
        frames, pos = parse_frames(data)
        for f in frames:
            if f.op == b"-ERR":
                raise WireError(f"server error: {b' '.join(f.args).decode(errors='replace')}")
            if f.op == b"PING":
                sock.sendall(PONG)
            if f.op == b"PONG":
                return seen
            seen.append(f)
        data = data[pos:] + _recv(sock, deadline)


def connect(url: str, name: str, setup: bytes = b"", timeout: float = 10.0) -> socket.socket:
    """A connected socket: INFO read, CONNECT and `setup` (SUBs ...) sent and confirmed by a PONG."""
    host, port = parse_url(url)
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except OSError as e:
        raise WireError(f"cannot connect to {host}:{port}: {e}") from None
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SOCK_BUF)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SOCK_BUF)
    deadline = time.monotonic() + timeout
    data = b""
    while b"\r\n" not in data:
        data += _recv(sock, deadline)
    if not data.startswith(b"INFO "):
        sock.close()
        raise WireError(f"expected INFO, got {data[:40]!r}")
    opts = {
        "verbose": False,
        "pedantic": False,
        "name": name,
        "lang": "python-bench",
        "version": "1",
        "protocol": 1,
        "headers": True,
        "no_responders": True,
        **url_credentials(url),
    }
    hello = b"CONNECT " + json.dumps(opts, separators=(",", ":")).encode() + b"\r\n"
    sock.sendall(hello + setup + PING)
    try:
        read_until_pong(sock, timeout, data[data.index(b"\r\n") + 2 :])
    except WireError:
        sock.close()
        raise
    sock.settimeout(None)
    return sock


def variants(subjects: list[bytes], size: int, varied: bool, seed: int) -> list[tuple[bytes, bytes]]:
    """(subject, filler) pairs to cycle through; a payload is the 8-byte key followed by the filler.

    Varied: sizes jittered by +-25% around `size`, different bytes in each, subjects taken in turn, so
    consecutive messages differ the way real traffic does. The cycle length is prime, so subject and
    size combinations rotate too.
    """
    if not varied:
        return [(subjects[0], b"x" * max(0, size - KEY_LEN))]
    rnd = random.Random(seed)
    out: list[tuple[bytes, bytes]] = []
    for k in range(_VARIANTS):
        n = max(KEY_LEN, round(size * rnd.uniform(0.75, 1.25)))
        out.append((subjects[k % len(subjects)], rnd.randbytes(n - KEY_LEN)))
    return out


def subject_tokens(varied: bool) -> list[str]:
    """Subject tails under a bench prefix: several depths and lengths when varied, else one."""
    if not varied:
        return ["msgs"]
    return [
        "orders.created",
        "metrics",
        "orders.eu.shipped",
        "users.4711.profile.updated",
        "events",
        "metrics.cpu.load",
        "logs.app.web.error",
        "x",
    ]
