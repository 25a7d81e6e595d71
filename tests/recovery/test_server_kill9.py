# kill -9 during a pipelined publish stream: every message that got a PubAck is there after the
# restart, in order, none duplicated. The server runs as a subprocess so the kill is real.
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from pathlib import Path

import nats
from recovery_server import start_js_server


async def _ignore(e: Exception) -> None:
    pass


async def _publish_until_killed(port: int, proc: subprocess.Popen[bytes]) -> dict[int, bytes]:
    nc = await nats.connect(f"nats://127.0.0.1:{port}", allow_reconnect=False, error_cb=_ignore)
    js = nc.jetstream()
    await js.add_stream(name="K", subjects=["k.>"])
    acked: dict[int, bytes] = {}
    inflight: list[tuple[bytes, asyncio.Future[object]]] = []
    killed_at = time.monotonic() + 1.0
    i = 0
    try:
        while time.monotonic() < killed_at and i < 200_000:
            payload = b"msg-%d" % i
            inflight.append((payload, await js.publish_async(f"k.{i % 7}", payload)))
            i += 1
            if len(inflight) >= 500:
                payload0, fut = inflight.pop(0)
                ack = await fut
                acked[ack.seq] = payload0  # type: ignore[attr-defined]
        os.kill(proc.pid, signal.SIGKILL)
        # Acks already on the wire may still arrive; the rest never will.
        await asyncio.wait([f for _, f in inflight], timeout=2)
        for payload, fut in inflight:
            if fut.done() and not fut.cancelled() and fut.exception() is None:
                acked[fut.result().seq] = payload  # type: ignore[attr-defined]
    finally:
        # The server is gone: closing may fail or wait on a socket that never answers.
        try:
            await asyncio.wait_for(nc.close(), 2)
        except Exception:
            pass
    return acked


async def test_recovery_kill9_keeps_every_acked_message(tmp_path: Path) -> None:
    proc, port = start_js_server(tmp_path)
    try:
        acked = await _publish_until_killed(port, proc)
    finally:
        proc.kill()
        proc.wait(10)
    assert len(acked) > 100
    proc, port = start_js_server(tmp_path)
    try:
        nc = await nats.connect(f"nats://127.0.0.1:{port}")
        js = nc.jetstream()
        info = await js.stream_info("K")
        assert info.state.last_seq >= max(acked)
        assert info.state.first_seq == 1
        for seq in [*sorted(acked)[:: max(1, len(acked) // 200)], max(acked)]:
            msg = await js.get_msg("K", seq)
            assert msg.data == acked[seq]
        # In order, none duplicated: the stored sequence numbers are exactly 1..last.
        assert info.state.messages == info.state.last_seq
        await nc.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)


def _children(pid: int) -> list[int]:
    out: list[int] = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as f:
            out.extend(int(c) for c in f.read().split())
    return out


async def test_losing_the_store_writer_process_fails_publishes_then_recovers(tmp_path: Path) -> None:
    proc, port = start_js_server(tmp_path)
    try:
        nc = await nats.connect(f"nats://127.0.0.1:{port}")
        js = nc.jetstream()
        await js.add_stream(name="W", subjects=["w.>"])
        for i in range(50):
            await js.publish("w.a", b"before-%d" % i)
        (writer,) = _children(proc.pid)
        os.kill(writer, signal.SIGKILL)
        results: list[str] = []
        for i in range(200):
            try:
                ack = await js.publish("w.a", b"after-%d" % i, timeout=2)
            except nats.js.errors.APIError as e:
                results.append(f"error {e.err_code}")
                await asyncio.sleep(0.01)
                continue
            results.append("ok")
            if results.count("ok") == 5:
                break
        assert "error 10077" in results  # JSStreamStoreFailedF: the publisher is told
        assert results[-5:] == ["ok"] * 5
        assert proc.poll() is None
        info = await js.stream_info("W")
        assert info.state.messages == 50 + 5
        assert ack.seq == info.state.last_seq
        assert (await js.get_msg("W", 50)).data == b"before-49"
        assert _children(proc.pid) != [writer]
        await nc.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)
