# Reference test: pynatsd's JetStream data layer against a real nats-server.
#
# One nats-server (JetStream on, 127.0.0.1, a temporary store) receives every request of CASES in
# order over nats-py's raw `nc.request`; for each one the pure functions (decode_stream_request,
# check_stream_create, check_stream_update, jsonutil.encode) compute pynatsd's answer from the same
# body and the same account state, and the two must agree byte for byte: the `config` object of a
# success, or the `error` object of a failure. The account state the pure functions see is rebuilt
# from nats-server's own answers, so one disagreement does not cascade.
#
# CASES (js_stream_cases.py) is a plain table (operation, stream token of the subject, body), which
# the live differential test replays against both servers too. A second test checks the other response shapes
# (STREAM.INFO/NAMES/LIST/PURGE/DELETE, MSG.GET/DELETE, account info, PubAcks) with the times and
# ids taken from nats-server's answer. Streams are deleted at the end.
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from js_stream_cases import CASES, C, Case

from pynatsd.jetstream.errors import JSError, js_error
from pynatsd.jetstream.jsonutil import decode, encode, parse_go_time
from pynatsd.jetstream.jsonutil_scan import scan_values
from pynatsd.jetstream.types import (
    ClusterInfo,
    MsgDeleteResponse,
    MsgGetResponse,
    PubAck,
    PubAckResponse,
    StoredMsg,
    StreamConfig,
    StreamCreateResponse,
    StreamDeleteResponse,
    StreamInfo,
    StreamInfoResponse,
    StreamListResponse,
    StreamNamesResponse,
    StreamPurgeResponse,
    StreamState,
    StreamUpdateResponse,
    encode_pub_ack,
)
from pynatsd.jetstream.validate import (
    check_stream_create,
    check_stream_update,
    decode_stream_request,
    with_dynamic_metadata,
)
from pynatsd.testing.servers import ServerProcess, nats_server_binary

pytestmark = [
    pytest.mark.reference,
    pytest.mark.skipif(nats_server_binary() is None, reason="nats-server binary not available"),
]


def _member(data: bytes, key: str) -> bytes | None:
    """The raw bytes of one top-level member of a JSON object, as the server wrote them."""
    node = next(scan_values(data))
    assert isinstance(node.value, list)
    for name, value in node.value:
        if name == key:
            return data[value.start : value.end]
    return None


def expected(case: Case, streams: dict[str, StreamConfig]) -> StreamConfig | JSError:
    """pynatsd's answer to `case` from the pure functions alone."""
    decoded = decode_stream_request(case.body)
    if isinstance(decoded, JSError):
        return decoded
    cfg, pedantic = decoded
    if case.op == "create":
        return check_stream_create(case.stream, cfg, pedantic=pedantic, streams=streams)
    old = streams.get(case.stream)
    return check_stream_update(old, cfg, subject_name=case.stream, pedantic=pedantic, streams=streams)


def _stored(config_json: bytes) -> StreamConfig:
    """A config from a response, as stored (without the response-only metadata)."""
    cfg = decode(config_json, StreamConfig)
    meta = dict(cfg.metadata or {})
    for key in ("_nats.ver", "_nats.level"):
        meta.pop(key, None)
    cfg.metadata = meta
    return cfg


def _whole_response(case: Case, ours: StreamConfig, reply: bytes) -> bytes:
    """Our full CREATE/UPDATE response, with the server's times and state."""
    created = parse_go_time(json.loads(reply)["created"]).unix_ns
    ts = parse_go_time(json.loads(reply)["ts"]).unix_ns
    state_raw = _member(reply, "state")
    assert state_raw is not None
    info = StreamInfo(
        config=with_dynamic_metadata(ours), created=created, state=decode(state_raw, StreamState), ts=ts
    )
    if case.op == "create":
        return encode(StreamCreateResponse(info=info, did_create=True))
    return encode(StreamUpdateResponse(info=info))


