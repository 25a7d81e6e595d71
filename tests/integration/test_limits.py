# Server limits seen from real clients: max payload, stale connections, slow consumers and the
# connection limit.
#
# The misbehaving peer is a raw socket, since nats-py is too well behaved to break a limit (it
# answers every PING, refuses oversized publishes itself and always reads); nats-py connections
# next to it check that well-behaved clients are left alone. Server options come from the
# `pynatsd` marker on each test.
from __future__ import annotations

import asyncio
from typing import Any

import nats.errors
import pytest

from pynatsd import Server
from pynatsd.testing import wait_until
from pynatsd.testing.wire import RawClient

WAIT = 2.0
RAW_CONNECT = b'CONNECT {"verbose":false,"pedantic":false,"protocol":1,"headers":true}\r\n'


async def raw_connect(server: Server, *, rcvbuf: int | None = None) -> RawClient:
    return await RawClient.connect("127.0.0.1", server.port, wait=WAIT, rcvbuf=rcvbuf)


# -- max payload ---------------------------------------------------------------------------------


@pytest.mark.pynatsd(max_payload=1024)
async def test_nats_py_refuses_oversized_publish_from_info(pynatsd_server: Server, nc: Any) -> None:
    client = await nc(pynatsd_server)
    assert client.max_payload == 1024
    sub = await client.subscribe("big")
    await client.flush()
    with pytest.raises(nats.errors.MaxPayloadError):
        await client.publish("big", b"x" * 1025)
    await client.publish("big", b"y" * 1024)
    await client.flush()
    msg = await sub.next_msg(timeout=WAIT)
    assert msg.data == b"y" * 1024
    assert client.is_connected


@pytest.mark.pynatsd(max_payload=1024)
async def test_raw_oversized_pub_gets_error_and_is_closed(pynatsd_server: Server, nc: Any) -> None:
    bystander = await nc(pynatsd_server)
    raw = await raw_connect(pynatsd_server)
    assert raw.info["max_payload"] == 1024
    await raw.send(RAW_CONNECT + b"PUB big 1025\r\n")
    data, closed = await raw.read_all_until_closed(WAIT)
    assert data.endswith(b"-ERR 'Maximum Payload Violation'\r\n"), data
    assert closed
    await raw.close()
    # Exactly at the limit is fine, and other connections are untouched.
    raw2 = await raw_connect(pynatsd_server)
    await raw2.send(RAW_CONNECT + b"SUB big 1\r\nPUB big 1024\r\n" + b"z" * 1024 + b"\r\nPING\r\n")
    got = await raw2.expect(b"PONG\r\n")
    assert b"MSG big 1 1024\r\n" + b"z" * 1024 + b"\r\n" in got
    await raw2.close()
    await bystander.flush(timeout=WAIT)
    assert bystander.is_connected


# -- stale connections -----------------------------------------------------------------------------

PING_INTERVAL = 0.2


@pytest.mark.pynatsd(ping_interval=PING_INTERVAL, ping_max=1)
async def test_client_that_never_answers_ping_is_closed_as_stale(pynatsd_server: Server, nc: Any) -> None:
    disconnected = asyncio.Event()

    async def on_disconnect() -> None:
        disconnected.set()

    polite = await nc(pynatsd_server, disconnected_cb=on_disconnect)
    raw = await raw_connect(pynatsd_server)
    await raw.send(RAW_CONNECT)
    data, closed = await raw.read_all_until_closed(5.0)
    assert closed, data
    assert b"PING\r\n" in data
    assert data.endswith(b"-ERR 'Stale Connection'\r\n"), data
    assert pynatsd_server.stats.stale_connections == 1
    await raw.close()

    # The nats-py connection, older than the raw one, has been pinged just as often and answered.
    # Give it a few more intervals than the stale limit allows.
    await asyncio.sleep(5 * PING_INTERVAL)
    assert polite.is_connected
    assert not disconnected.is_set()
    await polite.flush(timeout=WAIT)
    assert pynatsd_server.stats.stale_connections == 1
    assert len(pynatsd_server.clients) == 1


@pytest.mark.pynatsd(ping_interval=PING_INTERVAL, ping_max=1)
async def test_raw_client_answering_pings_stays(pynatsd_server: Server) -> None:
    raw = await raw_connect(pynatsd_server)
    await raw.send(RAW_CONNECT)
    for _ in range(4):
        await raw.expect(b"PING\r\n", WAIT)
        await raw.send(b"PONG\r\n")
    assert not raw.is_closed()
    assert pynatsd_server.stats.stale_connections == 0
    await raw.close()


