# Message flow: PUB/SUB/UNSUB, headers, wildcards, queue groups, request/reply and no-responders.
#
# Queue members are picked at random, and so is the order in which distinct queue groups are served
# and the order among subscriptions on one identical subject, so those scenarios compare the set of
# delivered frames, not their order. Plain subscriptions on distinct subjects (`foo.bar`, `foo.*`,
# `foo.>`, `>`) are delivered in a fixed order and compared exactly.
from __future__ import annotations

import asyncio

import pytest

from pynatsd.testing.normalize import Transcript, split_frames
from pynatsd.testing.wire import WireTarget

OK = b"+OK\r\n"
PONG = b"PONG\r\n"
QUIET = b'CONNECT {"verbose":false}\r\n'
HDRS = b'CONNECT {"verbose":false,"headers":true}\r\n'


async def check(wire: WireTarget, send: bytes, expected: bytes, *, count: int = 1) -> None:
    assert await wire.run(send, until=PONG, count=count) == Transcript(expected, closed=False)


# -- PUB / SUB / MSG ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("send", "expected"),
    [
        (QUIET + b"SUB foo 1\r\nPUB foo 2\r\nhi\r\nPING\r\n", b"MSG foo 1 2\r\nhi\r\n"),
        (QUIET + b"SUB foo 1\r\nPUB foo bar 2\r\nhi\r\nPING\r\n", b"MSG foo 1 bar 2\r\nhi\r\n"),
        (QUIET + b"SUB foo 1\r\nPUB foo 0\r\n\r\nPING\r\n", b"MSG foo 1 0\r\n\r\n"),
        (QUIET + b"SUB foo 1\r\nPUB foo r 0\r\n\r\nPING\r\n", b"MSG foo 1 r 0\r\n\r\n"),
        (QUIET + b"SUB foo 1\r\nPUB foo 4\r\na\r\nb\r\nPING\r\n", b"MSG foo 1 4\r\na\r\nb\r\n"),
        (QUIET + b"SUB foo 1\r\nPUB foo 6\r\nPING\r\n\r\nPING\r\n", b"MSG foo 1 6\r\nPING\r\n\r\n"),
        (QUIET + b"SUB foo 1\r\nPUB foo 2\r\n\r\n\r\nPING\r\n", b"MSG foo 1 2\r\n\r\n\r\n"),
        (QUIET + b"SUB foo xyz\r\nPUB foo 1\r\na\r\nPING\r\n", b"MSG foo xyz 1\r\na\r\n"),
        (QUIET + b"SUB foo 1\r\nSUB bar 2\r\nPUB bar 1\r\nb\r\nPING\r\n", b"MSG bar 2 1\r\nb\r\n"),
        (QUIET + b"SUB foo 1\r\nPUB bar 1\r\nb\r\nPING\r\n", b""),
        (QUIET + b"SUB Foo 1\r\nPUB foo 1\r\na\r\nPING\r\n", b""),
        (
            QUIET + b"SUB foo.\xc3\xa9 1\r\nPUB foo.\xc3\xa9 1\r\na\r\nPING\r\n",
            b"MSG foo.\xc3\xa9 1 1\r\na\r\n",
        ),
    ],
    ids=[
        "basic",
        "reply",
        "empty",
        "empty-with-reply",
        "crlf-in-payload",
        "ping-in-payload",
        "crlf-only-payload",
        "word-sid",
        "second-sub",
        "no-match",
        "case-sensitive",
        "utf8",
    ],
)
async def test_pub_sub(wire: WireTarget, send: bytes, expected: bytes) -> None:
    await check(wire, send, expected + PONG)


async def test_verbose_ok_precedes_own_delivery(wire: WireTarget) -> None:
    send = b"SUB foo 1\r\nPUB foo r 2\r\nhi\r\nUNSUB 1\r\nPUB foo 2\r\nhi\r\nPING\r\n"
    expected = OK + OK + b"MSG foo 1 r 2\r\nhi\r\n" + OK + OK + PONG
    await check(wire, send, expected)


