# Request/reply with the real nats-py client: answered requests, headers both ways, the
# no-responders status, timeouts, and interest that must vanish with a responder's socket.
#
# nats-py's request() publishes with a reply subject under one wildcard inbox subscription
# (`_INBOX.<id>.*`) and, because pynatsd announces headers, asks for no-responders in CONNECT: a
# request nobody listens to comes back at once as a 503 status message, which nats-py raises as
# NoRespondersError. A raw socket plays the responder that dies without a goodbye.
from __future__ import annotations

import asyncio
import re
import socket
import struct
from typing import Any

import nats.errors
import pytest

from pynatsd import Server
from pynatsd.testing import wait_until
from pynatsd.testing.wire import RawClient

WAIT = 2.0
MSG_WITH_REPLY = re.compile(rb"^MSG svc\.fragile 1 (\S+) 4\r\n", re.MULTILINE)
RAW_CONNECT = (
    b'CONNECT {"verbose":false,"pedantic":false,"protocol":1,"headers":true,"no_responders":true}\r\n'
)


async def responder(client: Any, subject: str, queue: str = "", tag: bytes = b"") -> Any:
    async def answer(msg: Any) -> None:
        await msg.respond(tag + msg.data.upper())

    sub = await client.subscribe(subject, queue=queue, cb=answer)
    await client.flush()
    return sub


async def test_request_gets_the_reply(pynatsd_server: Server, nc: Any) -> None:
    await responder(await nc(pynatsd_server), "svc.upper")
    requester = await nc(pynatsd_server)
    reply = await requester.request("svc.upper", b"hello", timeout=WAIT)
    assert reply.data == b"HELLO"
    assert reply.subject.startswith("_INBOX.")


async def test_request_to_own_responder_on_same_connection(pynatsd_server: Server, nc: Any) -> None:
    client = await nc(pynatsd_server)
    await responder(client, "self.svc")
    reply = await client.request("self.svc", b"me", timeout=WAIT)
    assert reply.data == b"ME"


async def test_many_concurrent_requests_are_matched_to_their_replies(pynatsd_server: Server, nc: Any) -> None:
    await responder(await nc(pynatsd_server), "svc.echo")
    requester = await nc(pynatsd_server)
    payloads = [f"req-{i}".encode() for i in range(200)]
    replies = await asyncio.gather(*(requester.request("svc.echo", p, timeout=5) for p in payloads))
    assert [r.data for r in replies] == [p.upper() for p in payloads]


async def test_request_and_reply_headers(pynatsd_server: Server, nc: Any) -> None:
    service = await nc(pynatsd_server)

    async def answer(msg: Any) -> None:
        assert msg.headers is not None
        await service.publish(
            msg.reply, b"done", headers={"Seen-Id": msg.headers["Req-Id"], "Status-Text": "fine"}
        )

    await service.subscribe("svc.hdr", cb=answer)
    await service.flush()
    requester = await nc(pynatsd_server)
    reply = await requester.request("svc.hdr", b"payload", timeout=WAIT, headers={"Req-Id": "42"})
    assert reply.data == b"done"
    assert reply.headers == {"Seen-Id": "42", "Status-Text": "fine"}


async def test_no_responders(pynatsd_server: Server, nc: Any) -> None:
    requester = await nc(pynatsd_server)
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(nats.errors.NoRespondersError):
        await requester.request("nobody.home", b"hi", timeout=5)
    # The status comes back straight away, not at the end of the timeout.
    assert loop.time() - started < 2.0
    # The connection is still usable afterwards.
    await responder(await nc(pynatsd_server), "nobody.home")
    assert (await requester.request("nobody.home", b"now", timeout=WAIT)).data == b"NOW"


async def test_no_responders_for_a_wildcard_miss(pynatsd_server: Server, nc: Any) -> None:
    await responder(await nc(pynatsd_server), "svc.*.get")
    requester = await nc(pynatsd_server)
    assert (await requester.request("svc.a.get", b"x", timeout=WAIT)).data == b"X"
    with pytest.raises(nats.errors.NoRespondersError):
        await requester.request("svc.a.put", b"x", timeout=WAIT)


