# JetStream per account: which accounts have it, their resource limits, and the answer an account
# without it gets.
#
# With accounts configured, an account uses JetStream only when its block says so
# (`jetstream: enabled`, or a map of limits); the others still get an answer on `$JS.API.>`, the
# "JetStream not enabled for account" error, as from nats-server. Limits follow nats-server's
# checks on stream create, in its order: the number of streams, then the bytes the new stream
# reserves (its max_bytes) on top of what the account's streams already reserve, per storage type.
from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from pynatsd.core.internal import publish_internal, subscribe_internal
from pynatsd.jetstream.errors import JSError, js_error
from pynatsd.jetstream.types_api import JetStreamAccountLimits

if TYPE_CHECKING:
    from pynatsd.core.accounts import Account
    from pynatsd.core.subscription import Subscription
    from pynatsd.jetstream.engine import JSAccount
    from pynatsd.jetstream.types_stream import StreamConfig

__all__ = ["account_limits", "answer_not_enabled", "check_stream_resources", "parse_account_jetstream"]

UNLIMITED: Final = JetStreamAccountLimits()
_KEYS: Final = {
    "max_mem": "max_memory",
    "max_memory": "max_memory",
    "max_file": "max_storage",
    "max_store": "max_storage",
    "max_disk": "max_storage",
    "max_streams": "max_streams",
    "max_consumers": "max_consumers",
    "max_ack_pending": "max_ack_pending",
    "mem_max_stream_bytes": "memory_max_stream_bytes",
    "memory_max_stream_bytes": "memory_max_stream_bytes",
    "disk_max_stream_bytes": "storage_max_stream_bytes",
    "store_max_stream_bytes": "storage_max_stream_bytes",
    "max_bytes_required": "max_bytes_required",
}
# `$JS.API.<verb tokens>` -> the response type an error answer carries.
_TYPES: Final = {
    ("INFO",): "account_info_response",
    ("STREAM", "MSG", "GET"): "stream_msg_get_response",
    ("STREAM", "MSG", "DELETE"): "stream_msg_delete_response",
    ("STREAM", "LEADER", "STEPDOWN"): "stream_leader_stepdown_response",
    ("STREAM", "PEER", "REMOVE"): "stream_remove_peer_response",
    ("CONSUMER", "DURABLE", "CREATE"): "consumer_create_response",
    ("CONSUMER", "LEADER", "STEPDOWN"): "consumer_leader_stepdown_response",
}


def parse_account_jetstream(value: Any) -> JetStreamAccountLimits | None:
    """An account block's `jetstream` value: None when JetStream is off for the account."""
    if value is None or value is False:
        return None
    if isinstance(value, str):
        return UNLIMITED if value.lower() in ("enabled", "enable", "true", "yes", "on") else None
    if value is True:
        return UNLIMITED
    if not isinstance(value, Mapping):
        raise ValueError("Expected jetstream to be a boolean, a string or a map of limits")
    fields: dict[str, Any] = {}
    for key, raw in value.items():
        name = _KEYS.get(key.lower())
        if name is None:
            raise ValueError(f'Unknown field "{key}" parsing account jetstream limits')
        fields[name] = bool(raw) if name == "max_bytes_required" else int(raw)
    return JetStreamAccountLimits(**fields)


def account_limits(jsa: JSAccount) -> JetStreamAccountLimits:
    return jsa.limits


def check_stream_resources(jsa: JSAccount, cfg: StreamConfig) -> JSError | None:
    """Whether the account may add a stream with this configuration."""
    lim = account_limits(jsa)
    if 0 < lim.max_streams <= len(jsa.streams):
        return js_error("JSMaximumStreamsLimitErr")
    memory = cfg.storage == "memory"
    per_stream = lim.memory_max_stream_bytes if memory else lim.storage_max_stream_bytes
    if lim.max_bytes_required and cfg.max_bytes <= 0:
        return js_error("JSStreamMaxBytesRequired")
    if per_stream > 0 and cfg.max_bytes > per_stream:
        return js_error("JSStreamMaxStreamBytesExceeded")
    limit = lim.max_memory if memory else lim.max_storage
    if limit >= 0 and cfg.max_bytes > 0:
        reserved = sum(
            s.config.max_bytes
            for s in jsa.streams.values()
            if s.config.storage == cfg.storage and s.config.max_bytes > 0
        )
        if reserved + cfg.max_bytes > limit:
            return js_error("JSMemoryResourcesExceededErr" if memory else "JSStorageResourcesExceededErr")
    return None


def _response_name(tokens: list[str]) -> str | None:
    for n in (3, 2, 1):
        name = _TYPES.get(tuple(tokens[:n]))
        if name is not None:
            return name
    if len(tokens) >= 2 and tokens[0] in ("STREAM", "CONSUMER"):
        return f"{tokens[0].lower()}_{tokens[1].lower()}_response"
    return None


def answer_not_enabled(account: Account) -> Subscription:
    """Answer `$JS.API.>` in an account without JetStream, as nats-server does."""
    from pynatsd.jetstream.api_stream import error_reply

    body_cache: dict[str, bytes] = {}

    def on_request(sub: Subscription, subject: bytes, reply: bytes, hdr_len: int, msg: bytes) -> bool:
        tokens = subject.decode(errors="replace").split(".")[2:]
        if not reply or tokens[:2] in (["DIRECT", "GET"], ["CONSUMER", "MSG"]):
            return False
        name = _response_name(tokens)
        if name is None:
            return False
        body = body_cache.get(name)
        if body is None:
            body = body_cache[name] = error_reply(name, js_error("JSNotEnabledForAccountErr"))
        publish_internal(account, reply, b"", body)
        return True

    return subscribe_internal(account, b"$JS.API.>", on_request)
