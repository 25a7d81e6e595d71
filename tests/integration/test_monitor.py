# The HTTP monitoring endpoints, seen as monitoring tools see them: a pynatsd server in-process on
# loopback with nats-py clients doing real traffic, and an HTTP client reading /varz, /connz,
# /healthz, /subsz and the rest. The `reference` test runs the same workload against nats-server
# and compares the shape of the JSON (keys and JSON types), which is what consumers depend on.
from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import nats
import pytest
import pytest_asyncio

from pynatsd import NATS_SERVER_VERSION, Options, Server, __version__
from pynatsd.logger import Logger
from pynatsd.monitor.endpoints import go_duration, healthz, rfc3339, uptime
from pynatsd.testing.servers import ServerProcess, nats_server_binary

TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$")
Connect = Callable[..., Awaitable[Any]]


@pytest_asyncio.fixture
async def srv() -> AsyncIterator[Server]:
    server = Server(Options(host="127.0.0.1", port=-1, http_port=-1))
    await server.start()
    try:
        yield server
    finally:
        await server.shutdown()


@pytest_asyncio.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        yield session


@pytest_asyncio.fixture
async def connect() -> AsyncIterator[Connect]:
    """`nc = await connect(port, name=...)`; every connection is closed at teardown."""
    opened: list[Any] = []

    async def _connect(port: int, **kwargs: Any) -> Any:
        kwargs.setdefault("allow_reconnect", False)
        client = await nats.connect(f"nats://127.0.0.1:{port}", **kwargs)
        opened.append(client)
        return client

    yield _connect
    for client in opened:
        if not client.is_closed:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.close(), 5)


async def fetch(http: aiohttp.ClientSession, port: int, path: str) -> tuple[int, Any, aiohttp.ClientResponse]:
    async with http.get(f"http://127.0.0.1:{port}{path}") as resp:
        text = await resp.text()
        ctype = resp.headers.get("Content-Type", "")
        body: Any = json.loads(text) if ctype.startswith("application/json") else text
        return resp.status, body, resp


async def get_json(http: aiohttp.ClientSession, srv: Server, path: str) -> Any:
    status, body, _ = await fetch(http, srv.http_port, path)
    assert status == 200, body
    return body


async def wait_for(check: Callable[[], Awaitable[bool]]) -> None:
    """Poll `check` for up to 5 s."""
    for _ in range(250):
        if await check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met in 5 s")


# -- formatting ---------------------------------------------------------------------------------------------


def test_go_duration_and_uptime_formats() -> None:
    assert go_duration(0) == "0s"
    assert go_duration(850) == "850ns"
    assert go_duration(641_000) == "641µs"
    assert go_duration(1_234_000) == "1.234ms"
    assert go_duration(65_500_000_000) == "1m5.5s"
    assert go_duration(7_200_000_000_000) == "2h0m0s"
    assert uptime(5.9) == "5s"
    assert uptime(120) == "2m0s"
    assert uptime(3723) == "1h2m3s"
    assert uptime(3 * 86400 + 1) == "3d0h0m1s"
    assert rfc3339(0) == "1970-01-01T00:00:00Z"
    assert rfc3339(1.5) == "1970-01-01T00:00:01.5Z"


# -- /varz and / ------------------------------------------------------------------------------------------


async def test_varz_fields_and_counters(srv: Server, http: aiohttp.ClientSession, connect: Connect) -> None:
    sub = await connect(srv.port, name="sub")
    pub = await connect(srv.port, name="pub")
    await sub.subscribe("foo")
    await sub.flush()
    for _ in range(3):
        await pub.publish("foo", b"hello")
    await pub.flush()

    status, v, resp = await fetch(http, srv.http_port, "/varz")
    assert status == 200
    assert resp.headers["Content-Type"] == "application/json"
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    assert v["server_id"] == srv.server_id
    assert v["version"] == NATS_SERVER_VERSION
    assert v["go"] == srv.client_info(None)["go"]
    assert (v["host"], v["port"], v["http_port"]) == ("127.0.0.1", srv.port, srv.http_port)
    assert v["ping_interval"] == 120_000_000_000
    assert v["write_deadline"] == 10_000_000_000
    assert v["max_payload"] == 1024 * 1024
    assert TIME_RE.match(v["start"])
    assert TIME_RE.match(v["now"])
    assert TIME_RE.match(v["config_load_time"])
    assert re.fullmatch(r"\d+s", v["uptime"])
    assert v["mem"] > 0
    assert v["cores"] >= 1
    assert isinstance(v["cpu"], int | float)
    assert (v["connections"], v["total_connections"]) == (2, 2)
    assert v["subscriptions"] >= 1
    assert (v["in_msgs"], v["in_bytes"], v["out_msgs"], v["out_bytes"]) == (3, 15, 3, 15)
    assert v["in_client_msgs"] == 3
    assert v["out_client_bytes"] == 15
    assert v["cluster"] == {}
    assert v["jetstream"] == {}
    assert v["http_req_stats"] == {"/varz": 1}
    assert list(v)[-1] == "pynatsd_version"
    assert v["pynatsd_version"] == __version__

    await pub.close()
    await wait_for(lambda: _varz_value(http, srv, "connections", 1))
    v = await get_json(http, srv, "/varz")
    assert v["in_msgs"] == 3
    assert v["total_connections"] == 2
    assert v["http_req_stats"]["/varz"] >= 3


