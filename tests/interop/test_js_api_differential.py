# Differential test of the live JetStream stream API: every request goes to nats-server and to
# pynatsd, and the replies must agree byte for byte once the times are masked (js_differential.py).
#
# The two servers (conftest.py) are shared by the tests of this module, so each test deletes its
# streams on the way out; account-wide counters (api.total, api.errors) still agree, because both
# servers see the same requests in the same order. Covered here: the STREAM.CREATE/UPDATE table of
# js_stream_cases.py, account info and its API statistics, subjects that get no reply at all,
# Nats-Required-Api-Level, STREAM.INFO with subjects_filter / deleted_details, NAMES and LIST paging
# and filtering, odd request bodies, requests without a reply subject, PURGE and stream DELETE.
# test_js_api_differential_msgs.py covers MSG.GET, MSG.DELETE, PubAcks and DIRECT.GET.
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from js_differential import API, Servers, differ, start_servers
from js_stream_cases import CASES

from pynatsd.testing.servers import nats_server_binary

pytestmark = [
    pytest.mark.reference,
    pytest.mark.skipif(nats_server_binary() is None, reason="nats-server binary not available"),
]

# -- the config table -------------------------------------------------------------------------


# Known differences of the table replay, by the stream a case names: behaviour outside the API
# layer, tracked with the modules that own it.
TABLE_KNOWN = {
    "MIR4": "a mirror of a missing stream shows no error yet in its CREATE reply (sourcing.py)",
    "M1": "a mirror that has copied nothing yet shows active -1 (sourcing.py)",
    "SYS": "a stream does not capture its own creation advisory in the CREATE reply (advisories.py)",
    "BIG": "first_seq 2^64-1 is beyond the SQLite store's signed 64-bit keys: refused (store)",
}
TABLE_LIST_KNOWN = "mirror/source `active` and the BIG stream, as above"


async def test_stream_config_table(tmp_path: Path) -> None:
    # Its own servers: nats-server's mirrors and sources issue API requests of their own, which
    # would otherwise show in the account statistics that later tests compare.
    pair = await asyncio.to_thread(start_servers, tmp_path)
    try:
        async with differ(pair) as d:
            d.known_streams = TABLE_KNOWN
            for case in CASES:
                await d.req(case.subject, case.body, known=TABLE_KNOWN.get(case.stream, ""))
            await d.req(f"{API}.STREAM.LIST", known=TABLE_LIST_KNOWN)
            await d.req(f"{API}.STREAM.DELETE.NOACK")
    finally:
        await asyncio.to_thread(lambda: [proc.stop() for proc in pair])
    assert d.cases >= len(CASES)
    d.check()


# -- account info and subjects with no handler ------------------------------------------------


async def test_account_info_and_unhandled_subjects(js_servers: Servers) -> None:
    async with differ(js_servers) as d:
        await d.req(f"{API}.INFO")
        for subject in (
            f"{API}.INFO.x",
            f"{API}.FOO",
            f"{API}.FOO.BAR",
            f"{API}.STREAM",
            f"{API}.STREAM.CREATE",
            f"{API}.STREAM.CREATE.a.b",
            f"{API}.STREAM.UPDATE",
            f"{API}.STREAM.INFO",
            f"{API}.STREAM.INFO.a.b",
            f"{API}.STREAM.DELETE",
            f"{API}.STREAM.DELETE.a.b",
            f"{API}.STREAM.PURGE",
            f"{API}.STREAM.NAMES.x",
            f"{API}.STREAM.LIST.x",
            f"{API}.STREAM.MSG",
            f"{API}.STREAM.MSG.GET",
            f"{API}.STREAM.MSG.GET.a.b",
            f"{API}.STREAM.MSG.DELETE",
            f"{API}.DIRECT.GET",
            f"{API}.DIRECT.GET.NOPE",
            f"{API}.DIRECT.GET.NOPE.x",
        ):
            await d.silent(subject, b'{"name":"a"}')
        await d.create("FILE", subjects=["file.>"])
        await d.create("MEM", subjects=["mem.>"], storage="memory")
        await d.pub("file.a", b"hello")
        await d.pub("mem.a", b"hello", {"Foo": "bar"})
        await d.pub("nostream", b"x")
        await d.req(f"{API}.INFO")
        await d.req(f"{API}.INFO", b"{}")
        await d.req(f"{API}.INFO", b"{bad")
    d.check()


