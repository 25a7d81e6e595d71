# The STREAM.* handlers of the JetStream API (CREATE, UPDATE, INFO, DELETE, NAMES, LIST, PURGE) and
# the pieces the other handlers share: the reply types, error replies and request decoding.
#
# Each handler checks and decodes its request in nats-server's order (that order decides which
# error a client sees when several apply), acts on the account's streams and returns the response
# bytes; None means the subject has no handler (no reply at all). A change that must be durable
# before it is acknowledged (create, update, purge) returns a Deferred that completes after the
# stream's store has flushed. Error replies keep the members nats-server writes beside its embedded
# payload: `total/offset/limit` for INFO, NAMES and LIST, `purged` for PURGE.
#
# Request bodies: INFO, NAMES, LIST and PURGE decode a body only when it starts with `{` or `[`
# (anything else, even `x`, counts as no request), DELETE wants an empty body (`{}` allowed).
from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal, NamedTuple, TypeVar

from pynatsd.jetstream.errors import JSError, encode_error_response, js_error
from pynatsd.jetstream.jsonutil import encode, is_empty_request
from pynatsd.jetstream.limits import check_stream_resources
from pynatsd.jetstream.sourcing import origins_info
from pynatsd.jetstream.store import StoreError
from pynatsd.jetstream.types_api import (
    LIST_LIMIT,
    NAMES_LIMIT,
    ClusterInfo,
    StreamCreateResponse,
    StreamDeleteResponse,
    StreamInfo,
    StreamInfoRequest,
    StreamInfoResponse,
    StreamListRequest,
    StreamListResponse,
    StreamNamesRequest,
    StreamNamesResponse,
    StreamPurgeRequest,
    StreamPurgeResponse,
    StreamState,
    StreamUpdateResponse,
    response_type,
)
from pynatsd.jetstream.types_stream import GoStruct
from pynatsd.jetstream.validate import (
    API_LEVEL,
    check_stream_create,
    check_stream_update,
    decode_request,
    decode_stream_request,
    with_dynamic_metadata,
)
from pynatsd.jetstream.validate_subjects import subjects_collide
from pynatsd.protocol.headers import get_header

if TYPE_CHECKING:
    from pynatsd.jetstream.engine import JSAccount
    from pynatsd.jetstream.stream import Stream

__all__ = [
    "Deferred",
    "Reply",
    "api_level_too_low",
    "create",
    "delete",
    "error_reply",
    "info",
    "list_streams",
    "names",
    "optional_request",
    "purge",
    "stream_info",
    "update",
]

SUBJECTS_LIMIT = 100_000  # subjects per STREAM.INFO page
_JSON_SPACE = b" \t\r\n"

T = TypeVar("T", bound=GoStruct)
PagedT = TypeVar("PagedT", StreamNamesRequest, StreamListRequest)


class Deferred:
    """A response to send once a store flush completes."""

    def __init__(self, fut: asyncio.Future[None], data: bytes) -> None:
        self.fut = fut
        self.data = data

    def then(self, send: Callable[[bytes], None]) -> None:
        if self.fut.done():
            send(self.data)
        else:
            self.fut.add_done_callback(lambda _: send(self.data))


class Reply(NamedTuple):
    """A response with an explicit effect on the account's API statistics.

    "ok" counts a request, "err" a request and an error, "none" nothing. A handler that returns
    plain bytes is counted as an error when the response carries one.
    """

    data: bytes
    track: Literal["ok", "err", "none"]


_ERROR_SHAPES: dict[str, Callable[[JSError], GoStruct]] = {
    "stream_info_response": lambda err: StreamInfoResponse(error=err),
    "stream_names_response": lambda err: StreamNamesResponse(error=err, limit=0),
    "stream_list_response": lambda err: StreamListResponse(error=err, limit=0),
    "stream_purge_response": lambda err: StreamPurgeResponse(error=err),
}


def error_reply(kind: str, err: JSError) -> bytes:
    """The error response of `kind` (`stream_info_response`...) exactly as nats-server writes it."""
    shape = _ERROR_SHAPES.get(kind)
    if shape is not None:
        return encode(shape(err))
    return encode_error_response(response_type(kind), err)


