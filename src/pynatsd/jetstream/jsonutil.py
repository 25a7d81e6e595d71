# Go-compatible JSON for the JetStream API: what nats-server writes, and how it reads.
#
# Why: clients compare and display these bytes. nats-server writes compact JSON with Go's struct
# field order, leaves out `omitempty` fields that are empty (but not the others: `"max_age":0` and
# `"sealed":false` are always there, `"consumer_limits":{}` too), sorts map keys, prints times as
# RFC3339Nano in UTC, and escapes `<`, `>`, `&`, U+2028 and U+2029 as \u003c... (Go's HTML-safe
# default). It reads strictly (unknown fields rejected) with the Go decoder's error texts.
#
# How: Structs in types.py declare fields in Go order and mark their Go facts with typing.Annotated
# metadata (see jsonutil_decode). `to_builtins` walks a Struct into plain dicts and lists following
# those marks (a `go_embed` ClassVar lists fields that Go embeds, whose members are inlined), msgspec
# serialises that, and `_go_escape` does Go's escaping on the bytes: `<>&` and
# the two line separators can only occur inside JSON strings, so a byte replace is exact. Plain dicts
# passed in are kept in their own key order (they stand for Go structs); dict-typed Struct fields are
# Go maps and are sorted. `decode` is jsonutil_decode.decode; the scanner and time parser live in
# jsonutil_scan and jsonutil_time.
from __future__ import annotations

from typing import Annotated, Any, Final

import msgspec

from pynatsd.jetstream.jsonutil_decode import (
    DURATION,
    GO_TIME,
    GO_TIME_TEXT,
    INT,
    INT32,
    INT64,
    OMITEMPTY,
    UINT16,
    UINT64,
    FieldSpec,
    GoEnum,
    GoInt,
    decode,
    fields_of,
    go_type_name,
)
from pynatsd.jetstream.jsonutil_scan import GoJSONError, Node, go_quote, scan_values
from pynatsd.jetstream.jsonutil_time import ZERO_TIME, GoTime, format_go_time, parse_go_time

__all__ = [
    "GO_TIME",
    "GO_TIME_TEXT",
    "OMITEMPTY",
    "ZERO_TIME",
    "Duration",
    "GoEnum",
    "GoInt",
    "GoJSONError",
    "GoTime",
    "GoTimeNs",
    "GoTimeText",
    "Int",
    "Int32",
    "Int64",
    "Node",
    "Omit",
    "Uint16",
    "Uint64",
    "decode",
    "encode",
    "format_go_time",
    "go_quote",
    "go_type_name",
    "is_empty_request",
    "parse_go_time",
    "to_builtins",
]

# Field type aliases: plain Python types for mypy, Go facts for the codec.
Int = Annotated[int, INT]
Int32 = Annotated[int, INT32]
Int64 = Annotated[int, INT64]
Uint16 = Annotated[int, UINT16]
Uint64 = Annotated[int, UINT64]
Duration = Annotated[int, DURATION]  # nanoseconds
GoTimeNs = Annotated[int, GO_TIME]  # nanoseconds since the epoch; 0 is Go's zero time
GoTimeText = Annotated[str, GO_TIME_TEXT]  # canonical RFC3339 text, offset kept
Omit: Final = OMITEMPTY

_ESCAPES: Final = (
    (b"<", b"\\u003c"),
    (b">", b"\\u003e"),
    (b"&", b"\\u0026"),
    ("\u2028".encode(), b"\\u2028"),
    ("\u2029".encode(), b"\\u2029"),
)
_ENCODER: Final = msgspec.json.Encoder()


def _is_empty(value: object, default: object) -> bool:
    if value is None:
        return True
    if isinstance(value, msgspec.Struct):
        return False
    return not value or value == default


def _field_value(spec: FieldSpec, value: object) -> object:
    tag = spec.kind.tag
    if tag == "time" and isinstance(value, int):
        return format_go_time(value)
    if tag == "map" and isinstance(value, dict):
        return {k: to_builtins(value[k]) for k in sorted(value)}
    return to_builtins(value)


def to_builtins(obj: object) -> Any:
    """A Struct (or dict/list of them) as plain JSON-ready values in Go's shape and order."""
    if isinstance(obj, msgspec.Struct):
        embedded: frozenset[str] = getattr(type(obj), "go_embed", frozenset())
        out: dict[str, object] = {}
        for spec in fields_of(type(obj)):
            value = getattr(obj, spec.name)
            if spec.name in embedded:
                # A Go embedded *struct: its fields are inlined, and nothing appears when it is nil.
                if value is not None:
                    out.update(to_builtins(value))
                continue
            if spec.omitempty and _is_empty(value, spec.default):
                continue
            out[spec.name] = _field_value(spec, value)
        return out
    if isinstance(obj, dict):
        return {k: to_builtins(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_builtins(v) for v in obj]
    return obj


def _go_escape(data: bytes) -> bytes:
    for raw, escaped in _ESCAPES:
        if raw in data:
            data = data.replace(raw, escaped)
    return data


def encode(obj: object) -> bytes:
    """Compact JSON exactly as nats-server writes it."""
    return _go_escape(_ENCODER.encode(to_builtins(obj)))


def is_empty_request(data: bytes | bytearray | memoryview) -> bool:
    """nats-server's isEmptyRequest: no body, or a JSON object without members."""
    raw = bytes(data)
    if not raw or raw == b"{}":
        return True
    try:
        values = list(scan_values(raw))
    except GoJSONError:
        return False
    return len(values) == 1 and values[0].kind == "object" and not values[0].value
