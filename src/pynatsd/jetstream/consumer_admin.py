# A stream's consumer registry: adding, updating, deleting and reloading consumers, with what each
# of those means for the consumer's stored state and for the stream's retention.
#
# Consumers of file streams (unless mem_storage) keep their configuration and progress in the
# stream's store, committed with its group commit, and come back after a restart exactly where
# they were; ephemerals too, as with nats-server, until their inactive_threshold removes them. The
# stored configuration is `{"created":<ns>,"name":"<name>","config":{...}}` in nats-server's JSON.
# Consumers of memory streams and mem_storage ones get a state store that persists nothing.
#
# Interest retention: deleting a consumer can leave messages nobody else needs; those are removed
# at once, as nats-server does.
from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, cast

import msgspec

from pynatsd.jetstream.advisories import consumer_action
from pynatsd.jetstream.consumer import Consumer
from pynatsd.jetstream.jsonutil import GoJSONError, decode, encode
from pynatsd.jetstream.store import StoreError
from pynatsd.jetstream.store.consumer import ConsumerStateStore

if TYPE_CHECKING:
    from pynatsd.jetstream.store.base import AckPolicy
    from pynatsd.jetstream.stream import Stream
    from pynatsd.jetstream.types_consumer import ConsumerConfig

__all__ = ["add", "close_all", "delete", "expire", "load", "update"]


def _persisted(stream: Stream, config: ConsumerConfig) -> bool:
    return stream.config.storage == "file" and not config.mem_storage


def _ack_rules(config: ConsumerConfig) -> tuple[AckPolicy, int]:
    ap = config.ack_policy
    return ("none" if ap in ("none", "flow_control") else ap), config.max_deliver  # type: ignore[return-value]


def _meta(name: str, created: int, config: ConsumerConfig) -> bytes:
    return b'{"created":%d,"name":%b,"config":%b}' % (created, encode(name), encode(config))


def _nothing(*_: Any) -> None:
    return None


def add(stream: Stream, config: ConsumerConfig) -> Consumer:
    """Create a consumer from a checked configuration and start it delivering."""
    name = config.name or config.durable_name
    created = time.time_ns()
    policy, max_deliver = _ack_rules(config)
    if _persisted(stream, config):
        cs = cast(
            ConsumerStateStore,
            stream.store.consumer_store(
                name, _meta(name, created, config), ack_policy=policy, max_deliver=max_deliver
            ),
        )
    else:
        cs = ConsumerStateStore(name, _nothing, _nothing)
    consumer = Consumer(stream, name, config, created, cs)
    stream.consumers[name] = consumer
    consumer.start()
    return consumer


def update(stream: Stream, consumer: Consumer, config: ConsumerConfig) -> None:
    consumer.update(config)
    if _persisted(stream, config):
        policy, max_deliver = _ack_rules(config)
        meta = _meta(consumer.name, consumer.created, config)
        consumer.cs.update_config(meta, ack_policy=policy, max_deliver=max_deliver)


def delete(stream: Stream, name: str) -> bool:
    consumer = stream.consumers.pop(name, None)
    if consumer is None:
        return False
    consumer.stop(deleted=True)
    try:
        consumer.cs.delete()
    except StoreError:
        pass
    if stream.config.retention == "interest":
        _sweep_interest(stream)
    return True


def expire(stream: Stream, consumer: Consumer) -> None:
    """Delete a consumer that stayed inactive past its inactive_threshold."""
    if stream.consumers.get(consumer.name) is consumer and delete(stream, consumer.name):
        consumer_action(stream.jsa, stream.name, consumer.name, "delete")


def close_all(stream: Stream, deleted: bool) -> None:
    """Stop every consumer (stream deleted, or server shutting down)."""
    for consumer in list(stream.consumers.values()):
        consumer.stop(deleted=deleted)
    stream.consumers.clear()


def _sweep_interest(stream: Stream) -> None:
    store = stream.store
    consumers = list(stream.consumers.values())
    seq = store.state().first_seq
    while (sm := store.load_next(">", seq)) is not None:
        if not any(c.needs_ack(sm.seq, sm.subject) for c in consumers):
            store.remove(sm.seq)
        seq = sm.seq + 1


def load(stream: Stream) -> None:
    """Bring back the durable consumers a file stream holds, after a restart."""
    from pynatsd.jetstream.types_consumer import ConsumerConfig

    store = stream.store
    names = store.consumer_names()
    if names:
        account = stream.jsa.account.name
        log = stream.jsa.js.server.log
        log.info(f"  Recovering {len(names)} consumers for stream - '{account} > {stream.name}'")
    for name in names:
        cs = cast(ConsumerStateStore, store.consumer_store(name, b""))
        try:
            outer: dict[str, Any] = msgspec.json.decode(cs.config())
            config = decode(msgspec.json.encode(outer["config"]), ConsumerConfig, strict=False)
            created = int(outer.get("created", 0))
        except (msgspec.DecodeError, GoJSONError, KeyError, TypeError, ValueError) as e:
            stream.jsa.js.server.log.error(
                f"JetStream consumer '{stream.name} > {name}' has a bad config: {e}"
            )
            continue
        consumer = Consumer(stream, name, config, created, cs)
        stream.consumers[name] = consumer
        consumer.start(resume=True)