async def test_required_api_level(js_servers: Servers) -> None:
    async with differ(js_servers) as d:
        await d.create("L", subjects=["l"], allow_direct=True)
        await d.pub("l", b"x")
        for level in ("99", "6", "5", "0", "x", ""):
            hdrs = {"Nats-Required-Api-Level": level}
            for subject, body in (
                (f"{API}.INFO", b""),
                (f"{API}.STREAM.INFO.L", b""),
                (f"{API}.STREAM.INFO.NOPE", b"{bad"),
                (f"{API}.STREAM.NAMES", b""),
                (f"{API}.STREAM.MSG.GET.L", b'{"seq":1}'),
                (f"{API}.STREAM.CREATE.L2", b'{"name":"L2","subjects":["l2"]}'),
                (f"{API}.DIRECT.GET.L", b'{"seq":1}'),
                (f"{API}.DIRECT.GET.L.l", b""),
            ):
                await d.req(subject, body, hdrs)
            await d.silent(f"{API}.STREAM.INFO.L.x", b"", hdrs)
        await d.req(f"{API}.INFO")
    d.check()


# -- STREAM.INFO ------------------------------------------------------------------------------


async def test_stream_info_filters_and_deleted(js_servers: Servers) -> None:
    async with differ(js_servers) as d:
        await d.create("S", subjects=["s.>"])
        await d.info("S", {"subjects_filter": ">"})
        for subject in ("s.a", "s.b", "s.a", "s.c.d", "s.a", "s.e"):
            await d.pub(subject, b"data")
        await d.req(f"{API}.STREAM.MSG.DELETE.S", {"seq": 2})
        await d.req(f"{API}.STREAM.MSG.DELETE.S", {"seq": 4})
        for body in (
            b"",
            b"{}",
            {"subjects_filter": ">"},
            {"subjects_filter": "s.a"},
            {"subjects_filter": "s.*"},
            {"subjects_filter": "nomatch"},
            {"deleted_details": True},
            {"deleted_details": True, "subjects_filter": "s.>"},
            {"subjects_filter": ">", "offset": 1},
            {"offset": 5},
            b"{bad",
            {"bogus": 1},
            {"subjects_filter": 5},
            b"null",
            b"[]",
        ):
            await d.info("S", body)
        await d.info("NOPE")
        await d.info("NOPE", {"deleted_details": True})
        await d.create("MEMS", subjects=["m.>"], storage="memory", first_seq=10)
        await d.pub("m.x", b"abc", {"H": "v"})
        await d.info("MEMS", {"subjects_filter": ">", "deleted_details": True})
    d.check()


# -- NAMES and LIST ---------------------------------------------------------------------------


async def test_names_and_list(js_servers: Servers) -> None:
    async with differ(js_servers) as d:
        await d.req(f"{API}.STREAM.NAMES")
        await d.req(f"{API}.STREAM.LIST")
        for name in ("N3", "N1", "N4", "N0", "N2"):
            await d.create(name, subjects=[f"n.{name[1]}.>", f"x{name[1]}"])
        await d.create("MEMN", subjects=["mn"], storage="memory")
        await d.pub("n.1.a", b"x")
        for kind in ("NAMES", "LIST"):
            for body in (
                b"",
                b"{}",
                {"offset": 2},
                {"offset": 6},
                {"offset": 100},
                {"subject": "n.2.x"},
                {"subject": "n.*.x"},
                {"subject": "n.>"},
                {"subject": ">"},
                {"subject": "x3"},
                {"subject": "nomatch"},
                {"subject": "n.>", "offset": 2},
                {"offset": -1},
                b"{bad",
                {"bogus": 1},
                {"offset": "1"},
            ):
                await d.req(f"{API}.STREAM.{kind}", body)
    d.check()


