# Server lifecycle seen from real clients: the in-process server helpers themselves, shutdown,
# reconnecting to a server restarted on the same port, and lame-duck mode moving clients to
# another server.
#
# nats-py keeps a server pool and retries it every reconnect_time_wait seconds; the tests shorten
# that wait so that a reconnect takes a fraction of a second, and wait for the client's own
# callbacks (disconnected, reconnected, lame duck) rather than guessing how long it takes.
from __future__ import annotations

import asyncio
from typing import Any

import pytest

from pynatsd import Server
from pynatsd.testing import run_server, start_server, wait_until
from pynatsd.testing.wire import RawClient

WAIT = 5.0
RECONNECT = {"reconnect_time_wait": 0.05, "max_reconnect_attempts": 100}


class Signals:
    """asyncio.Events set by nats-py's connection callbacks."""

    def __init__(self) -> None:
        self.disconnected = asyncio.Event()
        self.reconnected = asyncio.Event()
        self.closed = asyncio.Event()
        self.lame_duck = asyncio.Event()
        self.errors: list[Exception] = []

    def callbacks(self) -> dict[str, Any]:
        async def disconnected() -> None:
            self.disconnected.set()

        async def reconnected() -> None:
            self.reconnected.set()

        async def closed() -> None:
            self.closed.set()

        async def lame_duck() -> None:
            self.lame_duck.set()

        async def error(e: Exception) -> None:
            self.errors.append(e)

        return {
            "disconnected_cb": disconnected,
            "reconnected_cb": reconnected,
            "closed_cb": closed,
            "lame_duck_mode_cb": lame_duck,
            "error_cb": error,
        }


async def wait(event: asyncio.Event, within: float = WAIT) -> None:
    await asyncio.wait_for(event.wait(), within)


# -- the helpers ------------------------------------------------------------------------------------


async def test_fixture_server_listens_on_loopback(pynatsd_server: Server, pynatsd_url: str, nc: Any) -> None:
    assert pynatsd_server.port > 0
    assert pynatsd_url == f"nats://127.0.0.1:{pynatsd_server.port}"
    client = await nc(pynatsd_url)
    assert client.connected_url.port == pynatsd_server.port
    assert client.max_payload == pynatsd_server.options.max_payload


@pytest.mark.pynatsd(max_payload=2048, server_name="marked")
async def test_marker_sets_server_options(pynatsd_server: Server, nc: Any) -> None:
    assert pynatsd_server.options.max_payload == 2048
    client = await nc(pynatsd_server)
    assert client.max_payload == 2048
    assert pynatsd_server.name == "marked"


async def test_run_server_stops_listening_on_exit() -> None:
    async with run_server(max_payload=4096) as srv:
        assert srv.options.host == "127.0.0.1"
        raw = await RawClient.connect("127.0.0.1", srv.port)
        assert raw.info["max_payload"] == 4096
        port = srv.port
    _, closed = await raw.read_all_until_closed(WAIT)
    assert closed
    await raw.close()
    with pytest.raises(OSError):
        await RawClient.connect("127.0.0.1", port, wait=WAIT)


async def test_two_servers_get_distinct_ports() -> None:
    async with run_server() as a, run_server() as b:
        assert a.port != b.port
        assert a.server_id != b.server_id


# -- shutdown and restart ---------------------------------------------------------------------------


async def test_shutdown_closes_clients(nc: Any) -> None:
    signals = Signals()
    srv = await start_server()
    try:
        client = await nc(srv, allow_reconnect=False, **signals.callbacks())
        await client.flush()
    finally:
        await srv.shutdown()
    await wait(signals.closed)
    assert signals.disconnected.is_set()
    assert client.is_closed


async def test_client_reconnects_to_server_restarted_on_same_port(nc: Any) -> None:
    signals = Signals()
    first = await start_server()
    port = first.port
    second: Server | None = None
    try:
        client = await nc(first, **RECONNECT, **signals.callbacks())
        plain = await client.subscribe("restart.>")
        queued = await client.subscribe("restart.jobs", queue="workers")
        await client.flush()
        assert len(first.clients) == 1

        await first.shutdown()
        await wait(signals.disconnected)
        # Published while disconnected: nats-py buffers it and sends it after re-subscribing.
        await client.publish("restart.buffered", b"kept")

        second = await start_server(port=port)
        assert second.port == port
        await wait(signals.reconnected)
        await client.flush(timeout=WAIT)

        (conn,) = second.clients.values()
        assert sorted(s.subject for s in conn.subs.values()) == [b"restart.>", b"restart.jobs"]

        publisher = await nc(second)
        await publisher.publish("restart.news", b"fresh")
        await publisher.publish("restart.jobs", b"job")
        await publisher.flush()
        got = [await plain.next_msg(timeout=WAIT) for _ in range(3)]
        assert [(m.subject, m.data) for m in got] == [
            ("restart.buffered", b"kept"),
            ("restart.news", b"fresh"),
            ("restart.jobs", b"job"),
        ]
        assert (await queued.next_msg(timeout=WAIT)).data == b"job"
        assert client.stats["reconnects"] == 1
    finally:
        await first.shutdown()
        if second is not None:
            await second.shutdown()


