# Differential test of the live JetStream API for single messages: MSG.GET, MSG.DELETE, PubAcks
# (plain, duplicates, every Nats-Expected-* header, rollups, TTLs, size and discard-new limits,
# sealed and no_ack streams, no stream at all) and DIRECT.GET in both forms with its status replies.
# Every request goes to nats-server and to pynatsd and the replies must agree byte for byte once the
# times are masked (js_differential.py); the servers (conftest.py) are shared by this module.
from __future__ import annotations

import pytest
from js_differential import API, Servers, differ

from pynatsd.testing.servers import nats_server_binary

pytestmark = [
    pytest.mark.reference,
    pytest.mark.skipif(nats_server_binary() is None, reason="nats-server binary not available"),
]


Body = bytes | dict[str, object]

MSG_GET_BODIES: tuple[Body, ...] = (
    {"seq": 1},
    {"seq": 2},
    {"seq": 3},
    {"seq": 4},
    {"seq": 99},
    {"seq": 0},
    {},
    b"",
    {"last_by_subj": "g.a"},
    {"last_by_subj": "g.b"},
    {"last_by_subj": "g.*"},
    {"last_by_subj": "g.>"},
    {"last_by_subj": "nomatch"},
    {"next_by_subj": "g.a"},
    {"next_by_subj": "g.a", "seq": 2},
    {"next_by_subj": "g.>", "seq": 3},
    {"next_by_subj": "g.a", "seq": 99},
    {"next_by_subj": "g.z"},
    {"seq": 1, "last_by_subj": "g.a"},
    {"last_by_subj": "g.a", "next_by_subj": "g.a"},
    {"seq": 1, "batch": 2},
    {"seq": 1, "multi_last": ["g.a"]},
    {"seq": 1, "no_hdr": True},
    {"start_time": "2000-01-01T00:00:00Z"},
    b"{bad",
    {"bogus": 1},
    {"seq": -1},
    {"seq": "1"},
    b"null",
    b" ",
    b"{ }",
    b"[]",
    b'{"seq":1} x',
    {"multi_last": ["g.a"]},
    {"seq": 1, "max_bytes": 5},
    {"seq": 1, "up_to_seq": 5},
    {"start_time": "2000-01-01T00:00:00Z", "next_by_subj": "g.b"},
    {"start_time": "2000-01-01T00:00:00Z", "seq": 2},
    {"start_time": "2000-01-01T00:00:00Z", "last_by_subj": "g.a"},
    {"start_time": "2100-01-01T00:00:00Z"},
    {"start_time": "bad"},
    {"seq": 2, "next_by_subj": ""},
)


DIRECT_GET_BODIES: tuple[Body, ...] = (
    {"seq": 1},
    {"seq": 2},
    {"seq": 3},
    {"seq": 4},
    {"seq": 99},
    {"last_by_subj": "dg.a"},
    {"last_by_subj": "dg.*"},
    {"last_by_subj": "nomatch"},
    {"next_by_subj": "dg.a"},
    {"next_by_subj": "dg.>", "seq": 3},
    {"next_by_subj": "dg.a", "seq": 4},
    {"seq": 1, "last_by_subj": "dg.a"},
    {},
    b"",
    b"{bad",
    {"bogus": 1},
    {"seq": "2"},
    b"null",
    {"seq": 2, "no_hdr": True},
    {"no_hdr": True},
    {"seq": 0},
    {"seq": -1},
    b" ",
    b"x",
    b"[]",
    b'""',
    b"{ }",
    b'{"seq":2} x',
    {"up_to_seq": 2},
    {"seq": 2, "up_to_seq": 3},
    {"start_time": "2000-01-01T00:00:00Z"},
    {"start_time": "2000-01-01T00:00:00Z", "seq": 2},
    {"start_time": "2000-01-01T00:00:00Z", "next_by_subj": "dg.c.*"},
    {"start_time": "2100-01-01T00:00:00Z"},
    {"start_time": "bad"},
    {"next_by_subj": "dg.zz"},
)


DIRECT_GET_SUBJECTS: tuple[str, ...] = ("dg.a", "dg.b", "dg.c.d", "dg.*", "dg.>", "nomatch")


# -- MSG.GET and MSG.DELETE -------------------------------------------------------------------


async def test_msg_get(js_servers: Servers) -> None:
    async with differ(js_servers) as d:
        await d.create("G", subjects=["g.>"])
        await d.req(f"{API}.STREAM.MSG.GET.G", {"seq": 1})
        await d.pub("g.a", b"one")
        await d.pub("g.b", b"two", {"Foo": "bar", "A": "1"})
        await d.pub("g.a", b"")
        await d.pub("g.c.d", b"four", {"Nats-Msg-Id": "m4"})
        await d.req(f"{API}.STREAM.MSG.DELETE.G", {"seq": 3})
        for body in MSG_GET_BODIES:
            await d.req(f"{API}.STREAM.MSG.GET.G", body)
        await d.req(f"{API}.STREAM.MSG.GET.NOPE", {"seq": 1})
        await d.req(f"{API}.STREAM.MSG.GET.NOPE", b"{bad")
    d.check()