async def _varz_value(http: aiohttp.ClientSession, srv: Server, key: str, want: Any) -> bool:
    v = await get_json(http, srv, "/varz")
    return bool(v[key] == want)


async def test_index_page_links_endpoints(srv: Server, http: aiohttp.ClientSession) -> None:
    status, page, resp = await fetch(http, srv.http_port, "/")
    assert status == 200
    assert resp.headers["Content-Type"].startswith("text/html")
    for path in ("varz", "connz", "subsz", "routez", "healthz", "jsz", "accountz"):
        assert f'href="/{path}"' in page
    v = await get_json(http, srv, "/varz")
    assert v["http_req_stats"] == {"/": 1, "/varz": 1}


# -- /connz -----------------------------------------------------------------------------------------------


async def test_connz_subscriptions(srv: Server, http: aiohttp.ClientSession, connect: Connect) -> None:
    nc = await connect(srv.port, name="x")
    await nc.subscribe("foo.*", queue="q")
    await nc.subscribe("bar")
    await nc.publish("foo.a", b"hi")
    await nc.flush()

    c = await get_json(http, srv, "/connz")
    assert list(c) == ["server_id", "now", "num_connections", "total", "offset", "limit", "connections"]
    assert (c["num_connections"], c["total"], c["offset"], c["limit"]) == (1, 1, 0, 1024)
    conn = c["connections"][0]
    assert (conn["kind"], conn["type"], conn["ip"], conn["name"], conn["lang"]) == (
        "Client",
        "nats",
        "127.0.0.1",
        "x",
        "python3",
    )
    assert conn["subscriptions"] == 2
    assert (conn["in_msgs"], conn["out_msgs"]) == (1, 1)
    assert "subscriptions_list" not in conn
    assert "stop" not in conn
    assert "reason" not in conn
    assert re.fullmatch(r"[\d.]+(ns|µs|ms|s)", conn["rtt"])

    c = await get_json(http, srv, "/connz?subs=1")
    assert c["connections"][0]["subscriptions_list"] == ["foo.*", "bar"]
    c = await get_json(http, srv, "/connz?subs=detail")
    detail = c["connections"][0]["subscriptions_list_detail"]
    cid = c["connections"][0]["cid"]
    assert detail == [
        {"subject": "foo.*", "qgroup": "q", "sid": "1", "msgs": 1, "cid": cid},
        {"subject": "bar", "sid": "2", "msgs": 0, "cid": cid},
    ]
    c = await get_json(http, srv, "/connz?auth=1")
    assert c["connections"][0]["name_tag"] == "$G"
    assert "account" not in c["connections"][0]


