# Bench workers that wait for answers: requester (request/reply and JetStream publish), responder,
# pull-consumer fetcher, and the idle-connection holder.
#
# A request's reply subject ends in its index (`_INBOX.<run>.<pub>.<i>`), so a reply, a PubAck, or a
# status message says which request it answers without any state on the wire. The requester keeps
# `inflight` requests outstanding: each reply read frees a slot, and the freed slots are refilled in
# one sendall per socket read. Latency is the time from that sendall to the read that brought the
# reply. The fetcher keeps up to two batches asked for and not yet received and acks every message
# with +ACK, all in one sendall per read. The holder opens idle connections in small waves, so that
# a server's listen backlog is not what gets measured, and keeps them until the parent releases it.
from __future__ import annotations

import resource
import socket
import time
from array import array
from typing import Any, Final

from pynatsd.bench.wire import (
    KEY_LEN,
    PING,
    PONG,
    SEQ_MASK,
    WireError,
    connect,
    parse_url,
    read_until_pong,
    variants,
)
from pynatsd.bench.workers import Stopped, Worker, pack_key, payload_bytes, register, unpack_key

__all__ = ["fetcher", "holder", "requester", "responder"]

_MAX_ERRORS: Final = 10
_WAVE: Final = 25


def _req_frames(cfg: dict[str, Any], inbox: bytes) -> list[tuple[bytes, bytes, bytes]]:
    subjects = [s.encode() for s in cfg["subjects"]]
    return [
        (b"PUB %b %b" % (subj, inbox), b" %d\r\n" % (KEY_LEN + len(fill)), fill + b"\r\n")
        for subj, fill in variants(subjects, cfg["size"], cfg["varied"], cfg["seed"])
    ]


def _send_reqs(
    sock: socket.socket,
    frames: list[tuple[bytes, bytes, bytes]],
    lo: int,
    hi: int,
    sent_at: list[float],
    base: int,
) -> int:
    parts: list[bytes] = []
    nv, pack = len(frames), pack_key
    for i in range(lo, hi):
        pre, mid, suf = frames[i % nv]
        parts += (pre, b"%d" % i, mid, pack(base | i), suf)
    data = b"".join(parts)
    t = time.perf_counter()
    sent_at[lo:hi] = [t] * (hi - lo)
    sock.sendall(data)
    return hi


class _Replies:
    """What a requester has seen: per-request flags, latencies, and the first problems."""

    def __init__(self, n: int, base: int, jsack: bool) -> None:
        self.seen = bytearray(n)
        self.sent_at = [0.0] * n
        self.lat = array("d")
        self.base, self.jsack = base, jsack
        self.got = self.dups = self.bad = self.pings = 0
        self.errors: list[str] = []

    def error(self, text: str) -> None:
        self.bad += 1
        if len(self.errors) < _MAX_ERRORS:
            self.errors.append(text)

    def scan(self, d: bytes, t: float) -> tuple[int, int]:
        """Account every complete reply in d (read at time t); returns (end, replies that freed a slot)."""
        find, pos, ln, freed = d.find, 0, len(d), 0
        seen, sent_at, lat = self.seen, self.sent_at, self.lat
        while True:
            eol = find(b"\r\n", pos)
            if eol < 0:
                break
            if d[pos] not in b"MH":
                self._control(d[pos:eol])
                pos = eol + 2
                continue
            args = d[pos:eol].split(b" ")
            start = eol + 2
            end = start + int(args[-1])
            if end + 2 > ln:
                break
            pos = end + 2
            subj = args[1]
            i = int(subj[subj.rfind(b".") + 1 :])
            if args[0] == b"HMSG":
                self._status(d[start : start + int(args[-2])], subj)
            if seen[i]:
                self.dups += 1
                continue
            seen[i] = 1
            lat.append(t - sent_at[i])
            freed += 1
            self._check(d, start, end, i)
        self.got += freed
        return pos, freed

    def _check(self, d: bytes, start: int, end: int, i: int) -> None:
        if self.jsack:
            if d.find(b'"error"', start, end) >= 0 or d.find(b'"seq"', start, end) < 0:
                self.error(f"request {i}: {d[start:end][:200].decode(errors='replace')}")
        elif end - start < KEY_LEN or unpack_key(d, start)[0] != self.base | i:
            self.error(f"request {i}: reply payload does not echo the request")

    def _status(self, hdr: bytes, subj: bytes) -> None:
        if hdr.startswith(b"NATS/1.0 503"):
            what = "JetStream" if self.jsack else "a responder"
            raise WireError(f"no {what}: no responders")
        raise WireError(f"status reply {hdr[:40]!r} on {subj.decode()}")

    def _control(self, line: bytes) -> None:
        if line.startswith(b"PING"):
            self.pings += 1
        elif line.startswith(b"-ERR"):
            raise WireError(f"server error: {line[5:].decode(errors='replace')}")