async def test_binary_payload(wire: WireTarget) -> None:
    payload = bytes(range(256)) * 4
    send = QUIET + b"SUB bin 1\r\nPUB bin 1024\r\n" + payload + b"\r\nPING\r\n"
    await check(wire, send, b"MSG bin 1 1024\r\n" + payload + b"\r\n" + PONG)


async def test_large_payload(wire: WireTarget) -> None:
    payload = bytes(i % 251 for i in range(200_000))
    send = QUIET + b"SUB big 1\r\nPUB big 200000\r\n" + payload + b"\r\nPING\r\n"
    await check(wire, send, b"MSG big 1 200000\r\n" + payload + b"\r\n" + PONG)


async def test_pipelined_messages_keep_order(wire: WireTarget) -> None:
    pubs = b"".join(b"PUB seq %d\r\n%d\r\n" % (len(str(i)), i) for i in range(300))
    msgs = b"".join(b"MSG seq 1 %d\r\n%d\r\n" % (len(str(i)), i) for i in range(300))
    await check(wire, QUIET + b"SUB seq 1\r\n" + pubs + b"PING\r\n", msgs + PONG)


async def test_messages_between_connections(wire: WireTarget) -> None:
    server = await wire.server()
    sub = await wire.connect(server)
    await sub.send(QUIET + b"SUB xc.a 5\r\nSUB xc.b 6\r\nPING\r\n")
    await sub.expect(PONG)
    await check(wire, QUIET + b"PUB xc.a 1\r\na\r\nPUB xc.b r 1\r\nb\r\nPING\r\n", PONG)
    await sub.send(b"PING\r\n")
    data, _ = await sub.read_until(PONG)
    assert data == b"MSG xc.a 5 1\r\na\r\nMSG xc.b 6 r 1\r\nb\r\n" + PONG


# -- headers ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("send", "expected"),
    [
        (
            HDRS + b"SUB foo 1\r\nHPUB foo 12 14\r\nNATS/1.0\r\n\r\nhi\r\nPING\r\n",
            b"HMSG foo 1 12 14\r\nNATS/1.0\r\n\r\nhi\r\n",
        ),
        (
            HDRS + b"SUB foo 1\r\nHPUB foo r 24 26\r\nNATS/1.0\r\nA: b\r\nC: d\r\n\r\nhi\r\nPING\r\n",
            b"HMSG foo 1 r 24 26\r\nNATS/1.0\r\nA: b\r\nC: d\r\n\r\nhi\r\n",
        ),
        (
            HDRS + b"SUB foo 1\r\nHPUB foo 12 12\r\nNATS/1.0\r\n\r\n\r\nPING\r\n",
            b"HMSG foo 1 12 12\r\nNATS/1.0\r\n\r\n\r\n",
        ),
        # Header block contents are not validated.
        (HDRS + b"SUB foo 1\r\nHPUB foo 6 8\r\nXXXX\r\nhi\r\nPING\r\n", b"HMSG foo 1 6 8\r\nXXXX\r\nhi\r\n"),
        # A zero-length header block is delivered as a plain MSG.
        (HDRS + b"SUB foo 1\r\nHPUB foo 0 2\r\nhi\r\nPING\r\n", b"MSG foo 1 2\r\nhi\r\n"),
        (HDRS + b"SUB foo 1\r\nHPUB foo r 0 0\r\n\r\nPING\r\n", b"MSG foo 1 r 0\r\n\r\n"),
        # A plain PUB reaches a headers-capable subscriber as MSG.
        (HDRS + b"SUB foo 1\r\nPUB foo 2\r\nhi\r\nPING\r\n", b"MSG foo 1 2\r\nhi\r\n"),
    ],
    ids=[
        "basic",
        "reply-two-headers",
        "empty-payload",
        "unvalidated",
        "zero-hdr",
        "zero-hdr-empty",
        "plain-pub",
    ],
)
async def test_hpub_hmsg(wire: WireTarget, send: bytes, expected: bytes) -> None:
    await check(wire, send, expected + PONG)


