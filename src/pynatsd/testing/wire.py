# A deliberately dumb NATS client for byte-level protocol tests, and the scenario runner built on it.
#
# RawClient never interprets what the server sends beyond the first INFO line: tests send exact bytes
# and compare exact bytes. A protocol object appends everything received to one buffer and notes
# the close; the read methods differ only in when they stop waiting (a pattern seen, a byte count
# reached, the line gone quiet, or EOF), and waiting is done on an event, never by cancelling a
# pending read, so no byte is ever lost to a timeout. A reset from the peer counts as a close, like
# an orderly EOF, since a server that closes with unread input may well reset instead of sending
# FIN; bytes that arrived before the reset stay in the buffer. WireTarget runs scenarios against one
# kind of server and returns normalised transcripts.
from __future__ import annotations

import asyncio
import json
import re
import socket
import time
from collections.abc import Sequence
from types import TracebackType
from typing import Any, ClassVar, Self

from pynatsd.testing.normalize import Transcript
from pynatsd.testing.servers import ServerKind, ServerPool, ServerProcess


class WireError(AssertionError):
    """The server did not send what a test waited for; carries what did arrive."""

    def __init__(self, message: str, received: bytes, closed: bool) -> None:
        super().__init__(f"{message}; closed={closed}; received={received!r}")
        self.received = received
        self.closed = closed


class _Receiver(asyncio.Protocol):
    def __init__(self) -> None:
        self.buf = bytearray()
        self.closed = False
        self.changed = asyncio.Event()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buf += data
        self.changed.set()

    def eof_received(self) -> bool:
        self.closed = True
        self.changed.set()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.changed.set()