async def test_msg_delete(js_servers: Servers) -> None:
    async with differ(js_servers) as d:
        await d.create("D", subjects=["d.>"])
        await d.req(f"{API}.STREAM.MSG.DELETE.D", {"seq": 1})
        await d.fill(("d.a", "d.b", "d.a", "d.c", "d.a"))
        for body in (
            {"seq": 3},
            {"seq": 3},
            {"seq": 99},
            {"seq": 6},
            {"seq": 0},
            {},
            {"seq": 2, "no_erase": True},
            {"seq": 1},
            {"seq": 1},
            {"seq": 5},
            b"",
            b"{bad",
            {"bogus": 1},
            {"seq": "4"},
            b" ",
            b"{ }",
            b"null",
            b"[]",
            {"no_erase": True},
        ):
            await d.req(f"{API}.STREAM.MSG.DELETE.D", body)
            await d.info("D", {"deleted_details": True})
        await d.req(f"{API}.STREAM.MSG.DELETE.NOPE", {"seq": 1})
        await d.create("DD", subjects=["dd"], deny_delete=True)
        await d.pub("dd", b"x")
        await d.req(f"{API}.STREAM.MSG.DELETE.DD", {"seq": 1})
        await d.req(f"{API}.STREAM.MSG.DELETE.DD", b"{bad")
        await d.create("SD", subjects=["sd"])
        await d.pub("sd", b"x")
        await d.req(f"{API}.STREAM.UPDATE.SD", {"name": "SD", "subjects": ["sd"], "sealed": True})
        await d.req(f"{API}.STREAM.MSG.DELETE.SD", {"seq": 1})
    d.check()


# -- PubAcks ----------------------------------------------------------------------------------


async def test_pub_acks_expected_headers(js_servers: Servers) -> None:
    async with differ(js_servers) as d:
        await d.create("A", subjects=["a.>"])
        await d.pub("a.1", b"plain")
        await d.pub("a.1", b"")
        await d.pub("a.2", b"x", {"Nats-Msg-Id": "id1"})
        await d.pub("a.2", b"x", {"Nats-Msg-Id": "id1"})
        await d.pub("a.3", b"x", {"Nats-Msg-Id": "id2"})
        await d.pub("a.3", b"x", {"Nats-Expected-Last-Msg-Id": "id2"})
        for hdrs in (
            {"Nats-Expected-Stream": "A"},
            {"Nats-Expected-Stream": "B"},
            {"Nats-Expected-Last-Sequence": "7"},
            {"Nats-Expected-Last-Sequence": "1"},
            {"Nats-Expected-Last-Sequence": "x"},
            {"Nats-Expected-Last-Sequence": "0"},
            {"Nats-Expected-Last-Subject-Sequence": "1"},
            {"Nats-Expected-Last-Subject-Sequence": "0"},
            {"Nats-Expected-Last-Subject-Sequence": "x"},
            {
                "Nats-Expected-Last-Subject-Sequence": "2",
                "Nats-Expected-Last-Subject-Sequence-Subject": "a.1",
            },
            {
                "Nats-Expected-Last-Subject-Sequence": "9",
                "Nats-Expected-Last-Subject-Sequence-Subject": "a.*",
            },
            {"Nats-Msg-Id": "id1", "Nats-Expected-Stream": "B"},
            {"Nats-Msg-Id": "id9", "Nats-Expected-Last-Sequence": "1"},
            {"Nats-Rollup": "sub"},
            {"Nats-Rollup": "all"},
            {"Nats-Rollup": "bogus"},
            {"Nats-TTL": "1s"},
        ):
            await d.pub("a.1", b"h", hdrs)
        await d.info("A", {"subjects_filter": ">", "deleted_details": True})
        await d.pub("nostream", b"x")
        await d.pub("nostream", b"x", {"Nats-Msg-Id": "1"})
        # Streams of their own: the last msg id and the TTL check, apart from the steps above.
        await d.create("LM", subjects=["lm"])
        await d.pub("lm", b"x", {"Nats-Msg-Id": "m1"})
        await d.pub("lm", b"x", {"Nats-Expected-Last-Msg-Id": "m1"})
        for last_id in ("m1", "nope", ""):
            await d.pub("lm", b"x", {"Nats-Expected-Last-Msg-Id": last_id})
        await d.create("NT", subjects=["nt"])
        await d.pub("nt", b"x", {"Nats-TTL": "bogus"})
    d.check()