async def test_hpub_verbose(wire: WireTarget) -> None:
    send = b'CONNECT {"headers":true}\r\nSUB foo 1\r\nHPUB foo r 12 14\r\nNATS/1.0\r\n\r\nhi\r\nPING\r\n'
    expected = OK + OK + OK + b"HMSG foo 1 r 12 14\r\nNATS/1.0\r\n\r\nhi\r\n" + PONG
    await check(wire, send, expected)


async def test_subscriber_without_headers_gets_payload_only(wire: WireTarget) -> None:
    server = await wire.server()
    plain = await wire.connect(server)
    await plain.send(QUIET + b"SUB hs.x 1\r\nPING\r\n")
    await plain.expect(PONG)
    send = HDRS + b"SUB hs.x 2\r\nHPUB hs.x r 18 20\r\nNATS/1.0\r\nA: b\r\n\r\nhi\r\nPING\r\n"
    await check(wire, send, b"HMSG hs.x 2 r 18 20\r\nNATS/1.0\r\nA: b\r\n\r\nhi\r\n" + PONG)
    await plain.send(b"PING\r\n")
    data, _ = await plain.read_until(PONG)
    assert data == b"MSG hs.x 1 r 2\r\nhi\r\n" + PONG


# -- UNSUB ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("send", "expected"),
    [
        (QUIET + b"SUB foo 1\r\nUNSUB 1\r\nPUB foo 1\r\na\r\nPING\r\n", b""),
        (QUIET + b"UNSUB 1\r\nUNSUB nope 5\r\nPING\r\n", b""),
        (b"UNSUB 1\r\nPING\r\n", OK),
        (b"UNSUB 1 x\r\nUNSUB 1 -1\r\nPING\r\n", OK + OK),
        (QUIET + b"SUB foo 1\r\nUNSUB 1\r\nUNSUB 1\r\nPUB foo 1\r\na\r\nPING\r\n", b""),
        # Auto-unsubscribe after a total of N deliveries.
        (
            QUIET
            + b"SUB foo 1\r\nUNSUB 1 2\r\nPUB foo 1\r\na\r\nPUB foo 1\r\nb\r\nPUB foo 1\r\nc\r\nPING\r\n",
            b"MSG foo 1 1\r\na\r\nMSG foo 1 1\r\nb\r\n",
        ),
        # The count includes what was delivered before the UNSUB: max <= delivered removes it now.
        (
            QUIET
            + b"SUB foo 1\r\nPUB foo 1\r\na\r\nPUB foo 1\r\nb\r\nUNSUB 1 2\r\nPUB foo 1\r\nc\r\nPING\r\n",
            b"MSG foo 1 1\r\na\r\nMSG foo 1 1\r\nb\r\n",
        ),
        (
            QUIET
            + b"SUB foo 1\r\nPUB foo 1\r\na\r\nPUB foo 1\r\nb\r\nUNSUB 1 1\r\nPUB foo 1\r\nc\r\nPING\r\n",
            b"MSG foo 1 1\r\na\r\nMSG foo 1 1\r\nb\r\n",
        ),
        (
            QUIET + b"SUB foo 1\r\nPUB foo 1\r\na\r\nUNSUB 1 3\r\nPUB foo 1\r\nb\r\nPUB foo 1\r\nc\r\n"
            b"PUB foo 1\r\nd\r\nPING\r\n",
            b"MSG foo 1 1\r\na\r\nMSG foo 1 1\r\nb\r\nMSG foo 1 1\r\nc\r\n",
        ),
        (QUIET + b"SUB foo 1\r\nUNSUB 1 0\r\nPUB foo 1\r\nc\r\nPING\r\n", b""),
        # A non-numeric or negative max is treated as no max: a plain unsubscribe.
        (QUIET + b"SUB foo 1\r\nUNSUB 1 x\r\nPUB foo 1\r\nc\r\nPING\r\n", b""),
        # Auto-unsubscribe counts per sid.
        (
            QUIET + b"SUB foo 1\r\nSUB * 2\r\nUNSUB 1 1\r\nPUB foo 1\r\na\r\nPUB foo 1\r\nb\r\nPING\r\n",
            b"MSG foo 1 1\r\na\r\nMSG foo 2 1\r\na\r\nMSG foo 2 1\r\nb\r\n",
        ),
        # The sid can be reused once unsubscribed.
        (
            QUIET + b"SUB foo 1\r\nUNSUB 1\r\nSUB bar 1\r\nPUB foo 1\r\na\r\nPUB bar 1\r\nb\r\nPING\r\n",
            b"MSG bar 1 1\r\nb\r\n",
        ),
    ],
    ids=[
        "unsub",
        "unknown-sid",
        "unknown-sid-verbose",
        "bad-max-verbose",
        "twice",
        "auto-after-2",
        "max-equals-delivered",
        "max-below-delivered",
        "max-above-delivered",
        "max-zero",
        "max-not-a-number",
        "per-sid",
        "reuse-sid",
    ],
)
async def test_unsub(wire: WireTarget, send: bytes, expected: bytes) -> None:
    await check(wire, send, expected + PONG)