class RawClient:
    """Raw TCP connection to a NATS server: bytes in, bytes out."""

    def __init__(self, transport: asyncio.Transport, receiver: _Receiver) -> None:
        self._transport = transport
        self._rx = receiver
        self._buf = receiver.buf
        self.info_line: bytes = b""
        self.info: dict[str, Any] = {}

    @classmethod
    async def connect(
        cls,
        host: str,
        port: int,
        *,
        wait: float = 5.0,
        read_info: bool = True,
        rcvbuf: int | None = None,
    ) -> RawClient:
        """Open a connection and, unless told not to, consume and parse the server's first INFO line.

        `rcvbuf` sets SO_RCVBUF before connecting, so the advertised TCP window stays small (a
        reader that falls behind quickly).
        """
        loop = asyncio.get_running_loop()
        receiver = _Receiver()
        if rcvbuf is None:
            conn = loop.create_connection(lambda: receiver, host, port)
        else:
            sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            sock.setblocking(False)
            try:
                await asyncio.wait_for(loop.sock_connect(sock, (host, port)), wait)
            except BaseException:
                sock.close()
                raise
            conn = loop.create_connection(lambda: receiver, sock=sock)
        transport, _ = await asyncio.wait_for(conn, wait)
        client = cls(transport, receiver)
        if read_info:
            try:
                await client.read_info(wait)
            except BaseException:
                await client.close()
                raise
        return client

    async def read_info(self, wait: float = 5.0) -> dict[str, Any]:
        line = await self.expect(b"\n", wait)
        if not line.startswith(b"INFO "):
            raise WireError("first line is not INFO", line, self.is_closed())
        self.info_line = line
        self.info = parse_info(line)
        return self.info

    # -- state --------------------------------------------------------------------------------------

    def pause_reading(self) -> None:
        """Stop reading from the socket, so the server sees a stalled reader.

        Any later read resumes reading first.
        """
        self._transport.pause_reading()

    def resume_reading(self) -> None:
        if not self._transport.is_closing() and not self._transport.is_reading():
            self._transport.resume_reading()

    def setsockopt(self, level: int, option: int, value: int | bytes) -> None:
        """Set a socket option on the underlying socket (e.g. SO_LINGER 0 to close with a reset)."""
        self._transport.get_extra_info("socket").setsockopt(level, option, value)

    def is_closed(self) -> bool:
        """True once the server closed (or reset) the connection."""
        return self._rx.closed

    @property
    def pending(self) -> bytes:
        """Bytes received but not yet consumed by a read method."""
        return bytes(self._buf)

    async def close(self) -> None:
        if not self._transport.is_closing():
            self._transport.close()
            await asyncio.sleep(0)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    # -- sending ------------------------------------------------------------------------------------

    async def send(self, data: bytes) -> None:
        """Write `data` as given. Writing to a connection the server already dropped is not an error."""
        if self._transport.is_closing():
            return
        self._transport.write(data)
        await asyncio.sleep(0)

    # -- receiving ----------------------------------------------------------------------------------

    async def _fill(self, wait: float) -> bool:
        """Wait up to `wait` for more bytes; False when the wait runs out or the connection is closed."""
        self.resume_reading()
        if self._rx.closed:
            return False
        have = len(self._buf)
        self._rx.changed.clear()
        try:
            await asyncio.wait_for(self._rx.changed.wait(), max(wait, 0.0))
        except TimeoutError:
            pass
        return len(self._buf) > have

    def _take(self, n: int | None = None) -> bytes:
        if n is None:
            n = len(self._buf)
        out = bytes(self._buf[:n])
        del self._buf[:n]
        return out

    def _match_end(self, pattern: bytes | re.Pattern[bytes], count: int) -> int:
        pos = 0
        for _ in range(count):
            if isinstance(pattern, bytes):
                idx = self._buf.find(pattern, pos)
                if idx < 0:
                    return -1
                pos = idx + len(pattern)
            else:
                m = pattern.search(self._buf, pos)
                if m is None:
                    return -1
                pos = m.end()
        return pos

    async def read_until(
        self, pattern: bytes | re.Pattern[bytes], wait: float = 2.0, *, count: int = 1
    ) -> tuple[bytes, bool]:
        """Read until `pattern` has appeared `count` times; (data up to the last match, matched).

        Without a match (the server closed, or the wait ran out) everything received is returned.
        """
        deadline = time.monotonic() + wait
        while True:
            end = self._match_end(pattern, count)
            if end >= 0:
                return self._take(end), True
            remaining = deadline - time.monotonic()
            if self.is_closed() or remaining <= 0:
                return self._take(), False
            await self._fill(remaining)

    async def expect(self, pattern: bytes | re.Pattern[bytes], wait: float = 2.0) -> bytes:
        """Read until `pattern` (exact bytes or a compiled regex) appears in the stream.

        Returns everything received up to and including the match; raises WireError with what did
        arrive if the server closes or the wait runs out first.
        """
        data, matched = await self.read_until(pattern, wait)
        if not matched:
            self._buf[:0] = data
            what = pattern if isinstance(pattern, bytes) else pattern.pattern
            raise WireError(f"expected {what!r}", data, self.is_closed())
        return data

    async def read_exactly(self, n: int, wait: float = 2.0) -> bytes:
        """Read until `n` bytes are buffered (or a close, or the wait running out); return at most `n` of them."""
        deadline = time.monotonic() + wait
        while len(self._buf) < n and not self.is_closed():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            await self._fill(remaining)
        return self._take(min(n, len(self._buf)))

    async def read_until_quiet(self, quiet: float = 0.25, wait: float = 5.0) -> bytes:
        """Read until nothing arrives for `quiet` seconds, the connection closes, or `wait` runs out."""
        deadline = time.monotonic() + wait
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not await self._fill(min(quiet, remaining)):
                break
        return self._take()

    async def read_all_until_closed(self, wait: float = 2.0) -> tuple[bytes, bool]:
        """Read until the server closes the connection or `wait` runs out: (data, closed)."""
        deadline = time.monotonic() + wait
        while not self.is_closed():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            await self._fill(remaining)
        return self._take(), self.is_closed()

    async def wait_closed(self, wait: float = 2.0) -> bool:
        """Wait up to `wait` for the server to close the connection, without consuming data."""
        deadline = time.monotonic() + wait
        while not self.is_closed():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            self._rx.changed.clear()
            try:
                await asyncio.wait_for(self._rx.changed.wait(), remaining)
            except TimeoutError:
                break
        return self.is_closed()


