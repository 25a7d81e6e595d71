# ConsumerConfig and the consumer API's requests and responses, shaped like nats-server 2.15's Go
# structs.
#
# Why: clients read consumer configs and infos field by field and compare configs they sent with
# those they get back (nats.go's "configuration requests ... but server has ..." checks), so the JSON
# must be nats-server's byte for byte. As in types_stream.py, field order is the JSON order, `Omit`
# is Go's omitempty, `X | None` is a Go pointer, integers carry their Go width, Durations are int
# nanoseconds, `*time.Time` configs keep their RFC3339 text (GoTimeText) and info times are
# GoTimeNs.
#
# Enums decode with nats-server's own UnmarshalJSON: each compares the raw JSON text exactly and
# fails with `can not unmarshal "<raw>"` (deliver policy also takes "undefined" as "all"); the
# priority policy and the create action fail with their own words. A ConsumerInfo's `config` is a
# pointer (omitted when nil), and `pinned_ts` is a Go time.Time struct, which omitempty never omits.
from __future__ import annotations

from typing import Annotated, ClassVar, Final, Literal

import msgspec

from pynatsd.jetstream.errors import JSError
from pynatsd.jetstream.jsonutil import (
    Duration,
    GoEnum,
    GoJSONError,
    GoTimeNs,
    GoTimeText,
    Int,
    Node,
    Omit,
    Uint64,
    go_quote,
)
from pynatsd.jetstream.types_api import ClusterInfo
from pynatsd.jetstream.types_stream import GoStruct

__all__ = [
    "ZERO_TIME_TEXT",
    "AckPolicy",
    "ConsumerAction",
    "ConsumerConfig",
    "ConsumerCreateResponse",
    "ConsumerDeleteResponse",
    "ConsumerInfo",
    "ConsumerInfoResponse",
    "ConsumerListResponse",
    "ConsumerNamesResponse",
    "ConsumerPauseRequest",
    "ConsumerPauseResponse",
    "ConsumerResetRequest",
    "ConsumerResetResponse",
    "ConsumerUnpinRequest",
    "ConsumerUnpinResponse",
    "ConsumersRequest",
    "CreateConsumerRequest",
    "DeliverPolicy",
    "NakDelay",
    "PriorityGroupState",
    "PriorityPolicy",
    "ReplayPolicy",
    "SequenceInfo",
]

DeliverPolicy = Literal["all", "last", "new", "by_start_sequence", "by_start_time", "last_per_subject"]
AckPolicy = Literal["none", "all", "explicit", "flow_control"]
ReplayPolicy = Literal["instant", "original"]
PriorityPolicy = Literal["none", "overflow", "pinned_client", "prioritized"]
ConsumerAction = Literal["", "create", "update"]

_API: Final = "io.nats.jetstream.api.v1."
ZERO_TIME_TEXT: Final = "0001-01-01T00:00:00Z"


def _exact(values: dict[str, str], error: str | None = None) -> GoEnum:
    table = {f'"{k}"'.encode(): v for k, v in values.items()}

    def parse(raw: bytes, _node: Node) -> str:
        try:
            return table[raw]
        except KeyError:
            text = raw.decode("utf-8", "replace")
            if error is None:
                raise GoJSONError(f"can not unmarshal {go_quote(text)}") from None
            raise GoJSONError(f"{error}: {text}") from None

    return GoEnum("enum", parse)


def _same(*names: str) -> dict[str, str]:
    return {n: n for n in names}


DELIVER: Final = _exact(
    {
        **_same("all", "last", "new", "by_start_sequence", "by_start_time", "last_per_subject"),
        "undefined": "all",
    }
)
ACK: Final = _exact(_same("none", "all", "explicit", "flow_control"))
REPLAY: Final = _exact(_same("instant", "original"))
PRIORITY: Final = _exact(_same("none", "overflow", "pinned_client", "prioritized"), "unknown priority policy")
ACTION: Final = _exact(_same("", "create", "update"), "unknown consumer action")


class NakDelay(msgspec.Struct, forbid_unknown_fields=False):
    """The JSON form of a -NAK's argument: `{"delay": ns}`."""

    delay: int = 0


class ConsumerConfig(GoStruct):
    """A consumer's configuration; field order and omission as nats-server 2.15 writes it."""

    go_type: ClassVar[str] = "server.ConsumerConfig"

    durable_name: Annotated[str, Omit] = ""
    name: Annotated[str, Omit] = ""
    description: Annotated[str, Omit] = ""
    deliver_policy: Annotated[DeliverPolicy, DELIVER] = "all"
    opt_start_seq: Annotated[Uint64, Omit] = 0
    opt_start_time: Annotated[GoTimeText | None, Omit] = None
    ack_policy: Annotated[AckPolicy, ACK] = "none"
    ack_wait: Annotated[Duration, Omit] = 0
    max_deliver: Annotated[Int, Omit] = 0
    backoff: Annotated[list[Duration] | None, Omit] = None
    filter_subject: Annotated[str, Omit] = ""
    filter_subjects: Annotated[list[str] | None, Omit] = None
    replay_policy: Annotated[ReplayPolicy, REPLAY] = "instant"
    rate_limit_bps: Annotated[Uint64, Omit] = 0
    sample_freq: Annotated[str, Omit] = ""
    max_waiting: Annotated[Int, Omit] = 0
    max_ack_pending: Annotated[Int, Omit] = 0
    flow_control: Annotated[bool, Omit] = False
    headers_only: Annotated[bool, Omit] = False
    max_batch: Annotated[Int, Omit] = 0
    max_expires: Annotated[Duration, Omit] = 0
    max_bytes: Annotated[Int, Omit] = 0
    deliver_subject: Annotated[str, Omit] = ""
    deliver_group: Annotated[str, Omit] = ""
    idle_heartbeat: Annotated[Duration, Omit] = 0
    inactive_threshold: Annotated[Duration, Omit] = 0
    num_replicas: Int = 0
    mem_storage: Annotated[bool, Omit] = False
    direct: Annotated[bool, Omit] = False
    sourcing: Annotated[bool, Omit] = False
    metadata: Annotated[dict[str, str] | None, Omit] = None
    pause_until: Annotated[GoTimeText | None, Omit] = None
    priority_groups: Annotated[list[str] | None, Omit] = None
    priority_policy: Annotated[PriorityPolicy, PRIORITY, Omit] = "none"
    priority_timeout: Annotated[Duration, Omit] = 0

    @property
    def is_durable(self) -> bool:
        return bool(self.durable_name)

    @property
    def is_push(self) -> bool:
        return bool(self.deliver_subject)


