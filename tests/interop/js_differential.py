# Harness for differential tests of the JetStream API: the same requests go to nats-server and to
# pynatsd, and the replies must be the same once the volatile values are masked.
#
# Both servers run as child processes on 127.0.0.1 with the same server name (so `cluster.leader`
# agrees) and their own temporary store. Requests go over a raw wire connection (CONNECT with
# headers and no_responders, one wildcard inbox subscription, a new inbox per request), so what is
# compared is everything the client receives: the MSG/HMSG verb, subject and reply, the header block
# byte for byte (status line, header names, values and order) and the payload byte for byte (key
# order, spacing, types). Masked before comparing: the times that differ between any two runs
# (created, ts, first_ts, last_ts, time, leader_since and the Nats-Time-Stamp header) when they are
# well-formed RFC3339Nano UTC values, the zero time kept; a mirror's or source's `active` duration
# when it is not -1. nats-server lists a stream's sources in Go map order, so those source-info
# arrays are compared in a canonical order. The MSG/HMSG sizes are checked against the bytes read and
# then left out, since a masked time can change them. A request that gets no reply within its
# timeout records None, so "no reply from both" is a match.
#
# A step can carry `known=<reason>`: a difference there is a known one (reported as a warning, not a
# failure), for behaviour that belongs to code outside the API layer and is tracked elsewhere.
from __future__ import annotations

import asyncio
import contextlib
import json
import re
import threading
import warnings
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pynatsd.testing.servers import ServerProcess
from pynatsd.testing.wire import RawClient

API = "$JS.API"
SERVER_NAME = "jsdiff"
REPLY_WAIT = 3.0
SILENT_WAIT = 0.3
FIRE_SETTLE = 0.1

_CONNECT = (
    b'CONNECT {"verbose":false,"pedantic":false,"headers":true,"no_responders":true,'
    b'"protocol":1,"lang":"raw","version":"0"}\r\nSUB _D.> 1\r\nPING\r\n'
)
_TIME = rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d*[1-9])?Z"
_ZERO = b"0001-01-01T00:00:00Z"
_JSON_TIME = re.compile(rb'"(created|ts|first_ts|last_ts|time|leader_since)":"(' + _TIME + rb')"')
_HDR_TIME = re.compile(rb"(Nats-Time-Stamp: )(" + _TIME + rb")\r\n")
_ACTIVE = re.compile(rb'"active":[0-9]+([,}])')
_SOURCES = re.compile(rb'"sources":\[(?=\{"name":"[^"]*",(?:"external":\{[^}]*\},)?"lag":)')
_DECODER = json.JSONDecoder()


def _mask_json(m: re.Match[bytes]) -> bytes:
    return m.group(0) if m.group(2) == _ZERO else b'"' + m.group(1) + b'":"<time>"'


def _sort_source_infos(frame: bytes) -> bytes:
    """Source-info arrays (not config `sources`) in a canonical order, their bytes untouched."""
    text = frame.decode("utf-8", "surrogateescape")
    out, pos = [], 0
    for m in _SOURCES.finditer(frame):
        start = len(frame[: m.end()].decode("utf-8", "surrogateescape"))
        if start < pos:
            continue
        items, i = [], start
        while text[i] != "]":
            _, end = _DECODER.raw_decode(text, i)
            items.append(text[i:end])
            i = end + 1 if text[end] == "," else end
        out.append(text[pos:start] + ",".join(sorted(items)))
        pos = i
    out.append(text[pos:])
    return "".join(out).encode("utf-8", "surrogateescape")


def mask(frame: bytes) -> bytes:
    frame = _HDR_TIME.sub(rb"\1<time>\r\n", frame)
    frame = _ACTIVE.sub(rb'"active":"<duration>"\1', frame)
    frame = _sort_source_infos(frame)
    return _JSON_TIME.sub(_mask_json, frame)


Servers = tuple[ServerProcess, ServerProcess]


