# JetStream API requests and responses: StreamInfo, StreamState, PubAck, account info, the paged
# lists, purge/delete/msg-get, with nats-server 2.15's JSON shapes.
#
# Why: these are what clients parse. The shapes below were checked against nats-server 2.15.1:
#   - every response starts with `"type":"io.nats.jetstream.api.v1.<name>"`, then `"error"` when
#     there is one, and then the payload. Go embeds the payload struct by pointer, so on an error
#     the payload's fields are simply absent; that is `go_embed` here (see jsonutil.to_builtins);
#   - some fields survive an error because they sit beside the embedded pointer: STREAM.INFO keeps
#     `"total":0,"offset":0,"limit":0`, STREAM.PURGE keeps `"purged":0`;
#   - STREAM.NAMES with no match says `"streams":null`, STREAM.LIST says `"streams":[]`;
#   - a PubAck has no type and is written by hand by nats-server, hence `encode_pub_ack`:
#     `{"stream":"S","domain":"hub","seq":1,"duplicate": true}` (domain before seq, a space after the
#     duplicate colon). Failed publishes are marshalled: `{"error":{...},"stream":"S","seq":0}`.
# Times are GoTimeNs (int nanoseconds, 0 = Go's zero time); StoredMsg hdrs/data are bytes, which
# encode as base64 like Go's []byte.
from __future__ import annotations

from typing import Annotated, ClassVar, Final

import msgspec

from pynatsd.jetstream.errors import JSError
from pynatsd.jetstream.jsonutil import Duration, GoTimeNs, GoTimeText, Int, Int64, Omit, Uint64, encode
from pynatsd.jetstream.types_stream import ExternalStream, GoStruct, StreamConfig, SubjectTransformConfig

__all__ = [
    "API_PREFIX",
    "LIST_LIMIT",
    "NAMES_LIMIT",
    "AccountInfo",
    "AccountInfoResponse",
    "ApiError",
    "ClusterInfo",
    "JetStreamAPIStats",
    "JetStreamAccountLimits",
    "JetStreamTier",
    "LostStreamData",
    "MsgDeleteRequest",
    "MsgDeleteResponse",
    "MsgGetRequest",
    "MsgGetResponse",
    "PeerInfo",
    "PubAck",
    "PubAckResponse",
    "StoredMsg",
    "StreamAlternate",
    "StreamCreateResponse",
    "StreamDeleteResponse",
    "StreamInfo",
    "StreamInfoRequest",
    "StreamInfoResponse",
    "StreamListRequest",
    "StreamListResponse",
    "StreamNamesRequest",
    "StreamNamesResponse",
    "StreamPurgeRequest",
    "StreamPurgeResponse",
    "StreamSourceInfo",
    "StreamState",
    "StreamUpdateResponse",
    "encode_pub_ack",
    "pub_ack_head",
    "response_type",
]

ApiError = JSError
API_PREFIX: Final = "io.nats.jetstream.api.v1."
NAMES_LIMIT: Final = 1024
LIST_LIMIT: Final = 256


def response_type(name: str) -> str:
    """`stream_create_response` -> `io.nats.jetstream.api.v1.stream_create_response`."""
    return API_PREFIX + name


# -- stream info --------------------------------------------------------------------------------


class LostStreamData(GoStruct):
    go_type: ClassVar[str] = "server.LostStreamData"

    msgs: list[int] | None = None
    bytes: Uint64 = 0


class StreamState(GoStruct):
    go_type: ClassVar[str] = "server.StreamState"

    messages: Uint64 = 0
    bytes: Uint64 = 0
    first_seq: Uint64 = 0
    first_ts: GoTimeNs = 0
    last_seq: Uint64 = 0
    last_ts: GoTimeNs = 0
    num_subjects: Annotated[Int, Omit] = 0
    subjects: Annotated[dict[str, int] | None, Omit] = None
    num_deleted: Annotated[Int, Omit] = 0
    deleted: Annotated[list[int] | None, Omit] = None
    lost: Annotated[LostStreamData | None, Omit] = None
    consumer_count: Int = 0


class PeerInfo(GoStruct):
    go_type: ClassVar[str] = "server.PeerInfo"

    name: str = ""
    current: bool = False
    offline: Annotated[bool, Omit] = False
    active: Duration = 0
    lag: Annotated[Uint64, Omit] = 0
    peer: str = ""


class ClusterInfo(GoStruct):
    """A single server reports only `{"leader": <server name>}`."""

    go_type: ClassVar[str] = "server.ClusterInfo"

    name: Annotated[str, Omit] = ""
    raft_group: Annotated[str, Omit] = ""
    leader: Annotated[str, Omit] = ""
    leader_since: Annotated[GoTimeText | None, Omit] = None
    system_account: Annotated[bool, Omit] = False
    traffic_account: Annotated[str, Omit] = ""
    replicas: Annotated[list[PeerInfo] | None, Omit] = None