async def test_duplicate_sid_keeps_first_subscription(wire: WireTarget) -> None:
    send = QUIET + b"SUB foo 1\r\nSUB foo 1\r\nSUB bar 1\r\nPUB foo 1\r\na\r\nPUB bar 1\r\nb\r\nPING\r\n"
    await check(wire, send, b"MSG foo 1 1\r\na\r\n" + PONG)


async def test_duplicate_sid_verbose(wire: WireTarget) -> None:
    await check(wire, b"SUB foo 1\r\nSUB bar 1\r\nPING\r\n", OK + OK + PONG)


# -- wildcards ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "matches", "misses"),
    [
        (b"foo.*", [b"foo.bar", b"foo.baz"], [b"foo", b"foo.bar.baz", b"bar.foo"]),
        (b"foo.>", [b"foo.bar", b"foo.bar.baz"], [b"foo", b"bar.foo"]),
        (b">", [b"foo", b"foo.bar", b"a.b.c.d"], []),
        (b"*", [b"foo", b"bar"], [b"foo.bar"]),
        (b"*.bar", [b"foo.bar"], [b"foo", b"foo.bar.baz", b"bar"]),
        (b"foo.*.baz", [b"foo.bar.baz"], [b"foo.baz", b"foo.bar.bar"]),
        (b"*.*.>", [b"a.b.c", b"a.b.c.d"], [b"a.b", b"a"]),
        (b"foo.b*", [b"foo.b*"], [b"foo.bx", b"foo.b"]),
        (b"foo.>x", [b"foo.>x"], [b"foo.bar"]),
    ],
    ids=[
        "star",
        "gt",
        "gt-only",
        "star-only",
        "star-first",
        "star-middle",
        "mixed",
        "literal-star",
        "literal-gt",
    ],
)
async def test_wildcard_matching(
    wire: WireTarget, subject: bytes, matches: list[bytes], misses: list[bytes]
) -> None:
    pubs = b"".join(b"PUB %s 1\r\nx\r\n" % s for s in misses + matches)
    expected = b"".join(b"MSG %s 1 1\r\nx\r\n" % s for s in matches)
    await check(wire, QUIET + b"SUB %s 1\r\n%sPING\r\n" % (subject, pubs), expected + PONG)


async def test_publish_to_wildcard_subject_is_literal(wire: WireTarget) -> None:
    # Without pedantic checks, `foo.*` and `foo.>` are published as literal tokens.
    send = (
        b'CONNECT {"verbose":false,"pedantic":false}\r\n'
        b"SUB foo.bar 4\r\nSUB foo.* 1\r\nPUB foo.* 1\r\na\r\nPUB foo.> 1\r\nb\r\nPING\r\n"
    )
    await check(wire, send, b"MSG foo.* 1 1\r\na\r\nMSG foo.> 1 1\r\nb\r\n" + PONG)


