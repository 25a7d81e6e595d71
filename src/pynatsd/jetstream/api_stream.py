# The STREAM.* and DIRECT.GET handlers of the JetStream API.
#
# Each handler decodes its request strictly (unknown fields and bad JSON get nats-server's 10025
# error), checks it with validate.py, acts on the account's streams, and returns the response bytes.
# A change that must be durable before it is acknowledged (create, update, purge, delete of a
# message) returns a Deferred that completes after the stream's store has flushed.
from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from pynatsd.core.internal import publish_internal
from pynatsd.jetstream.errors import JSError, encode_error_response, js_error
from pynatsd.jetstream.jsonutil import encode, is_empty_request
from pynatsd.jetstream.store import StoreError, StoreMsg
from pynatsd.jetstream.types_api import (
    ClusterInfo,
    MsgDeleteRequest,
    MsgDeleteResponse,
    MsgGetRequest,
    MsgGetResponse,
    StoredMsg,
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
from pynatsd.jetstream.validate import (
    check_stream_create,
    check_stream_update,
    decode_request,
    decode_stream_request,
)
from pynatsd.jetstream.validate_subjects import subject_is_subset_match
from pynatsd.protocol.headers import build_headers, get_header

if TYPE_CHECKING:
    from pynatsd.jetstream.engine import JSAccount
    from pynatsd.jetstream.stream import Stream

__all__ = ["Deferred"]

NAMES_LIMIT = 1024
LIST_LIMIT = 256


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


def _err(kind: str, err: JSError) -> bytes:
    return encode_error_response(response_type(kind), err)


def _stream(jsa: JSAccount, args: list[str], kind: str) -> Stream | bytes | None:
    if len(args) != 1:
        return None
    stream = jsa.streams.get(args[0])
    if stream is None:
        return _err(kind, js_error("JSStreamNotFoundErr"))
    return stream


def stream_info(jsa: JSAccount, stream: Stream, *, deleted: bool = False, subjects: str = "") -> StreamInfo:
    st = stream.store.state(deleted_details=deleted)
    state = StreamState(
        messages=st.msgs,
        bytes=st.bytes,
        first_seq=st.first_seq,
        first_ts=st.first_ts,
        last_seq=st.last_seq,
        last_ts=st.last_ts,
        num_subjects=st.num_subjects,
        subjects=stream.store.subjects_state(subjects) if subjects else None,
        num_deleted=st.num_deleted,
        deleted=st.deleted if deleted else None,
        consumer_count=0,
    )
    return StreamInfo(
        config=stream.config,
        created=stream.created,
        state=state,
        cluster=ClusterInfo(leader=jsa.js.server.name),
        ts=time.time_ns(),
    )


def create(jsa: JSAccount, args: list[str], hdr: bytes, body: bytes) -> bytes | Deferred | None:
    kind = "stream_create_response"
    if len(args) != 1:
        return None
    req = decode_stream_request(body)
    if isinstance(req, JSError):
        return _err(kind, req)
    cfg, pedantic = req
    configs = {name: s.config for name, s in jsa.streams.items()}
    out = check_stream_create(args[0], cfg, pedantic=pedantic, streams=configs)
    if isinstance(out, JSError):
        return _err(kind, out)
    existing = jsa.streams.get(out.name)
    if existing is not None:
        return encode(StreamCreateResponse(info=stream_info(jsa, existing), did_create=True))
    try:
        stream = jsa.add_stream(out)
    except StoreError as e:
        return _err(kind, js_error("JSStreamCreateErrF", err=str(e)))
    data = encode(StreamCreateResponse(info=stream_info(jsa, stream), did_create=True))
    return Deferred(stream.store.flush(), data)


def update(jsa: JSAccount, args: list[str], hdr: bytes, body: bytes) -> bytes | Deferred | None:
    kind = "stream_update_response"
    if len(args) != 1:
        return None
    req = decode_stream_request(body)
    if isinstance(req, JSError):
        return _err(kind, req)
    cfg, pedantic = req
    stream = jsa.streams.get(args[0])
    others = {name: s.config for name, s in jsa.streams.items() if name != args[0]}
    old = stream.config if stream is not None else None
    out = check_stream_update(old, cfg, subject_name=args[0], pedantic=pedantic, streams=others)
    if isinstance(out, JSError):
        return _err(kind, out)
    assert stream is not None
    jsa.update_stream(stream, out)
    data = encode(StreamUpdateResponse(info=stream_info(jsa, stream)))
    return Deferred(stream.store.flush(), data)


def info(jsa: JSAccount, args: list[str], hdr: bytes, body: bytes) -> bytes | None:
    kind = "stream_info_response"
    found = _stream(jsa, args, kind)
    if found is None or isinstance(found, bytes):
        return found
    req = StreamInfoRequest()
    if not is_empty_request(body):
        decoded = decode_request(body, StreamInfoRequest)
        if isinstance(decoded, JSError):
            return _err(kind, decoded)
        req = decoded
    si = stream_info(jsa, found, deleted=req.deleted_details, subjects=req.subjects_filter)
    total = len(si.state.subjects or ())
    return encode(StreamInfoResponse(info=si, total=total, offset=req.offset, limit=100_000 if total else 0))


def delete(jsa: JSAccount, args: list[str], hdr: bytes, body: bytes) -> bytes | None:
    kind = "stream_delete_response"
    found = _stream(jsa, args, kind)
    if found is None or isinstance(found, bytes):
        return found
    try:
        jsa.delete_stream(found)
    except StoreError as e:
        return _err(kind, js_error("JSStreamDeleteErrF", err=str(e)))
    return encode(StreamDeleteResponse(success=True))


def _filtered(jsa: JSAccount, subject: str) -> list[str]:
    names = sorted(jsa.streams)
    if not subject:
        return names
    return [
        n
        for n in names
        if any(
            subject_is_subset_match(subject, s) or subject_is_subset_match(s, subject)
            for s in jsa.streams[n].config.subjects or ()
        )
    ]


def names(jsa: JSAccount, args: list[str], hdr: bytes, body: bytes) -> bytes | None:
    kind = "stream_names_response"
    if args:
        return None
    req = StreamNamesRequest()
    if not is_empty_request(body):
        decoded = decode_request(body, StreamNamesRequest)
        if isinstance(decoded, JSError):
            return _err(kind, decoded)
        req = decoded
    all_names = _filtered(jsa, req.subject)
    page = all_names[req.offset : req.offset + NAMES_LIMIT]
    return encode(StreamNamesResponse(total=len(all_names), offset=req.offset, streams=page))


def list_streams(jsa: JSAccount, args: list[str], hdr: bytes, body: bytes) -> bytes | None:
    kind = "stream_list_response"
    if args:
        return None
    req = StreamListRequest()
    if not is_empty_request(body):
        decoded = decode_request(body, StreamListRequest)
        if isinstance(decoded, JSError):
            return _err(kind, decoded)
        req = decoded
    all_names = _filtered(jsa, req.subject)
    page = all_names[req.offset : req.offset + LIST_LIMIT]
    infos = [stream_info(jsa, jsa.streams[n]) for n in page]
    return encode(StreamListResponse(total=len(all_names), offset=req.offset, streams=infos))


def purge(jsa: JSAccount, args: list[str], hdr: bytes, body: bytes) -> bytes | Deferred | None:
    kind = "stream_purge_response"
    found = _stream(jsa, args, kind)
    if found is None or isinstance(found, bytes):
        return found
    if found.config.deny_purge:
        return _err(kind, js_error("JSStreamPurgeFailedF", err="stream purge not permitted"))
    if found.config.sealed:
        return _err(kind, js_error("JSStreamSealedErr"))
    req = StreamPurgeRequest()
    if not is_empty_request(body):
        decoded = decode_request(body, StreamPurgeRequest)
        if isinstance(decoded, JSError):
            return _err(kind, decoded)
        req = decoded
    if req.seq and req.keep:
        return _err(kind, js_error("JSBadRequestErr"))
    purged = found.store.purge(subject=req.filter, seq=req.seq, keep=req.keep)
    return Deferred(found.store.flush(), encode(StreamPurgeResponse(success=True, purged=purged)))


def _lookup(stream: Stream, req: MsgGetRequest) -> StoreMsg | None:
    store = stream.store
    if req.last_by_subj:
        return store.load_last(req.last_by_subj)
    if req.next_by_subj:
        return store.load_next(req.next_by_subj, max(req.seq, 1))
    return store.load(req.seq) if req.seq else None


def msg_get(jsa: JSAccount, args: list[str], hdr: bytes, body: bytes) -> bytes | None:
    kind = "stream_msg_get_response"
    found = _stream(jsa, args, kind)
    if found is None or isinstance(found, bytes):
        return found
    req = decode_request(body, MsgGetRequest)
    if isinstance(req, JSError):
        return _err(kind, req)
    if not (req.seq or req.last_by_subj or req.next_by_subj) or (req.seq and req.last_by_subj):
        return _err(kind, js_error("JSBadRequestErr"))
    sm = _lookup(found, req)
    if sm is None:
        return _err(kind, js_error("JSNoMessageFoundErr"))
    msg = StoredMsg(subject=sm.subject, seq=sm.seq, hdrs=sm.hdr, data=sm.msg, time=sm.ts)
    return encode(MsgGetResponse(message=msg))


def msg_delete(jsa: JSAccount, args: list[str], hdr: bytes, body: bytes) -> bytes | Deferred | None:
    kind = "stream_msg_delete_response"
    found = _stream(jsa, args, kind)
    if found is None or isinstance(found, bytes):
        return found
    if found.config.deny_delete:
        return _err(kind, js_error("JSStreamMsgDeleteFailedF", err="message delete not permitted"))
    if found.config.sealed:
        return _err(kind, js_error("JSStreamSealedErr"))
    req = decode_request(body, MsgDeleteRequest)
    if isinstance(req, JSError):
        return _err(kind, req)
    if not found.store.remove(req.seq, erase=not req.no_erase):
        st = found.store.state()
        if req.seq > st.last_seq:
            return _err(kind, js_error("JSStreamMsgDeleteFailedF", err="stream store EOF"))
        if req.seq < st.first_seq:
            return _err(kind, js_error("JSStreamMsgDeleteFailedF", err="no message found"))
        return _err(kind, js_error("JSSequenceNotFoundErrF", seq=req.seq))
    return Deferred(found.store.flush(), encode(MsgDeleteResponse(success=True)))


# -- direct get (ADR-31) -----------------------------------------------------------------------


def direct_get(jsa: JSAccount, args: list[str], reply: bytes, hdr: bytes, body: bytes) -> None:
    """`DIRECT.GET.<stream>` with a JSON body, or `DIRECT.GET.<stream>.<subject>` with none."""
    if not args:
        return
    stream = jsa.streams.get(args[0])
    if stream is None or not stream.config.allow_direct:
        return
    if len(args) > 1:
        if not is_empty_request(body):
            _direct_status(jsa, reply, 408, "Bad Request")
            return
        sm = stream.store.load_last(".".join(args[1:]))
    else:
        if is_empty_request(body):
            _direct_status(jsa, reply, 408, "Empty Request")
            return
        req = decode_request(body, MsgGetRequest)
        if isinstance(req, JSError):
            _direct_status(jsa, reply, 408, "Malformed Request")
            return
        sm = _lookup(stream, req)
    if sm is None:
        _direct_status(jsa, reply, 404, "Message Not Found")
        return
    out_hdr = _direct_headers(stream.name, sm)
    publish_internal(jsa.account, reply, b"", sm.msg, out_hdr)


def _direct_status(jsa: JSAccount, reply: bytes, code: int, text: str) -> None:
    publish_internal(jsa.account, reply, b"", b"", build_headers(status=code, description=text))


def _direct_headers(stream: str, sm: StoreMsg) -> bytes:
    from pynatsd.jetstream.jsonutil_time import format_go_time

    items = [
        ("Nats-Stream", stream),
        ("Nats-Subject", sm.subject),
        ("Nats-Sequence", str(sm.seq)),
        ("Nats-Time-Stamp", format_go_time(sm.ts)),
    ]
    own = b""
    if sm.hdr and get_header(sm.hdr, b"") is None:
        lines = sm.hdr.split(b"\r\n")[1:]
        own = b"".join(line + b"\r\n" for line in lines if line)
    return b"NATS/1.0\r\n" + own + build_headers(items)[len(b"NATS/1.0\r\n") :]
