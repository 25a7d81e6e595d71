# The websocket listener: the NATS client protocol carried in websocket frames (RFC 6455).
#
# Why a transport adapter: a websocket client is an ordinary ClientConnection. WebSocketProtocol
# owns the socket, answers the HTTP upgrade, and then unwraps frames into a byte stream for the
# client's parser (a frame may split or join protocol messages, so frames carry no meaning beyond
# their bytes). The client writes through WebSocketTransport, which wraps each write (one per loop
# pass) in a single binary frame. Control frames are answered here: PING gets a PONG with the same
# payload, CLOSE is echoed and the connection ends.
#
# Compression (permessage-deflate) is used when the listener allows it and the client offers it,
# without context takeover in either direction, as nats-server negotiates it: every outgoing frame
# is deflated on its own, and incoming frames with RSV1 set are inflated.
from __future__ import annotations

import asyncio
import base64
import hashlib
import struct
import zlib
from collections.abc import Mapping
from email.utils import formatdate
from http.cookies import CookieError, SimpleCookie
from typing import TYPE_CHECKING, Any, Final, NamedTuple, cast

from pynatsd.core.auth import Authenticator
from pynatsd.core.client import ClientConnection
from pynatsd.core.transport import WrappingTransport

if TYPE_CHECKING:
    import ssl

    from pynatsd.core.server import Server

__all__ = ["WebSocketConfig", "encode_frame", "start_websocket", "websocket_config"]

GUID: Final = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0, 1, 2, 8, 9, 10
MAX_REQUEST: Final = 8192
DEFLATE_TAIL: Final = b"\x00\x00\xff\xff"
_HTTP_STATUS = {400: "Bad Request", 403: "Forbidden", 405: "Method Not Allowed"}


# websocket block key -> the CONNECT field a cookie of that name stands in for
_COOKIES: Final = {
    "jwt_cookie": "jwt",
    "user_cookie": "user",
    "username_cookie": "user",
    "pass_cookie": "password",
    "password_cookie": "password",
    "token_cookie": "auth_token",
}


class WebSocketConfig(NamedTuple):
    auth: Authenticator | None
    cookies: dict[str, str]
    host: str
    port: int
    compression: bool
    handshake_timeout: float
    allowed_origins: tuple[str, ...]
    same_origin: bool
    ssl: ssl.SSLContext | None


def websocket_config(opts: Any) -> WebSocketConfig | None:
    block: Mapping[str, Any] = opts.websocket or {}
    if not block:
        return None
    host, port = str(block.get("host", "") or ""), int(block.get("port", 0) or 0)
    listen = str(block.get("listen", "") or "")
    if listen:
        host, _, p = listen.rpartition(":")
        port = int(p)
    context = None
    if not block.get("no_tls", False):
        from pynatsd.core.tls import websocket_context

        context = websocket_context(block.get("tls") or {})
    timeout = block.get("handshake_timeout", 2.0)
    if isinstance(timeout, str):
        from pynatsd.config import parse_duration

        timeout = parse_duration(timeout)
    return WebSocketConfig(
        auth=_websocket_auth(opts, block),
        cookies={str(block[k]): field for k, field in _COOKIES.items() if block.get(k)},
        host=host or opts.host or "0.0.0.0",
        port=port,
        compression=bool(block.get("compression", False)),
        handshake_timeout=float(timeout),
        allowed_origins=tuple(str(o) for o in block.get("allowed_origins", []) or []),
        same_origin=bool(block.get("same_origin", False)),
        ssl=context,
    )


def _websocket_auth(opts: Any, block: Mapping[str, Any]) -> Authenticator | None:
    # `authorization` and `no_auth_user` in the websocket block replace the server's own for
    # websocket clients; users of configured accounts stay valid.
    auth = block.get("authorization")
    no_auth = str(block.get("no_auth_user", "") or "")
    if not isinstance(auth, Mapping) and not no_auth:
        return None
    auth = auth if isinstance(auth, Mapping) else {}
    scoped = opts.copy(
        authorization=str(auth.get("token", "") or ""),
        username=str(auth.get("user", auth.get("username", "")) or ""),
        password=str(auth.get("password", auth.get("pass", "")) or ""),
        authorization_block=dict(auth),
        no_auth_user=no_auth or opts.no_auth_user,
    )
    return Authenticator(scoped)