async def test_reconnect_replays_auto_unsubscribe_remainder(nc: Any) -> None:
    signals = Signals()
    first = await start_server()
    second: Server | None = None
    try:
        client = await nc(first, **RECONNECT, **signals.callbacks())
        sub = await client.subscribe("countdown")
        await sub.unsubscribe(limit=3)
        await client.publish("countdown", b"0")
        await client.flush()
        assert (await sub.next_msg(timeout=WAIT)).data == b"0"

        await first.shutdown()
        await wait(signals.disconnected)
        second = await start_server(port=first.port)
        await wait(signals.reconnected)
        await client.flush(timeout=WAIT)
        publisher = await nc(second)
        for i in range(1, 6):
            await publisher.publish("countdown", str(i).encode())
        await publisher.flush()
        got = [(await sub.next_msg(timeout=WAIT)).data for _ in range(2)]
        assert got == [b"1", b"2"]
        # Two were left after the restart, and the new server enforces that.
        await wait_until(lambda: second is not None and second.totals().out_msgs == 2)
    finally:
        await first.shutdown()
        if second is not None:
            await second.shutdown()


# -- lame duck --------------------------------------------------------------------------------------


async def test_lame_duck_moves_client_to_other_server(nc: Any) -> None:
    signals = Signals()
    async with (
        run_server(lame_duck_duration=1.0, lame_duck_grace_period=0.1) as ducking,
        run_server() as spare,
    ):
        received: list[bytes] = []
        all_in = asyncio.Event()
        expected = 101

        async def on_msg(msg: Any) -> None:
            received.append(msg.data)
            if len(received) == expected:
                all_in.set()

        client = await nc([ducking, spare], dont_randomize=True, **RECONNECT, **signals.callbacks())
        assert client.connected_url.port == ducking.port
        await client.subscribe("ld.>", cb=on_msg)
        await client.flush()

        ducking.enter_lame_duck()
        await wait(signals.lame_duck)
        await wait(signals.reconnected)
        assert client.connected_url.port == spare.port
        # The lame-duck server refuses new connections, then finishes its own shutdown.
        with pytest.raises(OSError):
            await RawClient.connect("127.0.0.1", ducking.port, wait=WAIT)
        await asyncio.wait_for(ducking.wait_for_shutdown(), WAIT)
        assert not ducking.clients

        await client.flush(timeout=WAIT)
        publisher = await nc(spare)
        for i in range(100):
            await publisher.publish("ld.after", str(i).encode())
        await publisher.flush()
        await client.publish("ld.self", b"own")
        await client.flush()
        await wait(all_in)
        assert received[:100] == [str(i).encode() for i in range(100)]
        assert received[100] == b"own"
        assert client.is_connected
        assert not signals.closed.is_set()


async def test_lame_duck_info_only_for_protocol_one_clients() -> None:
    async with run_server(lame_duck_duration=1.0, lame_duck_grace_period=0.3) as srv:
        modern = await RawClient.connect("127.0.0.1", srv.port)
        legacy = await RawClient.connect("127.0.0.1", srv.port)
        await modern.send(b'CONNECT {"verbose":false,"protocol":1}\r\nPING\r\n')
        await legacy.send(b'CONNECT {"verbose":false,"protocol":0}\r\nPING\r\n')
        await modern.expect(b"PONG\r\n")
        await modern.expect(b"\r\n")  # the INFO that follows the first PONG for protocol 1
        await legacy.expect(b"PONG\r\n")

        srv.enter_lame_duck()
        line = await modern.expect(b"\r\n", WAIT)
        assert line.startswith(b"INFO ")
        assert b'"ldm":true' in line
        data, closed = await modern.read_all_until_closed(WAIT)
        assert closed
        assert data == b""
        data, closed = await legacy.read_all_until_closed(WAIT)
        assert closed
        assert data == b""
        await modern.close()
        await legacy.close()
        await asyncio.wait_for(srv.wait_for_shutdown(), WAIT)