class StreamSourceInfo(GoStruct):
    """A mirror or source as STREAM.INFO shows it; `active` is -1 until it has been active."""

    go_type: ClassVar[str] = "server.StreamSourceInfo"

    name: str = ""
    external: Annotated[ExternalStream | None, Omit] = None
    lag: Uint64 = 0
    seq: Annotated[Uint64, Omit] = 0
    active: Duration = 0
    error: Annotated[ApiError | None, Omit] = None
    filter_subject: Annotated[str, Omit] = ""
    subject_transforms: Annotated[list[SubjectTransformConfig] | None, Omit] = None


class StreamAlternate(GoStruct):
    go_type: ClassVar[str] = "server.StreamAlternate"

    name: str = ""
    domain: Annotated[str, Omit] = ""
    cluster: str = ""


class StreamInfo(GoStruct):
    go_type: ClassVar[str] = "server.StreamInfo"

    config: StreamConfig = msgspec.field(default_factory=StreamConfig)
    created: GoTimeNs = 0
    state: StreamState = msgspec.field(default_factory=StreamState)
    domain: Annotated[str, Omit] = ""
    cluster: Annotated[ClusterInfo | None, Omit] = None
    mirror: Annotated[StreamSourceInfo | None, Omit] = None
    sources: Annotated[list[StreamSourceInfo] | None, Omit] = None
    alternates: Annotated[list[StreamAlternate] | None, Omit] = None
    ts: GoTimeNs = 0


class StreamCreateResponse(GoStruct):
    go_embed: ClassVar[frozenset[str]] = frozenset({"info"})

    type: str = response_type("stream_create_response")
    error: Annotated[ApiError | None, Omit] = None
    info: StreamInfo | None = None
    did_create: Annotated[bool, Omit] = False


class StreamUpdateResponse(GoStruct):
    go_embed: ClassVar[frozenset[str]] = frozenset({"info"})

    type: str = response_type("stream_update_response")
    error: Annotated[ApiError | None, Omit] = None
    info: StreamInfo | None = None


class StreamInfoResponse(GoStruct):
    go_embed: ClassVar[frozenset[str]] = frozenset({"info"})

    type: str = response_type("stream_info_response")
    error: Annotated[ApiError | None, Omit] = None
    total: Int = 0
    offset: Int = 0
    limit: Int = 0
    info: StreamInfo | None = None


class StreamDeleteResponse(GoStruct):
    type: str = response_type("stream_delete_response")
    error: Annotated[ApiError | None, Omit] = None
    success: Annotated[bool, Omit] = False


class StreamPurgeResponse(GoStruct):
    type: str = response_type("stream_purge_response")
    error: Annotated[ApiError | None, Omit] = None
    success: Annotated[bool, Omit] = False
    purged: Uint64 = 0


class StreamNamesResponse(GoStruct):
    type: str = response_type("stream_names_response")
    error: Annotated[ApiError | None, Omit] = None
    total: Int = 0
    offset: Int = 0
    limit: Int = NAMES_LIMIT
    streams: list[str] | None = None


class StreamListResponse(GoStruct):
    type: str = response_type("stream_list_response")
    error: Annotated[ApiError | None, Omit] = None
    total: Int = 0
    offset: Int = 0
    limit: Int = LIST_LIMIT
    streams: list[StreamInfo] = msgspec.field(default_factory=list)
    missing: Annotated[list[str] | None, Omit] = None
    offline: Annotated[dict[str, str] | None, Omit] = None


# -- messages -----------------------------------------------------------------------------------


class StoredMsg(GoStruct):
    go_type: ClassVar[str] = "server.StoredMsg"

    subject: str = ""
    seq: Uint64 = 0
    hdrs: Annotated[bytes, Omit] = b""
    data: Annotated[bytes, Omit] = b""
    time: GoTimeNs = 0


class MsgGetResponse(GoStruct):
    type: str = response_type("stream_msg_get_response")
    error: Annotated[ApiError | None, Omit] = None
    message: Annotated[StoredMsg | None, Omit] = None


class MsgDeleteResponse(GoStruct):
    type: str = response_type("stream_msg_delete_response")
    error: Annotated[ApiError | None, Omit] = None
    success: Annotated[bool, Omit] = False


class PubAck(GoStruct):
    go_type: ClassVar[str] = "server.PubAck"

    stream: str = ""
    seq: Uint64 = 0
    domain: Annotated[str, Omit] = ""
    duplicate: Annotated[bool, Omit] = False
    val: Annotated[str, Omit] = ""
    batch: Annotated[str, Omit] = ""
    count: Annotated[Int, Omit] = 0


class PubAckResponse(GoStruct):
    """A failed publish: `{"error":{...},"stream":"S","seq":0}`."""

    go_embed: ClassVar[frozenset[str]] = frozenset({"ack"})

    error: Annotated[ApiError | None, Omit] = None
    ack: PubAck | None = None