def compare(case: Case, reply: bytes, ours: StreamConfig | JSError) -> str | None:
    """None when pynatsd agrees with nats-server's `reply`, else a description of the difference."""
    server_error = _member(reply, "error")
    if server_error is not None:
        mine = encode(ours) if isinstance(ours, JSError) else b"(a config)"
        if mine != server_error:
            return f"error: server {server_error!r}\n  pynatsd {mine!r}"
        return None
    server_config = _member(reply, "config")
    if not isinstance(ours, StreamConfig):
        return f"server accepted with {server_config!r}\n  pynatsd {encode(ours)!r}"
    mine = encode(with_dynamic_metadata(ours))
    if mine != server_config:
        return f"config: server {server_config!r}\n  pynatsd {mine!r}"
    if ours.mirror is None and not ours.sources and _whole_response(case, ours, reply) != reply:
        return f"response: server {reply!r}\n  pynatsd {_whole_response(case, ours, reply)!r}"
    return None


async def _run_cases(nc: Any, cases: tuple[Case, ...]) -> tuple[list[str], dict[str, StreamConfig]]:
    streams: dict[str, StreamConfig] = {}
    failures: list[str] = []
    for i, case in enumerate(cases):
        reply = (await nc.request(case.subject, case.body, timeout=5)).data
        ours = expected(case, streams)
        problem = compare(case, reply, ours)
        if problem is not None:
            failures.append(f"#{i} {case.subject} {case.body[:160]!r}\n  {problem}")
        server_config = _member(reply, "config")
        if server_config is not None:
            streams[case.stream] = _stored(server_config)
    return failures, streams


async def _delete_all(nc: Any, names: list[str]) -> None:
    for name in names:
        reply = await nc.request(f"$JS.API.STREAM.DELETE.{name}", b"", timeout=5)
        assert json.loads(reply.data).get("success") is True, reply.data
    left = await nc.request("$JS.API.STREAM.NAMES", b"", timeout=5)
    assert json.loads(left.data)["streams"] is None


async def test_stream_create_and_update_match_nats_server(nc: Any, tmp_path: Path) -> None:
    async with ServerProcess("nats-server", args=["-js", "-sd", str(tmp_path)]) as ref:
        client = await nc(f"nats://127.0.0.1:{ref.port}")
        failures, streams = await _run_cases(client, CASES)
        await _delete_all(client, sorted(streams))
        await client.close()
    assert not failures, f"{len(failures)} of {len(CASES)} cases differ:\n" + "\n".join(failures)


def test_case_table_covers_the_ground() -> None:
    ops = {case.op for case in CASES}
    assert ops == {"create", "update"}
    assert len(CASES) >= 250


# -- other response shapes ----------------------------------------------------------------------


async def _req(nc: Any, subject: str, body: bytes = b"", headers: dict[str, str] | None = None) -> bytes:
    reply = await nc.request(subject, body, timeout=5, headers=headers)
    data: bytes = reply.data
    return data


async def _check_publish_and_msgs(nc: Any) -> None:
    assert await _req(nc, "s.a", b"hello") == encode_pub_ack("S", 1)
    assert await _req(nc, "s.a", b"x", {"Nats-Msg-Id": "1"}) == encode_pub_ack("S", 2)
    assert await _req(nc, "s.a", b"x", {"Nats-Msg-Id": "1"}) == encode_pub_ack("S", 2, duplicate=True)
    bad = await _req(nc, "s.b", b"x", {"Nats-Expected-Last-Sequence": "1"})
    err = js_error("JSStreamWrongLastSequenceErrF", seq=2)
    assert bad == encode(PubAckResponse(error=err, ack=PubAck(stream="S", seq=0)))
    await _req(nc, "s.c", b"with hdr", {"Foo": "bar"})
    got = await _req(nc, "$JS.API.STREAM.MSG.GET.S", b'{"last_by_subj":"s.c"}')
    when = parse_go_time(json.loads(got)["message"]["time"]).unix_ns
    msg = StoredMsg(subject="s.c", seq=3, hdrs=b"NATS/1.0\r\nFoo: bar\r\n\r\n", data=b"with hdr", time=when)
    assert got == encode(MsgGetResponse(message=msg))
    missing = await _req(nc, "$JS.API.STREAM.MSG.GET.S", b'{"seq":99}')
    assert missing == encode(MsgGetResponse(error=js_error("JSNoMessageFoundErr")))
    assert await _req(nc, "$JS.API.STREAM.MSG.DELETE.S", b'{"seq":2}') == encode(
        MsgDeleteResponse(success=True)
    )
    again = await _req(nc, "$JS.API.STREAM.MSG.DELETE.S", b'{"seq":2}')
    assert again == encode(MsgDeleteResponse(error=js_error("JSSequenceNotFoundErrF", seq=2)))
    beyond = await _req(nc, "$JS.API.STREAM.MSG.DELETE.S", b'{"seq":99}')
    err = js_error("JSStreamMsgDeleteFailedF", err="stream store EOF")
    assert beyond == encode(MsgDeleteResponse(error=err))


