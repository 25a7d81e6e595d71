# The websocket listener, differential: the same upgrade requests and frames to nats-server and to
# pynatsd give the same HTTP answers, the same frames and the same protocol bytes inside them.
from __future__ import annotations

import asyncio
import base64
import os
import re
import struct
import zlib

import pytest

from pynatsd.testing.normalize import normalize_stream as normalize
from pynatsd.testing.servers import ServerProcess
from pynatsd.testing.wire import WireTarget

WAIT = 2.0
WS_CONFIG = 'websocket { listen: "127.0.0.1:-1", no_tls: true, compression: true }\n'
_LISTEN = re.compile(r"Listening for websocket clients on ws://127\.0\.0\.1:(\d+)")


def ws_port(server: ServerProcess) -> int:
    for line in server.log_lines:
        m = _LISTEN.search(line)
        if m:
            return int(m.group(1))
    raise AssertionError("no websocket listener in the log")


def _mask(payload: bytes, opcode: int = 2, fin: bool = True) -> bytes:
    key = os.urandom(4)
    body = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    n = len(payload)
    size = bytes((0x80 | n,)) if n < 126 else bytes((0x80 | 126,)) + struct.pack(">H", n)
    return bytes(((0x80 if fin else 0) | opcode,)) + size + key + body


async def _upgrade(port: int, extra: str = "") -> tuple[asyncio.StreamReader, asyncio.StreamWriter, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    key = base64.b64encode(b"0123456789abcdef").decode()
    writer.write(
        (
            "GET /any/path HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n{extra}\r\n"
        ).encode()
    )
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT)
    return reader, writer, head


async def _frames(reader: asyncio.StreamReader, until: bytes) -> list[tuple[int, bool, bytes]]:
    """(opcode, compressed, payload) of each frame up to the one whose payload holds `until`."""
    out: list[tuple[int, bool, bytes]] = []
    while True:
        b0, b1 = await asyncio.wait_for(reader.readexactly(2), WAIT)
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack(">H", await reader.readexactly(2))[0]
        elif n == 127:
            n = struct.unpack(">Q", await reader.readexactly(8))[0]
        payload = await reader.readexactly(n)
        compressed = bool(b0 & 0x40)
        if compressed:
            payload = zlib.decompressobj(-15).decompress(payload + b"\x00\x00\xff\xff")
        out.append((b0 & 0x0F, compressed, normalize(payload)))
        if until in payload or (b0 & 0x0F) == 8:
            return out


async def test_upgrade_answer_and_first_info(wire: WireTarget) -> None:
    server = await wire.server(WS_CONFIG)
    reader, writer, head = await _upgrade(ws_port(server))
    # The accept key is a pure function of the request key (RFC 6455), so it is compared too.
    assert head == (
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Accept: BACScCJPNqyz+UBoqMH89VmURoA=\r\n\r\n"
    )
    frames = await _frames(reader, b"\r\n")
    assert [(op, c) for op, c, _ in frames] == [(2, False)]
    assert frames[0][2].startswith(b'INFO {"server_id":"<server_id>"')
    assert b'"port":"<port>","headers":true,"max_payload":1048576,' in frames[0][2]
    writer.close()


async def test_protocol_inside_frames(wire: WireTarget) -> None:
    server = await wire.server(WS_CONFIG)
    reader, writer, _ = await _upgrade(ws_port(server))
    await _frames(reader, b"\r\n")
    writer.write(
        _mask(b'CONNECT {"verbose":false}\r\nSUB a 1\r\nPUB a 5\r\nhel')
        + _mask(b"lo\r\nPI")
        + _mask(b"NG\r\n")
    )
    got = b"".join(p for _, _, p in await _frames(reader, b"PONG\r\n"))
    assert got == b"MSG a 1 5\r\nhello\r\nPONG\r\n"
    writer.write(_mask(b"PUB a 2\r\n", fin=False) + _mask(b"ok\r\nPING\r\n", opcode=0))
    got = b"".join(p for _, _, p in await _frames(reader, b"PONG\r\n"))
    assert got == b"MSG a 1 2\r\nok\r\nPONG\r\n"
    writer.write(_mask(b"ping!", opcode=9))
    assert await _frames(reader, b"ping!") == [(10, False, b"ping!")]
    writer.write(_mask(struct.pack(">H", 1000) + b"bye", opcode=8))
    assert await _frames(reader, b"bye") == [(8, False, struct.pack(">H", 1000) + b"bye")]
    assert await asyncio.wait_for(reader.read(), WAIT) == b""


async def test_compression_negotiated(wire: WireTarget) -> None:
    server = await wire.server(WS_CONFIG)
    reader, writer, head = await _upgrade(
        ws_port(server), "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
    )
    assert head.endswith(
        b"Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; "
        b"client_no_context_takeover\r\n\r\n"
    )
    frames = await _frames(reader, b"\r\n")
    assert [(op, c) for op, c, _ in frames] == [(2, True)]
    writer.close()


@pytest.mark.parametrize(
    ("request_text", "closes"),
    [
        ("GET / HTTP/1.1\r\nHost: x\r\n\r\n", False),
        ("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: close\r\n\r\n", True),
    ],
    ids=["no-upgrade-keeps-connection", "connection-close"],
)
async def test_bad_upgrade(wire: WireTarget, request_text: str, closes: bool) -> None:
    server = await wire.server(WS_CONFIG)
    reader, writer = await asyncio.open_connection("127.0.0.1", ws_port(server))
    writer.write(request_text.encode())
    data = await asyncio.wait_for(reader.readuntil(b"\r\n\r\nBad Request\n"), WAIT)
    data = re.sub(rb"Date: [^\r]*\r\n", b"Date: <date>\r\n", data)
    assert data == (
        b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nSec-Websocket-Version: 13\r\n"
        b"X-Content-Type-Options: nosniff\r\nDate: <date>\r\nContent-Length: 12\r\n"
        + (b"Connection: close\r\n" if closes else b"")
        + b"\r\nBad Request\n"
    )
    if closes:
        assert await asyncio.wait_for(reader.read(), WAIT) == b""
    else:
        # The same connection can still be upgraded.
        writer.write(
            b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: MDEyMzQ1Njc4OWFiY2RlZg==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT)
        assert head.startswith(b"HTTP/1.1 101 Switching Protocols\r\n")
    writer.close()


COOKIE_CONFIG = (
    'websocket { listen: "127.0.0.1:-1", no_tls: true, token_cookie: "tok", '
    "authorization { token: s3cret } }\n"
)


@pytest.mark.parametrize(
    ("cookie", "ok"), [("tok=s3cret", True), ("tok=wrong", False), ("other=s3cret", False)]
)
async def test_credentials_from_cookies(wire: WireTarget, cookie: str, ok: bool) -> None:
    server = await wire.server(COOKIE_CONFIG)
    reader, writer, head = await _upgrade(ws_port(server), f"Cookie: {cookie}\r\n")
    assert head.startswith(b"HTTP/1.1 101 ")
    info = await _frames(reader, b"\r\n")
    assert b'"auth_required":true' in info[0][2]
    writer.write(_mask(b'CONNECT {"verbose":false}\r\nPING\r\n'))
    got = b"".join(p for _, _, p in await _frames(reader, b"\r\n"))
    assert got == (b"PONG\r\n" if ok else b"-ERR 'Authorization Violation'\r\n")
    writer.close()
