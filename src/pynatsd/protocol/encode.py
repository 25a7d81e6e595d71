# Server-to-client encoders: bytes out, no I/O.
#
# INFO is `INFO <json> \r\n` (note the space before CRLF) with Go's JSON conventions: compact, keys in
# struct order, `<`, `>` and `&` escaped as \u003c \u003e \u0026, non-ASCII left as UTF-8. -ERR texts
# are single-quoted. MSG/HMSG framing is built by the delivery path from pieces that are shared across
# subscribers; the helpers here are for single messages.
from __future__ import annotations

import json
from typing import Any, Final

__all__ = [
    "OK",
    "PING",
    "PONG",
    "encode_err",
    "encode_hmsg",
    "encode_info",
    "encode_msg",
    "go_json",
    "no_responders_hmsg",
]

OK: Final = b"+OK\r\n"
PING: Final = b"PING\r\n"
PONG: Final = b"PONG\r\n"
CRLF: Final = b"\r\n"


def go_json(obj: Any) -> bytes:
    """JSON as Go's encoding/json writes it (compact, HTML-safe escapes, UTF-8)."""
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    if "<" in text or ">" in text or "&" in text:
        text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    if "\u2028" in text or "\u2029" in text:
        text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return text.encode()


def encode_info(info: dict[str, Any]) -> bytes:
    return b"INFO " + go_json(info) + b" \r\n"


def encode_err(text: str) -> bytes:
    return b"-ERR '" + text.encode() + b"'\r\n"


def encode_msg(subject: bytes, sid: bytes, reply: bytes, payload: bytes) -> bytes:
    if reply:
        head = b"MSG %s %s %s %d\r\n" % (subject, sid, reply, len(payload))
    else:
        head = b"MSG %s %s %d\r\n" % (subject, sid, len(payload))
    return head + payload + CRLF


def encode_hmsg(subject: bytes, sid: bytes, reply: bytes, hdr: bytes, payload: bytes) -> bytes:
    total = len(hdr) + len(payload)
    if reply:
        head = b"HMSG %s %s %s %d %d\r\n" % (subject, sid, reply, len(hdr), total)
    else:
        head = b"HMSG %s %s %d %d\r\n" % (subject, sid, len(hdr), total)
    return head + hdr + payload + CRLF


def no_responders_hmsg(reply: bytes, sid: bytes, subject: bytes) -> bytes:
    """The 503 status a requester gets when nobody was listening on the request subject."""
    hdr = b"NATS/1.0 503\r\nNats-Subject: " + subject + b"\r\n\r\n"
    return b"HMSG %s %s %d %d\r\n" % (reply, sid, len(hdr), len(hdr)) + hdr + CRLF
