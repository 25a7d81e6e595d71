# Typed decoding of JetStream requests with the semantics and error texts of nats-server's decoder.
#
# Why: nats-server decodes request bodies with Go's encoding/json (its v2-backed v1 API), strict about
# unknown fields. What a client sees on a bad body is that decoder's text, for example
# `json: cannot unmarshal string into Go struct field StreamConfigRequest.max_msgs of type int64`.
# The behaviour differs from msgspec in ways clients can notice, all observed on nats-server 2.15:
#   - keys match case-insensitively (`"NO_ACK"` sets no_ack) and a repeated key wins (last one);
#   - a body may hold several JSON values one after another; each is decoded into the same target;
#   - `null` leaves a plain value alone, clears a pointer/slice/map, and is handed to enum decoders;
#   - the first error in document order wins, and a syntax error anywhere in a value wins over
#     everything inside that value (the whole value is read before it is decoded);
#   - an integer that does not fit, or is written with a fraction or exponent, names the literal
#     (`number 1.5`), a value of the wrong JSON kind does not (`string`).
#
# How: the msgspec Struct classes are the schema. Each field's Go facts ride on typing.Annotated
# metadata (GoInt for the integer width, GoEnum for enum parsing, OMITEMPTY for encoding, GO_TIME
# and GO_TIME_TEXT for times); a Struct names its Go type in a `go_type` ClassVar. `walk` turns the
# scanner's Node tree into plain Python values checked against that schema, and msgspec.convert
# builds the Struct from them, which then cannot fail.
from __future__ import annotations

import base64
import binascii
import functools
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Final, Literal, TypeVar, Union

import msgspec

from pynatsd.jetstream.jsonutil_scan import GoJSONError, Node, go_quote, scan_values
from pynatsd.jetstream.jsonutil_time import ZERO_TIME, parse_go_time

__all__ = [
    "DURATION",
    "GO_TIME",
    "GO_TIME_TEXT",
    "INT",
    "INT32",
    "INT64",
    "OMITEMPTY",
    "UINT16",
    "UINT64",
    "FieldSpec",
    "GoEnum",
    "GoInt",
    "Kind",
    "decode",
    "fields_of",
    "go_type_name",
]

T = TypeVar("T", bound=msgspec.Struct)


@dataclass(frozen=True, slots=True)
class GoInt:
    """An integer field: its Go type name and range."""

    go_type: str
    lo: int
    hi: int


@dataclass(frozen=True, slots=True)
class GoEnum:
    """An enum with a custom Go UnmarshalJSON: `parse(raw_json, node)` returns the canonical value."""

    go_type: str
    parse: Callable[[bytes, Node], str]


@dataclass(frozen=True, slots=True)
class _Flag:
    name: str


INT: Final = GoInt("int", -(1 << 63), (1 << 63) - 1)
INT32: Final = GoInt("int32", -(1 << 31), (1 << 31) - 1)
INT64: Final = GoInt("int64", -(1 << 63), (1 << 63) - 1)
UINT16: Final = GoInt("uint16", 0, (1 << 16) - 1)
UINT64: Final = GoInt("uint64", 0, (1 << 64) - 1)
DURATION: Final = GoInt("time.Duration", -(1 << 63), (1 << 63) - 1)
OMITEMPTY: Final = _Flag("omitempty")
GO_TIME: Final = _Flag("time")  # int nanoseconds, a Go time.Time value (0 = zero time)
GO_TIME_TEXT: Final = _Flag("time_text")  # the canonical RFC3339 text of a *time.Time


@dataclass(frozen=True, slots=True)
class Kind:
    """What a field holds. `tag` is one of bool, str, int, enum, time, time_text, bytes, struct,
    list, map, any."""

    tag: str
    go_type: str
    int_spec: GoInt | None = None
    enum: GoEnum | None = None
    struct: type[msgspec.Struct] | None = None
    elem: Kind | None = None
    nullable_elem: bool = False


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    kind: Kind
    nullable: bool
    omitempty: bool
    default: object


def go_type_name(cls: type[msgspec.Struct]) -> str:
    """The Go type of a Struct, as `server.StreamConfig`."""
    name = getattr(cls, "go_type", None)
    return name if isinstance(name, str) else "server." + cls.__name__


def _split_annotated(tp: Any) -> tuple[Any, tuple[object, ...]]:
    if typing.get_origin(tp) is Annotated:
        args = typing.get_args(tp)
        return args[0], tuple(args[1:])
    return tp, ()


