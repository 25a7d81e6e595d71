# Differential wire tests: every scenario runs once per target server and must produce the same bytes.
#
# Targets come from PYNATSD_WIRE_TARGETS (comma list, default both). Servers with the same config are
# shared for the session, since each scenario uses connections of its own; scenarios that change
# server-wide state ask for a fresh server.
from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from pynatsd.testing.normalize import Transcript
from pynatsd.testing.servers import SERVER_KINDS, ServerKind, ServerPool
from pynatsd.testing.wire import WireTarget


def wire_targets() -> list[ServerKind]:
    raw = os.environ.get("PYNATSD_WIRE_TARGETS", "nats-server,pynatsd")
    targets: list[ServerKind] = []
    for name in (part.strip() for part in raw.split(",")):
        if not name:
            continue
        if name == "nats-server":
            kind: ServerKind = "nats-server"
        elif name == "pynatsd":
            kind = "pynatsd"
        else:
            raise pytest.UsageError(f"PYNATSD_WIRE_TARGETS: unknown target {name!r}; use {SERVER_KINDS}")
        if kind not in targets:
            targets.append(kind)
    return targets


TARGETS = wire_targets()


@pytest.fixture(scope="session")
def server_pool() -> Iterator[ServerPool]:
    pool = ServerPool()
    yield pool
    pool.stop_all()


@pytest.fixture(params=TARGETS)
async def wire(request: pytest.FixtureRequest, server_pool: ServerPool) -> AsyncIterator[WireTarget]:
    handle = WireTarget(request.param, server_pool)
    yield handle
    dead = await handle.aclose()
    if dead:
        pytest.fail("server died during the test:\n" + "\n".join(dead))


@pytest.fixture(scope="session")
def wire_target_kinds() -> list[ServerKind]:
    return list(TARGETS)


def _frame_lines(t: Transcript) -> list[str]:
    out = []
    for frame in t.frames():
        text = repr(frame)
        out.append("    " + (text if len(text) <= 700 else text[:600] + f"... ({len(frame)} bytes)"))
    return out or ["    (nothing)"]


def _around(frame: bytes, at: int) -> str:
    lo = max(0, at - 50)
    return ("..." if lo else "") + repr(frame[lo : at + 50]) + ("..." if at + 50 < len(frame) else "")


def pytest_assertrepr_compare(op: str, left: Any, right: Any) -> list[str] | None:
    if op != "==" or not isinstance(left, Transcript) or not isinstance(right, Transcript):
        return None
    lf, rf = left.frames(), right.frames()
    k = next((i for i, (a, b) in enumerate(zip(lf, rf, strict=False)) if a != b), min(len(lf), len(rf)))
    lines = [f"transcripts differ (closed: left={left.closed} right={right.closed})"]
    if k < max(len(lf), len(rf)):
        a = lf[k] if k < len(lf) else b""
        b = rf[k] if k < len(rf) else b""
        at = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
        lines += [
            f"first differing frame #{k}, at byte {at}:",
            f"  left:  {_around(a, at) if a else '(none)'}",
            f"  right: {_around(b, at) if b else '(none)'}",
        ]
    return [*lines, "left frames:", *_frame_lines(left), "right frames:", *_frame_lines(right)]
