# StreamConfig and the types inside it, shaped like nats-server 2.15's Go structs.
#
# Why: the config a client gets back from STREAM.CREATE/INFO must be byte-identical to what
# nats-server returns, and clients (nats.go, nats.py, the CLI) reject or misread anything else.
# Field order here IS the JSON order; `Omit` marks Go's `omitempty` (so `"max_age":0` and
# `"sealed":false` always appear, `"no_ack"` only when true); a `X | None` Struct is a Go pointer
# (omitted when nil, `{}` when set but empty, as `"placement":{}` shows); dict fields are Go maps
# (encoded with sorted keys). Integers carry their Go width (Int64, Int32, Uint64, Duration) so that
# decoding rejects what Go rejects with the same words.
#
# Enums decode with nats-server's own UnmarshalJSON rules, which differ per type (observed):
# retention/storage/persist_mode compare the raw JSON text exactly, discard lower-cases it first,
# compression decodes a Go string and then checks it. Defaults are Go's zero values; the server's
# defaults (-1 limits, 2m duplicate window, subjects = [name]...) are filled by validate.py.
from __future__ import annotations

from typing import Annotated, ClassVar, Final, Literal

import msgspec

from pynatsd.jetstream.jsonutil import (
    Duration,
    GoEnum,
    GoJSONError,
    GoTimeText,
    Int,
    Int32,
    Int64,
    Node,
    Omit,
    Uint64,
    go_quote,
)

__all__ = [
    "Compression",
    "DiscardPolicy",
    "ExternalStream",
    "PersistMode",
    "Placement",
    "RePublish",
    "RetentionPolicy",
    "StorageType",
    "StreamConfig",
    "StreamConfigRequest",
    "StreamConsumerLimits",
    "StreamConsumerSource",
    "StreamSource",
    "SubjectTransformConfig",
]

RetentionPolicy = Literal["limits", "interest", "workqueue"]
DiscardPolicy = Literal["old", "new"]
StorageType = Literal["file", "memory"]
Compression = Literal["none", "s2"]
PersistMode = Literal["default", "async"]


def _cannot_unmarshal(raw: bytes) -> GoJSONError:
    return GoJSONError(f"can not unmarshal {go_quote(raw.decode('utf-8', 'replace'))}")


def _exact(values: dict[bytes, str]) -> GoEnum:
    def parse(raw: bytes, _node: Node) -> str:
        try:
            return values[raw]
        except KeyError:
            raise _cannot_unmarshal(raw) from None

    return GoEnum("enum", parse)


def _parse_discard(raw: bytes, _node: Node) -> str:
    lowered = raw.decode("utf-8", "replace").lower()
    if lowered in ('"old"', '"new"'):
        return lowered[1:-1]
    raise _cannot_unmarshal(raw)


def _parse_compression(_raw: bytes, node: Node) -> str:
    if node.kind not in ("string", "null"):
        raise GoJSONError(f"json: cannot unmarshal {node.kind} into Go value of type string")
    if node.value in ("none", "s2"):
        return str(node.value)
    raise GoJSONError("unknown compression algorithm")


RETENTION: Final = _exact({b'"limits"': "limits", b'"interest"': "interest", b'"workqueue"': "workqueue"})
STORAGE: Final = _exact({b'"file"': "file", b'"memory"': "memory"})
PERSIST: Final = _exact({b'"default"': "default", b'""': "default", b'"async"': "async"})
DISCARD: Final = GoEnum("enum", _parse_discard)
COMPRESSION: Final = GoEnum("enum", _parse_compression)


class GoStruct(msgspec.Struct, kw_only=True):
    """Base of the JetStream JSON types; `go_type` names the Go type in decode errors."""


class Placement(GoStruct):
    go_type: ClassVar[str] = "server.Placement"

    cluster: Annotated[str, Omit] = ""
    tags: Annotated[list[str] | None, Omit] = None
    preferred: Annotated[str, Omit] = ""


class SubjectTransformConfig(GoStruct):
    go_type: ClassVar[str] = "server.SubjectTransformConfig"

    src: str = ""
    dest: str = ""


