# The JetStream API: `$JS.API.<...>` requests in, JSON responses out, as nats-server answers them.
#
# Dispatch is a table from the subject's verb tokens to a handler. A handler gets the account's
# JetStream state, the remaining subject tokens and the request body, and returns the response bytes
# (or None: a subject with no handler, or the wrong number of tokens, gets no reply at all, as from
# nats-server). Changes to a file stream's configuration are answered only after the store has made
# them durable. The account's API statistics (account info `api.total` / `api.errors`) follow
# nats-server's bookkeeping, which a handler can override with api_stream.Reply.
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from pynatsd.core.internal import publish_internal
from pynatsd.jetstream import api_consumer, api_msg, api_stream
from pynatsd.jetstream.advisories import api_audit
from pynatsd.jetstream.api_stream import Deferred, Reply, api_level_too_low, error_reply
from pynatsd.jetstream.errors import js_error
from pynatsd.jetstream.jsonutil import encode
from pynatsd.jetstream.limits import account_limits
from pynatsd.jetstream.types_api import AccountInfo, AccountInfoResponse, JetStreamAPIStats
from pynatsd.jetstream.validate import API_LEVEL

if TYPE_CHECKING:
    from pynatsd.jetstream.engine import JSAccount

__all__ = ["handle_api"]

Handler = Callable[["JSAccount", list[str], bytes, bytes], "bytes | Reply | Deferred | None"]

# Subjects the `$JS.API.>` subscription declines: direct gets are answered by the streams' own
# subscriptions, so a direct get for any other stream finds no responder (nats-server skips its API
# import for this prefix, without a dot, the same way).
_DIRECT_GET = b"$JS.API.DIRECT.GET"
# Pull requests are answered by each consumer's own subscription; one for a consumer that does not
# exist finds no responder.
_MSG_NEXT = b"$JS.API.CONSUMER.MSG.NEXT."


def _account_info(jsa: JSAccount, args: list[str], hdr: bytes, body: bytes) -> bytes | None:
    if args:
        return None
    used = {"memory": 0, "file": 0}
    reserved = {"memory": 0, "file": 0}
    for stream in jsa.streams.values():
        cfg = stream.config
        used[cfg.storage] += stream.store.state().bytes
        if cfg.max_bytes > 0:
            reserved[cfg.storage] += cfg.max_bytes
    js = jsa.js
    info = AccountInfo(
        memory=used["memory"],
        storage=used["file"],
        reserved_memory=reserved["memory"],
        reserved_storage=reserved["file"],
        streams=len(jsa.streams),
        consumers=api_consumer.consumer_count(jsa),
        limits=account_limits(jsa),
        domain=jsa.domain,
        api=JetStreamAPIStats(level=API_LEVEL, total=js.api_total, errors=js.api_errors),
    )
    return encode(AccountInfoResponse(info=info))