async def test_overlapping_subscriptions_each_get_a_copy(wire: WireTarget) -> None:
    send = QUIET + b"SUB foo.* 1\r\nSUB foo.> 2\r\nSUB > 3\r\nSUB foo.bar 4\r\nPUB foo.bar 1\r\na\r\nPING\r\n"
    got = await wire.run(send, until=PONG)
    assert got.closed is False
    assert sorted(split_frames(got.data)) == sorted(
        [
            b"MSG foo.bar 1 1\r\na\r\n",
            b"MSG foo.bar 2 1\r\na\r\n",
            b"MSG foo.bar 3 1\r\na\r\n",
            b"MSG foo.bar 4 1\r\na\r\n",
            PONG,
        ]
    )


async def test_overlapping_subscriptions_delivery_order(wire: WireTarget) -> None:
    # nats-server walks its subject tree level by level: `>` at each level first, then `*`
    # branches, then the literal match, then the `*` leaf.
    send = (
        QUIET + b"SUB foo.* 1\r\nSUB foo.> 2\r\nSUB > 3\r\nSUB foo.bar 4\r\n"
        b"PUB foo.bar 1\r\na\r\nPUB foo.bar.baz 1\r\nb\r\nPUB foo 1\r\nc\r\nPING\r\n"
    )
    expected = (
        b"MSG foo.bar 3 1\r\na\r\nMSG foo.bar 2 1\r\na\r\nMSG foo.bar 4 1\r\na\r\nMSG foo.bar 1 1\r\na\r\n"
        b"MSG foo.bar.baz 3 1\r\nb\r\nMSG foo.bar.baz 2 1\r\nb\r\nMSG foo 3 1\r\nc\r\n"
    )
    await check(wire, send, expected + PONG)


async def test_same_subject_subscriptions_each_get_a_copy(wire: WireTarget) -> None:
    # Subscriptions on one identical subject are kept unordered by nats-server: any order will do.
    send = QUIET + b"SUB foo 1\r\nSUB foo 2\r\nSUB foo 3\r\nPUB foo 1\r\na\r\nPING\r\n"
    got = await wire.run(send, until=PONG)
    assert got.closed is False
    assert sorted(got.frames()) == sorted(
        [b"MSG foo 1 1\r\na\r\n", b"MSG foo 2 1\r\na\r\n", b"MSG foo 3 1\r\na\r\n", PONG]
    )


# -- pedantic ----------------------------------------------------------------------------------------


async def test_pedantic_invalid_publish_subject_is_still_delivered(wire: WireTarget) -> None:
    send = QUIET + b"SUB foo.* 1\r\nPUB foo.* 1\r\na\r\nPING\r\n"
    await check(wire, send, b"-ERR 'Invalid Publish Subject'\r\nMSG foo.* 1 1\r\na\r\n" + PONG)


async def test_pedantic_invalid_publish_subject_verbose(wire: WireTarget) -> None:
    send = b"PUB foo.* 1\r\na\r\nPUB foo..bar 1\r\na\r\nPUB .foo 1\r\na\r\nPUB foo.> 1\r\na\r\nPING\r\n"
    err = b"-ERR 'Invalid Publish Subject'\r\n"
    await check(wire, send, (err + OK) * 4 + PONG)


async def test_pedantic_off_no_publish_check(wire: WireTarget) -> None:
    send = b'CONNECT {"pedantic":false}\r\nPUB foo.* 1\r\na\r\nPUB foo..bar 1\r\na\r\nPING\r\n'
    await check(wire, send, OK + OK + OK + PONG)


async def test_empty_token_publish_reaches_nobody(wire: WireTarget) -> None:
    send = b'CONNECT {"verbose":false,"pedantic":false}\r\nSUB foo.> 1\r\nSUB > 2\r\nPUB foo..bar 1\r\na\r\nPING\r\n'
    await check(wire, send, PONG)


