# Make server transcripts comparable across servers and runs.
#
# Two servers answering the same bytes differ only in a few per-process or per-connection values
# carried by INFO: ids, keys, versions, ports, connection ids, nonces. Those are masked in place, in
# the raw JSON text, so that everything else (key order, spacing, escaping, the ` \r\n` after the
# JSON) is still compared byte for byte. A value is masked only when it has the expected JSON type
# and shape; anything else is left untouched so that the difference shows up in the comparison.
from __future__ import annotations

import re
from dataclasses import dataclass

_STR = rb'"(?:[^"\\]|\\.)*"'
_INT = rb"-?[0-9]+"
_STR_LIST = rb"\[(?:" + _STR + rb"(?:," + _STR + rb")*)?\]"
_NKEY = rb'"%s[A-Z2-7]{55}"'

# key -> pattern the raw JSON value must match to be masked
VOLATILE_INFO_FIELDS: dict[str, bytes] = {
    "server_id": _NKEY % b"N",
    "server_name": _STR,
    "version": rb'"[0-9]+\.[0-9]+\.[0-9]+(?:-[0-9A-Za-z.+-]+)?"',
    "git_commit": _STR,
    "go": _STR,
    "port": _INT,
    "client_id": _INT,
    "nonce": rb'"[A-Za-z0-9_-]{11,}"',
    "xkey": _NKEY % b"X",
    "connect_urls": _STR_LIST,
    "ws_connect_urls": _STR_LIST,
}

_FIELD_RES = {
    key: re.compile(rb'(?<=[{,])"' + key.encode() + rb'":(' + pattern + rb")(?=[,}])")
    for key, pattern in VOLATILE_INFO_FIELDS.items()
}

_MSG_HEAD = re.compile(rb"^(?:MSG|HMSG)[ \t]")


def normalize_info_json(body: bytes) -> bytes:
    """Mask the volatile values of one INFO JSON object given as raw text."""
    for key, rx in _FIELD_RES.items():
        body = rx.sub(b'"' + key.encode() + b'":"<' + key.encode() + b'>"', body, count=1)
    return body


def normalize_frame(frame: bytes) -> bytes:
    if frame.startswith(b"INFO "):
        return b"INFO " + normalize_info_json(frame[5:])
    return frame


def split_frames(data: bytes) -> list[bytes]:
    """Split a server-to-client byte stream into protocol frames.

    A frame is one control line with its line ending; for MSG and HMSG it also holds the payload and
    the CRLF after it, sized from the last argument. A trailing incomplete frame is kept as it is.
    """
    frames: list[bytes] = []
    pos = 0
    n = len(data)
    while pos < n:
        nl = data.find(b"\n", pos)
        if nl < 0:
            frames.append(data[pos:])
            break
        end = nl + 1
        line = data[pos:end]
        if _MSG_HEAD.match(line):
            args = line.split()
            try:
                size = int(args[-1])
            except ValueError:
                size = -1
            if size >= 0:
                end = min(n, end + size + 2)
        frames.append(data[pos:end])
        pos = end
    return frames


def normalize_stream(data: bytes) -> bytes:
    """Mask volatile INFO values anywhere in a server-to-client byte stream."""
    if b"INFO " not in data:
        return data
    return b"".join(normalize_frame(f) for f in split_frames(data))


@dataclass(frozen=True)
class Transcript:
    """What a server sent on one connection (normalised) and whether it closed that connection."""

    data: bytes
    closed: bool

    @classmethod
    def of(cls, data: bytes, closed: bool) -> Transcript:
        return cls(normalize_stream(data), closed)

    def frames(self) -> list[bytes]:
        return split_frames(self.data)

    def __repr__(self) -> str:
        return f"Transcript(closed={self.closed}, data={self.data!r})"
