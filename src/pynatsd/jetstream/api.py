# The JetStream API: `$JS.API.<...>` requests in, JSON responses out, as nats-server answers them.
#
# Dispatch is a table from the subject's verb tokens to a handler. A handler gets the account's
# JetStream state, the remaining subject tokens and the request body, and returns the response bytes
# (or None: a subject with no handler, or the wrong number of tokens, gets no reply at all, as from
# nats-server). Changes to a file stream's configuration are answered only after the store has made
# them durable.
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from pynatsd.core.internal import publish_internal
from pynatsd.jetstream import api_stream
from pynatsd.jetstream.errors import encode_error_response, js_error
from pynatsd.jetstream.jsonutil import encode
from pynatsd.jetstream.types_api import AccountInfo, AccountInfoResponse, JetStreamAPIStats, response_type

if TYPE_CHECKING:
    from pynatsd.jetstream.engine import JSAccount

__all__ = ["handle_api"]

Handler = Callable[["JSAccount", list[str], bytes, bytes], "bytes | api_stream.Deferred | None"]


def _account_info(jsa: JSAccount, args: list[str], hdr: bytes, body: bytes) -> bytes | None:
    if args:
        return None
    memory = storage = 0
    for stream in jsa.streams.values():
        used = stream.store.state().bytes
        if stream.config.storage == "memory":
            memory += used
        else:
            storage += used
    js = jsa.js
    info = AccountInfo(
        memory=memory,
        storage=storage,
        streams=len(jsa.streams),
        consumers=0,
        domain=jsa.domain,
        api=JetStreamAPIStats(level=5, total=js.api_total, errors=js.api_errors),
    )
    return encode(AccountInfoResponse(info=info))


def _consumer_create(jsa: JSAccount, args: list[str], hdr: bytes, body: bytes) -> bytes | None:
    if not args:
        return None
    err = js_error("JSConsumerCreateErrF", err="consumers are not available in this version of pynatsd yet")
    return encode_error_response(response_type("consumer_create_response"), err)


def _consumer_info(jsa: JSAccount, args: list[str], hdr: bytes, body: bytes) -> bytes | None:
    if len(args) != 2:
        return None
    err = js_error("JSStreamNotFoundErr") if args[0] not in jsa.streams else js_error("JSConsumerNotFoundErr")
    return encode_error_response(response_type("consumer_info_response"), err)


_HANDLERS: dict[tuple[str, ...], tuple[Handler, str]] = {
    ("CONSUMER", "CREATE"): (_consumer_create, "consumer_create_response"),
    ("CONSUMER", "DURABLE", "CREATE"): (_consumer_create, "consumer_create_response"),
    ("CONSUMER", "INFO"): (_consumer_info, "consumer_info_response"),
    ("INFO",): (_account_info, "account_info_response"),
    ("STREAM", "CREATE"): (api_stream.create, "stream_create_response"),
    ("STREAM", "UPDATE"): (api_stream.update, "stream_update_response"),
    ("STREAM", "INFO"): (api_stream.info, "stream_info_response"),
    ("STREAM", "DELETE"): (api_stream.delete, "stream_delete_response"),
    ("STREAM", "NAMES"): (api_stream.names, "stream_names_response"),
    ("STREAM", "LIST"): (api_stream.list_streams, "stream_list_response"),
    ("STREAM", "PURGE"): (api_stream.purge, "stream_purge_response"),
    ("STREAM", "MSG", "GET"): (api_stream.msg_get, "stream_msg_get_response"),
    ("STREAM", "MSG", "DELETE"): (api_stream.msg_delete, "stream_msg_delete_response"),
}


def handle_api(jsa: JSAccount, subject: bytes, reply: bytes, hdr: bytes, body: bytes) -> None:
    tokens = subject.decode(errors="replace").split(".")[2:]
    if not reply:
        return
    if tokens[:2] == ["DIRECT", "GET"]:
        api_stream.direct_get(jsa, tokens[2:], reply, hdr, body)
        return
    for size in (3, 2, 1):
        entry = _HANDLERS.get(tuple(tokens[:size]))
        if entry is not None:
            break
    else:
        return
    handler, kind = entry
    js = jsa.js
    js.api_total += 1
    try:
        out = handler(jsa, tokens[size:], hdr, body)
    except Exception as e:  # a handler bug must not take the server down; answer as nats-server would
        jsa.js.server.log.error(f"JetStream API {'.'.join(tokens)}: {e!r}")
        out = encode_error_response(response_type(kind), js_error("JSStreamGeneralErrorF", err=str(e)))
    if out is None:
        return
    if isinstance(out, api_stream.Deferred):
        out.then(lambda data: _reply(jsa, reply, data))
        return
    if b'"error":' in out[:120]:
        js.api_errors += 1
    _reply(jsa, reply, out)


def _reply(jsa: JSAccount, reply: bytes, data: bytes) -> None:
    publish_internal(jsa.account, reply, b"", data)