@register("req")
def requester(w: Worker) -> dict[str, Any]:
    cfg = w.cfg
    inbox = cfg["inbox"].encode()
    sock = connect(w.url, w.name, b"SUB %b* 1\r\n" % inbox)
    frames = _req_frames(cfg, inbox)
    n, inflight = cfg["msgs"], cfg["inflight"]
    r = _Replies(n, cfg["pub_id"] << 48, cfg["mode"] == "jsack")
    w.ready()
    sock.settimeout(0.05)
    t0 = t_last = time.perf_counter()
    sent = _send_reqs(sock, frames, 0, min(inflight, n), r.sent_at, r.base)
    rest = b""
    while r.got < n:
        chunk = w.recv(sock)
        if chunk is None:
            if w.stopped():
                raise Stopped()
            continue
        t = time.perf_counter()
        data = rest + chunk if rest else chunk
        pos, freed = r.scan(data, t)
        rest = data[pos:]
        if r.pings:
            sock.sendall(PONG * r.pings)
            r.pings = 0
        if freed:
            t_last = t
            w.counts[w.idx] = r.got
            if sent < n:
                sent = _send_reqs(sock, frames, sent, min(n, sent + freed), r.sent_at, r.base)
    sock.close()
    sizes = [KEY_LEN + len(f[2]) - 2 for f in frames]
    res: dict[str, Any] = {"t0": t0, "t1": t_last, "msgs": r.got, "bytes": payload_bytes(sizes, n)}
    res.update(dups=r.dups, anomalies=r.bad, errors=r.errors, lat=r.lat.tobytes())
    return res


def _echo(d: bytes, out: list[bytes], st: list[int]) -> int:
    """Queue a reply echoing each complete request in d; st is [requests, pings]. Returns the end."""
    find, pos, ln = d.find, 0, len(d)
    while True:
        eol = find(b"\r\n", pos)
        if eol < 0:
            return pos
        if d[pos] != 77:
            line = d[pos:eol]
            if line.startswith(b"PING"):
                st[1] += 1
            elif line.startswith(b"-ERR"):
                raise WireError(f"server error: {line[5:].decode(errors='replace')}")
            pos = eol + 2
            continue
        args = d[pos + 4 : eol].split(b" ")
        start = eol + 2
        end = start + int(args[-1]) + 2
        if end > ln:
            return pos
        if len(args) != 4:
            raise WireError("request without a reply subject")
        out += (b"PUB ", args[2], b" ", args[3], b"\r\n", d[start:end])
        st[0] += 1
        pos = end


@register("rep")
def responder(w: Worker) -> dict[str, Any]:
    cfg = w.cfg
    subj, queue = cfg["subject"].encode(), cfg.get("queue", "").encode()
    sock = connect(w.url, w.name, b"SUB %b %b 1\r\n" % (subj, queue) if queue else b"SUB %b 1\r\n" % subj)
    group, expect = cfg["sub_idx"], cfg["expect"]
    st = [0, 0]
    w.ready()
    sock.settimeout(0.05)
    rest = b""
    while sum(w.counts[i] for i in group) < expect and not w.producers_done() and not w.stopped():
        chunk = w.recv(sock)
        if chunk is None:
            continue
        data = rest + chunk if rest else chunk
        out: list[bytes] = []
        rest = data[_echo(data, out, st) :]
        if st[1]:
            out.append(PONG * st[1])
            st[1] = 0
        if out:
            sock.sendall(b"".join(out))
        w.counts[w.idx] = st[0]
    sock.close()
    return {"msgs": st[0]}


class _Pulls:
    """A fetcher's pull requests. Messages of a pull arrive under their original subject, so they
    cannot be told apart by pull: the fetcher tracks only the total still asked for, and a pull that
    ends early (timeout, no messages) says in Nats-Pending-Messages how much of it went unfilled."""

    def __init__(self, cfg: dict[str, Any], inbox: bytes) -> None:
        stream, consumer = cfg["stream"].encode(), cfg["consumer"].encode()
        self.next_subj = b"$JS.API.CONSUMER.MSG.NEXT.%b.%b" % (stream, consumer)
        self.inbox, self.batch, self.total = inbox, cfg["batch"], cfg["msgs"]
        self.expires = int(cfg.get("expires", 5.0) * 1e9)
        self.sizes: dict[int, int] = {}
        self.requested = self.received = self.k = 0

    def refill(self, out: list[bytes]) -> None:
        """Keep up to two batches asked for and not yet received."""
        while self.requested - self.received < 2 * self.batch and self.requested < self.total:
            b = min(self.batch, self.total - self.requested)
            self.k += 1
            self.sizes[self.k] = b
            self.requested += b
            body = b'{"batch":%d,"expires":%d}' % (b, self.expires)
            out.append(b"PUB %b %b%d %d\r\n%b\r\n" % (self.next_subj, self.inbox, self.k, len(body), body))

    def ended(self, subj: bytes, hdr: bytes) -> None:
        k = int(subj[subj.rfind(b".") + 1 :])
        size = self.sizes.pop(k, 0)
        at = hdr.find(b"Nats-Pending-Messages:")
        left = int(hdr[at + 22 : hdr.index(b"\r\n", at)]) if at >= 0 else size
        self.requested -= min(left, self.requested - self.received)