async def test_connz_sort_offset_limit_cid(
    srv: Server, http: aiohttp.ClientSession, connect: Connect
) -> None:
    clients = [await connect(srv.port, name=f"c{i}") for i in range(3)]
    for i, nc in enumerate(clients):
        for j in range(i + 1):
            await nc.subscribe(f"s.{j}")
        await nc.flush()
    c = await get_json(http, srv, "/connz?sort=subs")
    assert [x["name"] for x in c["connections"]] == ["c2", "c1", "c0"]
    cids = [x["cid"] for x in (await get_json(http, srv, "/connz"))["connections"]]
    assert cids == sorted(cids)

    c = await get_json(http, srv, "/connz?sort=subs&offset=1&limit=1")
    assert (c["num_connections"], c["total"], c["offset"], c["limit"]) == (1, 3, 1, 1)
    assert c["connections"][0]["name"] == "c1"
    c = await get_json(http, srv, f"/connz?cid={cids[2]}")
    assert c["limit"] == 1
    assert [x["cid"] for x in c["connections"]] == [cids[2]]

    for bad, text in (
        ("sort=nope", "invalid sorting option: nope"),
        ("sort=stop", "sort by stop only valid on closed connections"),
        ("state=bogus", "Error decoding state for bogus"),
        ("offset=x", "Error decoding int for 'offset'"),
        ("subs=maybe", "Error decoding boolean for 'subs'"),
    ):
        status, body, _ = await fetch(http, srv.http_port, f"/connz?{bad}")
        assert status == 400, bad
        assert body.startswith(text), (bad, body)


async def test_connz_closed_connections(srv: Server, http: aiohttp.ClientSession, connect: Connect) -> None:
    stay = await connect(srv.port, name="stay")
    leave = await connect(srv.port, name="leave")
    await leave.subscribe("gone")
    await leave.publish("gone", b"x")
    await leave.flush()
    await leave.close()

    async def closed() -> bool:
        return bool((await get_json(http, srv, "/connz?state=closed"))["connections"])

    await wait_for(closed)
    c = await get_json(http, srv, "/connz?state=closed&subs=1")
    (conn,) = c["connections"]
    assert conn["name"] == "leave"
    assert conn["reason"] == "Client Closed"
    assert TIME_RE.match(conn["stop"])
    assert (conn["in_msgs"], conn["out_msgs"], conn["subscriptions"]) == (1, 1, 1)
    assert conn["subscriptions_list"] == ["gone"]
    c = await get_json(http, srv, "/connz?state=all&sort=cid")
    assert c["total"] == 2
    assert [x["name"] for x in c["connections"]] == ["stay", "leave"]
    c = await get_json(http, srv, "/connz?state=closed&sort=stop")
    assert [x["name"] for x in c["connections"]] == ["leave"]
    c = await get_json(http, srv, "/connz")
    assert [x["name"] for x in c["connections"]] == ["stay"]
    assert stay.is_connected


# -- /healthz ---------------------------------------------------------------------------------------------


async def test_healthz(srv: Server, http: aiohttp.ClientSession) -> None:
    async with http.get(f"http://127.0.0.1:{srv.http_port}/healthz") as resp:
        assert resp.status == 200
        assert await resp.text() == '{"status":"ok"}'
    for query in ("js-enabled-only=true", "js-server-only=1", "details=true", "account=$G&stream=S"):
        status, body, _ = await fetch(http, srv.http_port, f"/healthz?{query}")
        assert (status, body) == (200, {"status": "ok"}), query
    status, body, _ = await fetch(http, srv.http_port, "/healthz?stream=S")
    assert status == 400
    assert body == {"status": "error", "error": '"account" must not be empty when checking stream health'}
    status, body, _ = await fetch(http, srv.http_port, "/healthz?js-enabled-only=xyz")
    assert status == 400
    assert "Error decoding boolean for 'js-enabled-only'" in body


def test_healthz_with_jetstream_configured(tmp_path: Path) -> None:
    server = Server(Options(host="127.0.0.1", port=-1, jetstream=True, store_dir=str(tmp_path)))
    assert healthz(server, {}) == (200, {"status": "ok"})
    assert healthz(server, {"js-enabled-only": "true"}) == (200, {"status": "ok"})
    assert healthz(server, {"account": "$G"}) == (200, {"status": "ok"})
    status, body = healthz(server, {"account": "$G", "stream": "NOPE"})
    assert status == 404
    assert body == {"status": "unavailable", "error": 'JetStream stream "NOPE" not found on account "$G"'}
    status, body = healthz(server, {"account": "$G", "stream": "NOPE", "details": "true"})
    assert (status, body["status"], body["errors"][0]["type"]) == (404, "error", "STREAM")
    assert healthz(server, {"account": "NOPE"})[0] == 404


# -- /subsz -----------------------------------------------------------------------------------------------