def parse_info(line: bytes) -> dict[str, Any]:
    """Parse an `INFO {json}` control line (trailing whitespace allowed)."""
    text = line.decode("utf-8")
    if not text.startswith("INFO "):
        raise ValueError(f"not an INFO line: {line!r}")
    body = json.loads(text[5:].strip())
    if not isinstance(body, dict):
        raise ValueError(f"INFO payload is not an object: {line!r}")
    return body


QUIET = 0.25
WAIT = 2.0


async def read_transcript(
    client: RawClient,
    *,
    until: bytes | None = None,
    count: int = 1,
    quiet: float = QUIET,
    wait: float = WAIT,
) -> Transcript:
    """Collect what the server sends next on `client`, normalised.

    With `until`, stop once it has been seen `count` times (or on close, or when `wait` runs out),
    then take a short extra look for anything trailing, a close included. Without it, read until
    the server closes or has been quiet for `quiet` seconds.
    """
    if until is not None:
        data, _ = await client.read_until(until, wait, count=count)
        data += await client.read_until_quiet(0.02, 0.1)
    else:
        data = await client.read_until_quiet(quiet, wait)
    return Transcript.of(data, client.is_closed())


class Witness:
    """A bystander connection that must keep working whatever another client does to the server."""

    SETUP: ClassVar[bytes] = b'CONNECT {"verbose":false}\r\nSUB witness 1\r\nPING\r\n'
    PROBE: ClassVar[bytes] = b"PUB witness 2\r\nok\r\nPING\r\n"
    OK: ClassVar[Transcript] = Transcript(b"MSG witness 1 2\r\nok\r\nPONG\r\n", closed=False)

    def __init__(self, client: RawClient) -> None:
        self.client = client

    async def roundtrip(self) -> Transcript:
        await self.client.send(self.PROBE)
        return await read_transcript(self.client, until=b"PONG\r\n")


class WireTarget:
    """One test's handle on one kind of server: servers, raw clients and scenario runs.

    Servers are started lazily, from inside the test, so that a server that cannot start fails the
    test itself. Everything opened through the handle is closed by `aclose`.
    """

    def __init__(self, kind: ServerKind, pool: ServerPool) -> None:
        self.kind: ServerKind = kind
        self._pool = pool
        self._clients: list[RawClient] = []
        self._fresh: list[ServerProcess] = []
        self._used: list[ServerProcess] = []

    async def server(
        self, config: str | None = None, *, args: Sequence[str] = (), fresh: bool = False
    ) -> ServerProcess:
        """A shared server for this config, or with `fresh` one that only this test uses."""
        if fresh:
            server = await asyncio.to_thread(self._pool.fresh, self.kind, config, args)
            self._fresh.append(server)
        else:
            server = await asyncio.to_thread(self._pool.shared, self.kind, config, args)
        self._used.append(server)
        return server

    async def connect(self, server: ServerProcess | None = None, *, read_info: bool = True) -> RawClient:
        if server is None:
            server = await self.server()
        client = await RawClient.connect(server.host, server.port, read_info=read_info)
        self._clients.append(client)
        return client

    async def run(
        self,
        data: bytes,
        *,
        until: bytes | None = None,
        count: int = 1,
        server: ServerProcess | None = None,
        quiet: float = QUIET,
    ) -> Transcript:
        """Send `data` on a new connection; return what came back after the INFO line."""
        client = await self.connect(server)
        await client.send(data)
        try:
            return await read_transcript(client, until=until, count=count, quiet=quiet)
        finally:
            await client.close()

    async def witness(self, server: ServerProcess | None = None) -> Witness:
        client = await self.connect(server)
        await client.send(Witness.SETUP)
        await client.expect(b"PONG\r\n")
        return Witness(client)

    async def aclose(self) -> list[str]:
        """Close everything; return a report line for each server that died meanwhile."""
        for client in self._clients:
            await client.close()
        dead = []
        for server in dict.fromkeys(self._used):
            if not server.is_running():
                dead.append(f"{server!r} exited with status {server.returncode}\n{server.log_text()[-3000:]}")
        for server in self._fresh:
            await asyncio.to_thread(server.stop)
        return dead