# -- slow consumers --------------------------------------------------------------------------------

MAX_PENDING = 64 * 1024


@pytest.mark.pynatsd(max_pending=MAX_PENDING)
async def test_subscriber_that_never_reads_is_cut_off(pynatsd_server: Server, nc: Any) -> None:
    stalled = await raw_connect(pynatsd_server, rcvbuf=4096)
    await stalled.send(RAW_CONNECT + b"SUB firehose 1\r\nPING\r\n")
    await stalled.expect(b"PONG\r\n")
    stalled.pause_reading()
    stalled_cid = max(pynatsd_server.clients)

    # A bystander subscribed elsewhere; it does not take the firehose itself, since with a 64 KiB
    # max_pending even a reading client could fall behind a burst that shares its event loop.
    bystander = await nc(pynatsd_server)
    status = await bystander.subscribe("status")
    await bystander.flush()
    publisher = await nc(pynatsd_server)

    # Publish 64 KiB messages in 1 MiB steps until the server gives up on the stalled reader; the
    # kernel buffers of both ends absorb a little, so allow up to 32 MiB.
    chunk = b"f" * (64 * 1024)
    for _ in range(32):
        for _ in range(16):
            await publisher.publish("firehose", chunk)
        await publisher.flush(timeout=5)
        if pynatsd_server.stats.slow_consumers:
            break
    assert pynatsd_server.stats.slow_consumers == 1
    await wait_until(lambda: stalled_cid not in pynatsd_server.clients)
    closed = pynatsd_server.closed_clients[-1]
    assert closed["cid"] == stalled_cid
    assert closed["reason"] == "Slow Consumer (Pending Bytes)"

    # The publisher and the bystander carry on; the firehose has no interest left.
    assert publisher.is_connected
    assert bystander.is_connected
    await publisher.publish("status", b"still here")
    await publisher.flush(timeout=WAIT)
    assert (await status.next_msg(timeout=WAIT)).data == b"still here"
    with pytest.raises(nats.errors.NoRespondersError):
        await publisher.request("firehose", b"", timeout=WAIT)

    # The stalled socket ends in a close once its buffered bytes are read.
    _, is_closed = await stalled.read_all_until_closed(5.0)
    assert is_closed
    await stalled.close()


@pytest.mark.pynatsd(write_deadline=0.3)
async def test_subscriber_that_blocks_writes_past_the_deadline_is_cut_off(
    pynatsd_server: Server, nc: Any
) -> None:
    # max_pending stays at its 64 MiB default: here the write deadline is what gives up first.
    stalled = await raw_connect(pynatsd_server, rcvbuf=4096)
    await stalled.send(RAW_CONNECT + b"SUB firehose 1\r\nPING\r\n")
    await stalled.expect(b"PONG\r\n")
    stalled.pause_reading()
    publisher = await nc(pynatsd_server)
    chunk = b"d" * (64 * 1024)
    for _ in range(128):
        await publisher.publish("firehose", chunk)
    await publisher.flush(timeout=5)
    await wait_until(lambda: pynatsd_server.stats.slow_consumers == 1, 5)
    await wait_until(lambda: len(pynatsd_server.clients) == 1)
    assert pynatsd_server.closed_clients[-1]["reason"] == "Slow Consumer (Write Deadline)"
    await publisher.flush(timeout=WAIT)
    assert publisher.is_connected
    await stalled.close()


# -- connection limit ------------------------------------------------------------------------------


@pytest.mark.pynatsd(max_connections=2)
async def test_connection_over_the_limit_is_refused(pynatsd_server: Server, nc: Any) -> None:
    first = await nc(pynatsd_server)
    second = await nc(pynatsd_server)
    raw = await raw_connect(pynatsd_server)
    data, closed = await raw.read_all_until_closed(WAIT)
    assert closed
    assert data.endswith(b"-ERR 'maximum connections exceeded'\r\n"), data
    await raw.close()
    await first.flush(timeout=WAIT)
    await second.flush(timeout=WAIT)
    await first.close()
    await wait_until(lambda: len(pynatsd_server.clients) == 1)
    third = await nc(pynatsd_server)
    await third.flush(timeout=WAIT)