async def test_subsz(srv: Server, http: aiohttp.ClientSession, connect: Connect) -> None:
    # The server's own subscriptions (the system account's services) count too, as in nats-server.
    base = (await get_json(http, srv, "/subsz"))["num_subscriptions"]
    nc = await connect(srv.port)
    await nc.subscribe("foo.*", queue="q")
    await nc.subscribe("foo.b")
    await nc.subscribe("bar")
    await nc.publish("foo.a", b"1")
    await nc.publish("foo.a", b"2")
    await nc.flush()

    s = await get_json(http, srv, "/subsz")
    assert s["num_subscriptions"] == base + 3
    assert s["num_inserts"] == base + 3
    assert s["num_removes"] == 0
    assert s["num_matches"] >= 2
    assert s["num_cache"] >= 1
    assert 0 < s["cache_hit_rate"] <= 1
    assert s["max_fanout"] == 1
    assert (s["total"], s["offset"], s["limit"]) == (0, 0, 1024)
    assert "subscriptions_list" not in s

    s = await get_json(http, srv, "/subsz?subs=1")
    assert s["total"] == 3
    assert [x["subject"] for x in s["subscriptions_list"]] == ["foo.*", "foo.b", "bar"]
    assert s["subscriptions_list"][0] == {
        "account": "$G",
        "account_tag": "$G",
        "subject": "foo.*",
        "qgroup": "q",
        "sid": "1",
        "msgs": 2,
        "cid": s["subscriptions_list"][0]["cid"],
    }
    s = await get_json(http, srv, "/subsz?subs=1&test=foo.b")
    assert [x["subject"] for x in s["subscriptions_list"]] == ["foo.*", "foo.b"]
    s = await get_json(http, srv, "/subsz?subs=1&test=foo.b&offset=1&limit=1")
    assert s["total"] == 2
    assert [x["subject"] for x in s["subscriptions_list"]] == ["foo.b"]
    s = await get_json(http, srv, "/subscriptionsz?subs=1&test=nothing")
    assert s["total"] == 0
    assert "subscriptions_list" not in s
    s = await get_json(http, srv, "/subsz?acc=NOPE")
    assert s["num_subscriptions"] == 0
    status, body, _ = await fetch(http, srv.http_port, "/subsz?test=foo.*")
    assert status == 400
    assert body == "invalid test subject, must be valid publish subject: foo.*"
    assert (await get_json(http, srv, "/varz"))["http_req_stats"]["/subsz"] == 8


# -- JSONP, other endpoints, base path, start-up ----------------------------------------------------------


async def test_jsonp(srv: Server, http: aiohttp.ClientSession) -> None:
    status, text, resp = await fetch(http, srv.http_port, "/varz?callback=cb")
    assert status == 200
    assert resp.headers["Content-Type"] == "application/javascript"
    assert text.startswith("cb({")
    assert text.endswith("})")
    assert json.loads(text[3:-1])["server_id"] == srv.server_id
    status, text, _ = await fetch(http, srv.http_port, "/healthz?callback=ns.check")
    assert status == 200
    assert text == 'ns.check({"status":"ok"})'
    status, _, _ = await fetch(http, srv.http_port, "/varz?callback=alert(1)//")
    assert status == 400


async def test_placeholder_endpoints(srv: Server, http: aiohttp.ClientSession) -> None:
    r = await get_json(http, srv, "/routez")
    assert (r["server_id"], r["num_routes"], r["routes"]) == (srv.server_id, 0, [])
    j = await get_json(http, srv, "/jsz")
    assert j["disabled"] is True
    assert j["streams"] == 0
    assert j["api"] == {"level": 0, "total": 0, "errors": 0}
    a = await get_json(http, srv, "/accountz")
    assert "$G" in a["accounts"]
    a = await get_json(http, srv, "/accountz?acc=$G")
    assert a["account_detail"]["account_name"] == "$G"
    assert (await get_json(http, srv, "/leafz"))["leafs"] == []
    assert (await get_json(http, srv, "/gatewayz"))["outbound_gateways"] == {}
    status, _, _ = await fetch(http, srv.http_port, "/nope")
    assert status == 404


async def test_base_path_and_log_line(tmp_path: Path, http: aiohttp.ClientSession) -> None:
    log_file = tmp_path / "server.log"
    opts = Options(host="127.0.0.1", port=-1, http_port=-1, http_base_path="/mon/")
    server = Server(opts, logger=Logger(log_file=str(log_file)))
    await server.start()
    try:
        assert f"[INF] Starting http monitor on 127.0.0.1:{server.http_port}\n" in log_file.read_text()
        status, v, _ = await fetch(http, server.http_port, "/mon/varz")
        assert status == 200
        assert v["http_base_path"] == "/mon/"
        status, page, _ = await fetch(http, server.http_port, "/mon")
        assert status == 200
        assert 'href="/mon/connz"' in page
        status, _, _ = await fetch(http, server.http_port, "/varz")
        assert status == 404
    finally:
        await server.shutdown()