async def _check_info_and_lists(nc: Any, cfg: StreamConfig) -> None:
    reply = await _req(nc, "$JS.API.STREAM.INFO.S", b'{"deleted_details":true}')
    doc = json.loads(reply)
    state_raw = _member(reply, "state")
    assert state_raw is not None
    info = StreamInfo(
        config=with_dynamic_metadata(cfg),
        created=parse_go_time(doc["created"]).unix_ns,
        state=decode(state_raw, StreamState),
        cluster=ClusterInfo(leader=doc["cluster"]["leader"]),
        ts=parse_go_time(doc["ts"]).unix_ns,
    )
    assert reply == encode(StreamInfoResponse(info=info))
    assert info.state.deleted == [2]
    names = await _req(nc, "$JS.API.STREAM.NAMES", b'{"subject":"s.x"}')
    assert names == encode(StreamNamesResponse(total=1, streams=["S"]))
    none = await _req(nc, "$JS.API.STREAM.NAMES", b'{"subject":"zz"}')
    assert none == encode(StreamNamesResponse())
    listed = await _req(nc, "$JS.API.STREAM.LIST", b"")
    listed_info = StreamInfo(config=cfg, created=info.created, state=info.state, ts=_first_listed_ts(listed))
    listed_info.state.deleted = None
    assert listed == encode(StreamListResponse(total=1, streams=[listed_info]))
    not_found = await _req(nc, "$JS.API.STREAM.INFO.NOPE")
    assert not_found == encode(StreamInfoResponse(error=js_error("JSStreamNotFoundErr")))


def _first_listed_ts(reply: bytes) -> int:
    return parse_go_time(json.loads(reply)["streams"][0]["ts"]).unix_ns


async def _check_purge_and_delete(nc: Any) -> None:
    purged = await _req(nc, "$JS.API.STREAM.PURGE.S", b'{"filter":"s.c"}')
    assert purged == encode(StreamPurgeResponse(success=True, purged=1))
    bad = await _req(nc, "$JS.API.STREAM.PURGE.S", b'{"keep":1,"seq":2}')
    assert bad == encode(StreamPurgeResponse(error=js_error("JSBadRequestErr")))
    unknown = await _req(nc, "$JS.API.STREAM.PURGE.S", b'{"bogus":1}')
    err = js_error("JSInvalidJSONErr", err='json: unknown field "bogus"')
    assert unknown == encode(StreamPurgeResponse(error=err))
    assert await _req(nc, "$JS.API.STREAM.DELETE.S") == encode(StreamDeleteResponse(success=True))
    gone = await _req(nc, "$JS.API.STREAM.DELETE.S")
    assert gone == encode(StreamDeleteResponse(error=js_error("JSStreamNotFoundErr")))


async def test_response_shapes_match_nats_server(nc: Any, tmp_path: Path) -> None:
    async with ServerProcess("nats-server", args=["-js", "-sd", str(tmp_path)]) as ref:
        client = await nc(f"nats://127.0.0.1:{ref.port}")
        empty = await _req(client, "$JS.API.STREAM.LIST")
        assert empty == encode(StreamListResponse())
        create = C("S", {"name": "S", "subjects": ["s.>"]})
        cfg = expected(create, {})
        assert isinstance(cfg, StreamConfig)
        assert compare(create, await _req(client, create.subject, create.body), cfg) is None
        await _check_publish_and_msgs(client)
        await _check_info_and_lists(client, cfg)
        await _check_purge_and_delete(client)
        await client.close()
