# Differential test of the consumer API: every request of js_consumer_cases.py goes to nats-server
# and to pynatsd, and the replies must agree byte for byte once the volatile values are masked.
#
# On top of js_differential's masking (times), two values differ between any two runs and are masked
# here: the names servers generate for legacy ephemeral consumers (each side's n-th name becomes
# <EPHn>, and `{EPHn}` in a later subject is replaced by that side's name) and `pause_remaining`.
# The steps run on an empty account on servers of their own, so the account statistics agree too.
from __future__ import annotations

import asyncio
import json
import re
import warnings
from pathlib import Path

import pytest
from js_consumer_cases import PREFILLED, STEPS, Step
from js_differential import REPLY_WAIT, SILENT_WAIT, Servers, Side, start_servers

from pynatsd.testing.servers import nats_server_binary

pytestmark = [
    pytest.mark.reference,
    pytest.mark.skipif(nats_server_binary() is None, reason="nats-server binary not available"),
]

_REMAINING = re.compile(rb'"pause_remaining":[0-9]+')
_CREATED_NAME = re.compile(rb'"stream_name":"[^"]*","name":"([^"]+)"')

# Differences that belong to code outside the API layer: a reply that only differs there is
# reported as a warning, not a failure. Each entry masks the part in question on both sides.
KNOWN: tuple[tuple[re.Pattern[bytes], str], ...] = ()


def _known(theirs: bytes | None, mine: bytes | None) -> str:
    """The reasons that explain every difference between two replies, or "" when some are not."""
    if theirs is None or mine is None:
        return ""
    reasons = []
    for pattern, reason in KNOWN:
        masked = pattern.sub(b"", theirs), pattern.sub(b"", mine)
        if masked != (theirs, mine):
            theirs, mine = masked
            reasons.append(reason)
    return "; ".join(reasons) if theirs == mine else ""


class _Names:
    """One side's generated ephemeral names, in creation order."""

    def __init__(self) -> None:
        self.names: list[bytes] = []

    def subject(self, subject: str) -> str:
        for i, name in enumerate(self.names, 1):
            subject = subject.replace(f"{{EPH{i}}}", name.decode())
        return subject

    def mask(self, reply: bytes | None) -> bytes | None:
        if reply is None:
            return None
        reply = _REMAINING.sub(b'"pause_remaining":"<duration>"', reply)
        for i, name in enumerate(self.names, 1):
            reply = reply.replace(b'"' + name + b'"', b'"<EPH%d>"' % i)
        return reply

    def remember(self, reply: bytes | None) -> None:
        m = _CREATED_NAME.search(reply or b"")
        if m is not None:
            self.names.append(m.group(1))


async def _step(side: Side, names: _Names, step: Step) -> bytes | None:
    wait = SILENT_WAIT if step.silent else REPLY_WAIT
    reply = await side.request(names.subject(step.subject), step.body, b"", wait)
    if step.ephemeral:
        names.remember(reply)
    return names.mask(reply)


def _stop(pair: Servers) -> None:
    for proc in pair:
        proc.stop()


async def _replay(tmp_path: Path, steps: tuple[Step, ...]) -> list[str]:
    """Every step to both servers (of their own); the differences found."""
    pair = await asyncio.to_thread(start_servers, tmp_path)
    diffs: list[str] = []
    try:
        ref, ours = await asyncio.gather(Side.open(pair[0].port), Side.open(pair[1].port))
        ref_names, our_names = _Names(), _Names()
        for n, step in enumerate(steps, 1):
            theirs, mine = await asyncio.gather(_step(ref, ref_names, step), _step(ours, our_names, step))
            if theirs == mine:
                continue
            reason = step.known or _known(theirs, mine)
            if reason:
                warnings.warn(f"[known: {reason}] #{n} {step.subject}", stacklevel=2)
            else:
                diffs.append(
                    f"#{n} {step.subject} {step.body[:200]!r}\n  nats-server: {theirs!r}\n  pynatsd:     {mine!r}"
                )
        await asyncio.gather(ref.close(), ours.close())
    finally:
        await asyncio.to_thread(_stop, pair)
    return diffs


async def test_consumer_api_table(tmp_path: Path) -> None:
    diffs = await _replay(tmp_path, STEPS)
    assert len(STEPS) >= 150
    assert not diffs, f"{len(diffs)} of {len(STEPS)} steps differ:\n" + "\n".join(diffs)


async def test_consumer_state_after_create_on_a_filled_stream(tmp_path: Path) -> None:
    diffs = await _replay(tmp_path, PREFILLED)
    assert not diffs, f"{len(diffs)} of {len(PREFILLED)} steps differ:\n" + "\n".join(diffs)


def test_case_bodies_are_json_or_deliberately_not() -> None:
    decoded = 0
    for step in STEPS:
        try:
            json.loads(step.body or b"null")
            decoded += 1
        except ValueError:
            pass
    assert decoded > len(STEPS) * 0.9
