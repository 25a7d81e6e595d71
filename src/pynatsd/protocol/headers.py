# NATS/1.0 header blocks (ADR-4): the first line `NATS/1.0[ <status>[ <description>]]`, then
# `Key: Value` lines, then a blank line. Keys keep their case and may repeat.
#
# The server reads only the few headers it acts on (JetStream's Nats-* headers), so lookups scan the
# raw block instead of building a dict for every message.
from __future__ import annotations

from typing import Final

__all__ = ["HDR_LINE", "build_headers", "get_header", "parse_headers", "status_of"]

HDR_LINE: Final = b"NATS/1.0"
_CRLF: Final = b"\r\n"


def build_headers(
    items: list[tuple[str, str]] | None = None, status: int = 0, description: str = ""
) -> bytes:
    """A complete header block, ending with the blank line."""
    first = HDR_LINE
    if status:
        first += b" %d" % status
        if description:
            first += b" " + description.encode()
    lines = [first]
    for key, value in items or ():
        lines.append(key.encode() + b": " + value.encode())
    return _CRLF.join(lines) + _CRLF + _CRLF


def get_header(hdr: bytes, key: bytes) -> bytes | None:
    """The value of the first `key` header (case-sensitive, as nats-server looks them up)."""
    if not hdr:
        return None
    needle = _CRLF + key + b":"
    i = hdr.find(needle)
    if i < 0:
        return None
    start = i + len(needle)
    end = hdr.find(_CRLF, start)
    return hdr[start : end if end >= 0 else len(hdr)].strip()


def parse_headers(hdr: bytes) -> list[tuple[str, str]]:
    """Every `Key: Value` pair in order (status line excluded)."""
    out: list[tuple[str, str]] = []
    for line in hdr.split(_CRLF)[1:]:
        if not line:
            continue
        key, sep, value = line.partition(b":")
        if sep:
            out.append((key.decode(errors="replace").strip(), value.decode(errors="replace").strip()))
    return out


def status_of(hdr: bytes) -> tuple[int, str]:
    """(status code, description) from the first line; (0, "") when there is none."""
    first = hdr.split(_CRLF, 1)[0]
    parts = first.split(b" ", 2)
    if len(parts) < 2 or not parts[1].isdigit():
        return 0, ""
    return int(parts[1]), parts[2].decode(errors="replace") if len(parts) > 2 else ""
