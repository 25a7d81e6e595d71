# Reading and deleting single messages: STREAM.MSG.GET and STREAM.MSG.DELETE (JSON replies) and
# DIRECT.GET (ADR-31: the stored message itself, or a status-only reply).
#
# The checks run in nats-server's order, which decides the error a client sees when several apply:
# MSG.GET and MSG.DELETE refuse an empty body (`{}` included) as a bad request, then decode the JSON
# strictly, check the options, and only then look the stream up. A successful MSG.GET reply is not
# counted in the account's API statistics, and a MSG.DELETE that the store refuses is counted as a
# request but not as an error (nats-server sends both outside its API error path).
#
# DIRECT.GET is served by the stream's own subscriptions, which exist only while allow_direct is set
# (engine.py); any other DIRECT.GET subject has no responder. The body is decoded leniently (unknown
# fields are ignored, like a plain json.Unmarshal) and every refusal is a status line: 408 Empty
# Request (no body, or no option set), 408 Malformed Request (not a JSON object), 408 Bad Request
# (options that contradict each other), 404 Message Not Found.
from __future__ import annotations

from typing import TYPE_CHECKING

from pynatsd.core.internal import publish_internal
from pynatsd.jetstream.api_stream import Deferred, Reply, api_level_too_low, error_reply
from pynatsd.jetstream.errors import JSError, js_error
from pynatsd.jetstream.jsonutil import encode, is_empty_request, parse_go_time
from pynatsd.jetstream.jsonutil_time import format_go_time
from pynatsd.jetstream.store import StoreMsg
from pynatsd.jetstream.types_api import (
    MsgDeleteRequest,
    MsgDeleteResponse,
    MsgGetRequest,
    MsgGetResponse,
    StoredMsg,
)
from pynatsd.jetstream.validate import decode_request
from pynatsd.protocol.headers import build_headers

if TYPE_CHECKING:
    from pynatsd.jetstream.engine import JSAccount
    from pynatsd.jetstream.stream import Stream

__all__ = ["direct_get", "direct_get_last", "msg_delete", "msg_get"]

_GET = "stream_msg_get_response"
_DELETE = "stream_msg_delete_response"
_JSON_SPACE = b" \t\r\n"


def _get_conflict(req: MsgGetRequest) -> bool:
    """MSG.GET options that nats-server refuses as a bad request."""
    return (
        req.batch > 0
        or req.max_bytes > 0
        or (req.seq > 0 and bool(req.last_by_subj))
        or (not req.seq and not req.last_by_subj and not req.next_by_subj and req.start_time is None)
        or (req.seq > 0 and req.start_time is not None)
        or (req.start_time is not None and bool(req.last_by_subj))
        or (bool(req.last_by_subj) and bool(req.next_by_subj))
    )


def _lookup(stream: Stream, req: MsgGetRequest) -> StoreMsg | None:
    store = stream.store
    seq = req.seq
    if req.start_time is not None:
        seq = store.seq_for_time(parse_go_time(req.start_time).unix_ns)
    if seq > 0 and not req.next_by_subj:
        return store.load(seq)
    if req.next_by_subj:
        return store.load_next(req.next_by_subj, max(seq, 1))
    return store.load_last(req.last_by_subj)


def msg_get(jsa: JSAccount, args: list[str], hdr: bytes, body: bytes) -> bytes | Reply | None:
    if len(args) != 1:
        return None
    if is_empty_request(body):
        return error_reply(_GET, js_error("JSBadRequestErr"))
    req = decode_request(body, MsgGetRequest)
    if isinstance(req, JSError):
        return error_reply(_GET, req)
    if _get_conflict(req):
        return error_reply(_GET, js_error("JSBadRequestErr"))
    stream = jsa.streams.get(args[0])
    if stream is None:
        return error_reply(_GET, js_error("JSStreamNotFoundErr"))
    sm = _lookup(stream, req)
    if sm is None:
        return error_reply(_GET, js_error("JSNoMessageFoundErr"))
    msg = StoredMsg(subject=sm.subject, seq=sm.seq, hdrs=sm.hdr, data=sm.msg, time=sm.ts)
    return Reply(encode(MsgGetResponse(message=msg)), "none")


