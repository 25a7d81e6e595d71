# Differential fuzzing of the client protocol parser.
#
# A fixed seed generates mutations of valid client ops (odd case, odd separators, missing or extra
# arguments, bad sizes, unknown verbs, stray bytes, truncation). Every input goes to a fresh
# connection on each target and the normalised transcripts (bytes, closed or not) must agree.
#
# Cases run concurrently on one server per target, so they must not hear each other: every subject
# starts with a token unique to its case, and the stray bytes never include `*` or `>`, so no
# mutation can turn a subscription into a wildcard that matches another case's subjects. Queue
# groups get a single member, so member choice is never random.
from __future__ import annotations

import asyncio
import os
import random
from collections.abc import Callable

import pytest

from pynatsd.testing.normalize import Transcript
from pynatsd.testing.servers import ServerKind, ServerPool, ServerProcess
from pynatsd.testing.wire import RawClient, read_transcript

SEED = int(os.environ.get("PYNATSD_FUZZ_SEED", "20261127"))
CASES = 200
CONCURRENCY = 25

PREFIXES = [
    b"",
    b'CONNECT {"verbose":false}\r\n',
    b'CONNECT {"verbose":false,"headers":true}\r\n',
    b'CONNECT {"headers":true}\r\n',
    b'CONNECT {"verbose":false,"pedantic":false}\r\n',
    b'CONNECT {"verbose":false,"headers":true,"no_responders":true}\r\n',
]

VERBS = [
    b"PUB",
    b"SUB",
    b"UNSUB",
    b"HPUB",
    b"PING",
    b"PONG",
    b"CONNECT",
    b"INFO",
    b"MSG",
    b"HMSG",
    b"+OK",
    b"-ERR",
    b"RS+",
    b"LS-",
    b"RMSG",
    b"A+",
    b"PUBX",
    b"SUBS",
    b"PIN",
    b"P",
    b"XYZ",
    b"CONNEC",
    b"UNSUBSCRIBE",
    b"",
]

BAD_SIZES = [b"-1", b"x", b"1x", b"99999999999999999999", b"0005", b"+5", b"", b"0", b"2000000", b"5 5"]

# Stray bytes: separators, line endings, printable noise and a few non-ASCII bytes; no wildcards.
STRAY = b"  \t\t\r\n\r\n..ABCabc0123456789_-$'\"{}:,\x00\x7f\xc3\xa9\xff"


def templates(tag: bytes) -> list[bytes]:
    """Valid client ops for one case; `tag` starts every subject."""
    hdr = b"NATS/1.0\r\nA: b\r\n\r\n"
    return [
        b"PUB %s.a 5\r\nhello\r\n" % tag,
        b"PUB %s.a %s.r 5\r\nhello\r\n" % (tag, tag),
        b"PUB %s.a 0\r\n\r\n" % tag,
        b"PUB %s.a 4\r\na\r\nb\r\n" % tag,
        b"HPUB %s.a 12 14\r\nNATS/1.0\r\n\r\nhi\r\n" % tag,
        b"HPUB %s.a %s.r %d %d\r\n%shi\r\n" % (tag, tag, len(hdr), len(hdr) + 2, hdr),
        b"HPUB %s.a 0 2\r\nhi\r\n" % tag,
        b"SUB %s.b 3\r\n" % tag,
        b"SUB %s.b grp 3\r\n" % tag,
        b"SUB %s..b 3\r\n" % tag,
        b"UNSUB 1\r\n",
        b"UNSUB 1 1\r\n",
        b"UNSUB 9\r\n",
        b"PING\r\n",
        b"PONG\r\n",
        b"+OK\r\n",
        b'CONNECT {"verbose":false}\r\n',
        b'CONNECT {"verbose":true,"pedantic":true}\r\n',
        b'CONNECT {"protocol":1,"verbose":false}\r\nPING\r\n',
        b'CONNECT {"headers":true,"verbose":false}\r\n',
        b"INFO {}\r\n",
        b"-ERR 'oops'\r\n",
        b"MSG %s.a 1 2\r\nhi\r\n" % tag,
        b"PUB %s.* 1\r\nx\r\n" % tag,
    ]


def _split_line(op: bytes) -> tuple[bytes, bytes]:
    nl = op.find(b"\n")
    if nl < 0:
        return op, b""
    end = nl - 1 if nl > 0 and op[nl - 1 : nl] == b"\r" else nl
    return op[:end], op[end:]


def _args_mutation(
    fn: Callable[[random.Random, list[bytes]], list[bytes]],
) -> Callable[[random.Random, bytes], bytes]:
    def mutate(rng: random.Random, op: bytes) -> bytes:
        line, rest = _split_line(op)
        parts = line.split(b" ")
        return b" ".join(fn(rng, parts)) + rest

    return mutate


@_args_mutation
def m_case(rng: random.Random, parts: list[bytes]) -> list[bytes]:
    parts[0] = bytes(c ^ 0x20 if 0x41 <= (c & ~0x20) <= 0x5A and rng.random() < 0.5 else c for c in parts[0])
    return parts


@_args_mutation
def m_drop_arg(rng: random.Random, parts: list[bytes]) -> list[bytes]:
    if len(parts) > 1:
        del parts[rng.randrange(1, len(parts))]
    return parts