def _fetch_scan(d: bytes, pulls: _Pulls, marks: list[bytearray], out: list[bytes], st: list[int]) -> int:
    """Mark and ack every message in d, end pulls on status messages; st is [msgs, bytes, pings]."""
    find, pos, ln = d.find, 0, len(d)
    while True:
        eol = find(b"\r\n", pos)
        if eol < 0:
            return pos
        if d[pos] not in b"MH":
            line = d[pos:eol]
            if line.startswith(b"PING"):
                st[2] += 1
            elif line.startswith(b"-ERR"):
                raise WireError(f"server error: {line[5:].decode(errors='replace')}")
            pos = eol + 2
            continue
        args = d[pos:eol].split(b" ")
        start = eol + 2
        end = start + int(args[-1])
        if end + 2 > ln:
            return pos
        pos = end + 2
        if args[0] == b"HMSG":
            hdr = d[start : start + int(args[-2])]
            if len(args) == 6:
                raise WireError("unexpected stream message with headers")
            if hdr.startswith(b"NATS/1.0 503"):
                raise WireError("no JetStream: no responders")
            pulls.ended(args[1], hdr)
            continue
        if end - start < KEY_LEN or len(args) != 5:
            raise WireError("stream message without a sequence key or an ack subject")
        v = unpack_key(d, start)[0]
        marks[v >> 48][v & SEQ_MASK] += 1
        out += (b"PUB ", args[3], b" 4\r\n+ACK\r\n")
        st[0] += 1
        st[1] += end - start
        pulls.received += 1


@register("fetch")
def fetcher(w: Worker) -> dict[str, Any]:
    cfg = w.cfg
    inbox = cfg["inbox"].encode()
    sock = connect(w.url, w.name, b"SUB %b* 1\r\n" % inbox)
    pulls = _Pulls(cfg, inbox)
    marks = [bytearray(cfg["per_pub"]) for _ in range(cfg["pubs"])]
    st = [0, 0, 0]
    w.ready()
    sock.settimeout(0.05)
    t0 = t_last = time.perf_counter()
    out: list[bytes] = []
    pulls.refill(out)
    sock.sendall(b"".join(out))
    rest = b""
    while st[0] < pulls.total:
        chunk = w.recv(sock)
        if chunk is None:
            if w.stopped():
                raise Stopped()
            continue
        t, before = time.perf_counter(), st[0]
        data = rest + chunk if rest else chunk
        out = []
        rest = data[_fetch_scan(data, pulls, marks, out, st) :]
        if st[0] != before:
            t_last = t
        if st[2]:
            out.append(PONG * st[2])
            st[2] = 0
        pulls.refill(out)
        if out:
            sock.sendall(b"".join(out))
        w.counts[w.idx] = st[0]
    sock.sendall(PING)
    read_until_pong(sock, cfg["timeout"], rest)
    sock.close()
    return {"t0": t0, "t1": t_last, "msgs": st[0], "bytes": st[1], "marks": [bytes(m) for m in marks]}


def _raise_nofile(need: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if need + 64 > hard:
        raise WireError(f"{need} connections need more open files than the limit of {hard}")


def _open_wave(host: str, port: int, run: bytes, ids: range, nsubs: int) -> list[socket.socket]:
    """Open connections with CONNECT, their SUBs and a PING sent at once; then wait for every PONG."""
    hello = b'CONNECT {"verbose":false,"pedantic":false,"protocol":1,"name":"bench-idle"}\r\n'
    socks: list[socket.socket] = []
    try:
        for c in ids:
            s = socket.create_connection((host, port), timeout=10.0)
            socks.append(s)
            subs = b"".join(b"SUB bench.%b.c.%d.%d %d\r\n" % (run, c, j, j + 1) for j in range(nsubs))
            s.sendall(hello + subs + PING)
        for s in socks:
            read_until_pong(s, 10.0)
    except BaseException:
        for s in socks:
            s.close()
        raise
    return socks


@register("hold")
def holder(w: Worker) -> dict[str, Any] | None:
    """Reports once every connection is up, keeps them open until the parent releases it."""
    cfg = w.cfg
    first, n, nsubs = cfg["first"], cfg["conns"], cfg["subs_per_conn"]
    _raise_nofile(n)
    host, port = parse_url(w.url)
    w.ready()
    t0 = time.perf_counter()
    socks: list[socket.socket] = []
    try:
        for lo in range(first, first + n, _WAVE):
            if w.stopped():
                raise Stopped()
            socks += _open_wave(host, port, cfg["run"].encode(), range(lo, min(first + n, lo + _WAVE)), nsubs)
            w.counts[w.idx] = len(socks)
        t1 = time.perf_counter()
        cpu = w.cpu()
        w.pipe.send(("result", {"t0": t0, "t1": t1, "conns": len(socks), "cpu_s": cpu}))
        w.pipe.poll(cfg["timeout"])
    finally:
        for s in socks:
            s.close()
    return None
