# Publisher back-pressure: a publisher faster than a healthy subscriber is slowed down (its reads
# pause while the subscriber's outbound is over the stall mark) instead of the subscriber being cut
# off as a slow consumer. A subscriber that stops reading altogether is still cut off.
from __future__ import annotations

import asyncio
import socket
import threading
import time

from pynatsd.testing import run_server

PAYLOAD = b"x" * 1000
COUNT = 20_000  # 20 MB through a 1 MiB max_pending
FRAME = b"MSG flow 1 %d\r\n" % len(PAYLOAD) + PAYLOAD + b"\r\n"


def _connect(port: int, setup: bytes) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    f = s.makefile("rb")
    assert f.readline().startswith(b"INFO ")
    s.sendall(b'CONNECT {"verbose":false,"pedantic":false}\r\n' + setup + b"PING\r\n")
    assert f.readline() == b"PONG\r\n"
    return s


def _slow_reader(sock: socket.socket, expect: int, got: list[int]) -> None:
    total = 0
    deadline = time.monotonic() + 30
    while total < expect and time.monotonic() < deadline:
        data = sock.recv(65536)
        if not data:
            break
        total += len(data)
        time.sleep(0.002)  # a healthy reader, just slower than the publisher
    got.append(total)


def _publisher(sock: socket.socket) -> None:
    batch = (b"PUB flow %d\r\n" % len(PAYLOAD) + PAYLOAD + b"\r\n") * 100
    for _ in range(COUNT // 100):
        sock.sendall(batch)


async def test_fast_publisher_is_stalled_not_the_healthy_subscriber() -> None:
    async with run_server(max_pending=1024 * 1024) as srv:
        sub = await asyncio.to_thread(_connect, srv.port, b"SUB flow 1\r\n")
        pub = await asyncio.to_thread(_connect, srv.port, b"")
        got: list[int] = []
        reader = threading.Thread(target=_slow_reader, args=(sub, COUNT * len(FRAME), got))
        reader.start()
        await asyncio.to_thread(_publisher, pub)
        await asyncio.to_thread(reader.join, 40)
        assert got == [COUNT * len(FRAME)]
        assert srv.stats.slow_consumers == 0
        assert srv.stats.stalled_clients > 0
        sub.close()
        pub.close()


async def test_subscriber_that_never_reads_is_still_cut_off() -> None:
    async with run_server(max_pending=256 * 1024, write_deadline=0.5) as srv:
        sub = await asyncio.to_thread(_connect, srv.port, b"SUB flow 1\r\n")
        sub.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        pub = await asyncio.to_thread(_connect, srv.port, b"")
        batch = (b"PUB flow %d\r\n" % len(PAYLOAD) + PAYLOAD + b"\r\n") * 100

        def publish_until_cut() -> None:
            deadline = time.monotonic() + 20
            while srv.stats.slow_consumers == 0 and time.monotonic() < deadline:
                pub.sendall(batch)

        await asyncio.to_thread(publish_until_cut)
        assert srv.stats.slow_consumers == 1
        sub.close()
        pub.close()