@_args_mutation
def m_extra_arg(rng: random.Random, parts: list[bytes]) -> list[bytes]:
    parts.insert(rng.randrange(1, len(parts) + 1), rng.choice([b"x", b"7", b"extra", b"-1", b"0"]))
    return parts


@_args_mutation
def m_bad_size(rng: random.Random, parts: list[bytes]) -> list[bytes]:
    numeric = [i for i, p in enumerate(parts) if i > 0 and p.isdigit()]
    if numeric:
        parts[rng.choice(numeric)] = rng.choice(BAD_SIZES)
    return parts


@_args_mutation
def m_off_by_one(rng: random.Random, parts: list[bytes]) -> list[bytes]:
    numeric = [i for i, p in enumerate(parts) if i > 0 and p.isdigit()]
    if numeric:
        i = rng.choice(numeric)
        parts[i] = b"%d" % max(0, int(parts[i]) + rng.choice([-2, -1, 1, 2]))
    return parts


@_args_mutation
def m_verb(rng: random.Random, parts: list[bytes]) -> list[bytes]:
    parts[0] = rng.choice(VERBS)
    return parts


@_args_mutation
def m_separators(rng: random.Random, parts: list[bytes]) -> list[bytes]:
    extra = [b" ", b"\t", b" \t", b"\t\t", b"   "]
    return [p + rng.choice(extra) if rng.random() < 0.5 else p for p in parts]


def m_stray_bytes(rng: random.Random, op: bytes) -> bytes:
    for _ in range(rng.randint(1, 3)):
        pos = rng.randrange(len(op) + 1)
        op = op[:pos] + bytes([rng.choice(STRAY)]) + op[pos:]
    return op


def m_delete_byte(rng: random.Random, op: bytes) -> bytes:
    if not op:
        return op
    pos = rng.randrange(len(op))
    return op[:pos] + op[pos + 1 :]


def m_truncate(rng: random.Random, op: bytes) -> bytes:
    return op[: rng.randrange(len(op) + 1)]


def m_bare_lf(rng: random.Random, op: bytes) -> bytes:
    crlfs = [i for i in range(len(op) - 1) if op[i : i + 2] == b"\r\n"]
    if crlfs:
        i = rng.choice(crlfs)
        op = op[:i] + op[i + 1 :]
    return op


def m_double(rng: random.Random, op: bytes) -> bytes:
    return op + op


MUTATIONS: list[Callable[[random.Random, bytes], bytes]] = [
    m_case,
    m_drop_arg,
    m_extra_arg,
    m_bad_size,
    m_off_by_one,
    m_verb,
    m_separators,
    m_stray_bytes,
    m_delete_byte,
    m_truncate,
    m_bare_lf,
    m_double,
]


def generate_cases(seed: int = SEED, n: int = CASES) -> list[bytes]:
    rng = random.Random(seed)
    cases = []
    for i in range(n):
        tag = b"f%d" % i
        op = rng.choice(templates(tag))
        for mutate in rng.sample(MUTATIONS, rng.choice([1, 1, 2, 2, 3])):
            op = mutate(rng, op)
        setup = b"SUB %s.a 1\r\nSUB %s.* 2\r\n" % (tag, tag) if rng.random() < 0.7 else b""
        suffix = b"PING\r\n" if rng.random() < 0.7 else b""
        cases.append(rng.choice(PREFIXES) + setup + op + suffix)
    return cases


async def run_case(server: ServerProcess, data: bytes) -> Transcript:
    client = await RawClient.connect(server.host, server.port)
    try:
        await client.send(data)
        return await read_transcript(client)
    finally:
        await client.close()


async def run_cases(server: ServerProcess, cases: list[bytes]) -> list[Transcript]:
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(data: bytes) -> Transcript:
        async with gate:
            return await run_case(server, data)

    return list(await asyncio.gather(*(one(c) for c in cases)))


def test_generator_is_deterministic() -> None:
    assert generate_cases() == generate_cases()
    assert len(set(generate_cases())) > CASES * 0.9


async def test_fuzz_differential(wire_target_kinds: list[ServerKind], server_pool: ServerPool) -> None:
    if len(wire_target_kinds) < 2:
        pytest.skip("differential fuzzing needs two targets")
    reference, *others = wire_target_kinds
    servers = [await asyncio.to_thread(server_pool.fresh, kind) for kind in (reference, *others)]
    try:
        cases = generate_cases()
        results = await asyncio.gather(*(run_cases(s, cases) for s in servers))
        mismatches = []
        for kind, got in zip(others, results[1:], strict=True):
            for data, want, have in zip(cases, results[0], got, strict=True):
                if want != have:
                    mismatches.append(f"input {data!r}\n  {reference}: {want!r}\n  {kind}: {have!r}")
        dead = [repr(s) for s in servers if not s.is_running()]
    finally:
        for s in servers:
            await asyncio.to_thread(s.stop)
    if dead:
        pytest.fail(f"server died during fuzzing: {dead}")
    if mismatches:
        shown = "\n".join(mismatches[:15])
        pytest.fail(f"{len(mismatches)} of {len(cases)} inputs differ (seed {SEED}); first ones:\n{shown}")
