# The CONSUMER.* handlers of the JetStream API: CREATE (three subject forms), INFO, DELETE, NAMES,
# LIST, PAUSE, UNPIN, RESET, and the clustered-only LEADER.STEPDOWN and PEER.REMOVE.
#
# Each handler checks its request in nats-server 2.15's order (validate_consumer.py holds the config
# rules), acts on the stream's consumers through the Stream/Consumer interface (add_consumer,
# update_consumer, delete_consumer, pause, unpin, reset) and returns the response bytes, or None for
# a subject that gets no reply at all. CONSUMER.MSG.NEXT never reaches here: consumers answer their
# own pull requests, so a request for a consumer that does not exist finds no responder, as with
# nats-server. RESET behaves the same way (nats-server answers it from the consumer's own
# subscription), so a reset of an unknown consumer gets no reply either.
#
# ConsumerInfo views: CREATE, INFO and RESET show the config with the response-only metadata
# (`_nats.ver`, `_nats.level`), LIST shows it as stored. Direct consumers (internal, for mirrors and
# sources) are left out of NAMES and LIST, like nats-server's getPublicConsumers.
from __future__ import annotations

import functools
import re
import time
from typing import TYPE_CHECKING, TypeVar

import msgspec

from pynatsd.jetstream.advisories import consumer_action
from pynatsd.jetstream.api_stream import Reply, error_reply, optional_request
from pynatsd.jetstream.errors import JSError, invalid_json, js_error
from pynatsd.jetstream.jsonutil import (
    GoJSONError,
    decode,
    encode,
    format_go_time,
    is_empty_request,
    parse_go_time,
)
from pynatsd.jetstream.limits import account_limits
from pynatsd.jetstream.store import StoreError
from pynatsd.jetstream.types_api import LIST_LIMIT, NAMES_LIMIT
from pynatsd.jetstream.types_consumer import (
    ZERO_TIME_TEXT,
    ConsumerConfig,
    ConsumerCreateResponse,
    ConsumerDeleteResponse,
    ConsumerInfo,
    ConsumerInfoResponse,
    ConsumerListResponse,
    ConsumerNamesResponse,
    ConsumerPauseRequest,
    ConsumerPauseResponse,
    ConsumerResetRequest,
    ConsumerResetResponse,
    ConsumersRequest,
    ConsumerUnpinRequest,
    ConsumerUnpinResponse,
    CreateConsumerRequest,
    PriorityGroupState,
    SequenceInfo,
)
from pynatsd.jetstream.validate import decode_request
from pynatsd.jetstream.validate_consumer import (
    ConsumerLimits,
    check_against_stream,
    check_consumer_config,
    check_create_request,
    create_target,
    new_consumer_name,
    set_consumer_defaults,
    set_consumer_static_metadata,
    with_consumer_metadata,
)

if TYPE_CHECKING:
    from pynatsd.jetstream.consumer import Consumer
    from pynatsd.jetstream.engine import JSAccount
    from pynatsd.jetstream.stream import Stream

__all__ = [
    "consumer_count",
    "consumer_info",
    "create",
    "delete",
    "durable_create",
    "info",
    "leader_stepdown",
    "list_consumers",
    "names",
    "pause",
    "peer_remove",
    "reset",
    "unpin",
]


def consumer_count(jsa: JSAccount) -> int:
    """All consumers of the account's streams (account info, /jsz)."""
    return sum(len(s.consumers) for s in jsa.streams.values())


