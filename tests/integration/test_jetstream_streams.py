# JetStream streams from the real nats-py client: CRUD, paging, limits and discard, publish
# semantics (dedup, expected-* headers, rollups, TTL), message get and delete, direct get, and the
# Key-Value operations that need no consumer.
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import nats
import pytest
import pytest_asyncio
from nats.js.api import DiscardPolicy, StorageType, StreamConfig
from nats.js.errors import APIError, BadRequestError, KeyWrongLastSequenceError, NotFoundError

from pynatsd import Server
from pynatsd.testing import run_server


@pytest_asyncio.fixture
async def js(js_server: Server, nc: Any) -> Any:
    client = await nc(js_server)
    return client.jetstream()


async def test_js_info_advertised_and_account_info(js_server: Server, nc: Any) -> None:
    client = await nc(js_server)
    assert client._server_info.get("jetstream") is True
    info = await client.jetstream().account_info()
    assert info.streams == 0
    assert info.api.level == 5


async def test_js_stream_create_is_idempotent_and_conflicts_are_errors(js: Any) -> None:
    info = await js.add_stream(name="ORDERS", subjects=["orders.*"])
    assert info.config.subjects == ["orders.*"]
    assert info.state.first_seq == 0
    again = await js.add_stream(name="ORDERS", subjects=["orders.*"])
    assert again.config.name == "ORDERS"
    with pytest.raises(BadRequestError) as e:
        await js.add_stream(name="ORDERS", subjects=["other.*"])
    assert e.value.err_code == 10058
    with pytest.raises(BadRequestError) as e:
        await js.add_stream(name="OVERLAP", subjects=["orders.new"])
    assert e.value.err_code == 10065


async def test_js_stream_update_info_delete(js: Any) -> None:
    await js.add_stream(name="S", subjects=["s.>"])
    info = await js.update_stream(StreamConfig(name="S", subjects=["s.>", "t.>"], max_msgs=10))
    assert info.config.max_msgs == 10
    await js.publish("t.1", b"x")
    assert (await js.stream_info("S")).state.messages == 1
    assert await js.delete_stream("S")
    with pytest.raises(NotFoundError):
        await js.stream_info("S")


async def test_js_stream_names_and_list_paging(js: Any) -> None:
    for i in range(5):
        await js.add_stream(name=f"N{i}", subjects=[f"n{i}.>"])
    names = await js.streams_info()
    assert sorted(s.config.name for s in names) == [f"N{i}" for i in range(5)]
    resp = await js._api_request("$JS.API.STREAM.NAMES", b'{"offset":3}', timeout=2)
    assert resp["total"] == 5
    assert resp["offset"] == 3
    assert resp["streams"] == ["N3", "N4"]
    resp = await js._api_request("$JS.API.STREAM.NAMES", b'{"subject":"n2.x"}', timeout=2)
    assert resp["streams"] == ["N2"]


async def test_js_publish_acks_and_no_stream_is_no_responders(js: Any) -> None:
    await js.add_stream(name="A", subjects=["a"])
    acks = [await js.publish("a", b"%d" % i) for i in range(3)]
    assert [a.seq for a in acks] == [1, 2, 3]
    assert all(a.stream == "A" for a in acks)
    with pytest.raises(nats.js.errors.NoStreamResponseError):
        await js.publish("nothing.here", b"x", timeout=1)


async def test_js_limits_discard_old_and_new(js: Any) -> None:
    await js.add_stream(name="OLD", subjects=["old"], max_msgs=3)
    for i in range(5):
        await js.publish("old", b"%d" % i)
    st = (await js.stream_info("OLD")).state
    assert (st.messages, st.first_seq, st.last_seq) == (3, 3, 5)
    await js.add_stream(name="NEW", subjects=["new"], max_msgs=2, discard=DiscardPolicy.NEW)
    await js.publish("new", b"1")
    await js.publish("new", b"2")
    with pytest.raises(APIError) as e:
        await js.publish("new", b"3")
    assert e.value.err_code == 10077
    assert "maximum messages exceeded" in str(e.value.description)


async def test_js_max_msgs_per_subject_and_max_bytes(js: Any) -> None:
    await js.add_stream(name="PS", subjects=["ps.*"], max_msgs_per_subject=2)
    for i in range(4):
        await js.publish("ps.a", b"%d" % i)
    await js.publish("ps.b", b"b")
    st = (await js.stream_info("PS")).state
    assert st.messages == 3
    last = await js.get_last_msg("PS", "ps.a")
    assert last.data == b"3"


async def test_js_dedup_window(js: Any) -> None:
    await js.add_stream(name="D", subjects=["d"], duplicate_window=60)
    first = await js.publish("d", b"x", headers={"Nats-Msg-Id": "m1"})
    dup = await js.publish("d", b"x", headers={"Nats-Msg-Id": "m1"})
    other = await js.publish("d", b"y", headers={"Nats-Msg-Id": "m2"})
    assert (first.seq, first.duplicate) == (1, None)
    assert (dup.seq, dup.duplicate) == (1, True)
    assert other.seq == 2


