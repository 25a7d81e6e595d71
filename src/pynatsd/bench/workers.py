# Bench worker processes: the entry point, the handshake with the parent, publishers and subscribers.
#
# Each worker runs in its own process and talks to the parent over a Pipe: ("ready", info) once
# connected, then it waits for "go", works, and sends ("result", dict) or ("error", text). Progress
# and flow control go through shared counters (one int64 per worker) instead of messages, so the hot
# loops only do a store per socket read or write. A publisher never runs more than `window` messages
# ahead of its receivers: without that a Python receiver that is slower than the server would turn
# the run into a slow-consumer disconnect instead of a measurement.
#
# Receive loops parse frames by their byte count, one recv of up to 1 MiB at a time, and check each
# message's 8-byte key: in order per publisher for plain subscribers, exactly once across a queue
# group through per-publisher bitmaps merged by the parent.
from __future__ import annotations

import os
import socket
import struct
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, Final

from pynatsd.bench.wire import (
    KEY_LEN,
    PING,
    PONG,
    RECV_SIZE,
    SEQ_MASK,
    WireError,
    connect,
    read_until_pong,
    variants,
)

__all__ = [
    "DONE",
    "STOP",
    "Stopped",
    "Worker",
    "entry",
    "pack_key",
    "payload_bytes",
    "register",
    "unpack_key",
]

DONE: Final = 0
STOP: Final = 1
_BATCH_BYTES: Final = 256 << 10
_MAX_ERRORS: Final = 10
unpack_key = struct.Struct(">Q").unpack_from
pack_key = struct.Struct(">Q").pack

Role = Callable[["Worker"], dict[str, Any] | None]
_ROLES: dict[str, Role] = {}


class Stopped(Exception):
    pass


def register(name: str) -> Callable[[Role], Role]:
    def deco(fn: Role) -> Role:
        _ROLES[name] = fn
        return fn

    return deco


def cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system


class Worker:
    """One worker's view of the run: its config, the shared counters and its pipe to the parent."""

    def __init__(self, cfg: dict[str, Any], counts: Any, flags: Any, pipe: Connection) -> None:
        self.cfg = cfg
        self.counts = counts
        self.flags = flags
        self.pipe = pipe
        self.idx: int = cfg["idx"]
        self.url: str = cfg["url"]
        self.name = f"bench-{cfg['role']}-{self.idx}"
        self.cpu0 = 0.0
        self.deadline = time.monotonic() + 2 * cfg["timeout"] + 30.0

    def ready(self, **info: Any) -> None:
        """Report connected, then block until the parent says go."""
        self.pipe.send(("ready", info))
        if not self.pipe.poll(self.cfg["timeout"]):
            raise WireError("no go from the parent")
        msg = self.pipe.recv()
        if msg != "go":
            raise Stopped()
        self.cpu0 = cpu_seconds()
        self.deadline = time.monotonic() + self.cfg["timeout"] + 10.0

    def cpu(self) -> float:
        return cpu_seconds() - self.cpu0

    def stopped(self) -> bool:
        return bool(self.flags[STOP])

    def producers_done(self) -> bool:
        return bool(self.flags[DONE])

    def throttle(self) -> None:
        """Wait while the publishers are more than `window` messages ahead of the receivers."""
        window = self.cfg.get("window", 0)
        if not window:
            return
        counts, pubs, subs = self.counts, self.cfg["pub_idx"], self.cfg["sub_idx"]
        agg = sum if self.cfg.get("sub_agg") == "sum" else min
        while sum(counts[i] for i in pubs) - agg(counts[i] for i in subs) > window:
            if self.flags[STOP] or time.monotonic() > self.deadline:
                raise Stopped()
            time.sleep(0.0002)

    def recv(self, sock: socket.socket) -> bytes | None:
        """Up to 1 MiB, or None after a short idle wait (so flags get looked at). A worker whose parent
        went away without a word still ends: past its own deadline it stops."""
        try:
            chunk = sock.recv(RECV_SIZE)
        except TimeoutError:
            if time.monotonic() > self.deadline:
                raise Stopped() from None
            return None
        if not chunk:
            raise WireError("connection closed by the server")
        return chunk


def entry(cfg: dict[str, Any], counts: Any, flags: Any, pipe: Connection) -> None:
    """Process target: run one role and report its result or its failure."""
    from pynatsd.bench import reqworkers  # registers its roles

    del reqworkers
    w = Worker(cfg, counts, flags, pipe)
    try:
        result = _ROLES[cfg["role"]](w)
        if result is not None:
            result["cpu_s"] = w.cpu()
            pipe.send(("result", result))
    except Stopped:
        pipe.send(("error", f"{w.name}: stopped"))
    except (WireError, OSError) as e:
        pipe.send(("error", f"{w.name}: {e}"))
    except Exception as e:  # a corrupt frame or key must end up in the report, whatever it broke
        pipe.send(("error", f"{w.name}: {type(e).__name__}: {e}"))
    finally:
        pipe.close()


def _pub_frames(cfg: dict[str, Any]) -> list[tuple[bytes, bytes, int]]:
    """(PUB line, filler + CRLF, payload length) per payload variant."""
    subjects = [s.encode() for s in cfg["subjects"]]
    out = []
    for subj, fill in variants(subjects, cfg["size"], cfg["varied"], cfg["seed"]):
        n = KEY_LEN + len(fill)
        out.append((b"PUB %b %d\r\n" % (subj, n), fill + b"\r\n", n))
    return out