def consumer_info(stream: Stream, consumer: Consumer, *, view: str = "info") -> ConsumerInfo:
    """The ConsumerInfo nats-server shows in `view` ("create", "info" or "list")."""
    rt = consumer.info_state()
    cfg = consumer.config
    now = time.time_ns()
    until = parse_go_time(cfg.pause_until).unix_ns if cfg.pause_until else 0
    paused = until > now
    return ConsumerInfo(
        stream_name=stream.config.name,
        name=consumer.name,
        created=consumer.created,
        config=cfg if view == "list" else with_consumer_metadata(cfg),
        delivered=SequenceInfo(
            consumer_seq=rt.delivered_consumer_seq,
            stream_seq=rt.delivered_stream_seq,
            last_active=rt.delivered_last_active_ns or None,
        ),
        ack_floor=SequenceInfo(
            consumer_seq=rt.ack_floor_consumer_seq,
            stream_seq=rt.ack_floor_stream_seq,
            last_active=rt.ack_floor_last_active_ns or None,
        ),
        num_ack_pending=rt.num_ack_pending,
        num_redelivered=rt.num_redelivered,
        num_waiting=rt.num_waiting,
        num_pending=rt.num_pending,
        push_bound=rt.push_bound,
        paused=paused,
        pause_remaining=until - now if paused else 0,
        ts=now,
        priority_groups=_group_states(cfg, rt.priority_groups),
    )


def _group_states(
    cfg: ConsumerConfig, runtime: list[tuple[str, str, int]]
) -> list[PriorityGroupState] | None:
    """The priority group state nats-server reports: its first configured group only, with the pin
    (if any) from the consumer's runtime state."""
    if cfg.priority_policy == "none" or not cfg.priority_groups:
        return None
    group = cfg.priority_groups[0]
    pins = {g: (pin, ts) for g, pin, ts in runtime or ()}
    pin, ts = pins.get(group, ("", 0))
    return [PriorityGroupState(group=group, pinned_client_id=pin, pinned_ts=ts if pin else 0)]


# -- create -------------------------------------------------------------------------------------


def create(jsa: JSAccount, args: list[str], hdr: bytes, body: bytes) -> bytes | None:
    return _create(jsa, False, args, body)


def durable_create(jsa: JSAccount, args: list[str], hdr: bytes, body: bytes) -> bytes | None:
    return _create(jsa, True, args, body)


def _limits(jsa: JSAccount) -> ConsumerLimits:
    # The account's limits (accounts { A { jetstream { max_consumers, max_ack_pending } } });
    # server-wide `jetstream { limits {} }` are not configurable yet.
    acc = account_limits(jsa)
    return ConsumerLimits(
        account_max_ack_pending=max(acc.max_ack_pending, 0),
        account_max_consumers=max(acc.max_consumers, 0),
    )


def _create(jsa: JSAccount, durable_verb: bool, args: list[str], body: bytes) -> bytes | None:
    kind = "consumer_create_response"
    target = create_target(durable_verb, args)
    if target is None:
        return None
    req = decode_request(body, CreateConsumerRequest) if body else CreateConsumerRequest()
    if isinstance(req, JSError):
        return error_reply(kind, req)
    err = check_create_request(req, target)
    if err is not None:
        return error_reply(kind, err)
    if req.config.num_replicas > 1:
        return error_reply(kind, js_error("JSStreamReplicasNotSupportedErr"))
    stream = jsa.streams.get(req.stream_name)
    if stream is None:
        return error_reply(kind, js_error("JSStreamNotFoundErr"))
    known = set(stream.consumers)
    try:
        out = _add_or_update(jsa, stream, req)
    except StoreError as e:
        out = js_error("JSConsumerStoreFailedErrF", err=str(e))
    if isinstance(out, JSError):
        return error_reply(kind, out)
    if out.name not in known:
        consumer_action(jsa, stream.config.name, out.name, "create")
    return encode(ConsumerCreateResponse(info=consumer_info(stream, out, view="create")))


def _has_interest(jsa: JSAccount, subject: str) -> bool:
    return jsa.account.sublist.has_interest(subject.encode())


