# Differential test of the batch forms of DIRECT.GET (ADR-31): `batch` with `seq`, `start_time` or
# `next_by_subj`, `max_bytes`, `no_hdr`, and `multi_last` with `up_to_seq`, `up_to_time`, `seq` and
# `batch`, on file and memory streams. One request gets several replies (the messages, each with
# Nats-Num-Pending and Nats-Last-Sequence, then the `204 EOB` status, or a single error status), so
# every reply on the request's inbox is collected and the whole sequence must match nats-server byte
# for byte once the times are masked (js_differential.py).
from __future__ import annotations

import json
from typing import Any

import pytest
from js_differential import API, REPLY_WAIT, SILENT_WAIT, Differ, Servers, Side, differ

from pynatsd.testing.servers import nats_server_binary

pytestmark = [
    pytest.mark.reference,
    pytest.mark.skipif(nats_server_binary() is None, reason="nats-server binary not available"),
]

EARLY = "2000-01-01T00:00:00Z"
LATE = "2100-01-01T00:00:00Z"

BATCH_BODIES: tuple[dict[str, Any], ...] = (
    {"seq": 1, "batch": 3},
    {"seq": 3, "batch": 2},
    {"seq": 6, "batch": 10},
    {"seq": 99, "batch": 2},
    {"seq": 2, "batch": 1},
    {"seq": 2, "batch": 0},
    {"seq": 1, "batch": -1},
    {"batch": 2},
    {"next_by_subj": "s.a", "batch": 5},
    {"next_by_subj": "s.>", "seq": 4, "batch": 2},
    {"next_by_subj": "s.*", "seq": 2, "batch": 9},
    {"next_by_subj": "zz", "batch": 2},
    {"start_time": EARLY, "batch": 2},
    {"start_time": LATE, "batch": 2},
    {"start_time": EARLY, "next_by_subj": "s.b", "batch": 3},
    {"seq": 2, "batch": 3, "no_hdr": True},
    {"seq": 1, "batch": 10, "max_bytes": 5},
    {"seq": 1, "batch": 10, "max_bytes": 12},
    {"seq": 1, "batch": 2, "up_to_seq": 2},
    {"last_by_subj": "s.a", "batch": 2},
)

MULTI_BODIES: tuple[dict[str, Any], ...] = (
    {"multi_last": ["s.*"]},
    {"multi_last": ["s.>"]},
    {"multi_last": [">"]},
    {"multi_last": ["s.a", "s.b"]},
    {"multi_last": ["s.a", "s.a", "s.*"]},
    {"multi_last": ["zz"]},
    {"multi_last": []},
    {"multi_last": ["s.>"], "up_to_seq": 4},
    {"multi_last": ["s.>"], "up_to_seq": 1},
    {"multi_last": ["s.a"], "up_to_seq": 2},
    {"multi_last": ["s.>"], "up_to_seq": 7},
    {"multi_last": ["s.>"], "up_to_seq": 99},
    {"multi_last": ["s.>"], "up_to_time": EARLY},
    {"multi_last": ["s.>"], "up_to_time": LATE},
    {"multi_last": ["s.>"], "up_to_seq": 3, "up_to_time": LATE},
    {"multi_last": ["s.>"], "seq": 5},
    {"multi_last": ["s.>"], "seq": 99},
    {"multi_last": ["s.>"], "batch": 1},
    {"multi_last": ["s.>"], "batch": -1},
    {"multi_last": ["s.>"], "seq": 2, "batch": 2},
    {"multi_last": ["s.>"], "max_bytes": 3},
    {"multi_last": ["s.>"], "no_hdr": True},
    {"multi_last": ["s.>"], "next_by_subj": "s.a"},
    {"multi_last": ["s.>"], "last_by_subj": "s.a"},
)


async def _replies(side: Side, subject: str, body: bytes) -> list[bytes | None]:
    """Every reply to one request, up to and including the first status-only reply."""
    side.n += 1
    inbox = f"_D.{side.n}"
    await side.publish(subject, body, b"", inbox)
    out: list[bytes | None] = []
    while True:
        frame = await side._reply(inbox, REPLY_WAIT if not out else SILENT_WAIT)
        out.append(frame)
        if frame is None or frame.split(b"\n", 2)[1].startswith(b"NATS/1.0 "):
            return out


async def _batch(d: Differ, subject: str, body: dict[str, Any]) -> None:
    raw = json.dumps(body).encode()
    theirs = await _replies(d.ref, subject, raw)
    ours = await _replies(d.ours, subject, raw)
    d.cases += 1
    if theirs != ours:
        d.diffs.append(f"#{d.cases} {subject} {raw!r}\n  nats-server: {theirs!r}\n  pynatsd:     {ours!r}")


async def _fill(d: Differ, name: str, storage: str) -> None:
    await d.create(name, subjects=["s.>"], allow_direct=True, storage=storage)
    for i, subject in enumerate(("s.a", "s.b", "s.a", "s.c.d", "s.b", "s.a")):
        await d.pub(subject, b"m%d" % (i + 1), {"Foo": "bar"} if i == 1 else None)
    await d.req(f"{API}.STREAM.MSG.DELETE.{name}", {"seq": 3})


@pytest.mark.parametrize("storage", ["file", "memory"])
async def test_direct_get_batch(js_servers: Servers, storage: str) -> None:
    async with differ(js_servers) as d:
        await _fill(d, "B", storage)
        for body in BATCH_BODIES:
            await _batch(d, f"{API}.DIRECT.GET.B", body)
    d.check()


@pytest.mark.parametrize("storage", ["file", "memory"])
async def test_direct_get_multi_last(js_servers: Servers, storage: str) -> None:
    async with differ(js_servers) as d:
        await _fill(d, "M", storage)
        for body in MULTI_BODIES:
            await _batch(d, f"{API}.DIRECT.GET.M", body)
        await d.create("E", subjects=["e.>"], allow_direct=True, storage=storage)
        await _batch(d, f"{API}.DIRECT.GET.E", {"multi_last": [">"]})
        await _batch(d, f"{API}.DIRECT.GET.E", {"seq": 1, "batch": 2})
    d.check()


async def test_direct_get_multi_last_too_many(js_servers: Servers) -> None:
    async with differ(js_servers) as d:
        await d.create("T", subjects=["t.>"], allow_direct=True)
        payload = b"".join(b"PUB t.%d 1\r\nx\r\n" % i for i in range(1025))
        for side in (d.ref, d.ours):
            await side.client.send(payload)
        await d.pub("t.last", b"x")
        for body in (
            {"multi_last": [">"]},
            {"multi_last": [">"], "batch": 2},
            {"multi_last": ["t.1", "t.*"]},
            {"multi_last": [">"], "up_to_seq": 1024, "batch": 3},
            {"multi_last": ["t.1", "t.2"]},
        ):
            await _batch(d, f"{API}.DIRECT.GET.T", body)
    d.check()