def payload_bytes(sizes: list[int], n: int) -> int:
    """Payload bytes of messages 0..n-1 cycling through `sizes`."""
    full, part = divmod(n, len(sizes))
    return full * sum(sizes) + sum(sizes[:part])


@register("pub")
def publisher(w: Worker) -> dict[str, Any]:
    cfg = w.cfg
    sock = connect(w.url, w.name)
    frames = _pub_frames(cfg)
    pairs = [(pre, suf) for pre, suf, _ in frames]
    nv, n, base = len(pairs), cfg["msgs"], cfg["pub_id"] << 48
    avg = sum(len(p) + len(s) + KEY_LEN for p, s in pairs) // nv
    per_batch = max(1, min(4096, _BATCH_BYTES // avg))
    counts, idx, pack = w.counts, w.idx, pack_key
    w.ready()
    t0 = time.perf_counter()
    sent = 0
    while sent < n:
        w.throttle()
        hi = min(n, sent + per_batch)
        parts: list[bytes] = []
        for i in range(sent, hi):
            pre, suf = pairs[i % nv]
            parts += (pre, pack(base | i), suf)
        sock.sendall(b"".join(parts))
        sent = counts[idx] = hi
    sock.sendall(PING)
    sock.settimeout(max(1.0, cfg["timeout"]))
    read_until_pong(sock, cfg["timeout"])
    t1 = time.perf_counter()
    sock.close()
    return {"t0": t0, "t1": t1, "msgs": n, "bytes": payload_bytes([f[2] for f in frames], n)}


def _scan(d: bytes, nxt: list[int], marks: list[bytearray] | None, st: list[int], errs: list[str]) -> int:
    """Check every complete MSG in d; st is [msgs, bytes, anomalies, pings, pongs]. Returns the end."""
    find, rfind, unpack = d.find, d.rfind, unpack_key
    pos, ln = 0, len(d)
    msgs = nbytes = bad = 0
    while True:
        eol = find(b"\r\n", pos)
        if eol < 0:
            break
        if d[pos] != 77:  # not an 'M'
            _control(d[pos:eol], st)
            pos = eol + 2
            continue
        start = eol + 2
        size = int(d[rfind(b" ", pos, eol) : eol])
        if start + size + 2 > ln:
            break
        if size < KEY_LEN:
            raise WireError(f"payload of {size} bytes has no sequence key")
        v = unpack(d, start)[0]
        p = v >> 48
        if marks is None:
            if v != nxt[p]:
                bad += 1
                if len(errs) < _MAX_ERRORS:
                    errs.append(f"publisher {p}: got seq {v & SEQ_MASK}, expected {nxt[p] & SEQ_MASK}")
                if v < nxt[p]:
                    v = nxt[p] - 1
        else:
            if v < nxt[p]:
                bad += 1
                if len(errs) < _MAX_ERRORS:
                    errs.append(f"publisher {p}: seq {v & SEQ_MASK} after {(nxt[p] - 1) & SEQ_MASK}")
            marks[p][v & SEQ_MASK] += 1
        nxt[p] = v + 1
        msgs += 1
        nbytes += size
        pos = start + size + 2
    st[0] += msgs
    st[1] += nbytes
    st[2] += bad
    return pos


def _control(line: bytes, st: list[int]) -> None:
    if line.startswith(b"PING"):
        st[3] += 1
    elif line.startswith(b"PONG"):
        st[4] += 1
    elif line.startswith(b"-ERR"):
        raise WireError(f"server error: {line[5:].decode(errors='replace')}")
    elif line.startswith(b"HMSG"):
        raise WireError("unexpected message with headers")


@register("sub")
def subscriber(w: Worker) -> dict[str, Any]:
    cfg = w.cfg
    subj, queue = cfg["subject"].encode(), cfg.get("queue", "").encode()
    sock = connect(w.url, w.name, b"SUB %b %b 1\r\n" % (subj, queue) if queue else b"SUB %b 1\r\n" % subj)
    npubs, per_pub = cfg["pubs"], cfg["msgs"]
    nxt = [p << 48 for p in range(npubs)]
    marks = [bytearray(per_pub) for _ in range(npubs)] if queue else None
    group, expect = cfg["sub_idx"], cfg["expect"]
    st, errs = [0, 0, 0, 0, 0], list[str]()
    w.ready()
    sock.settimeout(0.05)
    rest, t_first, t_last, pinged = b"", 0.0, 0.0, False
    while True:
        chunk = w.recv(sock)
        if chunk is not None:
            t, before = time.perf_counter(), st[0]
            data = rest + chunk if rest else chunk
            rest = data[_scan(data, nxt, marks, st, errs) :]
            if st[0] != before:
                t_first, t_last = t_first or t, t
                w.counts[w.idx] = st[0]
            if st[3]:
                sock.sendall(PONG * st[3])
                st[3] = 0
        got = sum(w.counts[i] for i in group) if queue else st[0]
        if got >= expect or st[4] or w.stopped():
            break
        if w.producers_done() and not pinged:
            sock.sendall(PING)
            pinged = True
    sock.close()
    res: dict[str, Any] = {"t0": t_first, "t1": t_last, "msgs": st[0], "bytes": st[1], "anomalies": st[2]}
    res.update(errors=errs, next=[v & SEQ_MASK for v in nxt])
    if marks is not None:
        res["marks"] = [bytes(m) for m in marks]
    return res