async def test_js_expected_headers(js: Any) -> None:
    await js.add_stream(name="E", subjects=["e.*"])
    await js.publish("e.a", b"1", headers={"Nats-Msg-Id": "one"})
    with pytest.raises(APIError) as e:
        await js.publish("e.a", b"2", headers={"Nats-Expected-Stream": "OTHER"})
    assert e.value.err_code == 10060
    with pytest.raises(APIError) as e:
        await js.publish("e.a", b"2", headers={"Nats-Expected-Last-Sequence": "5"})
    assert e.value.err_code == 10071
    assert e.value.description == "wrong last sequence: 1"
    with pytest.raises(APIError) as e:
        await js.publish("e.a", b"2", headers={"Nats-Expected-Last-Msg-Id": "nope"})
    assert e.value.err_code == 10070
    ok = await js.publish("e.b", b"2", headers={"Nats-Expected-Last-Subject-Sequence": "0"})
    assert ok.seq == 2
    with pytest.raises(APIError):
        await js.publish("e.b", b"3", headers={"Nats-Expected-Last-Subject-Sequence": "0"})


async def test_js_rollup(js: Any) -> None:
    await js.add_stream(name="R", subjects=["r.*"], allow_rollup_hdrs=True)
    for i in range(3):
        await js.publish("r.a", b"%d" % i)
    await js.publish("r.b", b"b")
    await js.publish("r.a", b"sum", headers={"Nats-Rollup": "sub"})
    st = (await js.stream_info("R")).state
    assert st.messages == 2
    await js.publish("r.c", b"all", headers={"Nats-Rollup": "all"})
    st = (await js.stream_info("R")).state
    assert (st.messages, st.last_seq) == (1, 6)
    await js.add_stream(name="NR", subjects=["nr"])
    with pytest.raises(APIError):
        await js.publish("nr", b"x", headers={"Nats-Rollup": "all"})


async def test_js_msg_get_delete_and_purge(js: Any) -> None:
    await js.add_stream(name="M", subjects=["m.*"])
    for i in range(6):
        await js.publish(f"m.{i % 2}", b"%d" % i)
    assert (await js.get_msg("M", 3)).data == b"2"
    assert (await js.get_last_msg("M", "m.1")).data == b"5"
    assert await js.delete_msg("M", 3)
    with pytest.raises(NotFoundError):
        await js.get_msg("M", 3)
    st = (await js.stream_info("M")).state
    assert (st.messages, st.num_deleted) == (5, 1)
    await js.purge_stream("M", subject="m.0")
    st = (await js.stream_info("M")).state
    assert st.messages == 3
    await js.purge_stream("M", keep=1)
    st = (await js.stream_info("M")).state
    assert (st.messages, st.first_seq, st.last_seq) == (1, 6, 6)
    await js.purge_stream("M")
    st = (await js.stream_info("M")).state
    assert (st.messages, st.first_seq, st.last_seq) == (0, 7, 6)


async def test_js_direct_get(js: Any, js_server: Server, nc: Any) -> None:
    await js.add_stream(name="DG", subjects=["dg.*"], allow_direct=True)
    await js.publish("dg.a", b"first", headers={"X": "1"})
    await js.publish("dg.a", b"second")
    client = await nc(js_server)
    msg = await client.request("$JS.API.DIRECT.GET.DG.dg.a", b"", timeout=2)
    assert msg.data == b"second"
    assert msg.headers["Nats-Sequence"] == "2"
    assert msg.headers["Nats-Stream"] == "DG"
    msg = await client.request("$JS.API.DIRECT.GET.DG", b'{"seq":1}', timeout=2)
    assert msg.data == b"first"
    assert msg.headers["X"] == "1"
    msg = await client.request("$JS.API.DIRECT.GET.DG", b'{"seq":9}', timeout=2)
    assert msg.headers["Status"] == "404"


async def test_js_direct_get_without_allow_direct_is_no_responders(
    js: Any, js_server: Server, nc: Any
) -> None:
    await js.add_stream(name="ND", subjects=["nd"])
    await js.publish("nd", b"x")
    client = await nc(js_server)
    for subject in ("$JS.API.DIRECT.GET.ND", "$JS.API.DIRECT.GET.NOPE", "$JS.API.DIRECT.GET.ND.nd"):
        with pytest.raises(nats.errors.NoRespondersError):
            await client.request(subject, b'{"seq":1}' if subject.count(".") == 4 else b"", timeout=2)
    await js.update_stream(StreamConfig(name="ND", subjects=["nd"], allow_direct=True))
    msg = await client.request("$JS.API.DIRECT.GET.ND.nd", b"", timeout=2)
    assert msg.data == b"x"
    msg = await client.request("$JS.API.DIRECT.GET.ND", b'{"seq":1,"no_hdr":true}', timeout=2)
    assert msg.data == b"x"
    assert not msg.headers
    msg = await client.request("$JS.API.DIRECT.GET.ND", b"{}", timeout=2)
    assert (msg.headers["Status"], msg.headers["Description"]) == ("408", "Empty Request")