def api_level_too_low(hdr: bytes) -> bool:
    """A `Nats-Required-Api-Level` header that this server's API level does not meet (or garbage)."""
    if not hdr:
        return False
    wanted = get_header(hdr, b"Nats-Required-Api-Level")
    if not wanted:
        return False
    return not wanted.isdigit() or int(wanted) > API_LEVEL


def optional_request(body: bytes, cls: type[T]) -> T | JSError:
    """An optional request body: decoded only when it starts with a JSON object or array."""
    start = body.lstrip(_JSON_SPACE)[:1]
    if start not in (b"{", b"["):
        return cls()
    return decode_request(body, cls)


def stream_info(jsa: JSAccount, stream: Stream, *, view: str = "info", deleted: bool = False) -> StreamInfo:
    """The StreamInfo of one stream as nats-server shows it in `view`.

    CREATE and UPDATE ("create") and STREAM.INFO ("info") add the response-only metadata
    (`_nats.ver`, `_nats.level`); only STREAM.INFO names the leader; LIST ("list") shows neither.
    """
    st = stream.store.state(deleted_details=deleted)
    state = StreamState(
        messages=st.msgs,
        bytes=st.bytes,
        first_seq=st.first_seq,
        first_ts=st.first_ts,
        last_seq=st.last_seq,
        last_ts=st.last_ts,
        num_subjects=st.num_subjects,
        num_deleted=st.num_deleted,
        deleted=st.deleted if deleted else None,
        consumer_count=len(stream.consumers),
    )
    cfg = stream.config
    mirror, sources = origins_info(stream)
    return StreamInfo(
        config=cfg if view == "list" else with_dynamic_metadata(cfg),
        created=stream.created,
        state=state,
        cluster=ClusterInfo(leader=jsa.js.server.name) if view == "info" else None,
        mirror=mirror,
        sources=sources,
        ts=time.time_ns(),
    )


def create(jsa: JSAccount, args: list[str], hdr: bytes, body: bytes) -> bytes | Deferred | None:
    kind = "stream_create_response"
    if len(args) != 1:
        return None
    req = decode_stream_request(body)
    if isinstance(req, JSError):
        return error_reply(kind, req)
    cfg, pedantic = req
    configs = {name: s.config for name, s in jsa.streams.items()}
    out = check_stream_create(args[0], cfg, pedantic=pedantic, streams=configs)
    if isinstance(out, JSError):
        return error_reply(kind, out)
    existing = jsa.streams.get(out.name)
    if existing is not None:
        return encode(StreamCreateResponse(info=stream_info(jsa, existing, view="create"), did_create=True))
    refused = check_stream_resources(jsa, out)
    if refused is not None:
        return error_reply(kind, refused)
    try:
        stream = jsa.add_stream(out)
    except StoreError as e:
        return error_reply(kind, js_error("JSStreamCreateErrF", err=str(e)))
    data = encode(StreamCreateResponse(info=stream_info(jsa, stream, view="create"), did_create=True))
    return Deferred(stream.store.flush(), data)


def update(jsa: JSAccount, args: list[str], hdr: bytes, body: bytes) -> bytes | Deferred | None:
    kind = "stream_update_response"
    if len(args) != 1:
        return None
    req = decode_stream_request(body)
    if isinstance(req, JSError):
        return error_reply(kind, req)
    cfg, pedantic = req
    stream = jsa.streams.get(args[0])
    others = {name: s.config for name, s in jsa.streams.items() if name != args[0]}
    old = stream.config if stream is not None else None
    out = check_stream_update(old, cfg, subject_name=args[0], pedantic=pedantic, streams=others)
    if isinstance(out, JSError):
        return error_reply(kind, out)
    assert stream is not None
    jsa.update_stream(stream, out)
    data = encode(StreamUpdateResponse(info=stream_info(jsa, stream, view="create")))
    return Deferred(stream.store.flush(), data)


def info(jsa: JSAccount, args: list[str], hdr: bytes, body: bytes) -> bytes | None:
    kind = "stream_info_response"
    if len(args) != 1:
        return None
    req = optional_request(body, StreamInfoRequest)
    if isinstance(req, JSError):
        return error_reply(kind, req)
    stream = jsa.streams.get(args[0])
    if stream is None:
        return error_reply(kind, js_error("JSStreamNotFoundErr"))
    si = stream_info(jsa, stream, deleted=req.deleted_details)
    resp = StreamInfoResponse(info=si)
    if req.subjects_filter:
        counts = stream.store.subjects_state(req.subjects_filter)
        if counts:
            resp.total, resp.offset, resp.limit = len(counts), req.offset, SUBJECTS_LIMIT
            si.state.subjects = _subjects_page(counts, req.offset)
    return encode(resp)