def start_servers(base: Path) -> Servers:
    """nats-server and pynatsd with JetStream, started side by side."""
    ref = ServerProcess("nats-server", args=["-js", "-sd", str(base / "ref"), "-n", SERVER_NAME])
    ours = ServerProcess("pynatsd", args=["-js", "-sd", str(base / "ours"), "-n", SERVER_NAME])
    errors: list[BaseException] = []

    def start(proc: ServerProcess) -> None:
        try:
            proc.start()
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=start, args=(p,)) for p in (ref, ours)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        ref.stop()
        ours.stop()
        raise errors[0]
    return ref, ours


class Side:
    """One raw connection: request() sends a message with a fresh inbox and returns the masked reply."""

    def __init__(self, client: RawClient) -> None:
        self.client = client
        self.n = 0

    @classmethod
    async def open(cls, port: int) -> Side:
        client = await RawClient.connect("127.0.0.1", port)
        await client.send(_CONNECT)
        await client.expect(b"PONG\r\n")
        return cls(client)

    async def request(self, subject: str, body: bytes, hdr: bytes, wait: float) -> bytes | None:
        self.n += 1
        inbox = f"_D.{self.n}"
        await self.publish(subject, body, hdr, inbox)
        return await self._reply(inbox, wait)

    async def publish(self, subject: str, body: bytes, hdr: bytes = b"", reply: str = "") -> None:
        to = f"{subject} {reply}" if reply else subject
        line = f"HPUB {to} {len(hdr)} {len(hdr) + len(body)}\r\n" if hdr else f"PUB {to} {len(body)}\r\n"
        await self.client.send(line.encode() + hdr + body + b"\r\n")

    async def _reply(self, inbox: str, wait: float) -> bytes | None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while True:
            line, ok = await self.client.read_until(b"\r\n", max(deadline - loop.time(), 0.0))
            if not ok:
                return b"(partial) " + line if line else None
            parts = line.split()
            if not parts:
                continue
            if parts[0] == b"PING":
                await self.client.send(b"PONG\r\n")
                continue
            if parts[0] not in (b"MSG", b"HMSG"):
                continue
            total = int(parts[-1])
            hlen = int(parts[-2]) if parts[0] == b"HMSG" else 0
            data = await self.client.read_exactly(total + 2, max(deadline - loop.time(), 0.5))
            assert len(data) == total + 2, (line, data)
            assert data.endswith(b"\r\n"), (line, data)
            if parts[1] != inbox.encode():
                continue  # a late reply to an earlier request
            head = b" ".join(parts[:2] + parts[3 : -2 if parts[0] == b"HMSG" else -1])
            return mask(head + b"\n" + data[:hlen] + b"\n" + data[hlen:total])

    async def close(self) -> None:
        await self.client.close()


def headers(items: dict[str, str] | list[tuple[str, str]] | None) -> bytes:
    if not items:
        return b""
    pairs = items.items() if isinstance(items, dict) else items
    return b"NATS/1.0\r\n" + b"".join(f"{k}: {v}\r\n".encode() for k, v in pairs) + b"\r\n"


Headers = dict[str, str] | list[tuple[str, str]] | None


