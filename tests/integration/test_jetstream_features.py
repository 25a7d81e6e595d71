# Stream features beyond plain capture, driven by nats-py: subject transforms, republish, mirrors
# and sources, per-message TTL delete markers (and KV limit markers), and the stream advisories.
#
# Each scenario is written once against a connection and returns plain data with the volatile parts
# (times, ids) masked, so the same scenario runs on pynatsd (checked against the values nats-server
# 2.15 gave) and, when the nats-server binary is installed, on both servers side by side.
from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pynatsd import Server
from pynatsd.jetstream.advisories import Nuid, api_audit
from pynatsd.jetstream.transform import SubjectTransform
from pynatsd.protocol.headers import parse_headers
from pynatsd.testing import run_server
from pynatsd.testing.servers import ServerProcess, nats_server_binary

API = "$JS.API"
Scenario = Callable[[Any], Awaitable[Any]]

needs_nats_server = pytest.mark.skipif(
    nats_server_binary() is None, reason="nats-server binary not available"
)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    store = tmp_path_factory.mktemp("ref")
    with ServerProcess("nats-server", args=["-js", "-sd", str(store), "-n", "ref"]) as proc:
        yield proc


# -- helpers ------------------------------------------------------------------------------------


async def api(nc: Any, subject: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    msg = await nc.request(f"{API}.{subject}", json.dumps(body or {}).encode(), timeout=2)
    out: dict[str, Any] = json.loads(msg.data)
    return out


async def create(nc: Any, name: str, **cfg: Any) -> dict[str, Any]:
    await api(nc, f"STREAM.DELETE.{name}")
    resp = await api(nc, f"STREAM.CREATE.{name}", {"name": name, "storage": "memory", **cfg})
    assert "error" not in resp, resp
    return resp


async def pub(nc: Any, subject: str, data: bytes = b"", headers: dict[str, str] | None = None) -> int:
    msg = await nc.request(subject, data, headers=headers, timeout=2)
    ack = json.loads(msg.data)
    assert "error" not in ack, ack
    return int(ack["seq"])


async def get(nc: Any, stream: str, seq: int) -> tuple[str, list[tuple[str, str]], bytes, str] | None:
    resp = await api(nc, f"STREAM.MSG.GET.{stream}", {"seq": seq})
    m = resp.get("message")
    if m is None:
        return None
    hdrs = parse_headers(base64.b64decode(m["hdrs"])) if m.get("hdrs") else []
    return m["subject"], hdrs, base64.b64decode(m.get("data", "")), m["time"]


async def state(nc: Any, stream: str) -> dict[str, Any]:
    info = await api(nc, f"STREAM.INFO.{stream}")
    st: dict[str, Any] = info["state"]
    return st


async def dump(nc: Any, stream: str) -> list[tuple[int, str, list[tuple[str, str]], bytes]]:
    st = await state(nc, stream)
    out = []
    for seq in range(st["first_seq"], st["last_seq"] + 1):
        got = await get(nc, stream, seq)
        if got is not None:
            out.append((seq, got[0], got[1], got[2]))
    return out


async def until(check: Callable[[], Awaitable[bool]], within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met")
        await asyncio.sleep(0.05)


async def run_both(reference: ServerProcess, tmp_path: Path, scenario: Scenario) -> tuple[Any, Any]:
    import nats

    ref = await nats.connect(f"nats://127.0.0.1:{reference.port}")
    try:
        theirs = await scenario(ref)
    finally:
        await ref.close()
    async with run_server(jetstream=True, store_dir=str(tmp_path)) as srv:
        nc = await nats.connect(srv.client_url)
        try:
            ours = await scenario(nc)
        finally:
            await nc.close()
    return ours, theirs


# -- subject transforms ---------------------------------------------------------------------------

# (src, dest, published subject, stored subject), as nats-server 2.15.1 stores them.
TRANSFORMS = [
    ("a.*.*", "x.{{wildcard(2)}}.{{wildcard(1)}}", "a.one.two", "x.two.one"),
    ("a.*.*", "x.$2.$1", "a.one.two", "x.two.one"),
    ("a.*.>", "x.$1.>", "a.one.two.three", "x.one.two.three"),
    ("a.>", "b.>", "a.one.two", "b.one.two"),
    ("a.*", "p.{{partition(3,1)}}.$1", "a.foo", "p.0.foo"),
    ("a.*", "p.{{partition(5,1)}}.$1", "a.bar", "p.2.bar"),
    ("a.*.*", "p.{{partition(10,1,2)}}", "a.bar.baz", "p.9"),
    ("a.lit", "b.{{partition(3)}}", "a.lit", "b.1"),
    ("a.*", "b.{{partition(4)}}.$1", "a.zz", "b.2.zz"),
    ("a.*", "s.{{splitfromleft(1,2)}}", "a.abcdef", "s.ab.cdef"),
    ("a.*", "s.{{SplitFromRight(1,2)}}", "a.abcdef", "s.abcd.ef"),
    ("a.*", "s.{{SliceFromLeft(1,2)}}", "a.abcde", "s.ab.cd.e"),
    ("a.*", "s.{{SliceFromRight(1,2)}}", "a.abcde", "s.a.bc.de"),
    ("a.*", "s.{{split(1,-)}}", "a.-ab--cd-", "s.ab.cd"),
    ("a.*", "s.{{left(1,2)}}", "a.abcde", "s.ab"),
    ("a.*", "s.{{right(1,2)}}", "a.abcde", "s.de"),
    ("a.*", "s.{{left(1,9)}}", "a.abcde", "s.abcde"),
    ("a.lit", "b.lit2", "a.lit", "b.lit2"),
    ("a.x", "b.y", "a.other", "a.other"),
]


@pytest.mark.parametrize(("src", "dest", "subject", "stored"), TRANSFORMS)
def test_transform_function(src: str, dest: str, subject: str, stored: str) -> None:
    assert (SubjectTransform(src, dest).match(subject) or subject) == stored


async def transform_scenario(nc: Any) -> list[str]:
    out = []
    for src, dest, subject, _ in TRANSFORMS:
        await create(nc, "XF", subjects=["a.>"], subject_transform={"src": src, "dest": dest})
        seq = await pub(nc, subject, b"x")
        got = await get(nc, "XF", seq)
        assert got is not None
        out.append(got[0])
    await api(nc, "STREAM.DELETE.XF")
    return out


async def test_stream_subject_transform(js_server: Server, nc: Any) -> None:
    client = await nc(js_server)
    assert await transform_scenario(client) == [t[3] for t in TRANSFORMS]


# -- republish ------------------------------------------------------------------------------------


async def republish_scenario(nc: Any) -> list[tuple[str, list[tuple[str, str]], bytes]]:
    got: list[tuple[str, list[tuple[str, str]], bytes]] = []

    async def on_msg(msg: Any) -> None:
        hdrs = [(k, "<ts>" if k == "Nats-Time-Stamp" else v) for k, v in (msg.headers or {}).items()]
        got.append((msg.subject, hdrs, msg.data))

    sub = await nc.subscribe("rp.>", cb=on_msg)
    cfg: dict[str, Any] = {"subjects": ["in.>"], "republish": {"src": "in.>", "dest": "rp.>"}}
    await create(nc, "RP", **cfg)
    await pub(nc, "in.a", b"hello")
    await pub(nc, "in.b", b"world", {"X-Foo": "bar"})
    await pub(nc, "in.a", b"again")
    cfg["republish"]["headers_only"] = True
    await api(nc, "STREAM.UPDATE.RP", {"name": "RP", "storage": "memory", **cfg})
    await pub(nc, "in.a", b"hdronly", {"X-Foo": "bar"})
    await until(lambda: asyncio.sleep(0, len(got) == 4))
    await sub.unsubscribe()
    await api(nc, "STREAM.DELETE.RP")
    return got


async def test_republish_headers_and_headers_only(js_server: Server, nc: Any) -> None:
    client = await nc(js_server)
    got = await republish_scenario(client)

    def meta(seq: int, subject: str, last: int) -> list[tuple[str, str]]:
        return [
            ("Nats-Stream", "RP"),
            ("Nats-Subject", subject),
            ("Nats-Sequence", str(seq)),
            ("Nats-Time-Stamp", "<ts>"),
            ("Nats-Last-Sequence", str(last)),
        ]

    assert got == [
        ("rp.a", meta(1, "in.a", 0), b"hello"),
        ("rp.b", [("X-Foo", "bar"), *meta(2, "in.b", 0)], b"world"),
        ("rp.a", meta(3, "in.a", 1), b"again"),
        ("rp.a", [("X-Foo", "bar"), *meta(4, "in.a", 3), ("Nats-Msg-Size", "7")], b""),
    ]


# -- mirrors --------------------------------------------------------------------------------------


async def mirror_scenario(nc: Any) -> dict[str, Any]:
    await api(nc, "STREAM.DELETE.MM")
    await create(nc, "MO", subjects=["mo.>"])
    for i in range(3):
        await pub(nc, "mo.a", b"a%d" % i, {"X-H": "1"})
        await pub(nc, "mo.b", b"b%d" % i)
    await api(nc, "STREAM.MSG.DELETE.MO", {"seq": 2})
    created = await create(nc, "MM", mirror={"name": "MO"})

    async def caught_up(last: int) -> bool:
        return bool((await state(nc, "MM"))["last_seq"] == last)

    await until(lambda: caught_up(6))
    await pub(nc, "mo.a", b"new")
    await until(lambda: caught_up(7))
    info = await api(nc, "STREAM.INFO.MM")
    origin, copy = await dump(nc, "MO"), await dump(nc, "MM")
    times_equal = [(await get(nc, "MO", s)) == (await get(nc, "MM", s)) for s, *_ in origin]
    await api(nc, "STREAM.DELETE.MM")
    await api(nc, "STREAM.DELETE.MO")
    st = info["state"]
    return {
        "created_mirror": created["mirror"],
        "mirror": {k: v for k, v in info["mirror"].items() if k != "active"},
        "active": info["mirror"]["active"] >= 0,
        "state": (st["messages"], st["first_seq"], st["last_seq"], st.get("num_deleted", 0)),
        "same_messages": origin == copy,
        "same_times": all(times_equal),
        "copy": copy,
    }


async def test_mirror_catches_up_and_follows(js_server: Server, nc: Any) -> None:
    client = await nc(js_server)
    out = await mirror_scenario(client)
    assert out["created_mirror"] == {"name": "MO", "lag": 0, "active": -1}
    assert out["mirror"] == {"name": "MO", "lag": 0}
    assert out["active"]
    assert out["state"] == (6, 1, 7, 1)
    assert out["same_messages"]
    assert out["same_times"]
    assert [m[0] for m in out["copy"]] == [1, 3, 4, 5, 6, 7]


async def filtered_mirror_scenario(nc: Any) -> dict[str, Any]:
    await api(nc, "STREAM.DELETE.FM")
    await create(nc, "FO", subjects=["fo.>"])
    for subject in ("fo.a.1", "fo.b.1", "fo.a.2", "fo.c.1"):
        await pub(nc, subject, subject.encode())
    transforms = [{"src": "fo.a.*", "dest": "x.$1"}, {"src": "fo.c.>", "dest": ""}]
    await create(nc, "FM", mirror={"name": "FO", "subject_transforms": transforms})
    await until(lambda: _msgs(nc, ("FM",), 3))
    info = await api(nc, "STREAM.INFO.FM")
    out = {"copy": await dump(nc, "FM"), "state": info["state"], "mirror": info["mirror"]}
    out["state"] = {k: v for k, v in out["state"].items() if not k.endswith("_ts")}
    out["mirror"].pop("active")
    await api(nc, "STREAM.DELETE.FM")
    await api(nc, "STREAM.DELETE.FO")
    return out


async def test_mirror_with_subject_transforms(js_server: Server, nc: Any) -> None:
    client = await nc(js_server)
    out = await filtered_mirror_scenario(client)
    assert out["copy"] == [(1, "x.1", [], b"fo.a.1"), (3, "x.2", [], b"fo.a.2"), (4, "fo.c.1", [], b"fo.c.1")]
    assert (out["state"]["first_seq"], out["state"]["last_seq"], out["state"]["num_deleted"]) == (1, 4, 1)


async def test_source_waits_for_its_origin(js_server: Server, nc: Any) -> None:
    client = await nc(js_server)
    await create(client, "LATE", sources=[{"name": "ORIG"}])

    async def missing() -> bool:
        sources = (await api(client, "STREAM.INFO.LATE"))["sources"]
        return bool(sources[0].get("error", {}).get("err_code") == 10059)

    await until(missing)
    await create(client, "ORIG", subjects=["orig"])
    await pub(client, "orig", b"1")
    await until(lambda: _msgs(client, ("LATE",), 1))
    assert "error" not in (await api(client, "STREAM.INFO.LATE"))["sources"][0]
    # Deleted and created again: the origin's sequences start over, and so does the source.
    await api(client, "STREAM.DELETE.ORIG")
    await create(client, "ORIG", subjects=["orig"])
    await pub(client, "orig", b"2")
    await until(lambda: _msgs(client, ("LATE",), 2))
    assert [m[3] for m in await dump(client, "LATE")] == [b"1", b"2"]


async def test_catch_up_is_chunked(js_server: Server, nc: Any) -> None:
    client = await nc(js_server)
    await create(client, "BULK", subjects=["bulk"])
    for i in range(1000):
        await client.publish("bulk", b"%d" % i)
    await client.flush()
    await until(lambda: _msgs(client, ("BULK",), 1000))
    await create(client, "BULKM", mirror={"name": "BULK"})
    await create(client, "BULKS", sources=[{"name": "BULK"}])
    turns = 0

    async def count_turns() -> None:
        nonlocal turns
        while True:
            turns += 1
            await asyncio.sleep(0)

    ticker = asyncio.create_task(count_turns())
    await until(lambda: _msgs(client, ("BULKM", "BULKS"), 1000))
    ticker.cancel()
    assert turns > 4  # the loop kept turning while 2000 messages were copied


async def test_mirror_resumes_after_restart(tmp_path: Path, nc: Any) -> None:
    async with run_server(jetstream=True, store_dir=str(tmp_path)) as srv:
        client = await nc(srv)
        await api(client, "STREAM.CREATE.O", {"name": "O", "subjects": ["o.>"]})
        await api(client, "STREAM.CREATE.M", {"name": "M", "mirror": {"name": "O"}})
        await api(client, "STREAM.CREATE.S", {"name": "S", "sources": [{"name": "O"}]})
        for i in range(3):
            await pub(client, "o.x", b"%d" % i)
        await until(lambda: _msgs(client, ("M", "S"), 3))
        await client.close()
    async with run_server(jetstream=True, store_dir=str(tmp_path)) as srv:
        client = await nc(srv)
        await pub(client, "o.x", b"3")
        await until(lambda: _msgs(client, ("M", "S"), 4))
        await asyncio.sleep(0.1)
        assert (await state(client, "S"))["messages"] == 4  # nothing copied twice
        assert [m[3] for m in await dump(client, "S")] == [b"0", b"1", b"2", b"3"]


async def _msgs(nc: Any, streams: tuple[str, ...], n: int) -> bool:
    for stream in streams:
        if (await state(nc, stream))["messages"] != n:
            return False
    return True


# -- sources --------------------------------------------------------------------------------------


async def sources_scenario(nc: Any) -> dict[str, Any]:
    await api(nc, "STREAM.DELETE.SRC")
    await create(nc, "SA", subjects=["sa.>"])
    await create(nc, "SB", subjects=["sb.>"])
    for i in range(3):
        await pub(nc, "sa.x", b"x%d" % i, {"Nats-Expected-Last-Sequence": str(2 * i), "Nats-Msg-Id": f"m{i}"})
        await pub(nc, "sa.y", b"y%d" % i)
    for i in range(4):
        await pub(nc, "sb.n", b"n%d" % i)
    sources = [{"name": "SA", "filter_subject": "sa.x"}, {"name": "SB", "opt_start_seq": 3}]
    created = await create(nc, "SRC", sources=sources, subject_transform={"src": "sb.n", "dest": "sb.moved"})
    await until(lambda: _msgs(nc, ("SRC",), 5))
    await pub(nc, "sa.x", b"x9")
    await pub(nc, "sa.y", b"y9")
    await pub(nc, "sb.n", b"n9")
    await until(lambda: _msgs(nc, ("SRC",), 7))
    info = await api(nc, "STREAM.INFO.SRC")
    msgs = await dump(nc, "SRC")
    for name in ("SRC", "SA", "SB"):
        await api(nc, f"STREAM.DELETE.{name}")

    def masked(hdrs: list[tuple[str, str]]) -> list[tuple[str, str]]:
        return [(k, v.rsplit(" ", 1)[0] if k == "Nats-Stream-Source" else v) for k, v in hdrs]

    by_origin = sorted((m[1], masked(m[2]), m[3]) for m in msgs)
    return {
        "created": sorted(created["sources"], key=lambda s: str(s["name"])),
        "info": sorted(({k: v for k, v in s.items() if k != "active"} for s in info["sources"]), key=str),
        "messages": by_origin,
        "seqs": [m[0] for m in msgs],
    }


async def test_sources_filter_and_start_seq(js_server: Server, nc: Any) -> None:
    client = await nc(js_server)
    out = await sources_scenario(client)
    assert out["created"] == [
        {"name": "SA", "lag": 0, "active": -1, "filter_subject": "sa.x"},
        {"name": "SB", "lag": 0, "active": -1},
    ]
    assert out["info"] == [
        {"name": "SA", "lag": 0, "seq": 7, "filter_subject": "sa.x"},
        {"name": "SB", "lag": 0, "seq": 5},
    ]
    assert out["seqs"] == list(range(1, 8))

    def sa(seq: int, i: int) -> tuple[str, list[tuple[str, str]], bytes]:
        hdrs = [("Nats-Msg-Id", f"m{i}")] if i < 3 else []
        return ("sa.x", [*hdrs, ("Nats-Stream-Source", f"SA {seq} sa.x > sa.x")], b"x%d" % i)

    def sb(seq: int, i: int) -> tuple[str, list[tuple[str, str]], bytes]:
        return ("sb.moved", [("Nats-Stream-Source", f"SB {seq} > > sb.n")], b"n%d" % i)

    assert out["messages"] == sorted([sa(1, 0), sa(3, 1), sa(5, 2), sa(7, 9), sb(3, 2), sb(4, 3), sb(5, 9)])


# -- per-message TTL and delete markers -----------------------------------------------------------


async def markers_scenario(nc: Any) -> dict[str, Any]:
    await create(nc, "TT", subjects=["tt.>"], allow_msg_ttl=True, subject_delete_marker_ttl=1_000_000_000)
    await pub(nc, "tt.a", b"one", {"Nats-TTL": "1s"})
    await pub(nc, "tt.b", b"b1", {"Nats-TTL": "1s"})
    await pub(nc, "tt.b", b"b2")

    async def marked() -> bool:
        last = await api(nc, "STREAM.MSG.GET.TT", {"last_by_subj": "tt.a"})
        hdrs = base64.b64decode(last.get("message", {}).get("hdrs", "")).decode()
        return "Nats-Marker-Reason" in hdrs and await _msgs(nc, ("TT",), 2)

    await until(marked)
    with_marker = await dump(nc, "TT")
    await until(lambda: _msgs(nc, ("TT",), 1))
    after = await dump(nc, "TT")
    # A TTL below the marker TTL is raised to it.
    await create(nc, "TR", subjects=["tr.>"], allow_msg_ttl=True, subject_delete_marker_ttl=3_000_000_000)
    raised = [await get(nc, "TR", await pub(nc, "tr.x", b"", {"Nats-TTL": v})) for v in ("1s", "5s", "never")]
    bad = [
        json.loads((await nc.request("tr.x", b"", headers={"Nats-TTL": v}, timeout=2)).data)
        for v in ("500ms", "0", "x")
    ]
    for name in ("TT", "TR"):
        await api(nc, f"STREAM.DELETE.{name}")
    return {
        "with_marker": with_marker,
        "after": after,
        "raised": [r[1] for r in raised if r is not None],
        "bad": bad,
    }


async def test_ttl_delete_markers(js_server: Server, nc: Any) -> None:
    client = await nc(js_server)
    out = await markers_scenario(client)
    marker = [("Nats-Marker-Reason", "MaxAge"), ("Nats-TTL", "1s"), ("Nats-Rollup", "sub")]
    assert out["with_marker"] == [(3, "tt.b", [], b"b2"), (4, "tt.a", marker, b"")]
    assert out["after"] == [(3, "tt.b", [], b"b2")]
    assert out["raised"] == [[("Nats-TTL", "3")], [("Nats-TTL", "5s")], [("Nats-TTL", "never")]]
    assert [b["error"]["err_code"] for b in out["bad"]] == [10165] * 3


async def kv_scenario(nc: Any) -> dict[str, Any]:
    js = nc.jetstream()
    try:
        await js.delete_key_value("LM")
    except Exception:
        pass
    kv = await js.create_key_value(bucket="LM", ttl=1, limit_marker_ttl=1)
    info = await js.stream_info("KV_LM")
    await kv.put("k", b"v")

    async def marked() -> bool:
        msg = await js.get_last_msg("KV_LM", "$KV.LM.k")
        return bool(msg.headers and "Nats-Marker-Reason" in msg.headers)

    await until(marked)
    msg = await js.get_last_msg("KV_LM", "$KV.LM.k")
    await js.delete_key_value("LM")
    return {
        "marker_ttl": info.config.subject_delete_marker_ttl,
        "allow_msg_ttl": info.config.allow_msg_ttl,
        "headers": msg.headers,
        "data": msg.data,
    }


async def test_kv_limit_markers(js_server: Server, nc: Any) -> None:
    client = await nc(js_server)
    out = await kv_scenario(client)
    assert out == {
        "marker_ttl": 1.0,
        "allow_msg_ttl": True,
        "headers": {"Nats-Marker-Reason": "MaxAge", "Nats-TTL": "1s", "Nats-Rollup": "sub"},
        "data": None,
    }


# -- advisories -----------------------------------------------------------------------------------


async def advisory_scenario(nc: Any) -> list[tuple[str, list[str], str, str, str, int]]:
    got: list[Any] = []

    async def on_msg(msg: Any) -> None:
        if msg.subject.startswith("$JS.EVENT.ADVISORY.STREAM."):
            got.append((msg.subject, json.loads(msg.data)))

    sub = await nc.subscribe("$JS.EVENT.ADVISORY.>", cb=on_msg)
    await create(nc, "ADV", subjects=["adv"])
    await api(nc, "STREAM.UPDATE.ADV", {"name": "ADV", "subjects": ["adv", "adv2"], "storage": "memory"})
    await api(nc, "STREAM.DELETE.ADV")
    await until(lambda: asyncio.sleep(0, len(got) >= 3))
    await sub.unsubscribe()
    return [(s, list(a), a["type"], a["stream"], a["action"], len(a["id"])) for s, a in got]


async def test_stream_advisories(js_server: Server, nc: Any) -> None:
    client = await nc(js_server)
    got = await advisory_scenario(client)
    keys = ["type", "id", "timestamp", "stream", "action"]
    kind = "io.nats.jetstream.advisory.v1.stream_action"
    assert got == [
        ("$JS.EVENT.ADVISORY.STREAM.CREATED.ADV", keys, kind, "ADV", "create", 22),
        ("$JS.EVENT.ADVISORY.STREAM.UPDATED.ADV", keys, kind, "ADV", "modify", 22),
        ("$JS.EVENT.ADVISORY.STREAM.DELETED.ADV", keys, kind, "ADV", "delete", 22),
    ]


async def test_api_audit_advisory(js_server: Server, nc: Any) -> None:
    client = await nc(js_server)
    sub = await client.subscribe("$JS.EVENT.ADVISORY.API")
    await client.flush()
    jsa = js_server.jetstream.accounts["$G"]
    api_audit(jsa, "$JS.API.INFO", b"", b'{"type":"x"}')
    msg = await sub.next_msg(timeout=2)
    audit = json.loads(msg.data)
    assert list(audit) == ["type", "id", "timestamp", "server", "client", "subject", "response"]
    assert audit["type"] == "io.nats.jetstream.advisory.v1.api_audit"
    assert (audit["subject"], audit["response"], audit["client"]) == ("$JS.API.INFO", '{"type":"x"}', None)


def test_nuid_shape() -> None:
    gen = Nuid()
    ids = [gen.next() for _ in range(1000)]
    assert len(set(ids)) == 1000
    assert all(len(i) == 22 and i.isalnum() for i in ids)


# -- the same scenarios on nats-server --------------------------------------------------------------

SCENARIOS: dict[str, Scenario] = {
    "transform": transform_scenario,
    "republish": republish_scenario,
    "mirror": mirror_scenario,
    "filtered_mirror": filtered_mirror_scenario,
    "sources": sources_scenario,
    "markers": markers_scenario,
    "kv": kv_scenario,
    "advisories": advisory_scenario,
}


@pytest.mark.reference
@needs_nats_server
@pytest.mark.parametrize("name", list(SCENARIOS))
async def test_same_as_nats_server(name: str, reference: ServerProcess, tmp_path: Path) -> None:
    ours, theirs = await run_both(reference, tmp_path, SCENARIOS[name])
    assert ours == theirs
