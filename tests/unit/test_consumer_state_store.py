# The consumer state store additions the consumer engine relies on: reading the live state without
# a copy, moving a pending delivery's time (progress, delayed NAK) and reopening a store without
# replacing its saved configuration.
from __future__ import annotations

from pynatsd.jetstream.store import MemoryStore
from pynatsd.jetstream.store.consumer import ConsumerStateStore


def _noop(*_: object) -> None:
    return None


def test_consumer_state_live_is_not_a_copy_and_touch_moves_pending_time() -> None:
    cs = ConsumerStateStore("c", _noop, _noop)
    cs.update_delivered(1, 10, 1, 100)
    assert cs.live is cs.live
    assert cs.live.pending[10].ts == 100
    cs.touch(10, 500)
    assert cs.live.pending[10].ts == 500
    assert cs.live.pending[10].consumer_seq == 1
    cs.touch(99, 1)
    assert 99 not in cs.live.pending


def test_consumer_state_reopen_with_empty_config_keeps_saved_one() -> None:
    store = MemoryStore("S")
    store.consumer_store("c", b'{"config":1}')
    again = store.consumer_store("c", b"")
    assert again.config() == b'{"config":1}'
    store.consumer_store("c", b'{"config":2}')
    assert again.config() == b'{"config":2}'