@dataclass
class Differ:
    """Sends each step to both servers and keeps every disagreement."""

    ref: Side
    ours: Side
    cases: int = 0
    diffs: list[str] = field(default_factory=list)
    known: list[str] = field(default_factory=list)
    # Streams whose differences are known: their deletion at cleanup is one too.
    known_streams: dict[str, str] = field(default_factory=dict)

    async def req(
        self,
        subject: str,
        body: bytes | dict[str, Any] = b"",
        hdrs: Headers = None,
        *,
        wait: float = REPLY_WAIT,
        known: str = "",
    ) -> bytes | None:
        raw = json.dumps(body).encode() if isinstance(body, dict) else body
        hdr = headers(hdrs)
        theirs, ours = await asyncio.gather(
            self.ref.request(subject, raw, hdr, wait), self.ours.request(subject, raw, hdr, wait)
        )
        self.cases += 1
        if theirs != ours:
            text = _describe(self.cases, subject, raw, hdr, theirs, ours)
            if known:
                self.known.append(f"[known: {known}] {text}")
            else:
                self.diffs.append(text)
        return theirs

    async def silent(self, subject: str, body: bytes = b"", hdrs: Headers = None, *, known: str = "") -> None:
        """A request that nats-server does not answer at all."""
        await self.req(subject, body, hdrs, wait=SILENT_WAIT, known=known)

    async def pub(self, subject: str, body: bytes = b"", hdrs: Headers = None, *, known: str = "") -> None:
        await self.req(subject, body, hdrs, known=known)

    async def fire(self, subject: str, body: bytes | dict[str, Any] = b"") -> None:
        """A publish without a reply subject, to both servers, then a pause for it to be handled.

        nats-server queues API requests to a worker, so one without a reply can still be pending
        when the next request on the same connection is answered.
        """
        raw = json.dumps(body).encode() if isinstance(body, dict) else body
        await asyncio.gather(self.ref.publish(subject, raw), self.ours.publish(subject, raw))
        await asyncio.sleep(FIRE_SETTLE)

    async def create(self, name: str, **cfg: object) -> None:
        await self.req(f"{API}.STREAM.CREATE.{name}", {"name": name, **cfg})

    async def info(self, name: str, body: bytes | dict[str, Any] = b"") -> None:
        await self.req(f"{API}.STREAM.INFO.{name}", body)

    async def fill(self, subjects: tuple[str, ...]) -> None:
        """Publish one message per subject (the subject is the payload)."""
        for subject in subjects:
            await self.pub(subject, subject.encode())

    def json(self, reply: bytes | None) -> Any:
        assert reply is not None
        return json.loads(reply.split(b"\n", 2)[2])

    async def cleanup(self) -> None:
        """Delete every stream on both servers, through requests that are compared too."""
        names: set[str] = set()
        for side in (self.ref, self.ours):
            reply = await side.request("$JS.API.STREAM.NAMES", b"", b"", REPLY_WAIT)
            names.update(self.json(reply)["streams"] or ())
        for name in sorted(names):
            await self.req(f"$JS.API.STREAM.DELETE.{name}", known=self.known_streams.get(name, ""))

    def check(self) -> None:
        """Fail on any unexpected difference; known ones are issued as warnings."""
        for text in self.known:
            warnings.warn(text, stacklevel=2)
        assert not self.diffs, f"{len(self.diffs)} of {self.cases} requests differ:\n" + "\n".join(self.diffs)


def _describe(n: int, subject: str, body: bytes, hdr: bytes, theirs: bytes | None, ours: bytes | None) -> str:
    """The step and both replies, around their first difference."""
    at = 0
    if theirs is not None and ours is not None:
        at = next(
            (i for i, (a, b) in enumerate(zip(theirs, ours, strict=False)) if a != b),
            min(len(theirs), len(ours)),
        )
    lo = max(at - 200, 0)

    def window(reply: bytes | None) -> str:
        return "None" if reply is None else f"{'...' if lo else ''}{reply[lo : at + 300]!r}"

    return (
        f"#{n} {subject} hdr={hdr[:120]!r} body={body[:160]!r} (first difference at byte {at})\n"
        f"  nats-server: {window(theirs)}\n  pynatsd:     {window(ours)}"
    )


@contextlib.asynccontextmanager
async def differ(servers: Servers) -> AsyncIterator[Differ]:
    """A Differ on new connections; on the way out every stream is deleted (and those replies compared)."""
    ref, ours = await asyncio.gather(Side.open(servers[0].port), Side.open(servers[1].port))
    d = Differ(ref, ours)
    try:
        yield d
    finally:
        try:
            await d.cleanup()
        finally:
            await ref.close()
            await ours.close()