# -- odd request bodies and requests without a reply subject ---------------------------------


async def test_request_bodies_and_no_reply(js_servers: Servers) -> None:
    odd = (
        b" ",
        b"\n",
        b"  {}",
        b"{} ",
        b"{ }",
        b"null",
        b"[]",
        b"x",
        b'""',
        b'{"seq":1} x',
        b'{"offset":1} x',
    )
    async with differ(js_servers) as d:
        await d.create("B", subjects=["b.>"])
        for subject in (
            f"{API}.INFO",
            f"{API}.STREAM.NAMES",
            f"{API}.STREAM.LIST",
            f"{API}.STREAM.INFO.B",
            f"{API}.STREAM.INFO.NOPE",
            f"{API}.STREAM.UPDATE.B",
            f"{API}.STREAM.MSG.DELETE.B",
            f"{API}.STREAM.DELETE.NOPE",
        ):
            for body in odd:
                await d.req(subject, body)
        for body in odd:
            await d.fill(("b.a", "b.b"))
            await d.req(f"{API}.STREAM.PURGE.B", body)
        await d.fire(f"{API}.STREAM.CREATE.Q", {"name": "Q", "subjects": ["q"]})
        await d.info("Q")
        await d.fire("q", b"no reply")
        await d.fire(f"{API}.STREAM.PURGE.Q")
        await d.info("Q")
        await d.fire(f"{API}.STREAM.DELETE.Q")
        await d.info("Q")
        await d.req(f"{API}.INFO")
    d.check()


# -- PURGE ------------------------------------------------------------------------------------


async def test_purge(js_servers: Servers) -> None:
    fill = ("p.a", "p.b", "p.a", "p.c", "p.a", "p.b", "p.a", "p.c")
    async with differ(js_servers) as d:
        await d.create("P", subjects=["p.>"])
        for body in (
            {"filter": "p.a"},
            {"seq": 12},
            {"keep": 3},
            {"filter": "p.b", "keep": 1},
            {"filter": "p.*", "seq": 30},
            {"filter": "p.c", "seq": 40, "keep": 0},
            {"filter": "nomatch"},
            {"seq": 1},
            {"seq": 2, "keep": 1},
            {"filter": "p.a", "seq": 2, "keep": 1},
            b"{bad",
            {"bogus": 1},
            b"",
            {"keep": 100},
            {},
        ):
            await d.fill(fill)
            await d.req(f"{API}.STREAM.PURGE.P", body)
            await d.info("P", {"subjects_filter": ">", "deleted_details": True})
        await d.req(f"{API}.STREAM.PURGE.NOPE")
        await d.req(f"{API}.STREAM.PURGE.NOPE", b"{bad")
        await d.create("DP", subjects=["dp"], deny_purge=True)
        await d.req(f"{API}.STREAM.PURGE.DP")
        await d.req(f"{API}.STREAM.PURGE.DP", b"{bad")
        await d.create("SP", subjects=["sp"])
        await d.pub("sp", b"x")
        await d.req(f"{API}.STREAM.UPDATE.SP", {"name": "SP", "subjects": ["sp"], "sealed": True})
        await d.req(f"{API}.STREAM.PURGE.SP")
        await d.info("SP")
    d.check()


async def test_stream_delete(js_servers: Servers) -> None:
    async with differ(js_servers) as d:
        await d.req(f"{API}.STREAM.DELETE.NOPE")
        await d.req(f"{API}.STREAM.DELETE.NOPE", b"{bad")
        await d.create("X", subjects=["x"])
        await d.pub("x", b"1")
        await d.req(f"{API}.STREAM.DELETE.X", b'{"bogus":1}')
        await d.req(f"{API}.STREAM.DELETE.X")
        await d.req(f"{API}.STREAM.DELETE.X")
        await d.info("X")
        await d.pub("x", b"2")
    d.check()