async def test_silent_responder_times_out(pynatsd_server: Server, nc: Any) -> None:
    service = await nc(pynatsd_server)
    seen = asyncio.Event()

    async def ignore(msg: Any) -> None:
        seen.set()

    await service.subscribe("svc.silent", cb=ignore)
    await service.flush()
    requester = await nc(pynatsd_server)
    with pytest.raises(nats.errors.TimeoutError) as info:
        await requester.request("svc.silent", b"x", timeout=0.3)
    # Interest existed, so this is a plain timeout and not a no-responders status.
    assert not isinstance(info.value, nats.errors.NoRespondersError)
    assert seen.is_set()


async def test_old_style_request(pynatsd_server: Server, nc: Any) -> None:
    await responder(await nc(pynatsd_server), "svc.old")
    requester = await nc(pynatsd_server)
    reply = await requester.request("svc.old", b"legacy", timeout=WAIT, old_style=True)
    assert reply.data == b"LEGACY"


async def test_queue_group_responders_answer_each_request_once(pynatsd_server: Server, nc: Any) -> None:
    for tag in (b"a:", b"b:", b"c:"):
        await responder(await nc(pynatsd_server), "svc.q", queue="workers", tag=tag)
    requester = await nc(pynatsd_server)
    inbox = requester.new_inbox()
    replies = await requester.subscribe(inbox)
    await requester.flush()
    for i in range(60):
        await requester.publish("svc.q", str(i).encode(), reply=inbox)
    await requester.flush()
    got = [await replies.next_msg(timeout=WAIT) for _ in range(60)]
    bodies = sorted(int(m.data.split(b":")[1]) for m in got)
    assert bodies == list(range(60))
    with pytest.raises(nats.errors.TimeoutError):
        await replies.next_msg(timeout=0.1)


async def _raw_responder(server: Server, subject: bytes) -> RawClient:
    raw = await RawClient.connect("127.0.0.1", server.port)
    await raw.send(RAW_CONNECT + b"SUB " + subject + b" 1\r\nPING\r\n")
    await raw.expect(b"PONG\r\n")
    return raw


async def test_abruptly_disconnected_responder_loses_its_interest(pynatsd_server: Server, nc: Any) -> None:
    raw = await _raw_responder(pynatsd_server, b"svc.fragile")
    requester = await nc(pynatsd_server)

    # While the socket is alive the raw responder answers.
    pending = asyncio.create_task(requester.request("svc.fragile", b"ping", timeout=WAIT))
    data = await raw.expect(b"ping\r\n")
    match = MSG_WITH_REPLY.search(data)
    assert match is not None, data
    reply_to = match.group(1)
    await raw.send(b"PUB " + reply_to + b" 4\r\npong\r\n")
    assert (await pending).data == b"pong"

    # Die without UNSUB or a FIN: SO_LINGER 0 turns close() into a reset.
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    await raw.close()
    await wait_until(lambda: len(pynatsd_server.clients) == 1)
    with pytest.raises(nats.errors.NoRespondersError):
        await requester.request("svc.fragile", b"ping", timeout=WAIT)


async def test_half_open_responder_close_removes_interest(pynatsd_server: Server, nc: Any) -> None:
    # An orderly socket close in the middle of nothing (no UNSUB): the FIN alone must do it.
    raw = await _raw_responder(pynatsd_server, b"svc.gone")
    requester = await nc(pynatsd_server)
    await raw.close()
    await wait_until(lambda: len(pynatsd_server.clients) == 1)
    with pytest.raises(nats.errors.NoRespondersError):
        await requester.request("svc.gone", b"?", timeout=WAIT)


async def test_nats_py_responder_closed_removes_interest(pynatsd_server: Server, nc: Any) -> None:
    service = await nc(pynatsd_server)
    await responder(service, "svc.closing")
    requester = await nc(pynatsd_server)
    assert (await requester.request("svc.closing", b"x", timeout=WAIT)).data == b"X"
    await service.close()
    await wait_until(lambda: len(pynatsd_server.clients) == 1)
    with pytest.raises(nats.errors.NoRespondersError):
        await requester.request("svc.closing", b"x", timeout=WAIT)
