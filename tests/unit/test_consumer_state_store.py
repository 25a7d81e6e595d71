# The consumer state store additions the consumer engine relies on: reading the live state without
# a copy, moving a pending delivery's time (progress, delayed NAK), reopening a store without
# replacing its saved configuration, runs of deliveries and the encoding kept up to date.
from __future__ import annotations

import random

import pytest

from pynatsd.jetstream.store import MemoryStore, StoreError
from pynatsd.jetstream.store.consumer import ConsumerStateStore, decode_state, encode_state


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


@pytest.mark.parametrize("policy", ["explicit", "all"])
def test_delivered_run_is_update_delivered_repeated(policy: str) -> None:
    one = ConsumerStateStore("c", _noop, _noop)
    run = ConsumerStateStore("c", _noop, _noop)
    for cs in (one, run):
        cs.update_config(b"", ack_policy=policy)  # type: ignore[arg-type]
        cs.update_delivered(1, 3, 1, 50)
    for i, sseq in enumerate([4, 6, 7]):
        one.update_delivered(2 + i, sseq, 1, 99)
    run.update_delivered_run(2, [4, 6, 7], 99)
    assert run.state() == one.state()
    run.update_delivered_run(5, [7, 9], 120)  # 7 again: the general rules apply
    for i, sseq in enumerate([7, 9]):
        one.update_delivered(5 + i, sseq, 1, 120)
    assert run.state() == one.state()


@pytest.mark.parametrize("policy", ["explicit", "all"])
def test_encoding_stays_exact_through_every_change(policy: str) -> None:
    rnd = random.Random(7)
    cs = ConsumerStateStore("c", _noop, _noop)
    cs.update_config(b"", ack_policy=policy, max_deliver=3)  # type: ignore[arg-type]
    dseq = sseq = 0
    for step in range(600):
        op = rnd.randrange(6)
        pending = list(cs.live.pending)
        if op == 0:
            seqs = [sseq + 1 + k + rnd.randrange(2) * k for k in range(rnd.randrange(1, 5))]
            cs.update_delivered_run(dseq + 1, seqs, step)
            dseq, sseq = dseq + len(seqs), seqs[-1]
        elif op == 1 and pending:
            dseq += 1
            cs.update_delivered(dseq, rnd.choice(pending), rnd.randrange(1, 5), step)
        elif op == 2 and pending:
            target = rnd.choice(pending)
            try:
                cs.update_acks(cs.live.pending[target].consumer_seq, target)
            except StoreError:
                pass
        elif op == 3 and pending:
            cs.touch(rnd.choice(pending), step * 7)
        elif op == 4 and rnd.random() < 0.1:
            cs.update(cs.state())
        if rnd.random() < 0.3:
            encoded = cs.encoded_state()
            assert encoded == encode_state(cs.state())
            assert decode_state(encoded) == cs.state()