def _add_or_update(jsa: JSAccount, stream: Stream, req: CreateConsumerRequest) -> Consumer | JSError:
    limits = _limits(jsa)
    cfg = req.config
    consumers = stream.consumers
    name = cfg.durable_name or cfg.name
    existing = consumers.get(name) if name else None
    if existing is not None:
        cfg.pause_until = existing.config.pause_until
    set_consumer_static_metadata(cfg)
    scfg = stream.config
    err = set_consumer_defaults(cfg, scfg, pedantic=req.pedantic, limits=limits)
    err = err or check_consumer_config(cfg, scfg, limits)
    configs = {n: c.config for n, c in consumers.items()}
    bound = functools.partial(_has_interest, jsa)
    err = err or check_against_stream(cfg, req.action, scfg, configs, limits, bound=bound)
    if err is not None:
        return err
    if existing is not None:
        stream.update_consumer(existing, cfg)
        return existing
    if name:
        return stream.add_consumer(cfg)
    # A generated name belongs to the consumer; nats-server's stored config does not show it.
    generated = stream.add_consumer(msgspec.structs.replace(cfg, name=new_consumer_name(consumers)))
    stream.update_consumer(generated, cfg)
    return generated


# -- info, delete, names, list ------------------------------------------------------------------


def _lookup(jsa: JSAccount, args: list[str]) -> tuple[Stream, Consumer] | JSError:
    stream = jsa.streams.get(args[0])
    if stream is None:
        return js_error("JSStreamNotFoundErr")
    consumer = stream.consumers.get(args[1])
    if consumer is None:
        return js_error("JSConsumerNotFoundErr")
    return stream, consumer


def _bodiless_lookup(
    jsa: JSAccount, args: list[str], body: bytes, kind: str
) -> tuple[Stream, Consumer] | bytes | None:
    """The consumer an INFO or DELETE names, or the response (None: not a request of this kind)."""
    if len(args) != 2:
        return None
    if not is_empty_request(body):
        return error_reply(kind, js_error("JSNotEmptyRequestErr"))
    found = _lookup(jsa, args)
    return error_reply(kind, found) if isinstance(found, JSError) else found


def info(jsa: JSAccount, args: list[str], hdr: bytes, body: bytes) -> bytes | None:
    found = _bodiless_lookup(jsa, args, body, "consumer_info_response")
    if not isinstance(found, tuple):
        return found
    stream, consumer = found
    return encode(ConsumerInfoResponse(info=consumer_info(stream, consumer)))


def delete(jsa: JSAccount, args: list[str], hdr: bytes, body: bytes) -> bytes | None:
    found = _bodiless_lookup(jsa, args, body, "consumer_delete_response")
    if not isinstance(found, tuple):
        return found
    stream, consumer = found
    stream.delete_consumer(consumer.name)
    consumer_action(jsa, stream.config.name, consumer.name, "delete")
    return encode(ConsumerDeleteResponse(success=True))


def _public(jsa: JSAccount, args: list[str], body: bytes) -> tuple[Stream, list[str], int] | JSError:
    req = optional_request(body, ConsumersRequest)
    if isinstance(req, JSError):
        return req
    stream = jsa.streams.get(args[0])
    if stream is None:
        return js_error("JSStreamNotFoundErr")
    public = sorted(n for n, c in stream.consumers.items() if not c.config.direct)
    return stream, public, min(max(req.offset, 0), len(public))


def names(jsa: JSAccount, args: list[str], hdr: bytes, body: bytes) -> bytes | None:
    if len(args) != 1:
        return None
    found = _public(jsa, args, body)
    if isinstance(found, JSError):
        return encode(ConsumerNamesResponse(error=found))
    _, public, offset = found
    page = public[offset : offset + NAMES_LIMIT]
    return encode(ConsumerNamesResponse(total=len(public), offset=offset, limit=NAMES_LIMIT, consumers=page))


def list_consumers(jsa: JSAccount, args: list[str], hdr: bytes, body: bytes) -> bytes | None:
    if len(args) != 1:
        return None
    found = _public(jsa, args, body)
    if isinstance(found, JSError):
        return encode(ConsumerListResponse(error=found))
    stream, public, offset = found
    consumers = stream.consumers
    infos = [consumer_info(stream, consumers[n], view="list") for n in public[offset : offset + LIST_LIMIT]]
    return encode(ConsumerListResponse(total=len(public), offset=offset, limit=LIST_LIMIT, consumers=infos))