def encode_frame(opcode: int, payload: bytes, compress: bool = False) -> bytes:
    """One unmasked server frame."""
    first = 0x80 | opcode
    if compress:
        c = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
        payload = c.compress(payload) + c.flush(zlib.Z_SYNC_FLUSH)
        payload = payload[: -len(DEFLATE_TAIL)] if payload.endswith(DEFLATE_TAIL) else payload
        first |= 0x40
    n = len(payload)
    if n < 126:
        head = bytes((first, n))
    elif n < 65536:
        head = struct.pack(">BBH", first, 126, n)
    else:
        head = struct.pack(">BBQ", first, 127, n)
    return head + payload


class FrameError(Exception):
    """A frame the server cannot accept; the message is the close reason."""


class FrameDecoder:
    """Client frames in, (opcode, payload) out, with fragments joined and deflate undone."""

    def __init__(self, require_mask: bool = True) -> None:
        self._buf = bytearray()
        self._fragments: list[bytes] = []
        self._frag_op = 0
        self._frag_compressed = False
        self.require_mask = require_mask

    def feed(self, data: bytes) -> list[tuple[int, bytes]]:
        self._buf += data
        out: list[tuple[int, bytes]] = []
        while True:
            frame = self._next_frame()
            if frame is None:
                return out
            fin, rsv1, opcode, payload = frame
            msg = self._assemble(fin, rsv1, opcode, payload)
            if msg is not None:
                out.append(msg)

    def _next_frame(self) -> tuple[bool, bool, int, bytes] | None:
        buf = self._buf
        if len(buf) < 2:
            return None
        b0, b1 = buf[0], buf[1]
        masked, n, pos = b1 & 0x80, b1 & 0x7F, 2
        if n == 126:
            if len(buf) < 4:
                return None
            n, pos = struct.unpack_from(">H", buf, 2)[0], 4
        elif n == 127:
            if len(buf) < 10:
                return None
            n, pos = struct.unpack_from(">Q", buf, 2)[0], 10
        if not masked and self.require_mask:
            raise FrameError("mask bit missing")
        key_end = pos + (4 if masked else 0)
        if len(buf) < key_end + n:
            return None
        payload = bytes(buf[key_end : key_end + n])
        if masked:
            payload = _unmask(bytes(buf[pos:key_end]), payload)
        del buf[: key_end + n]
        return bool(b0 & 0x80), bool(b0 & 0x40), b0 & 0x0F, payload

    def _assemble(self, fin: bool, rsv1: bool, opcode: int, payload: bytes) -> tuple[int, bytes] | None:
        if opcode >= OP_CLOSE:
            if not fin or len(payload) > 125:
                raise FrameError("invalid control frame")
            return opcode, payload
        if opcode == OP_CONT:
            if not self._fragments:
                raise FrameError("unexpected continuation frame")
            self._fragments.append(payload)
        else:
            if self._fragments:
                raise FrameError("new message started before final frame for previous message was received")
            self._frag_op, self._frag_compressed = opcode, rsv1
            self._fragments = [payload]
        if not fin:
            return None
        data = b"".join(self._fragments)
        self._fragments = []
        if self._frag_compressed:
            d = zlib.decompressobj(-15)
            data = d.decompress(data + DEFLATE_TAIL)
        return self._frag_op, data