_PUB_ACK_HEADS: dict[tuple[str, str], bytes] = {}


def pub_ack_head(stream: str, domain: str = "") -> bytes:
    """What a successful PubAck says before its sequence number: PubAck = head + b"%d}" % seq."""
    head = _PUB_ACK_HEADS.get((stream, domain))
    if head is None:
        head = b'{"stream":' + encode(stream)
        if domain:
            head += b',"domain":' + encode(domain)
        head += b',"seq":'
        if len(_PUB_ACK_HEADS) >= 4096:
            _PUB_ACK_HEADS.clear()
        _PUB_ACK_HEADS[(stream, domain)] = head
    return head


def encode_pub_ack(stream: str, seq: int, *, domain: str = "", duplicate: bool = False) -> bytes:
    """A successful PubAck, byte for byte as nats-server writes it."""
    head = pub_ack_head(stream, domain)
    if duplicate:
        return b'%b%d,"duplicate": true}' % (head, seq)
    return b"%b%d}" % (head, seq)


# -- account ------------------------------------------------------------------------------------


class JetStreamAccountLimits(GoStruct):
    go_type: ClassVar[str] = "server.JetStreamAccountLimits"

    max_memory: Int64 = -1
    max_storage: Int64 = -1
    max_streams: Int = -1
    max_consumers: Int = -1
    max_ack_pending: Int = -1
    memory_max_stream_bytes: Int64 = -1
    storage_max_stream_bytes: Int64 = -1
    max_bytes_required: bool = False


class JetStreamTier(GoStruct):
    go_type: ClassVar[str] = "server.JetStreamTier"

    memory: Uint64 = 0
    storage: Uint64 = 0
    reserved_memory: Uint64 = 0
    reserved_storage: Uint64 = 0
    streams: Int = 0
    consumers: Int = 0
    limits: JetStreamAccountLimits = msgspec.field(default_factory=JetStreamAccountLimits)


class JetStreamAPIStats(GoStruct):
    go_type: ClassVar[str] = "server.JetStreamAPIStats"

    level: Int = 0
    total: Uint64 = 0
    errors: Uint64 = 0
    inflight: Annotated[Uint64, Omit] = 0


class AccountInfo(JetStreamTier):
    go_type: ClassVar[str] = "server.JetStreamAccountStats"

    domain: Annotated[str, Omit] = ""
    api: JetStreamAPIStats = msgspec.field(default_factory=JetStreamAPIStats)
    tiers: Annotated[dict[str, JetStreamTier] | None, Omit] = None


class AccountInfoResponse(GoStruct):
    go_embed: ClassVar[frozenset[str]] = frozenset({"info"})

    type: str = response_type("account_info_response")
    error: Annotated[ApiError | None, Omit] = None
    info: AccountInfo | None = None


# -- requests -----------------------------------------------------------------------------------


class StreamInfoRequest(GoStruct):
    go_type: ClassVar[str] = "server.JSApiStreamInfoRequest"

    offset: Int = 0
    deleted_details: Annotated[bool, Omit] = False
    subjects_filter: Annotated[str, Omit] = ""


class StreamNamesRequest(GoStruct):
    go_type: ClassVar[str] = "server.JSApiStreamNamesRequest"

    offset: Int = 0
    subject: Annotated[str, Omit] = ""


class StreamListRequest(GoStruct):
    go_type: ClassVar[str] = "server.JSApiStreamListRequest"

    offset: Int = 0
    subject: Annotated[str, Omit] = ""


class StreamPurgeRequest(GoStruct):
    go_type: ClassVar[str] = "server.JSApiStreamPurgeRequest"

    filter: Annotated[str, Omit] = ""
    seq: Annotated[Uint64, Omit] = 0
    keep: Annotated[Uint64, Omit] = 0


class MsgGetRequest(GoStruct):
    go_type: ClassVar[str] = "server.JSApiMsgGetRequest"

    seq: Annotated[Uint64, Omit] = 0
    last_by_subj: Annotated[str, Omit] = ""
    next_by_subj: Annotated[str, Omit] = ""
    batch: Annotated[Int, Omit] = 0
    max_bytes: Annotated[Int, Omit] = 0
    start_time: Annotated[GoTimeText | None, Omit] = None
    multi_last: Annotated[list[str] | None, Omit] = None
    up_to_seq: Annotated[Uint64, Omit] = 0
    up_to_time: Annotated[GoTimeText | None, Omit] = None
    no_hdr: Annotated[bool, Omit] = False


class MsgDeleteRequest(GoStruct):
    go_type: ClassVar[str] = "server.JSApiMsgDeleteRequest"

    seq: Uint64 = 0
    no_erase: Annotated[bool, Omit] = False
