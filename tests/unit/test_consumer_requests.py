# Pull request bodies, the waiting queue, status headers, ack subject tokens and pacing: the pure
# parts of the consumer, without a server.
from __future__ import annotations

import pytest

from pynatsd.jetstream.consumer_ack import _nak_delay, _tokens
from pynatsd.jetstream.consumer_pull import RequestError, WaitQueue, parse_request, status
from pynatsd.jetstream.consumer_push import Pacer

NS = 1_000_000_000


def test_consumer_request_empty_body_is_one_message() -> None:
    req = parse_request(b"_INBOX.x", b"", 0)
    assert (req.batch, req.n, req.no_wait, req.expires_at, req.max_bytes) == (1, 1, False, 0, 0)


def test_consumer_request_integer_and_json_bodies() -> None:
    assert parse_request(b"r", b"7", 0).batch == 7
    assert parse_request(b"r", b"junk", 0).batch == 1
    req = parse_request(b"r", b'{"batch":5,"expires":2000000000,"no_wait":true,"max_bytes":10,"x":1}', 100)
    assert (req.batch, req.expires_at, req.no_wait, req.max_bytes, req.bytes_left) == (
        5,
        100 + 2 * NS,
        True,
        10,
        10,
    )
    assert parse_request(b"r", b'{"batch":0}', 0).batch == 1


def test_consumer_request_heartbeat_must_fit_twice_in_expires() -> None:
    with pytest.raises(RequestError, match="heartbeat value too large"):
        parse_request(b"r", b'{"idle_heartbeat":1000000000}', 0)
    with pytest.raises(RequestError, match="heartbeat value too large"):
        parse_request(b"r", b'{"expires":1000000000,"idle_heartbeat":600000000}', 0)
    req = parse_request(b"r", b'{"expires":1000000000,"idle_heartbeat":500000000}', 0)
    assert req.next_deadline() == NS // 2


def test_consumer_request_bad_json() -> None:
    with pytest.raises(RequestError):
        parse_request(b"r", b'{"batch":', 0)


def test_consumer_wait_queue_limit_and_round_robin() -> None:
    q = WaitQueue(2)
    a, b = (parse_request(name, b"", 0) for name in (b"a", b"b"))
    q.add(a)
    assert not q.full()
    q.add(b)
    assert q.full()
    assert q.head() is a
    q.cycle()
    assert q.head() is b
    q.remove(b)
    assert q.head() is a
    assert q.clear() == [a]
    assert len(q) == 0


def test_consumer_status_headers() -> None:
    assert status(404, "No Messages") == b"NATS/1.0 404 No Messages\r\n\r\n"
    assert status(408, "Request Timeout", (3, 0)) == (
        b"NATS/1.0 408 Request Timeout\r\nNats-Pending-Messages: 3\r\nNats-Pending-Bytes: 0\r\n\r\n"
    )


def test_consumer_ack_subject_tokens() -> None:
    assert _tokens(b"$JS.ACK.S.C.2.10.11.1795796295183675428.4") == (2, 10, 11)
    assert _tokens(b"$JS.ACK._.ACCHASH.S.C.1.5.6.1795796295183675428.0.tok") == (1, 5, 6)
    assert _tokens(b"$JS.ACK.S.C.1.5") is None
    assert _tokens(b"$JS.ACK.S.C.x.5.6.7.8") is None


def test_consumer_nak_delay_forms() -> None:
    assert _nak_delay(b"") == 0
    assert _nak_delay(b'{"delay":2000000000}') == 2 * NS
    assert _nak_delay(b"5s") == 5 * NS
    assert _nak_delay(b"bogus") == 0


def test_consumer_pacer_rate_limit_delays_when_bucket_empty() -> None:
    pacer = Pacer(False, 8 * 100)
    assert pacer.delay(0, 50) == 0
    assert pacer.delay(0, 100) > 0.4
    free = Pacer(False, 0)
    assert free.delay(0, 10**6) == 0


def test_consumer_pacer_replay_keeps_gap() -> None:
    pacer = Pacer(True, 0)
    assert pacer.delay(0, 1) == 0
    assert pacer.delay(10 * NS, 1) > 9


def test_consumer_wait_queue_prioritized_order() -> None:
    q = WaitQueue(0)
    reqs = [parse_request(b"r%d" % p, b'{"priority":%d}' % p, 0) for p in (5, 1, 5, 0)]
    for req in reqs:
        q.add(req, prioritized=True)
    assert [r.priority for r in q] == [0, 1, 5, 5]
    assert [r.reply for r in q][2:] == [b"r5", b"r5"]