def _unmask(key: bytes, payload: bytes) -> bytes:
    n = len(payload)
    if not n:
        return payload
    mask = int.from_bytes((key * (n // 4 + 1))[:n], "big")
    return (int.from_bytes(payload, "big") ^ mask).to_bytes(n, "big")


class WebSocketTransport(WrappingTransport):
    """What a websocket ClientConnection writes to: each write becomes one binary frame."""

    def __init__(self, raw: asyncio.Transport, compress: bool) -> None:
        super().__init__(raw)
        self.compress = compress
        self.close_sent = False

    def write(self, data: bytes) -> None:
        self._raw.write(encode_frame(OP_BINARY, data, self.compress))

    def writelines(self, chunks: list[bytes]) -> None:
        self.write(b"".join(chunks))

    def close(self) -> None:
        self.send_close(struct.pack(">H", 1000))
        self._raw.close()

    def send_close(self, payload: bytes) -> None:
        if not self.close_sent and not self._raw.is_closing():
            self.close_sent = True
            self._raw.write(encode_frame(OP_CLOSE, payload))


class WebSocketProtocol(asyncio.Protocol):
    """One websocket connection: the HTTP upgrade, then frames to and from a ClientConnection."""

    def __init__(self, server: Server, config: WebSocketConfig) -> None:
        self.server = server
        self.config = config
        self.raw: asyncio.Transport | None = None
        self.client: ClientConnection | None = None
        self._request = bytearray()
        self._decoder = FrameDecoder()
        self._timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.raw = cast(asyncio.Transport, transport)
        self._timer = self.server.loop.call_later(self.config.handshake_timeout, self._handshake_timeout)

    def _handshake_timeout(self) -> None:
        if self.client is None and self.raw is not None:
            self.raw.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self.client is not None:
            self.client.connection_lost(exc)

    def pause_writing(self) -> None:
        if self.client is not None:
            self.client.pause_writing()

    def resume_writing(self) -> None:
        if self.client is not None:
            self.client.resume_writing()

    def data_received(self, data: bytes) -> None:
        if self.client is None:
            self._handshake_data(data)
            return
        try:
            frames = self._decoder.feed(data)
        except (FrameError, zlib.error) as e:
            self._fail(1002, str(e))
            return
        for opcode, payload in frames:
            if not self._on_frame(opcode, payload):
                return

    def _on_frame(self, opcode: int, payload: bytes) -> bool:
        client, raw = self.client, self.raw
        assert client is not None
        assert raw is not None
        if opcode in (OP_BINARY, OP_TEXT):
            client.data_received(payload)
            return not client.closed
        if opcode == OP_PING:
            raw.write(encode_frame(OP_PONG, payload))
        elif opcode == OP_CLOSE:
            self._ws_transport().send_close(payload)
            client.close("Client Closed")
            raw.close()
            return False
        return True

    def _ws_transport(self) -> WebSocketTransport:
        assert self.client is not None
        return cast(WebSocketTransport, self.client.transport)

    def _fail(self, code: int, reason: str) -> None:
        if self.client is not None:
            self._ws_transport().send_close(struct.pack(">H", code) + reason.encode()[:120])
            self.client.close("Protocol Violation")
        if self.raw is not None:
            self.raw.close()

    # -- the HTTP upgrade --------------------------------------------------------------------

    def _handshake_data(self, data: bytes) -> None:
        self._request += data
        end = self._request.find(b"\r\n\r\n")
        if end < 0:
            if len(self._request) > MAX_REQUEST:
                self._reject(400, "request headers too large")
            return
        head, rest = bytes(self._request[:end]), bytes(self._request[end + 4 :])
        del self._request[: end + 4]
        headers: dict[str, str] | None = None
        try:
            method, headers = _parse_request(head)
            compress = self._check_request(method, headers)
        except _Reject as r:
            self._reject(r.status, r.reason, headers)
            if rest and self.raw is not None and not self.raw.is_closing():
                self._handshake_data(b"")
            return
        self._upgrade(headers, compress)
        if rest:
            self.data_received(rest)

    def _check_request(self, method: str, headers: dict[str, str]) -> bool:
        if method != "GET":
            raise _Reject(405, "request method must be GET")
        if not headers.get("host"):
            raise _Reject(400, "'Host' missing in request")
        if "websocket" not in headers.get("upgrade", "").lower():
            raise _Reject(400, "invalid value for header 'Upgrade'")
        if "upgrade" not in headers.get("connection", "").lower():
            raise _Reject(400, "invalid value for header 'Connection'")
        if not headers.get("sec-websocket-key"):
            raise _Reject(400, "key missing")
        if headers.get("sec-websocket-version") != "13":
            raise _Reject(400, "invalid version")
        self._check_origin(headers)
        offered = "permessage-deflate" in headers.get("sec-websocket-extensions", "")
        return self.config.compression and offered

    def _check_origin(self, headers: dict[str, str]) -> None:
        origin = headers.get("origin", "")
        cfg = self.config
        if not origin or not (cfg.same_origin or cfg.allowed_origins):
            return
        host = origin.split("://", 1)[-1]
        if cfg.same_origin and host != headers.get("host", ""):
            raise _Reject(403, "origin not allowed: not same origin")
        if cfg.allowed_origins and origin not in cfg.allowed_origins:
            raise _Reject(403, "origin not allowed: not in the allowed list")

    def _reject(self, status: int, reason: str, headers: dict[str, str] | None = None) -> None:
        # Answered as Go's HTTP server answers a failed handler: the connection stays open for
        # another request unless the client asked to close it.
        raw = self.raw
        if raw is None:
            return
        peer = raw.get_extra_info("peername") or ("", 0)
        self.server.log.error(f"{peer[0]}:{peer[1]} - websocket handshake error: {reason}")
        text = _HTTP_STATUS.get(status, "Bad Request")
        body = f"{text}\n".encode()
        closing = "close" in (headers or {}).get("connection", "").lower() or headers is None
        head = (
            f"HTTP/1.1 {status} {text}\r\nContent-Type: text/plain; charset=utf-8\r\n"
            f"Sec-Websocket-Version: 13\r\nX-Content-Type-Options: nosniff\r\n"
            f"Date: {formatdate(usegmt=True)}\r\nContent-Length: {len(body)}\r\n"
            f"{'Connection: close' + chr(13) + chr(10) if closing else ''}\r\n"
        )
        raw.write(head.encode() + body)
        if closing:
            raw.close()

    def _upgrade(self, headers: dict[str, str], compress: bool) -> None:
        raw = self.raw
        assert raw is not None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        key = headers["sec-websocket-key"].encode()
        accept = base64.b64encode(hashlib.sha1(key + GUID).digest()).decode()
        lines = [
            "HTTP/1.1 101 Switching Protocols",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Accept: {accept}",
        ]
        if compress:
            lines.append(
                "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover"
            )
        raw.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        self._decoder.require_mask = headers.get("nats-no-masking", "").lower() != "true"
        client = ClientConnection(self.server, self.config.auth)
        client.websocket = True
        client.cookie_credentials = _cookie_credentials(headers.get("cookie", ""), self.config.cookies)
        self.client = client
        client.connection_made(cast(asyncio.Transport, WebSocketTransport(raw, compress)))


class _Reject(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def _cookie_credentials(header: str, names: dict[str, str]) -> dict[str, str]:
    """CONNECT fields taken from the upgrade request's cookies (jwt_cookie, user_cookie ...)."""
    if not header or not names:
        return {}
    jar = SimpleCookie()
    try:
        jar.load(header)
    except CookieError:
        return {}
    return {names[name]: morsel.value for name, morsel in jar.items() if name in names}


def _parse_request(head: bytes) -> tuple[str, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/"):
        raise _Reject(400, "malformed request line")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep:
            raise _Reject(400, "malformed header line")
        key = name.strip().lower()
        headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
    return parts[0], headers


async def start_websocket(server: Server, config: WebSocketConfig) -> tuple[asyncio.Server, int]:
    """Listen for websocket clients; return the listener and its port."""
    port = 0 if config.port < 0 else config.port
    listener = await server.loop.create_server(
        lambda: WebSocketProtocol(server, config), host=config.host, port=port, ssl=config.ssl
    )
    bound = listener.sockets[0].getsockname()[1]
    scheme = "wss" if config.ssl is not None else "ws"
    host = f"[{config.host}]" if ":" in config.host else config.host
    server.log.info(f"Listening for websocket clients on {scheme}://{host}:{bound}")
    if config.ssl is None:
        server.log.warn("Websocket not configured with TLS. DO NOT USE IN PRODUCTION!")
    return listener, bound