def _subjects_page(counts: dict[str, int], offset: int) -> dict[str, int] | None:
    """One page of the per-subject counts, in subject order (nats-server's paging)."""
    if offset <= 0 and len(counts) <= SUBJECTS_LIMIT:
        return counts
    subjects = sorted(counts)
    start = min(max(offset, 0), len(subjects))
    page = subjects[start : start + SUBJECTS_LIMIT]
    return {s: counts[s] for s in page} or None


def delete(jsa: JSAccount, args: list[str], hdr: bytes, body: bytes) -> bytes | None:
    kind = "stream_delete_response"
    if len(args) != 1:
        return None
    if not is_empty_request(body):
        return error_reply(kind, js_error("JSNotEmptyRequestErr"))
    stream = jsa.streams.get(args[0])
    if stream is None:
        return error_reply(kind, js_error("JSStreamNotFoundErr"))
    try:
        jsa.delete_stream(stream)
    except StoreError as e:
        return error_reply(kind, js_error("JSStreamDeleteErrF", err=str(e)))
    return encode(StreamDeleteResponse(success=True))


def _filtered(jsa: JSAccount, subject: str) -> list[str]:
    """Stream names in order; with a subject, only streams with a subject that collides with it."""
    names = sorted(jsa.streams)
    if not subject:
        return names
    return [
        n for n in names if any(subjects_collide(subject, s) for s in jsa.streams[n].config.subjects or ())
    ]


def _page(jsa: JSAccount, body: bytes, cls: type[PagedT]) -> tuple[list[str], int] | JSError:
    """The names a NAMES or LIST request selects, and its offset (clamped like nats-server's)."""
    req = optional_request(body, cls)
    if isinstance(req, JSError):
        return req
    names = _filtered(jsa, req.subject)
    return names, min(max(req.offset, 0), len(names))


def names(jsa: JSAccount, args: list[str], hdr: bytes, body: bytes) -> bytes | None:
    kind = "stream_names_response"
    if args:
        return None
    selected = _page(jsa, body, StreamNamesRequest)
    if isinstance(selected, JSError):
        return error_reply(kind, selected)
    all_names, offset = selected
    page = all_names[offset : offset + NAMES_LIMIT] or None
    return encode(StreamNamesResponse(total=len(all_names), offset=offset, streams=page))


def list_streams(jsa: JSAccount, args: list[str], hdr: bytes, body: bytes) -> bytes | None:
    kind = "stream_list_response"
    if args:
        return None
    selected = _page(jsa, body, StreamListRequest)
    if isinstance(selected, JSError):
        return error_reply(kind, selected)
    all_names, offset = selected
    infos = [stream_info(jsa, jsa.streams[n], view="list") for n in all_names[offset : offset + LIST_LIMIT]]
    return encode(StreamListResponse(total=len(all_names), offset=offset, streams=infos))


def purge(jsa: JSAccount, args: list[str], hdr: bytes, body: bytes) -> bytes | Deferred | None:
    kind = "stream_purge_response"
    if len(args) != 1:
        return None
    req = optional_request(body, StreamPurgeRequest)
    if isinstance(req, JSError):
        return error_reply(kind, req)
    if req.seq and req.keep:
        return error_reply(kind, js_error("JSBadRequestErr"))
    stream = jsa.streams.get(args[0])
    if stream is None:
        return error_reply(kind, js_error("JSStreamNotFoundErr"))
    if stream.config.sealed:
        return error_reply(kind, js_error("JSStreamSealedErr"))
    if stream.config.deny_purge:
        return error_reply(kind, js_error("JSStreamPurgeFailedF", err="stream purge not permitted"))
    purged = stream.store.purge(subject=req.filter, seq=req.seq, keep=req.keep)
    return Deferred(stream.store.flush(), encode(StreamPurgeResponse(success=True, purged=purged)))
