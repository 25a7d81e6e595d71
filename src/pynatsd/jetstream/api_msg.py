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
#
# The batch forms (`batch`, `multi_last`) answer with several messages on the reply subject, each
# with Nats-Num-Pending (matching messages left after it) and Nats-Last-Sequence (the one sent
# before it), then a `204 EOB` status; `multi_last` adds the ceiling as Nats-UpTo-Sequence, refuses
# more than 1024 subjects with 413 and an empty answer with 404 No Results. The counts follow
# nats-server's observable quirks: with no_hdr a batch's pending count does not go down, and a file
# stream finds nothing for an up_to_seq past its last message while a memory stream does.
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
    if req.multi_last:
        _send_multi(jsa, stream, reply, req)
    elif req.batch:
        _send_batch(jsa, stream, reply, req)
    else:
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


def _max_bytes(jsa: JSAccount, req: MsgGetRequest) -> int:
    return req.max_bytes or jsa.js.server.options.max_pending


def _send_batch(jsa: JSAccount, stream: Stream, reply: bytes, req: MsgGetRequest) -> None:
    """`batch` (negative counts as a batch of none): up to that many messages from `seq` (or the
    first at `start_time`), optionally only those on `next_by_subj`, then the end-of-batch status.
    Each message carries how many matching messages remain after it and the one sent before it."""
    store = stream.store
    seq = req.seq
    if req.start_time is not None:
        seq = store.seq_for_time(parse_go_time(req.start_time).unix_ns)
    flt = req.next_by_subj or ">"
    pending = store.num_pending(seq, req.next_by_subj)
    limit, sent, last = _max_bytes(jsa, req), 0, 0
    for i in range(req.batch):
        sm = store.load_next(flt, max(seq, 1))
        if sm is None:
            if i > 0:
                break
            return _status(jsa, reply, 404, "Message Not Found")
        out_hdr = b""
        if not req.no_hdr:  # nats-server counts down only while it writes the headers
            pending -= 1
            out_hdr = _direct_headers(stream.name, sm, pending, last)
        publish_internal(jsa.account, reply, b"", sm.msg, out_hdr)
        last, seq = sm.seq, sm.seq + 1
        sent += len(sm.subject) + len(sm.hdr) + len(sm.msg)
        if sent >= limit:
            break
    eob = b"NATS/1.0 204 EOB\r\nNats-Num-Pending: %d\r\nNats-Last-Sequence: %d\r\n\r\n" % (pending, last)
    publish_internal(jsa.account, reply, b"", b"", eob)


_MAX_MULTI = 1024


def _multi_up_to(stream: Stream, req: MsgGetRequest) -> int:
    """The ceiling sequence of a multi_last request: up_to_seq, the last message before up_to_time
    (0 when there is none, which finds nothing), or the stream's last sequence."""
    if req.up_to_time is not None:
        return stream.store.seq_for_time(parse_go_time(req.up_to_time).unix_ns) - 1
    return req.up_to_seq or stream.store.state().last_seq


def _multi_seqs(stream: Stream, req: MsgGetRequest, up_to: int) -> list[int]:
    if up_to <= 0:
        return []
    if stream.config.storage == "file" and up_to > stream.store.state().last_seq:
        return []  # nats-server's file store finds nothing past its last sequence
    return stream.store.multi_last_seqs(list(req.multi_last or ()), up_to)


def _send_multi(jsa: JSAccount, stream: Stream, reply: bytes, req: MsgGetRequest) -> None:
    """`multi_last`: the newest message of each subject matching any of the filters, at or below
    the ceiling, in sequence order; those below `seq` are skipped, `batch` caps the count, and the
    end-of-batch status names the ceiling. no_hdr does not apply here."""
    up_to = _multi_up_to(stream, req)
    seqs = _multi_seqs(stream, req, up_to)
    if len(seqs) > _MAX_MULTI:
        return _status(jsa, reply, 413, "Too Many Results")
    if not seqs:
        return _status(jsa, reply, 404, "No Results")
    limit, sent_bytes, sent, pending, last = _max_bytes(jsa, req), 0, 0, len(seqs), 0
    for seq in seqs:
        pending -= 1
        if seq < req.seq:
            continue
        sm = stream.store.load(seq)
        if sm is None:
            return _status(jsa, reply, 404, "Message Not Found")
        publish_internal(jsa.account, reply, b"", sm.msg, _direct_headers(stream.name, sm, pending, last))
        last = sm.seq
        sent_bytes += len(sm.subject) + len(sm.hdr) + len(sm.msg)
        sent += 1
        if sent_bytes >= limit or (req.batch > 0 and sent >= req.batch):
            break
    eob = b"NATS/1.0 204 EOB\r\nNats-Num-Pending: %d\r\nNats-Last-Sequence: %d\r\nNats-UpTo-Sequence: %d\r\n\r\n"
    publish_internal(jsa.account, reply, b"", b"", eob % (pending, last, up_to))


def _status(jsa: JSAccount, reply: bytes, code: int, text: str) -> None:
    publish_internal(jsa.account, reply, b"", b"", build_headers(status=code, description=text))


def _direct_headers(stream: str, sm: StoreMsg, pending: int = -1, last: int = 0) -> bytes:
    """The stored headers, then Nats-Stream, Nats-Subject, Nats-Sequence and Nats-Time-Stamp; in a
    batch also Nats-Num-Pending and Nats-Last-Sequence."""
    own = b""
    if sm.hdr:
        lines = sm.hdr.split(b"\r\n")[1:]
        own = b"".join(line + b"\r\n" for line in lines if line)
    added = b"Nats-Stream: %b\r\nNats-Subject: %b\r\nNats-Sequence: %d\r\nNats-Time-Stamp: %b\r\n" % (
        stream.encode(),
        sm.subject.encode(),
        sm.seq,
        format_go_time(sm.ts).encode(),
    )
    if pending >= 0:
        added += b"Nats-Num-Pending: %d\r\nNats-Last-Sequence: %d\r\n" % (pending, last)
    return b"NATS/1.0\r\n" + own + added + b"\r\n"