async def test_js_api_request_without_reply_is_carried_out(js: Any, js_server: Server, nc: Any) -> None:
    client = await nc(js_server)
    await client.publish("$JS.API.STREAM.CREATE.Q", b'{"name":"Q","subjects":["q"]}')
    await client.flush()
    assert (await js.stream_info("Q")).config.subjects == ["q"]
    # As in nats-server: an account info does not count itself, a failed message get counts as a
    # request and an error, a successful one is not counted at all.
    before = (await js.account_info()).api
    await client.request("$JS.API.STREAM.MSG.GET.Q", b'{"seq":1}', timeout=2)
    await js.publish("q", b"x")
    await client.request("$JS.API.STREAM.MSG.GET.Q", b'{"seq":1}', timeout=2)
    after = (await js.account_info()).api
    assert (after.total, after.errors) == (before.total + 2, before.errors + 1)


async def test_js_bad_requests_get_nats_server_errors(js: Any, js_server: Server, nc: Any) -> None:
    client = await nc(js_server)
    resp = await client.request("$JS.API.STREAM.CREATE.X", b'{"name":"X","rollup_hdrs":true}', timeout=2)
    assert b'"err_code":10025' in resp.data
    assert b'unknown field \\"rollup_hdrs\\"' in resp.data
    resp = await client.request("$JS.API.STREAM.CREATE.X", b"{bad", timeout=2)
    assert b'"err_code":10025' in resp.data
    resp = await client.request("$JS.API.STREAM.INFO.NOPE", b"", timeout=2)
    assert b'"err_code":10059' in resp.data
    with pytest.raises(nats.errors.TimeoutError):
        await client.request("$JS.API.NO.SUCH.THING", b"", timeout=0.3)


async def test_js_memory_stream(js: Any) -> None:
    await js.add_stream(name="MEM", subjects=["mem"], storage=StorageType.MEMORY)
    await js.publish("mem", b"x")
    info = await js.stream_info("MEM")
    assert info.config.storage == StorageType.MEMORY
    assert info.state.messages == 1


async def test_js_file_streams_survive_restart(tmp_path: Path, nc: Any) -> None:
    async with run_server(jetstream=True, store_dir=str(tmp_path)) as srv:
        js = (await nc(srv)).jetstream()
        await js.add_stream(name="KEEP", subjects=["keep.>"], duplicate_window=60)
        for i in range(10):
            await js.publish("keep.x", b"%d" % i, headers={"Nats-Msg-Id": f"id{i}"})
    async with run_server(jetstream=True, store_dir=str(tmp_path)) as srv:
        js = (await nc(srv)).jetstream()
        info = await js.stream_info("KEEP")
        assert (info.state.messages, info.state.last_seq) == (10, 10)
        assert (await js.get_msg("KEEP", 4)).data == b"3"
        dup = await js.publish("keep.x", b"again", headers={"Nats-Msg-Id": "id9"})
        assert dup.duplicate is True
        assert (await js.publish("keep.x", b"new")).seq == 11


async def test_js_key_value_basics(js: Any) -> None:
    kv = await js.create_key_value(bucket="cfg", history=5)
    r1 = await kv.put("color", b"red")
    r2 = await kv.put("color", b"blue")
    entry = await kv.get("color")
    assert (entry.value, entry.revision) == (b"blue", r2)
    assert r2 == r1 + 1
    r3 = await kv.update("color", b"green", last=r2)
    with pytest.raises(KeyWrongLastSequenceError):
        await kv.update("color", b"pink", last=r2)
    assert (await kv.get("color")).revision == r3
    created = await kv.create("shape", b"round")
    assert created > r3
    with pytest.raises(nats.js.errors.KeyWrongLastSequenceError):
        await kv.create("shape", b"square")
    await kv.delete("shape")
    with pytest.raises(nats.js.errors.KeyNotFoundError):
        await kv.get("shape")
    status = await kv.status()
    assert status.bucket == "cfg"


async def test_js_publish_pipelined_acks_in_order(js: Any) -> None:
    await js.add_stream(name="P", subjects=["p"])
    futs = [await js.publish_async("p", b"%d" % i) for i in range(200)]
    acks = await asyncio.gather(*futs)
    assert [a.seq for a in acks] == list(range(1, 201))


async def test_js_monitoring_reports_usage(tmp_path: Path, nc: Any) -> None:
    import aiohttp

    async with run_server(jetstream=True, store_dir=str(tmp_path), http_port=-1) as srv:
        js = (await nc(srv)).jetstream()
        await js.add_stream(name="MON", subjects=["mon"])
        for _ in range(3):
            await js.publish("mon", b"abc")
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{srv.http_port}/jsz") as resp:
                jsz = await resp.json()
            async with http.get(f"http://127.0.0.1:{srv.http_port}/varz") as resp:
                varz = await resp.json()
    assert (jsz["streams"], jsz["messages"]) == (1, 3)
    assert jsz["storage"] == jsz["bytes"] > 0
    assert jsz["config"]["store_dir"] == str(tmp_path / "jetstream")
    assert varz["jetstream"]["stats"]["storage"] == jsz["storage"]