async def test_pub_acks_rollup_ttl_and_limits(js_servers: Servers) -> None:
    async with differ(js_servers) as d:
        await d.create("R", subjects=["r.>"], allow_rollup_hdrs=True, allow_msg_ttl=True)
        await d.fill(("r.a", "r.b", "r.a", "r.c"))
        for hdrs in (
            {"Nats-Rollup": "sub"},
            {"Nats-Rollup": "all"},
            {"Nats-TTL": "10s"},
            {"Nats-TTL": "60"},
            {"Nats-TTL": "never"},
            {"Nats-TTL": "500ms"},
            {"Nats-TTL": "0"},
            {"Nats-TTL": "-1"},
            {"Nats-TTL": "bogus"},
            {"Nats-TTL": "1h30m"},
        ):
            await d.pub("r.a", b"h", hdrs)
            await d.info("R", {"subjects_filter": ">"})
        await d.create("SZ", subjects=["sz"], max_msg_size=10)
        await d.pub("sz", b"0123456789")
        await d.pub("sz", b"0123456789a")
        await d.pub("sz", b"01234", {"A": "b"})
        await d.create("DN", subjects=["dn.>"], discard="new", max_msgs=2)
        await d.fill(("dn.a", "dn.b", "dn.c"))
        await d.create("DB", subjects=["db.>"], discard="new", max_bytes=100)
        await d.fill(("db.a", "db.b", "db.c"))
        await d.create(
            "DS", subjects=["ds.>"], discard="new", max_msgs_per_subject=1, discard_new_per_subject=True
        )
        await d.fill(("ds.a", "ds.b", "ds.a"))
        await d.create("OLD", subjects=["old.>"], max_msgs=2, max_msgs_per_subject=1)
        await d.fill(("old.a", "old.b", "old.a", "old.c"))
        for name in ("DN", "DB", "DS", "OLD"):
            await d.info(name, {"subjects_filter": ">", "deleted_details": True})
        await d.create("SEAL", subjects=["seal"])
        await d.pub("seal", b"x")
        await d.req(f"{API}.STREAM.UPDATE.SEAL", {"name": "SEAL", "subjects": ["seal"], "sealed": True})
        await d.pub("seal", b"y")
        await d.pub("seal", b"y", {"Nats-Msg-Id": "z"})
        await d.req(f"{API}.INFO")
        await d.create("RC", subjects=["rc"], allow_rollup_hdrs=True)
        for value in ("bogus", "SUB"):
            await d.pub("rc", b"x", {"Nats-Rollup": value})
        await d.create("NA", subjects=["na"], no_ack=True)
        await d.silent("na", b"x")
    d.check()


# -- DIRECT.GET -------------------------------------------------------------------------------


async def test_direct_get(js_servers: Servers) -> None:
    async with differ(js_servers) as d:
        await d.create("DG", subjects=["dg.>"], allow_direct=True)
        await d.req(f"{API}.DIRECT.GET.DG", {"seq": 1})
        await d.pub("dg.a", b"one")
        await d.pub("dg.b", b"two", {"Foo": "bar", "A-B": "c d", "Nats-Msg-Id": "m2"})
        await d.pub("dg.a", b"three", [("X", "1"), ("X", "2")])
        await d.pub("dg.c.d", b"")
        await d.req(f"{API}.STREAM.MSG.DELETE.DG", {"seq": 1})
        for body in DIRECT_GET_BODIES:
            await d.req(f"{API}.DIRECT.GET.DG", body)
        await d.req(f"{API}.DIRECT.GET.DG", {"seq": 2}, {"Foo": "x"})
        for subject in DIRECT_GET_SUBJECTS:
            await d.req(f"{API}.DIRECT.GET.DG.{subject}")
        for body in (
            b'{"seq":1}',
            b" ",
            b"x",
            b"{}",
            b"null",
            b'{"bogus":1}',
            b'{"no_hdr":true}',
            b'{"batch":2}',
            b'{"next_by_subj":"dg.a"}',
            b'{"start_time":"2000-01-01T00:00:00Z"}',
        ):
            await d.req(f"{API}.DIRECT.GET.DG.dg.a", body)
        await d.req(f"{API}.DIRECT.GET.DG.dg.a", b"", {"Foo": "bar"})
        await d.silent(f"{API}.DIRECT.GETX.DG")
        await d.silent(f"{API}.DIRECT.FOO")
        await d.silent(f"{API}")
        await d.create("ND", subjects=["nd"])
        await d.pub("nd", b"x")
        await d.silent(f"{API}.DIRECT.GET.ND", b'{"seq":1}')
        await d.silent(f"{API}.DIRECT.GET.ND.nd")
        await d.req(f"{API}.STREAM.UPDATE.ND", {"name": "ND", "subjects": ["nd"], "allow_direct": True})
        await d.req(f"{API}.DIRECT.GET.ND", b'{"seq":1}')
    d.check()