def msg_delete(jsa: JSAccount, args: list[str], hdr: bytes, body: bytes) -> bytes | Reply | Deferred | None:
    if len(args) != 1:
        return None
    if is_empty_request(body):
        return error_reply(_DELETE, js_error("JSBadRequestErr"))
    req = decode_request(body, MsgDeleteRequest)
    if isinstance(req, JSError):
        return error_reply(_DELETE, req)
    stream = jsa.streams.get(args[0])
    if stream is None:
        return error_reply(_DELETE, js_error("JSStreamNotFoundErr"))
    if stream.config.sealed:
        return error_reply(_DELETE, js_error("JSStreamSealedErr"))
    if stream.config.deny_delete:
        return error_reply(_DELETE, js_error("JSStreamMsgDeleteFailedF", err="message delete not permitted"))
    if stream.store.remove(req.seq, erase=not req.no_erase):
        return Deferred(stream.store.flush(), encode(MsgDeleteResponse(success=True)))
    st = stream.store.state()
    if req.seq == 0 or req.seq < st.first_seq:
        err = js_error("JSStreamMsgDeleteFailedF", err="no message found")
    elif req.seq > st.last_seq:
        err = js_error("JSStreamMsgDeleteFailedF", err="stream store EOF")
    else:
        err = js_error("JSSequenceNotFoundErrF", seq=req.seq)
    return Reply(encode(MsgDeleteResponse(error=err)), "ok")


# -- direct get (ADR-31) -----------------------------------------------------------------------


def _direct_conflict(req: MsgGetRequest) -> bool:
    """Direct get options that contradict each other: 408 Bad Request."""
    last, nxt, multi = bool(req.last_by_subj), bool(req.next_by_subj), bool(req.multi_last)
    return (
        (req.seq > 0 and last)
        or (req.seq > 0 and req.start_time is not None)
        or (req.start_time is not None and last)
        or (last and nxt)
        or (last and req.batch > 0)
        or (last and multi)
        or (nxt and multi)
        or (req.up_to_seq > 0 and req.up_to_time is not None)
    )


def _direct_request(body: bytes) -> MsgGetRequest | str:
    """The request, or the description of the 408 status that refuses it."""
    if not body.strip(_JSON_SPACE):
        return "Malformed Request"
    req = decode_request(body, MsgGetRequest, strict=False)
    if isinstance(req, JSError):
        return "Malformed Request"
    return req


def direct_get(jsa: JSAccount, stream: Stream, reply: bytes, hdr: bytes, body: bytes) -> None:
    """`$JS.API.DIRECT.GET.<stream>` with a JSON request."""
    if not reply:
        return
    if api_level_too_low(hdr):
        return _status(jsa, reply, 412, "Required Api Level")
    if not body:
        return _status(jsa, reply, 408, "Empty Request")
    req = _direct_request(body)
    if isinstance(req, str):
        return _status(jsa, reply, 408, req)
    if not (req.seq or req.last_by_subj or req.next_by_subj or req.multi_last or req.start_time is not None):
        return _status(jsa, reply, 408, "Empty Request")
    if _direct_conflict(req):
        return _status(jsa, reply, 408, "Bad Request")
    _send_one(jsa, stream, reply, req)


def direct_get_last(
    jsa: JSAccount, stream: Stream, subject: str, reply: bytes, hdr: bytes, body: bytes
) -> None:
    """`$JS.API.DIRECT.GET.<stream>.<subject>`: the last message on that subject."""
    if not reply:
        return
    if api_level_too_low(hdr):
        return _status(jsa, reply, 412, "Required Api Level")
    req = MsgGetRequest()
    if body:
        decoded = _direct_request(body)
        if isinstance(decoded, str):
            return _status(jsa, reply, 408, decoded)
        req = decoded
    key = subject.split(".", 5)[5] if subject.count(".") >= 5 else ""
    if not key:
        return _status(jsa, reply, 408, "Bad Request")
    req.last_by_subj = key
    if _direct_conflict(req):
        return _status(jsa, reply, 408, "Bad Request")
    _send_one(jsa, stream, reply, req)


def _send_one(jsa: JSAccount, stream: Stream, reply: bytes, req: MsgGetRequest) -> None:
    sm = _lookup(stream, req)
    if sm is None:
        return _status(jsa, reply, 404, "Message Not Found")
    out_hdr = b"" if req.no_hdr else _direct_headers(stream.name, sm)
    publish_internal(jsa.account, reply, b"", sm.msg, out_hdr)


def _status(jsa: JSAccount, reply: bytes, code: int, text: str) -> None:
    publish_internal(jsa.account, reply, b"", b"", build_headers(status=code, description=text))


def _direct_headers(stream: str, sm: StoreMsg) -> bytes:
    """The stored headers, then Nats-Stream, Nats-Subject, Nats-Sequence and Nats-Time-Stamp."""
    own = b""
    if sm.hdr:
        lines = sm.hdr.split(b"\r\n")[1:]
        own = b"".join(line + b"\r\n" for line in lines if line)
    added = b"Nats-Stream: %b\r\nNats-Subject: %b\r\nNats-Sequence: %d\r\nNats-Time-Stamp: %b\r\n\r\n" % (
        stream.encode(),
        sm.subject.encode(),
        sm.seq,
        format_go_time(sm.ts).encode(),
    )
    return b"NATS/1.0\r\n" + own + added