# -- queue groups --------------------------------------------------------------------------------------


async def test_queue_group_members_on_one_connection_get_one_copy(wire: WireTarget) -> None:
    send = QUIET + b"SUB qa.foo g 1\r\nSUB qa.foo g 2\r\nPUB qa.foo 1\r\na\r\nPING\r\n"
    got = await wire.run(send, until=PONG)
    assert got in (
        Transcript(b"MSG qa.foo 1 1\r\na\r\n" + PONG, closed=False),
        Transcript(b"MSG qa.foo 2 1\r\na\r\n" + PONG, closed=False),
    )


async def test_queue_groups_and_plain_subscribers(wire: WireTarget) -> None:
    send = (
        QUIET + b"SUB qb.foo g 1\r\nSUB qb.foo g 2\r\nSUB qb.foo h 3\r\nSUB qb.foo 4\r\nSUB qb.* 5\r\n"
        b"PUB qb.foo 1\r\na\r\nPING\r\n"
    )
    got = await wire.run(send, until=PONG)
    frames = split_frames(got.data)
    assert got.closed is False
    assert frames[-1] == PONG
    # The plain subscribers come first, in tree order; then one member of each group.
    assert frames[:2] == [b"MSG qb.foo 4 1\r\na\r\n", b"MSG qb.foo 5 1\r\na\r\n"]
    rest = sorted(frames[2:-1])
    assert rest in (
        [b"MSG qb.foo 1 1\r\na\r\n", b"MSG qb.foo 3 1\r\na\r\n"],
        [b"MSG qb.foo 2 1\r\na\r\n", b"MSG qb.foo 3 1\r\na\r\n"],
    )


async def test_queue_group_spreads_over_connections(wire: WireTarget) -> None:
    server = await wire.server()
    members = [await wire.connect(server) for _ in range(3)]
    for m in members:
        await m.send(QUIET + b"SUB qc.work workers 1\r\nPING\r\n")
        await m.expect(PONG)
    pubs = b"".join(b"PUB qc.work 2\r\n%02d\r\n" % i for i in range(30))
    await check(wire, QUIET + pubs + b"PING\r\n", PONG, count=1)
    received: list[bytes] = []
    for m in members:
        await m.send(b"PING\r\n")
        data, _ = await m.read_until(PONG)
        received += split_frames(data)[:-1]
    assert sorted(received) == sorted(b"MSG qc.work 1 2\r\n%02d\r\n" % i for i in range(30))


async def test_queue_name_is_not_validated(wire: WireTarget) -> None:
    send = QUIET + b"SUB qd.foo q.x.. 1\r\nSUB qd.foo * 2\r\nPUB qd.foo 1\r\na\r\nPING\r\n"
    got = await wire.run(send, until=PONG)
    assert got.closed is False
    assert sorted(split_frames(got.data)) == sorted(
        [b"MSG qd.foo 1 1\r\na\r\n", b"MSG qd.foo 2 1\r\na\r\n", PONG]
    )


# -- request / reply and no responders -----------------------------------------------------------------


async def test_request_reply(wire: WireTarget) -> None:
    server = await wire.server()
    responder = await wire.connect(server)
    await responder.send(QUIET + b"SUB rr.svc 1\r\nPING\r\n")
    await responder.expect(PONG)
    requester = await wire.connect(server)
    await requester.send(QUIET + b"SUB _INBOX.rr1 7\r\nPUB rr.svc _INBOX.rr1 4\r\nping\r\nPING\r\n")
    data, _ = await requester.read_until(PONG)
    assert data == PONG
    data, _ = await responder.read_until(b"ping\r\n")
    assert data == b"MSG rr.svc 1 _INBOX.rr1 4\r\nping\r\n"
    await responder.send(b"PUB _INBOX.rr1 4\r\npong\r\n")
    got = await asyncio.wait_for(requester.expect(b"pong\r\n"), 2)
    assert got == b"MSG _INBOX.rr1 7 4\r\npong\r\n"