def _split_optional(tp: Any) -> tuple[Any, bool]:
    origin = typing.get_origin(tp)
    if origin is Union or origin is types.UnionType:
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1 and len(args) != len(typing.get_args(tp)):
            return args[0], True
    return tp, False


def _kind_of(tp: Any, meta: tuple[object, ...]) -> Kind:
    tp, inner_meta = _split_annotated(tp)
    meta = meta + inner_meta
    for m in meta:
        if isinstance(m, GoEnum):
            return Kind("enum", m.go_type, enum=m)
        if isinstance(m, GoInt):
            return Kind("int", m.go_type, int_spec=m)
        if m is GO_TIME:
            return Kind("time", "time.Time")
        if m is GO_TIME_TEXT:
            return Kind("time_text", "time.Time")
    origin = typing.get_origin(tp)
    if tp is bool:
        return Kind("bool", "bool")
    if tp is str:
        return Kind("str", "string")
    if tp is int:
        return Kind("int", "int", int_spec=INT)
    if tp is bytes:
        return Kind("bytes", "[]uint8")
    if origin is Literal:
        return Kind("str", "string")
    if origin is list:
        elem_tp, nullable = _split_optional(typing.get_args(tp)[0])
        elem = _kind_of(elem_tp, ())
        star = "*" if nullable else ""
        return Kind("list", f"[]{star}{elem.go_type}", elem=elem, nullable_elem=nullable)
    if origin is dict:
        elem = _kind_of(typing.get_args(tp)[1], ())
        return Kind("map", f"map[string]{elem.go_type}", elem=elem)
    if isinstance(tp, type) and issubclass(tp, msgspec.Struct):
        return Kind("struct", go_type_name(tp), struct=tp)
    return Kind("any", "interface {}")


@functools.cache
def fields_of(cls: type[msgspec.Struct]) -> tuple[FieldSpec, ...]:
    """The fields of a Struct in declaration order (= JSON order), with their Go facts."""
    hints = typing.get_type_hints(cls, include_extras=True)
    info = msgspec.structs.fields(cls)
    specs = []
    for f in info:
        tp, meta = _split_annotated(hints[f.name])
        tp, nullable = _split_optional(tp)
        default = f.default if f.default is not msgspec.NODEFAULT else None
        if f.default_factory is not msgspec.NODEFAULT:
            default = f.default_factory()
        kind = _kind_of(tp, meta)
        specs.append(FieldSpec(f.encode_name, kind, nullable, OMITEMPTY in meta, default))
    return tuple(specs)


@functools.cache
def _lookup(cls: type[msgspec.Struct]) -> tuple[dict[str, FieldSpec], dict[str, FieldSpec]]:
    exact = {f.name: f for f in fields_of(cls)}
    folded: dict[str, FieldSpec] = {}
    for f in fields_of(cls):
        folded.setdefault(f.name.casefold(), f)
    return exact, folded


