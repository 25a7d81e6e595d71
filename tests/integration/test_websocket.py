# The websocket listener from nats-py (ws:// and wss://) and from a raw frame-level client: the
# upgrade, frames that split and join protocol messages, control frames, compression, and a plain
# NATS client and a websocket client talking to each other.
from __future__ import annotations

import asyncio
import base64
import os
import ssl
import struct
import zlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import nats
import pytest

from pynatsd import Server
from pynatsd.config import parse_config
from pynatsd.config.apply import apply_config
from pynatsd.testing import run_server

CERTS = Path(__file__).resolve().parent.parent / "fixtures" / "tls"
WAIT = 2.0


def _options(ws_block: str) -> Any:
    opts, _ = apply_config(parse_config(f"websocket {{ {ws_block} }}"))
    return opts.copy(host="127.0.0.1", port=-1)


@pytest.fixture
async def ws_server() -> AsyncIterator[Server]:
    async with run_server(_options('listen: "127.0.0.1:-1", no_tls: true, compression: true')) as srv:
        yield srv


def _mask(payload: bytes, opcode: int = 2, fin: bool = True) -> bytes:
    key = os.urandom(4)
    body = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    n = len(payload)
    first = (0x80 if fin else 0) | opcode
    size = bytes((0x80 | n,)) if n < 126 else bytes((0x80 | 126,)) + struct.pack(">H", n)
    return bytes((first,)) + size + key + body


class RawWebSocket:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes) -> None:
        self.reader, self.writer, self.head = reader, writer, head

    @classmethod
    async def connect(cls, port: int, extra: str = "") -> RawWebSocket:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(
            (
                f"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n{extra}\r\n"
            ).encode()
        )
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT)
        return cls(reader, writer, head)

    async def frame(self) -> tuple[int, bytes]:
        b0, b1 = await asyncio.wait_for(self.reader.readexactly(2), WAIT)
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack(">H", await self.reader.readexactly(2))[0]
        elif n == 127:
            n = struct.unpack(">Q", await self.reader.readexactly(8))[0]
        payload = await self.reader.readexactly(n)
        if b0 & 0x40:
            payload = zlib.decompressobj(-15).decompress(payload + b"\x00\x00\xff\xff")
        return b0 & 0x0F, payload

    async def text_until(self, marker: bytes) -> bytes:
        data = b""
        while marker not in data:
            opcode, payload = await self.frame()
            assert opcode == 2
            data += payload
        return data


async def test_nats_py_over_websocket_talks_to_plain_clients(ws_server: Server) -> None:
    url = f"ws://127.0.0.1:{ws_server.websocket_port}"
    ws = await nats.connect(url, allow_reconnect=False, connect_timeout=WAIT)
    plain = await nats.connect(ws_server.client_url, allow_reconnect=False)
    sub = await ws.subscribe("ws.>")
    await ws.flush()
    await plain.publish("ws.a", b"from-tcp", headers={"X-Test": "1"})
    msg = await sub.next_msg(timeout=WAIT)
    assert msg.data == b"from-tcp"
    assert msg.headers == {"X-Test": "1"}

    async def echo(m: Any) -> None:
        await m.respond(m.data.upper())

    await ws.subscribe("svc", cb=echo)
    await ws.flush()
    reply = await plain.request("svc", b"x" * 100_000, timeout=WAIT)
    assert reply.data == b"X" * 100_000
    await ws.close()
    await plain.close()