class RePublish(GoStruct):
    go_type: ClassVar[str] = "server.RePublish"

    src: Annotated[str, Omit] = ""
    dest: str = ""
    headers_only: Annotated[bool, Omit] = False


class ExternalStream(GoStruct):
    go_type: ClassVar[str] = "server.ExternalStream"

    api: str = ""
    deliver: str = ""


class StreamConsumerSource(GoStruct):
    """A durable consumer on the origin used for sourcing (2.14+)."""

    go_type: ClassVar[str] = "server.StreamConsumerSource"

    name: Annotated[str, Omit] = ""
    deliver_subject: Annotated[str, Omit] = ""


class StreamSource(GoStruct):
    go_type: ClassVar[str] = "server.StreamSource"

    name: str = ""
    opt_start_seq: Annotated[Uint64, Omit] = 0
    opt_start_time: Annotated[GoTimeText | None, Omit] = None
    filter_subject: Annotated[str, Omit] = ""
    subject_transforms: Annotated[list[SubjectTransformConfig] | None, Omit] = None
    external: Annotated[ExternalStream | None, Omit] = None
    consumer: Annotated[StreamConsumerSource | None, Omit] = None


class StreamConsumerLimits(GoStruct):
    go_type: ClassVar[str] = "server.StreamConsumerLimits"

    inactive_threshold: Annotated[Duration, Omit] = 0
    max_ack_pending: Annotated[Int, Omit] = 0


class StreamConfig(GoStruct):
    """A stream's configuration; field order and omission as nats-server 2.15 writes it."""

    go_type: ClassVar[str] = "server.StreamConfig"

    name: str = ""
    description: Annotated[str, Omit] = ""
    subjects: Annotated[list[str] | None, Omit] = None
    retention: Annotated[RetentionPolicy, RETENTION] = "limits"
    max_consumers: Int = 0
    max_msgs: Int64 = 0
    max_bytes: Int64 = 0
    max_age: Duration = 0
    max_msgs_per_subject: Int64 = 0
    max_msg_size: Annotated[Int32, Omit] = 0
    discard: Annotated[DiscardPolicy, DISCARD] = "old"
    storage: Annotated[StorageType, STORAGE] = "file"
    num_replicas: Int = 0
    no_ack: Annotated[bool, Omit] = False
    duplicate_window: Annotated[Duration, Omit] = 0
    placement: Annotated[Placement | None, Omit] = None
    mirror: Annotated[StreamSource | None, Omit] = None
    sources: Annotated[list[StreamSource | None] | None, Omit] = None
    compression: Annotated[Compression, COMPRESSION] = "none"
    first_seq: Annotated[Uint64, Omit] = 0
    subject_transform: Annotated[SubjectTransformConfig | None, Omit] = None
    republish: Annotated[RePublish | None, Omit] = None
    allow_direct: bool = False
    mirror_direct: bool = False
    discard_new_per_subject: Annotated[bool, Omit] = False
    sealed: bool = False
    deny_delete: bool = False
    deny_purge: bool = False
    allow_rollup_hdrs: bool = False
    consumer_limits: StreamConsumerLimits = msgspec.field(default_factory=StreamConsumerLimits)
    allow_msg_ttl: bool = False
    subject_delete_marker_ttl: Annotated[Duration, Omit] = 0
    allow_msg_counter: Annotated[bool, Omit] = False
    allow_atomic: Annotated[bool, Omit] = False
    allow_msg_schedules: Annotated[bool, Omit] = False
    persist_mode: Annotated[PersistMode, PERSIST, Omit] = "default"
    allow_batched: Annotated[bool, Omit] = False
    metadata: Annotated[dict[str, str] | None, Omit] = None


class StreamConfigRequest(StreamConfig):
    """The body of STREAM.CREATE and STREAM.UPDATE: a StreamConfig plus the request-scoped `pedantic`."""

    go_type: ClassVar[str] = "server.StreamConfigRequest"

    pedantic: Annotated[bool, Omit] = False

    def config(self) -> StreamConfig:
        """The StreamConfig part, without `pedantic`."""
        values = {f: getattr(self, f) for f in StreamConfig.__struct_fields__}
        return StreamConfig(**values)