class CreateConsumerRequest(GoStruct):
    """The body of CONSUMER.CREATE and CONSUMER.DURABLE.CREATE."""

    go_type: ClassVar[str] = "server.CreateConsumerRequest"

    stream_name: str = ""
    config: ConsumerConfig = msgspec.field(default_factory=ConsumerConfig)
    action: Annotated[ConsumerAction, ACTION] = ""
    pedantic: Annotated[bool, Omit] = False


class SequenceInfo(GoStruct):
    go_type: ClassVar[str] = "server.SequenceInfo"

    consumer_seq: Uint64 = 0
    stream_seq: Uint64 = 0
    last_active: Annotated[GoTimeNs | None, Omit] = None


class PriorityGroupState(GoStruct):
    go_type: ClassVar[str] = "server.PriorityGroupState"

    group: str = ""
    pinned_client_id: Annotated[str, Omit] = ""
    pinned_ts: GoTimeNs = 0


class ConsumerInfo(GoStruct):
    go_type: ClassVar[str] = "server.ConsumerInfo"

    stream_name: str = ""
    name: str = ""
    created: GoTimeNs = 0
    config: Annotated[ConsumerConfig | None, Omit] = None
    delivered: SequenceInfo = msgspec.field(default_factory=SequenceInfo)
    ack_floor: SequenceInfo = msgspec.field(default_factory=SequenceInfo)
    num_ack_pending: Int = 0
    num_redelivered: Int = 0
    num_waiting: Int = 0
    num_pending: Uint64 = 0
    cluster: Annotated[ClusterInfo | None, Omit] = None
    push_bound: Annotated[bool, Omit] = False
    paused: Annotated[bool, Omit] = False
    pause_remaining: Annotated[Duration, Omit] = 0
    ts: GoTimeNs = 0
    priority_groups: Annotated[list[PriorityGroupState] | None, Omit] = None


# -- responses ----------------------------------------------------------------------------------


class ConsumerCreateResponse(GoStruct):
    go_embed: ClassVar[frozenset[str]] = frozenset({"info"})

    type: str = _API + "consumer_create_response"
    error: Annotated[JSError | None, Omit] = None
    info: ConsumerInfo | None = None


class ConsumerInfoResponse(GoStruct):
    go_embed: ClassVar[frozenset[str]] = frozenset({"info"})

    type: str = _API + "consumer_info_response"
    error: Annotated[JSError | None, Omit] = None
    info: ConsumerInfo | None = None


class ConsumerDeleteResponse(GoStruct):
    type: str = _API + "consumer_delete_response"
    error: Annotated[JSError | None, Omit] = None
    success: Annotated[bool, Omit] = False


class ConsumerNamesResponse(GoStruct):
    type: str = _API + "consumer_names_response"
    error: Annotated[JSError | None, Omit] = None
    total: Int = 0
    offset: Int = 0
    limit: Int = 0
    consumers: list[str] = msgspec.field(default_factory=list)


class ConsumerListResponse(GoStruct):
    type: str = _API + "consumer_list_response"
    error: Annotated[JSError | None, Omit] = None
    total: Int = 0
    offset: Int = 0
    limit: Int = 0
    consumers: list[ConsumerInfo] = msgspec.field(default_factory=list)
    missing: Annotated[list[str] | None, Omit] = None
    offline: Annotated[dict[str, str] | None, Omit] = None


class ConsumerPauseResponse(GoStruct):
    type: str = _API + "consumer_pause_response"
    error: Annotated[JSError | None, Omit] = None
    paused: bool = False
    pause_until: GoTimeText = ZERO_TIME_TEXT
    pause_remaining: Annotated[Duration, Omit] = 0


class ConsumerUnpinResponse(GoStruct):
    type: str = _API + "consumer_unpin_response"
    error: Annotated[JSError | None, Omit] = None


class ConsumerResetResponse(GoStruct):
    go_embed: ClassVar[frozenset[str]] = frozenset({"info"})

    type: str = _API + "consumer_reset_response"
    error: Annotated[JSError | None, Omit] = None
    info: ConsumerInfo | None = None
    reset_seq: Uint64 = 0


# -- requests -----------------------------------------------------------------------------------


class ConsumersRequest(GoStruct):
    """The body of CONSUMER.NAMES and CONSUMER.LIST."""

    go_type: ClassVar[str] = "server.JSApiConsumersRequest"

    offset: Int = 0


class ConsumerPauseRequest(GoStruct):
    go_type: ClassVar[str] = "server.JSApiConsumerPauseRequest"

    pause_until: Annotated[GoTimeText | None, Omit] = None


class ConsumerUnpinRequest(GoStruct):
    go_type: ClassVar[str] = "server.JSApiConsumerUnpinRequest"

    group: str = ""


class ConsumerResetRequest(GoStruct):
    go_type: ClassVar[str] = "server.JSApiConsumerResetRequest"

    seq: Annotated[Uint64, Omit] = 0