# -- the same workload against nats-server ----------------------------------------------------------------

# Keys only pynatsd reports, and keys of nats-server features pynatsd does not have (git_commit: no Go
# build; system_account: no $SYS account unless configured).
PYNATSD_ONLY = frozenset({"pynatsd_version"})
NATS_SERVER_ONLY = frozenset({"git_commit", "system_account"})
# Objects whose keys depend on what was asked before or on the server's own feature set.
OPAQUE = frozenset({"http_req_stats", "feature_flags"})


def json_shape(value: Any) -> Any:
    """Keys and JSON types, recursively; int and float are both "number" as in JSON.

    A list of objects has the shape of all its items' keys together: nats-server lists a client's
    subscriptions in no fixed order, and only some of them have a queue group.
    """
    if isinstance(value, dict):
        return {k: ("object" if k in OPAQUE else json_shape(v)) for k, v in value.items()}
    if isinstance(value, list):
        if value and all(isinstance(v, dict) for v in value):
            merged: dict[str, Any] = {}
            for item in value:
                merged.update(json_shape(item))
            return [merged]
        return [json_shape(value[0])] if value else []
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return "null" if value is None else type(value).__name__


def shape_differences(ours: Any, theirs: Any, path: str = "") -> list[str]:
    if isinstance(ours, dict) and isinstance(theirs, dict):
        out: list[str] = []
        for key in ours.keys() | theirs.keys():
            if key not in theirs and key not in PYNATSD_ONLY:
                out.append(f"{path}/{key}: pynatsd only")
            elif key not in ours and key not in NATS_SERVER_ONLY:
                out.append(f"{path}/{key}: nats-server only")
            elif key in ours and key in theirs:
                out += shape_differences(ours[key], theirs[key], f"{path}/{key}")
        return out
    if isinstance(ours, list) and isinstance(theirs, list):
        return shape_differences(ours[0], theirs[0], path + "[]") if ours and theirs else []
    return [] if ours == theirs else [f"{path}: {ours} vs {theirs}"]


async def snapshot(
    http: aiohttp.ClientSession, port: int, connect: Connect, http_port: int
) -> dict[str, Any]:
    a = await connect(port, name="a")
    b = await connect(port, name="b")
    await a.subscribe("foo.*", queue="q")
    await a.subscribe("bar")
    await a.flush()
    for _ in range(2):
        await b.publish("foo.x", b"hello")
    await b.flush()
    await a.flush()
    out: dict[str, Any] = {}
    for path in ("/varz", "/connz?subs=1", "/connz?subs=detail", "/healthz", "/subsz?subs=1&test=foo.x"):
        status, body, _ = await fetch(http, http_port, path)
        assert status == 200, (path, body)
        out[path] = body
    await a.close()
    await b.close()
    return out


@pytest.mark.reference
async def test_same_shape_as_nats_server(srv: Server, http: aiohttp.ClientSession, connect: Connect) -> None:
    if nats_server_binary() is None:
        pytest.skip("nats-server binary not found")
    async with ServerProcess("nats-server", args=["-m", "-1"]) as ref:
        line = await asyncio.to_thread(ref.wait_for_log, r"Starting http monitor on \S+:\d+")
        ref_http_port = int(line.rsplit(":", 1)[1])
        theirs = await snapshot(http, ref.port, connect, ref_http_port)
    ours = await snapshot(http, srv.port, connect, srv.http_port)

    for path in ours:
        diffs = shape_differences(json_shape(ours[path]), json_shape(theirs[path]))
        assert not diffs, f"{path}: {diffs}"
    assert ours["/healthz"] == theirs["/healthz"] == {"status": "ok"}
    for path in ("/connz?subs=1", "/connz?subs=detail"):
        ours_conns, theirs_conns = ours[path]["connections"], theirs[path]["connections"]
        assert [list(c) for c in ours_conns] == [list(c) for c in theirs_conns], path
    allowed = PYNATSD_ONLY | NATS_SERVER_ONLY
    assert [k for k in ours["/varz"] if k not in allowed] == [k for k in theirs["/varz"] if k not in allowed]