# verb tokens -> (handler, response type, fewest and most tokens after the verb)
_HANDLERS: dict[tuple[str, ...], tuple[Handler, str, int, int]] = {
    ("CONSUMER", "CREATE"): (api_consumer.create, "consumer_create_response", 1, 1 << 16),
    ("CONSUMER", "DURABLE", "CREATE"): (api_consumer.durable_create, "consumer_create_response", 2, 2),
    ("CONSUMER", "INFO"): (api_consumer.info, "consumer_info_response", 2, 2),
    ("CONSUMER", "DELETE"): (api_consumer.delete, "consumer_delete_response", 2, 2),
    ("CONSUMER", "NAMES"): (api_consumer.names, "consumer_names_response", 1, 1),
    ("CONSUMER", "LIST"): (api_consumer.list_consumers, "consumer_list_response", 1, 1),
    ("CONSUMER", "PAUSE"): (api_consumer.pause, "consumer_pause_response", 2, 2),
    ("CONSUMER", "UNPIN"): (api_consumer.unpin, "consumer_unpin_response", 2, 2),
    ("CONSUMER", "RESET"): (api_consumer.reset, "consumer_reset_response", 2, 2),
    ("CONSUMER", "LEADER", "STEPDOWN"): (
        api_consumer.leader_stepdown,
        "consumer_leader_stepdown_response",
        2,
        2,
    ),
    ("CONSUMER", "PEER", "REMOVE"): (api_consumer.peer_remove, "consumer_remove_peer_response", 2, 2),
    ("INFO",): (_account_info, "account_info_response", 0, 0),
    ("STREAM", "CREATE"): (api_stream.create, "stream_create_response", 1, 1),
    ("STREAM", "UPDATE"): (api_stream.update, "stream_update_response", 1, 1),
    ("STREAM", "INFO"): (api_stream.info, "stream_info_response", 1, 1),
    ("STREAM", "DELETE"): (api_stream.delete, "stream_delete_response", 1, 1),
    ("STREAM", "NAMES"): (api_stream.names, "stream_names_response", 0, 0),
    ("STREAM", "LIST"): (api_stream.list_streams, "stream_list_response", 0, 0),
    ("STREAM", "PURGE"): (api_stream.purge, "stream_purge_response", 1, 1),
    ("STREAM", "MSG", "GET"): (api_msg.msg_get, "stream_msg_get_response", 1, 1),
    ("STREAM", "MSG", "DELETE"): (api_msg.msg_delete, "stream_msg_delete_response", 1, 1),
}


def _route(tokens: list[str]) -> tuple[Handler, str, list[str]] | None:
    """The handler for a subject's tokens, or None (no handler, or the wrong number of tokens)."""
    for size in (3, 2, 1):
        entry = _HANDLERS.get(tuple(tokens[:size]))
        if entry is not None:
            handler, kind, fewest, most = entry
            args = tokens[size:]
            return (handler, kind, args) if fewest <= len(args) <= most else None
    return None


def handle_api(jsa: JSAccount, subject: bytes, reply: bytes, hdr: bytes, body: bytes) -> bool | None:
    """Answer one `$JS.API.>` request; False declines it (no interest), as for direct gets.

    A request without a reply subject is still carried out, as by nats-server; only the response
    is dropped. The account's API statistics count a request once its response exists, so an
    account info response does not include itself.
    """
    if subject.startswith((_DIRECT_GET, _MSG_NEXT)):
        return False
    tokens = subject.decode(errors="replace").split(".")[2:]
    route = _route(tokens)
    if route is None:
        return None
    handler, kind, args = route
    try:
        if api_level_too_low(hdr):
            out: bytes | Reply | Deferred | None = error_reply(kind, js_error("JSRequiredApiLevelErr"))
        else:
            out = handler(jsa, args, hdr, body)
    except Exception as e:  # a handler bug must not take the server down; answer as nats-server would
        jsa.js.server.log.error(f"JetStream API {'.'.join(tokens)}: {e!r}")
        out = error_reply(kind, js_error("JSStreamGeneralErrorF", err=str(e)))
    if out is None:
        return None
    _track(jsa, out)
    api_subject = subject.decode(errors="replace")
    if isinstance(out, Deferred):
        out.then(lambda data: _answer(jsa, api_subject, reply, body, data))
    else:
        _answer(jsa, api_subject, reply, body, out.data if isinstance(out, Reply) else out)
    return None


def _answer(jsa: JSAccount, subject: str, reply: bytes, request: bytes, data: bytes) -> None:
    _reply(jsa, reply, data)
    api_audit(jsa, subject, request, data)


def _track(jsa: JSAccount, out: bytes | Reply | Deferred) -> None:
    if isinstance(out, Reply):
        track = out.track
    elif isinstance(out, bytes) and b'"error":' in out[:120]:
        track = "err"
    else:
        track = "ok"
    js = jsa.js
    if track != "none":
        js.api_total += 1
    if track == "err":
        js.api_errors += 1


def _reply(jsa: JSAccount, reply: bytes, data: bytes) -> None:
    if reply:
        publish_internal(jsa.account, reply, b"", data)