class _Walker:
    __slots__ = ("data", "root", "strict")

    def __init__(self, data: bytes, root: str, strict: bool = True) -> None:
        self.data = data
        self.root = root
        self.strict = strict

    def mismatch(self, node: Node, kind: Kind, path: list[str | int], literal: bool = False) -> GoJSONError:
        what = f"number {node.value}" if literal else node.kind
        if not path:
            return GoJSONError(f"json: cannot unmarshal {what} into Go value of type {kind.go_type}")
        dotted = ".".join(str(p) for p in path)
        where = (
            f"{self.root}.{dotted}" if isinstance(path[-1], int) else f"Go struct field {self.root}.{dotted}"
        )
        return GoJSONError(f"json: cannot unmarshal {what} into {where} of type {kind.go_type}")

    def struct(
        self, node: Node, cls: type[msgspec.Struct], path: list[str | int], into: dict[str, Any]
    ) -> None:
        exact, folded = _lookup(cls)
        members = node.value
        assert isinstance(members, list)
        for key, child in members:
            spec = exact.get(key) or folded.get(key.casefold())
            if spec is None:
                if not self.strict:
                    continue
                raise GoJSONError(f"json: unknown field {go_quote(key)}")
            sub = [*path, spec.name]
            if child.kind == "null" and spec.kind.tag != "enum":
                if spec.nullable or spec.kind.tag in ("list", "map"):
                    into[spec.name] = None
                continue
            into[spec.name] = self.value(child, spec.kind, sub, into.get(spec.name))

    def value(self, node: Node, kind: Kind, path: list[str | int], current: object) -> object:
        tag = kind.tag
        if tag == "enum":
            assert kind.enum is not None
            return kind.enum.parse(self.data[node.start : node.end], node)
        if node.kind == "null":
            # A null element of a slice of values, or inside a map: Go leaves the zero value.
            return {} if tag == "struct" else _zero(kind)
        if tag == "struct":
            if node.kind != "object":
                raise self.mismatch(node, kind, path)
            assert kind.struct is not None
            target = current if isinstance(current, dict) else {}
            self.struct(node, kind.struct, path, target)
            return target
        if tag == "list":
            return self.array(node, kind, path)
        if tag == "map":
            return self.mapping(node, kind, path, current)
        return self.scalar(node, kind, path)

    def array(self, node: Node, kind: Kind, path: list[str | int]) -> list[object]:
        if node.kind != "array":
            raise self.mismatch(node, kind, path)
        assert kind.elem is not None
        assert isinstance(node.value, list)
        out: list[object] = []
        for i, item in enumerate(node.value):
            if item.kind == "null" and kind.nullable_elem:
                out.append(None)
            else:
                out.append(self.value(item, kind.elem, [*path, i], None))
        return out

    def mapping(self, node: Node, kind: Kind, path: list[str | int], current: object) -> dict[str, object]:
        if node.kind != "object":
            raise self.mismatch(node, kind, path)
        assert kind.elem is not None
        assert isinstance(node.value, list)
        out: dict[str, object] = current if isinstance(current, dict) else {}
        for key, item in node.value:
            out[key] = self.value(item, kind.elem, [*path, key], out.get(key))
        return out

    def scalar(self, node: Node, kind: Kind, path: list[str | int]) -> object:
        tag = kind.tag
        if tag == "any":
            return _plain(node)
        if tag == "bool":
            if node.kind != "bool":
                raise self.mismatch(node, kind, path)
            return node.value
        if tag == "int":
            return self.integer(node, kind, path)
        if node.kind != "string":
            raise self.mismatch(node, kind, path)
        text = node.value
        assert isinstance(text, str)
        if tag in ("time_text", "time"):
            try:
                parsed = parse_go_time(text)
            except ValueError as exc:
                raise GoJSONError(str(exc)) from None
            if tag == "time_text":
                return parsed.text
            return 0 if parsed.text == ZERO_TIME else parsed.unix_ns
        if tag == "bytes":
            return _base64(text)
        return text

    def integer(self, node: Node, kind: Kind, path: list[str | int]) -> int:
        if node.kind != "number":
            raise self.mismatch(node, kind, path)
        text = node.value
        spec = kind.int_spec
        assert isinstance(text, str)
        assert spec is not None
        if "." in text or "e" in text or "E" in text or (spec.lo == 0 and text.startswith("-")):
            raise self.mismatch(node, kind, path, literal=True)
        number = int(text)
        if not spec.lo <= number <= spec.hi:
            raise self.mismatch(node, kind, path, literal=True)
        return number


def _zero(kind: Kind) -> object:
    return {"bool": False, "int": 0, "str": "", "bytes": b""}.get(kind.tag)


def _plain(node: Node) -> object:
    if node.kind == "object":
        assert isinstance(node.value, list)
        return {k: _plain(v) for k, v in node.value}
    if node.kind == "array":
        assert isinstance(node.value, list)
        return [_plain(v) for v in node.value]
    if node.kind == "number":
        text = str(node.value)
        return float(text) if any(c in text for c in ".eE") else int(text)
    return node.value


def _base64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise GoJSONError("illegal base64 data at input byte 0") from None


def decode(
    data: bytes | bytearray | memoryview, cls: type[T], *, root: str | None = None, strict: bool = True
) -> T:
    """Decode a request body into `cls` like nats-server does; raise GoJSONError with its message.

    `root` is the Go struct name used in field paths; it defaults to the Go type name without its
    package (`StreamConfigRequest`). `strict=False` skips unknown fields, like a plain
    json.Unmarshal (direct get decodes that way).
    """
    raw = bytes(data)
    go_name = go_type_name(cls)
    walker = _Walker(raw, root or go_name.rpartition(".")[2], strict)
    top = Kind("struct", go_name, struct=cls)
    target: dict[str, Any] = {}
    for node in scan_values(raw):
        if node.kind == "null":
            continue
        if node.kind != "object":
            raise walker.mismatch(node, top, [])
        walker.struct(node, cls, [], target)
    return msgspec.convert(target, cls)