# -- pause, unpin, reset ------------------------------------------------------------------------


def pause(jsa: JSAccount, args: list[str], hdr: bytes, body: bytes) -> bytes | None:
    if len(args) != 2:
        return None
    req = optional_request(body, ConsumerPauseRequest)
    if isinstance(req, JSError):
        return encode(ConsumerPauseResponse(error=req))
    found = _lookup(jsa, args)
    if isinstance(found, JSError):
        return encode(ConsumerPauseResponse(error=found))
    stream, consumer = found
    until = parse_go_time(req.pause_until).unix_ns if req.pause_until else 0
    text = format_go_time(until) if until else None
    cfg = msgspec.structs.replace(consumer.config, pause_until=text)
    set_consumer_static_metadata(cfg)
    stream.update_consumer(consumer, cfg)
    consumer.pause(until)
    now = time.time_ns()
    paused = until > now
    return encode(
        ConsumerPauseResponse(
            paused=paused,
            pause_until=text or ZERO_TIME_TEXT,
            pause_remaining=until - now if paused else 0,
        )
    )


def unpin(jsa: JSAccount, args: list[str], hdr: bytes, body: bytes) -> bytes | None:
    kind = "consumer_unpin_response"
    if len(args) != 2:
        return None
    req = _plain_decode(body, ConsumerUnpinRequest)
    if isinstance(req, JSError):
        return error_reply(kind, req)
    if not req.group:
        return error_reply(kind, invalid_json("consumer group not specified"))
    found = _lookup(jsa, args)
    if isinstance(found, JSError):
        return error_reply(kind, found)
    _, consumer = found
    if req.group not in (consumer.config.priority_groups or ()):
        return error_reply(kind, js_error("JSConsumerInvalidPriorityGroupErr"))
    consumer.unpin(req.group)
    return encode(ConsumerUnpinResponse())


_OFFSET = re.compile(r" at offset [0-9]+$")
T = TypeVar("T", ConsumerUnpinRequest, ConsumerResetRequest)


def _plain_decode(body: bytes, cls: type[T]) -> T | JSError:
    """A body read with a plain json.Unmarshal: unknown fields allowed, Go's texts without offsets."""
    if not body.strip(b" \t\r\n"):
        return invalid_json("unexpected end of JSON input")
    try:
        return decode(body, cls, strict=False)
    except GoJSONError as e:
        text = _OFFSET.sub("", str(e))
        return invalid_json("unexpected end of JSON input" if text == "unexpected EOF" else text)


def reset(jsa: JSAccount, args: list[str], hdr: bytes, body: bytes) -> Reply | None:
    """ADR-60 reset. nats-server answers it from the consumer itself, outside the API statistics."""
    if len(args) != 2:
        return None
    found = _lookup(jsa, args)
    if isinstance(found, JSError):
        return None
    stream, consumer = found
    req = _plain_decode(body, ConsumerResetRequest) if body else ConsumerResetRequest()
    if isinstance(req, JSError):
        return Reply(encode(ConsumerResetResponse(error=req)), "none")
    out = consumer.reset(req.seq)
    if isinstance(out, JSError):
        return Reply(encode(ConsumerResetResponse(error=out)), "none")
    info = consumer_info(stream, consumer, view="create")
    return Reply(encode(ConsumerResetResponse(info=info, reset_seq=int(out))), "none")


# LEADER.STEPDOWN and PEER.REMOVE: a single server has no leaders or peers to move (10010).


def leader_stepdown(jsa: JSAccount, args: list[str], hdr: bytes, body: bytes) -> bytes | None:
    return error_reply("consumer_leader_stepdown_response", js_error("JSClusterRequiredErr"))


def peer_remove(jsa: JSAccount, args: list[str], hdr: bytes, body: bytes) -> bytes | None:
    return error_reply("consumer_remove_peer_response", js_error("JSClusterRequiredErr"))