async def test_frames_split_and_join_protocol_messages(ws_server: Server) -> None:
    ws = await RawWebSocket.connect(ws_server.websocket_port)
    assert ws.head.startswith(b"HTTP/1.1 101 Switching Protocols\r\n")
    info = await ws.text_until(b"\r\n")
    assert info.startswith(b"INFO ")
    assert f'"port":{ws_server.websocket_port},'.encode() in info
    ws.writer.write(
        _mask(b'CONNECT {"verbose":false}\r\nSUB a 1\r\nPUB a 5\r\nhel')
        + _mask(b"lo\r\nPI")
        + _mask(b"NG\r\n")
    )
    assert await ws.text_until(b"PONG\r\n") == b"MSG a 1 5\r\nhello\r\nPONG\r\n"
    # A message fragmented over continuation frames.
    ws.writer.write(_mask(b"PUB a 2\r\n", fin=False) + _mask(b"ok\r\nPING\r\n", opcode=0))
    assert await ws.text_until(b"PONG\r\n") == b"MSG a 1 2\r\nok\r\nPONG\r\n"
    ws.writer.write(_mask(b"hi", opcode=9))
    assert await ws.frame() == (10, b"hi")
    ws.writer.write(_mask(struct.pack(">H", 1000) + b"bye", opcode=8))
    assert await ws.frame() == (8, struct.pack(">H", 1000) + b"bye")
    assert await ws.reader.read() == b""


async def test_compression_is_negotiated(ws_server: Server) -> None:
    ws = await RawWebSocket.connect(
        ws_server.websocket_port, "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
    )
    assert b"permessage-deflate; server_no_context_takeover; client_no_context_takeover" in ws.head
    b0 = (await ws.reader.readexactly(1))[0]
    assert b0 & 0x40
    ws.writer.close()


async def test_bad_upgrade_gets_http_400(ws_server: Server) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", ws_server.websocket_port)
    writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    data = await asyncio.wait_for(reader.readuntil(b"\r\n\r\nBad Request\n"), WAIT)
    assert data.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert data.endswith(b"\r\n\r\nBad Request\n")
    writer.close()


async def test_wss_with_tls() -> None:
    block = f'listen: "127.0.0.1:-1", tls {{ cert_file: "{CERTS / "server-cert.pem"}", key_file: "{CERTS / "server-key.pem"}" }}'
    async with run_server(_options(block)) as srv:
        ctx = ssl.create_default_context(cafile=str(CERTS / "ca.pem"))
        nc = await nats.connect(f"wss://localhost:{srv.websocket_port}", tls=ctx, allow_reconnect=False)
        sub = await nc.subscribe("secure")
        await nc.publish("secure", b"1")
        assert (await sub.next_msg(timeout=WAIT)).data == b"1"
        await nc.close()


async def test_websocket_client_reconnects_after_restart() -> None:
    opts = _options('listen: "127.0.0.1:-1", no_tls: true')
    async with run_server(opts) as srv:
        port = srv.websocket_port
    reconnected = asyncio.Event()

    async def on_reconnect() -> None:
        reconnected.set()

    fixed = _options(f'listen: "127.0.0.1:{port}", no_tls: true')
    async with run_server(fixed) as srv:
        nc = await nats.connect(
            f"ws://127.0.0.1:{port}",
            reconnected_cb=on_reconnect,
            reconnect_time_wait=0.05,
            max_reconnect_attempts=100,
        )
    async with run_server(fixed) as srv:
        await asyncio.wait_for(reconnected.wait(), 5.0)
        sub = await nc.subscribe("again")
        await nc.publish("again", b"ok")
        assert (await sub.next_msg(timeout=WAIT)).data == b"ok"
        assert srv.websocket_port == port
        await nc.close()


async def test_websocket_authorization_overrides_the_servers() -> None:
    text = 'authorization { user: tcp, password: p }\nwebsocket { listen: "127.0.0.1:-1", no_tls: true, authorization { user: ws, password: w } }'
    opts, _ = apply_config(parse_config(text))
    async with run_server(opts.copy(host="127.0.0.1", port=-1)) as srv:
        url = f"ws://127.0.0.1:{srv.websocket_port}"
        nc = await nats.connect(url, user="ws", password="w", allow_reconnect=False)
        await nc.close()
        with pytest.raises((nats.errors.Error, OSError)):
            await nats.connect(url, user="tcp", password="p", allow_reconnect=False)
        tcp = await nats.connect(srv.client_url, user="tcp", password="p", allow_reconnect=False)
        await tcp.close()