NO_RESPONDERS = b'CONNECT {"headers":true,"no_responders":true,"verbose":false}\r\n'


@pytest.mark.parametrize(
    ("send", "expected"),
    [
        (
            NO_RESPONDERS + b"SUB _INBOX.nr1 1\r\nPUB nr.none _INBOX.nr1 2\r\nhi\r\nPING\r\n",
            b"HMSG _INBOX.nr1 1 39 39\r\nNATS/1.0 503\r\nNats-Subject: nr.none\r\n\r\n\r\n",
        ),
        (
            NO_RESPONDERS
            + b"SUB _INBOX.nr2 7\r\nHPUB nr.none _INBOX.nr2 12 14\r\nNATS/1.0\r\n\r\nhi\r\nPING\r\n",
            b"HMSG _INBOX.nr2 7 39 39\r\nNATS/1.0 503\r\nNats-Subject: nr.none\r\n\r\n\r\n",
        ),
        (
            NO_RESPONDERS + b"SUB _INBOX.* 1\r\nPUB nr.none _INBOX.nr3 0\r\n\r\nPING\r\n",
            b"HMSG _INBOX.nr3 1 39 39\r\nNATS/1.0 503\r\nNats-Subject: nr.none\r\n\r\n\r\n",
        ),
        # No subscription on the reply subject: nothing to tell.
        (NO_RESPONDERS + b"PUB nr.none _INBOX.nr4 2\r\nhi\r\nPING\r\n", b""),
        # No reply subject.
        (NO_RESPONDERS + b"SUB _INBOX.nr5 1\r\nPUB nr.none 2\r\nhi\r\nPING\r\n", b""),
        # Someone is listening: the request is delivered instead.
        (
            NO_RESPONDERS + b"SUB _INBOX.nr6 1\r\nSUB nr.svc 2\r\nPUB nr.svc _INBOX.nr6 2\r\nhi\r\nPING\r\n",
            b"MSG nr.svc 2 _INBOX.nr6 2\r\nhi\r\n",
        ),
        # Without the option, or without headers, nothing is generated.
        (
            b'CONNECT {"headers":true,"verbose":false}\r\nSUB _INBOX.nr7 1\r\nPUB nr.none _INBOX.nr7 2\r\nhi\r\nPING\r\n',
            b"",
        ),
        (QUIET + b"SUB _INBOX.nr8 1\r\nPUB nr.none _INBOX.nr8 2\r\nhi\r\nPING\r\n", b""),
        (
            b'CONNECT {"headers":true,"no_responders":true}\r\nSUB _INBOX.nr9 1\r\nPUB nr.none _INBOX.nr9 2\r\nhi\r\nPING\r\n',
            OK + OK + OK + b"HMSG _INBOX.nr9 1 39 39\r\nNATS/1.0 503\r\nNats-Subject: nr.none\r\n\r\n\r\n",
        ),
    ],
    ids=[
        "pub",
        "hpub",
        "wildcard-inbox",
        "no-inbox-sub",
        "no-reply",
        "responder",
        "option-off",
        "no-headers",
        "verbose",
    ],
)
async def test_no_responders(wire: WireTarget, send: bytes, expected: bytes) -> None:
    await check(wire, send, expected + PONG)


async def test_no_responders_echo_false(wire: WireTarget) -> None:
    # The 503 still comes back when the publisher suppressed its own echo.
    send = (
        b'CONNECT {"headers":true,"no_responders":true,"verbose":false,"echo":false}\r\n'
        b"SUB _INBOX.nr10 1\r\nPUB nr.none _INBOX.nr10 2\r\nhi\r\nPING\r\n"
    )
    await check(
        wire, send, b"HMSG _INBOX.nr10 1 39 39\r\nNATS/1.0 503\r\nNats-Subject: nr.none\r\n\r\n\r\n" + PONG
    )
