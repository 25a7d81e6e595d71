# The consumer API request table shared by the consumer reference tests.
#
# Each step is a subject and a body, replayed in order against one account, so later steps rely on
# the streams and consumers the earlier ones created. `{EPH1}`... in a subject stands for the name
# each server generated for the n-th legacy ephemeral consumer (see test_js_consumer_differential).
# The groups: streams to work on; valid creates covering every field and subject form; bodies that
# do not decode; each rule of the request, the defaults (pedantic too) and checkConsumerCfg; the
# stream's limits and workqueue rules; create vs update actions and what an update may change;
# INFO, DELETE, NAMES/LIST paging, PAUSE, UNPIN, RESET; subjects that get no reply.
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

__all__ = ["PREFILLED", "STEPS", "Step"]

S = 1_000_000_000
LONG = 3600 * S
API = "$JS.API"


@dataclass(frozen=True)
class Step:
    subject: str
    body: bytes = b""
    ephemeral: bool = False  # a legacy ephemeral create: remember the generated name
    silent: bool = False  # nats-server sends no reply
    known: str = ""  # a difference here is a known one, owned by code outside the API layer


def _raw(body: dict[str, Any] | bytes | str) -> bytes:
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode()
    return json.dumps(body).encode()


def stream(name: str, **cfg: Any) -> Step:
    return Step(f"{API}.STREAM.CREATE.{name}", _raw({"name": name, **cfg}))


def named(
    stream_name: str, consumer: str, cfg: dict[str, Any] | None = None, *, short: bool = False, **req: Any
) -> Step:
    """CONSUMER.CREATE.<stream>.<consumer>: the current create form.

    Unless `short`, a consumer that is not durable gets an hour of inactivity threshold, so that
    neither server deletes it for inactivity while the table runs (nats-server's default is 5s)."""
    config = dict(cfg or {})
    if not short and not config.get("durable_name") and "inactive_threshold" not in config:
        config["inactive_threshold"] = LONG
    body = {"stream_name": stream_name, "config": config, **req}
    return Step(f"{API}.CONSUMER.CREATE.{stream_name}.{consumer}", _raw(body))


def raw(
    subject: str, body: dict[str, Any] | bytes | str = b"", *, silent: bool = False, known: str = ""
) -> Step:
    return Step(f"{API}.{subject}", _raw(body), silent=silent, known=known)


def ephemeral(stream_name: str, cfg: dict[str, Any] | None = None, **req: Any) -> Step:
    body = {"stream_name": stream_name, "config": cfg or {}, **req}
    return Step(f"{API}.CONSUMER.CREATE.{stream_name}", _raw(body), ephemeral=True)


def durable(stream_name: str, name: str, cfg: dict[str, Any] | None = None, **req: Any) -> Step:
    body = {"stream_name": stream_name, "config": cfg or {}, **req}
    return Step(f"{API}.CONSUMER.DURABLE.CREATE.{stream_name}.{name}", _raw(body))


STREAMS: tuple[Step, ...] = (
    stream("S", subjects=["s.>"]),
    stream("WQ", subjects=["wq.>"], retention="workqueue"),
    stream("IN", subjects=["in.>"], retention="interest"),
    stream(
        "LIM",
        subjects=["lim.>"],
        max_consumers=2,
        consumer_limits={"max_ack_pending": 100, "inactive_threshold": LONG},
    ),
    stream("MEM", subjects=["mem.>"], storage="memory"),
)

VALID: tuple[Step, ...] = (
    named("S", "dflt", short=True),
    named("S", "dflt", short=True),  # idempotent
    named("S", "dflt", {}, short=True, action="create"),  # the 5s default is not part of the request
    named("S", "dflt", {"inactive_threshold": 5 * S}, short=True, action="create"),
    named("S", "dflt", {"durable_name": "dflt"}, short=True),  # an ephemeral turned durable keeps 5s
    raw("CONSUMER.DELETE.S.dflt"),
    named("S", "pull1"),
    named("S", "pull1"),  # idempotent
    named(
        "S",
        "full",
        {
            "durable_name": "full",
            "description": "every <pull> & field",
            "deliver_policy": "by_start_sequence",
            "opt_start_seq": 10,
            "ack_policy": "explicit",
            "ack_wait": 10 * S,
            "max_deliver": 5,
            "backoff": [S, 2 * S, 3 * S],
            "filter_subject": "s.a.>",
            "replay_policy": "original",
            "sample_freq": "30%",
            "max_waiting": 100,
            "max_ack_pending": 50,
            "headers_only": True,
            "max_batch": 10,
            "max_expires": 60 * S,
            "max_bytes": 1 << 20,
            "inactive_threshold": 3600 * S,
            "num_replicas": 1,
            "mem_storage": True,
            "metadata": {"owner": "team-a", "env": "dev"},
        },
    ),
    named(
        "S",
        "push1",
        {
            "deliver_subject": "deliver.push1",
            "deliver_group": "q",
            "ack_policy": "all",
            "idle_heartbeat": 5 * S,
            "flow_control": True,
            "rate_limit_bps": 1_000_000,
            "headers_only": True,
        },
    ),
    named("S", "last", {"deliver_policy": "last", "ack_policy": "explicit"}),
    named("S", "new", {"deliver_policy": "new"}),
    named("S", "lps", {"deliver_policy": "last_per_subject", "filter_subject": "s.*"}),
    named("S", "lps2", {"deliver_policy": "last_per_subject", "filter_subjects": ["s.a", "s.b"]}),
    named(
        "S", "bytime", {"deliver_policy": "by_start_time", "opt_start_time": "2024-01-01T01:00:00.000+01:00"}
    ),
    named("S", "bytime2", {"deliver_policy": "by_start_time", "opt_start_time": "2024-01-01T00:00:00.5Z"}),
    named("S", "undef", {"deliver_policy": "undefined"}),
    named("S", "multi", {"filter_subjects": ["s.x", "s.y.>", "s.z.*"]}),
    named("S", "withfilter.s.f", {"filter_subject": "s.f"}),
    named("S", "durname", {"durable_name": "durname", "name": "durname"}),
    named(
        "S",
        "prio1",
        {"ack_policy": "explicit", "priority_groups": ["g1", "g-2"], "priority_policy": "overflow"},
    ),
    named(
        "S",
        "prio2",
        {"ack_policy": "explicit", "priority_groups": ["A/b=_"], "priority_policy": "pinned_client"},
    ),
    named(
        "S",
        "prio3",
        {
            "ack_policy": "explicit",
            "priority_groups": ["g"],
            "priority_policy": "pinned_client",
            "priority_timeout": 30 * S,
        },
    ),
    named(
        "S", "prio4", {"ack_policy": "explicit", "priority_groups": ["g"], "priority_policy": "prioritized"}
    ),
    named("S", "paused", {"pause_until": "2099-01-01T00:00:00Z"}),
    named("S", "pastpause", {"pause_until": "2001-01-01T00:00:00Z"}),
    named("S", "samp", {"sample_freq": "100"}),
    named("S", "bo", {"ack_policy": "explicit", "backoff": [S], "max_deliver": 1}),
    named("S", "nodeliver", {"ack_policy": "explicit", "max_deliver": -1, "max_ack_pending": -1}),
    named(
        "S",
        "fcack",
        {"deliver_subject": "deliver.fcack", "ack_policy": "flow_control", "max_ack_pending": 10},
    ),
    named("S", "hb", {"deliver_subject": "deliver.hb", "idle_heartbeat": 100_000_000}),
    named("S", "instant", {"replay_policy": "instant", "ack_policy": "none"}),
    named(
        "S", "meta", {"metadata": {"_nats.ver": "9", "_nats.level": "9", "_nats.req.level": "7", "k": "<v>"}}
    ),
    named("S", "mem", {"mem_storage": True}),
    named("S", "r0", {"num_replicas": 0}),
    named("S", "inact", {"inactive_threshold": 3600 * S + 1}),
    named("S", "dur2", {"durable_name": "dur2", "inactive_threshold": 7200 * S}),
    named("S", "pull1", {}, action="create"),  # same config again with create
    named("S", "pull1", {}, action=""),
    named(
        "S",
        "ped",
        {"durable_name": "ped", "ack_policy": "explicit", "ack_wait": S, "backoff": [S]},
        pedantic=True,
    ),
    durable("S", "leg1"),
    durable("S", "leg2", {"durable_name": "leg2", "deliver_subject": "deliver.leg2"}),
    durable("S", "leg3", {"durable_name": "leg3", "name": "leg3"}),
    durable("S", "leg1", {"durable_name": "leg1"}),
    named("MEM", "m1", {"ack_policy": "explicit"}),
    named("IN", "i1", {"ack_policy": "explicit"}),
    named("IN", "i2", {"ack_policy": "explicit", "num_replicas": 1}),
    named("WQ", "w1", {"ack_policy": "explicit", "filter_subject": "wq.a"}),
    named("WQ", "w2", {"ack_policy": "explicit", "filter_subject": "wq.b"}),
    named("WQ", "w1", {"ack_policy": "explicit", "filter_subject": "wq.a", "description": "upd"}),
    named("LIM", "l1", {"ack_policy": "explicit"}),
    named("LIM", "l2", {"ack_policy": "none", "inactive_threshold": 5 * S}),
    raw("CONSUMER.LIST.LIM", {"offset": 1}),
)

BAD_JSON: tuple[Step, ...] = (
    raw("CONSUMER.CREATE.S.bad", "x"),
    raw("CONSUMER.CREATE.S.bad", "{"),
    raw("CONSUMER.CREATE.S.bad", "[]"),
    raw("CONSUMER.CREATE.S.bad", "null"),
    raw("CONSUMER.CREATE.S.bad", " "),
    raw("CONSUMER.CREATE.S.bad", "{}"),
    raw("CONSUMER.CREATE.S.bad", {"stream_name": "S", "bogus": 1}),
    raw("CONSUMER.CREATE.S.bad", {"stream_name": "S", "config": {"bogus": 1}}),
    raw("CONSUMER.CREATE.S.bad", {"stream_name": "S", "config": {"ack_policy": "bogus"}}),
    raw("CONSUMER.CREATE.S.bad", {"stream_name": "S", "config": {"ack_policy": "Explicit"}}),
    raw("CONSUMER.CREATE.S.bad", {"stream_name": "S", "config": {"deliver_policy": None}}),
    raw("CONSUMER.CREATE.S.bad", {"stream_name": "S", "config": {"replay_policy": "fast"}}),
    raw("CONSUMER.CREATE.S.bad", {"stream_name": "S", "config": {"priority_policy": "first"}}),
    raw("CONSUMER.CREATE.S.bad", {"stream_name": "S", "config": {"max_deliver": "1"}}),
    raw("CONSUMER.CREATE.S.bad", {"stream_name": "S", "config": {"opt_start_seq": -1}}),
    raw("CONSUMER.CREATE.S.bad", {"stream_name": "S", "config": {"opt_start_time": "yesterday"}}),
    raw("CONSUMER.CREATE.S.bad", {"stream_name": "S", "config": {"ack_wait": 1.5}}),
    raw("CONSUMER.CREATE.S.bad", {"stream_name": "S", "config": {"backoff": "1s"}}),
    raw("CONSUMER.CREATE.S.bad", {"stream_name": "S", "config": {"metadata": {"a": 1}}}),
    raw("CONSUMER.CREATE.S.bad", {"stream_name": "S", "config": []}),
    raw("CONSUMER.CREATE.S.bad", {"stream_name": "S", "action": "upsert"}),
    raw("CONSUMER.CREATE.S.bad", {"stream_name": "S", "action": None}),
    raw("CONSUMER.CREATE.S.bad", {"stream_name": 1}),
    raw("CONSUMER.CREATE.S.bad", {"stream_name": "S", "pedantic": "yes"}),
)

REQUEST_RULES: tuple[Step, ...] = (
    named("T", "c"),
    raw("CONSUMER.CREATE.S.c", {"stream_name": "T", "config": {}}),
    raw("CONSUMER.CREATE.S.c", ""),
    raw("CONSUMER.CREATE.S.a/b", {"stream_name": "S", "config": {}}),
    raw("CONSUMER.CREATE.S.a\\b", {"stream_name": "S", "config": {}}),
    raw("CONSUMER.CREATE.S.a*b", {"stream_name": "S", "config": {}}),
    raw("CONSUMER.CREATE.S.a>b", {"stream_name": "S", "config": {}}),
    named("S", "x" * 256),
    named("S", "c1", {"durable_name": "other"}),
    named("S", "c1", {"name": "other"}),
    named("S", "c1", {"durable_name": "c1", "name": "other"}),
    named("S", "fx.s.a", {"filter_subject": "s.b"}),
    named("S", "fx.s.a", {"filter_subjects": ["s.a"]}),
    named("S", "fx.s.a", {}),
    named("S", "fx.s.*", {"filter_subject": "s.*"}),
    durable("S", "d1"),
    durable("S", "d1", {"durable_name": "d2"}),
    durable("S", "d1", {"durable_name": "d1", "name": "zz"}),
    durable("T", "d1", {"durable_name": "d1"}),
    raw("CONSUMER.DURABLE.CREATE.S", {"stream_name": "S", "config": {"durable_name": "d1"}}, silent=True),
    raw(
        "CONSUMER.DURABLE.CREATE.S.d1.x", {"stream_name": "S", "config": {"durable_name": "d1"}}, silent=True
    ),
    raw("CONSUMER.DURABLE.CREATE.S.a/b", {"stream_name": "S", "config": {"durable_name": "a/b"}}),
    raw("CONSUMER.CREATE", {"stream_name": "S", "config": {}}, silent=True),
    raw("CONSUMER.CREATE.S", {"stream_name": "S", "config": {"durable_name": "x"}}),
    raw("CONSUMER.CREATE.S", {"stream_name": "S", "config": {"name": "a.b"}}),
    raw("CONSUMER.CREATE.S", {"stream_name": "S", "config": {"name": "a b"}}),
    raw(
        "CONSUMER.CREATE.S", {"stream_name": "S", "config": {"name": "eph-named", "inactive_threshold": LONG}}
    ),
    raw("CONSUMER.CREATE.S", {"stream_name": "T", "config": {}}),
)


def c(name: str, cfg: dict[str, Any], **req: Any) -> Step:
    return named("S", name, cfg, **req)


CONFIG_RULES: tuple[Step, ...] = (
    c("r2", {"num_replicas": 3}),
    c("rneg", {"num_replicas": -1}),
    c("bneg", {"ack_policy": "explicit", "backoff": [S, -1]}),
    c("awneg", {"ack_policy": "explicit", "ack_wait": -1}),
    c("fc1", {"ack_policy": "flow_control"}),
    c("fc2", {"ack_policy": "flow_control", "deliver_subject": "d.fc2"}),
    c("fc3", {"ack_policy": "flow_control", "deliver_subject": "d.fc3", "max_ack_pending": 5, "ack_wait": S}),
    c(
        "fc4",
        {"ack_policy": "flow_control", "deliver_subject": "d.fc4", "max_ack_pending": 5, "max_deliver": 3},
    ),
    c("fc5", {"ack_policy": "flow_control", "deliver_subject": "d.fc5", "max_ack_pending": 5}, pedantic=True),
    c(
        "fc6",
        {
            "ack_policy": "flow_control",
            "deliver_subject": "d.fc6",
            "max_ack_pending": 5,
            "flow_control": True,
            "idle_heartbeat": 2 * S,
        },
        pedantic=True,
    ),
    c("mdbo", {"ack_policy": "explicit", "backoff": [S, S, S], "max_deliver": 2}),
    c("desc", {"description": "d" * 4097}),
    c("dwild", {"deliver_subject": "d.*"}),
    c("dbad", {"deliver_subject": "d..x"}),
    c("dcycle", {"deliver_subject": "s.cycle"}),
    c("dmw", {"deliver_subject": "d.mw", "max_waiting": 5}),
    c("dmap", {"deliver_subject": "d.map", "ack_policy": "none", "max_ack_pending": 5}),
    c("dhb", {"deliver_subject": "d.hb", "idle_heartbeat": 50_000_000}),
    c("prl", {"rate_limit_bps": 10}),
    c("pmw", {"max_waiting": -1}),
    c("pmw2", {"max_waiting": -1}, pedantic=True),
    c("phb", {"idle_heartbeat": S}),
    c("pfc", {"flow_control": True}),
    c("pfc2", {"flow_control": True, "idle_heartbeat": S}),
    c("pmb", {"max_batch": -1}),
    c("pmb2", {"max_batch": -1}, pedantic=True),
    c("pme", {"max_expires": 500_000}),
    c("pme2", {"max_expires": -5}),
    c("pmby", {"max_bytes": -5}, pedantic=True),
    c("md", {"max_deliver": -5}, pedantic=True),
    c("md2", {"max_deliver": -5}),
    c("map", {"ack_policy": "explicit", "max_ack_pending": -5}),
    c("map2", {"ack_policy": "explicit", "max_ack_pending": -5}, pedantic=True),
    c("it", {"inactive_threshold": -5}, pedantic=True),
    c("hbneg", {"deliver_subject": "d.hbn", "idle_heartbeat": -5}, pedantic=True),
    c("ptneg", {"priority_timeout": -5}, pedantic=True),
    c("boped", {"ack_policy": "explicit", "backoff": [2 * S]}, pedantic=True),
    c("dir1", {"direct": True}),
    c("dir2", {"direct": True, "deliver_subject": "d.dir2", "durable_name": "dir2"}),
    c("fboth", {"filter_subject": "s.a", "filter_subjects": ["s.b"]}),
    c("fbad", {"filter_subject": "s..a"}),
    c("fbad2", {"filter_subjects": ["s.a", "s.>.b"]}),
    c("fempty", {"filter_subjects": ["s.a", ""]}),
    c("fover", {"filter_subjects": ["s.a", "s.*"]}),
    c("fdup", {"filter_subjects": ["s.a", "s.a"]}),
    c("fout", {"filter_subject": "elsewhere"}),
    c("dp1", {"opt_start_seq": 5}),
    c("dp2", {"opt_start_time": "2024-01-01T00:00:00Z"}),
    c("dp3", {"deliver_policy": "last", "opt_start_seq": 5}),
    c("dp4", {"deliver_policy": "last", "opt_start_time": "2024-01-01T00:00:00Z"}),
    c("dp5", {"deliver_policy": "new", "opt_start_seq": 1}),
    c("dp6", {"deliver_policy": "new", "opt_start_time": "2024-01-01T00:00:00Z"}),
    c("dp7", {"deliver_policy": "last_per_subject"}),
    c("dp8", {"deliver_policy": "last_per_subject", "opt_start_seq": 1, "filter_subject": "s.a"}),
    c("dp9", {"deliver_policy": "last_per_subject", "opt_start_time": "2024-01-01T00:00:00Z"}),
    c("dp10", {"deliver_policy": "by_start_sequence"}),
    c(
        "dp11",
        {"deliver_policy": "by_start_sequence", "opt_start_seq": 1, "opt_start_time": "2024-01-01T00:00:00Z"},
    ),
    c("dp12", {"deliver_policy": "by_start_time"}),
    c(
        "dp13",
        {"deliver_policy": "by_start_time", "opt_start_seq": 1, "opt_start_time": "2024-01-01T00:00:00Z"},
    ),
    c("sf1", {"sample_freq": "abc"}),
    c("sf2", {"sample_freq": "-1"}),
    c("sf3", {"sample_freq": "5%%"}),
    c("sf4", {"sample_freq": "+7%"}),
    c("meta", {"metadata": {"k": "v" * (128 * 1024)}}),
    c("pg1", {"deliver_subject": "d.pg1", "priority_policy": "overflow", "priority_groups": ["g"]}),
    c("pg2", {"priority_policy": "overflow"}),
    c("pg3", {"priority_policy": "overflow", "priority_groups": [""]}),
    c("pg4", {"priority_policy": "overflow", "priority_groups": ["bad group"]}),
    c("pg5", {"priority_policy": "overflow", "priority_groups": ["x" * 17]}),
    c("pg6", {"priority_groups": ["g"]}),
    c("pg7", {"priority_timeout": S}),
    c("pg8", {"priority_policy": "none", "priority_groups": ["g"]}),
)

STREAM_RULES: tuple[Step, ...] = (
    named("LIM", "l3"),  # max_consumers 2
    named("LIM", "l1", {"ack_policy": "explicit", "max_ack_pending": 101}),
    named("LIM", "l1", {"ack_policy": "explicit", "inactive_threshold": LONG + 1}),
    named("LIM", "l1", {"ack_policy": "explicit"}, pedantic=True),
    named("WQ", "w3", {"ack_policy": "none"}),
    named("WQ", "w3", {"ack_policy": "all", "filter_subject": "wq.c"}),
    named("WQ", "w3", {"ack_policy": "explicit", "deliver_policy": "new", "filter_subject": "wq.c"}),
    named("WQ", "w3", {"ack_policy": "explicit"}),
    named("WQ", "w3", {"ack_policy": "explicit", "filter_subject": "wq.>"}),
    named("WQ", "w3", {"ack_policy": "explicit", "filter_subjects": ["wq.c", "wq.a"]}),
    named("WQ", "w2", {"ack_policy": "explicit", "filter_subject": "wq.a"}),
    named("WQ", "w3", {"ack_policy": "explicit", "deliver_subject": "d.w3", "filter_subject": "wq.c"}),
    named("WQ", "w4", {"ack_policy": "explicit", "num_replicas": 3}),
    named("IN", "i3", {"ack_policy": "explicit", "num_replicas": 2}),
    stream("SEAL", subjects=["seal.>"]),
    raw("STREAM.UPDATE.SEAL", {"name": "SEAL", "subjects": ["seal.>"], "sealed": True}),
    named("SEAL", "s1"),
    named("S", "cyc", {"deliver_subject": "s.>"}),
    named("S", "cyc2", {"deliver_subject": "s"}),
    named("S", "cyc3", {"deliver_subject": "s.deep.x"}),
    stream("PLC", subjects=["plc.>"], placement={"preferred": "x"}),
    named("PLC", "p1"),
)

UPDATES: tuple[Step, ...] = (
    named("S", "upd", {"ack_policy": "explicit", "filter_subject": "s.u"}),
    named(
        "S",
        "upd",
        {"ack_policy": "explicit", "filter_subject": "s.u", "description": "changed"},
        action="update",
    ),
    named(
        "S",
        "upd",
        {"ack_policy": "explicit", "filter_subject": "s.u", "description": "again"},
        action="create",
    ),
    named("S", "upd", {"ack_policy": "explicit", "filter_subject": "s.u", "description": "again"}),
    named("S", "nope", {}, action="update"),
    named("S", "upd", {"ack_policy": "explicit", "deliver_policy": "new"}),
    named("S", "upd", {"ack_policy": "explicit", "deliver_policy": "by_start_sequence", "opt_start_seq": 4}),
    named("S", "upd", {"ack_policy": "all"}),
    named("S", "upd", {"ack_policy": "explicit", "replay_policy": "original"}),
    named("S", "upd", {"ack_policy": "explicit", "deliver_subject": "d.upd"}),
    named("S", "upd", {"ack_policy": "explicit", "max_waiting": 10}),
    named("S", "upd", {"ack_policy": "explicit", "mem_storage": True}),
    named("S", "upd", {"ack_policy": "explicit", "idle_heartbeat": S}),
    named("S", "upd", {"ack_policy": "explicit", "backoff": [S, 2 * S], "max_deliver": 2}),
    named(
        "S", "upd", {"ack_policy": "explicit", "ack_wait": 10 * S, "max_deliver": 5, "max_ack_pending": 10}
    ),
    named("S", "upd", {"ack_policy": "explicit", "filter_subjects": ["s.u", "s.v"]}),
    named("S", "upd", {"ack_policy": "explicit", "backoff": [S, 2 * S], "max_deliver": 5}),
    named(
        "S",
        "upd",
        {
            "ack_policy": "explicit",
            "inactive_threshold": 60 * S,
            "metadata": {"m": "1"},
            "headers_only": True,
        },
    ),
    named(
        "S",
        "upd",
        {"ack_policy": "explicit", "max_batch": 3, "max_expires": S, "max_bytes": 9, "num_replicas": 1},
    ),
    named("S", "upd", {"ack_policy": "explicit", "priority_groups": ["g"], "priority_policy": "overflow"}),
    named("S", "upd", {"ack_policy": "explicit", "pause_until": "2099-01-01T00:00:00Z"}),
    named("S", "upd", {"ack_policy": "explicit", "sample_freq": "10"}),
    named("S", "upd", {"ack_policy": "explicit", "durable_name": "upd"}),
    named(
        "S",
        "push1",
        {
            "deliver_subject": "deliver.moved",
            "deliver_group": "q",
            "ack_policy": "all",
            "idle_heartbeat": 5 * S,
            "flow_control": True,
        },
    ),
    named("S", "push1", {"ack_policy": "all", "idle_heartbeat": 5 * S, "flow_control": True}),
    named(
        "S",
        "push1",
        {
            "deliver_subject": "deliver.moved",
            "ack_policy": "all",
            "idle_heartbeat": 6 * S,
            "flow_control": True,
        },
    ),
    named("S", "push1", {"deliver_subject": "deliver.moved", "ack_policy": "all", "idle_heartbeat": 5 * S}),
    named(
        "S",
        "bytime",
        {
            "deliver_policy": "by_start_time",
            "opt_start_time": "2024-01-01T01:00:00.000+01:00",
            "description": "t",
        },
    ),
    named("S", "bytime", {"deliver_policy": "by_start_time", "opt_start_time": "2024-01-01T00:00:00Z"}),
    named("S", "paused", {"description": "keeps its pause"}),
    named("S", "bound", {"deliver_subject": "_D.bound", "ack_policy": "explicit"}),
    named("S", "bound", {"deliver_subject": "_D.moved", "ack_policy": "explicit"}),
    named(
        "S", "bound", {"deliver_subject": "_D.bound", "ack_policy": "explicit", "description": "same subject"}
    ),
    named("S", "unbound", {"deliver_subject": "nobody.here", "ack_policy": "explicit"}),
    named("S", "unbound", {"deliver_subject": "nobody.there", "ack_policy": "explicit"}),
    raw("CONSUMER.INFO.S.bound"),
    raw("CONSUMER.INFO.S.unbound"),
    durable("S", "leg1", {"durable_name": "leg1", "description": "updated"}),
    durable("S", "leg1", {"durable_name": "leg1", "ack_policy": "explicit"}),
)

QUERIES: tuple[Step, ...] = (
    raw("CONSUMER.INFO.S.pull1"),
    raw("CONSUMER.INFO.S.pull1", "{}"),
    raw("CONSUMER.INFO.S.pull1", "x"),
    raw("CONSUMER.INFO.S.full"),
    raw("CONSUMER.INFO.S.prio2"),
    raw("CONSUMER.INFO.S.prio1"),
    raw("CONSUMER.INFO.S.paused"),
    raw("CONSUMER.INFO.S.upd"),
    raw("CONSUMER.INFO.S.nope"),
    raw("CONSUMER.INFO.T.pull1"),
    raw("CONSUMER.INFO.S", silent=True),
    raw("CONSUMER.INFO.S.a.b", silent=True),
    raw("CONSUMER.NAMES.S"),
    raw("CONSUMER.NAMES.S", {"offset": 5}),
    raw("CONSUMER.NAMES.S", {"offset": 1000}),
    raw("CONSUMER.NAMES.S", {"offset": -3}),
    raw("CONSUMER.NAMES.S", "x"),
    raw("CONSUMER.NAMES.S", {"offset": "1"}),
    raw("CONSUMER.NAMES.S", {"subject": "s.a"}),
    raw("CONSUMER.NAMES.T"),
    raw("CONSUMER.NAMES.WQ"),
    raw("CONSUMER.NAMES", silent=True),
    raw("CONSUMER.LIST.WQ"),
    raw("CONSUMER.LIST.IN", {"offset": 9}),
    raw("CONSUMER.LIST.T"),
    raw("CONSUMER.LIST.S", {"offset": "x"}),
    raw("CONSUMER.LIST", silent=True),
    raw("CONSUMER.LEADER.STEPDOWN.S.full"),
    raw("CONSUMER.LEADER.STEPDOWN.S.nope"),
    raw("CONSUMER.PEER.REMOVE.S.full", {"peer": "x"}),
    raw("CONSUMER.MSG.NEXT.S", "1"),
    raw("CONSUMER.RESET.S", silent=True),
    raw("CONSUMER.PAUSE.S", silent=True),
    raw("CONSUMER.UNPIN.S.a.b", {"group": "g"}, silent=True),
    raw("CONSUMER.MSG.NEXT.S.nope", "1"),
    raw("CONSUMER.MSG.NEXT.T.nope", "1"),
    raw("INFO"),
)

CONTROL: tuple[Step, ...] = (
    raw("CONSUMER.PAUSE.S.pull1", {"pause_until": "2099-06-01T00:00:00Z"}),
    raw("CONSUMER.INFO.S.pull1"),
    raw("CONSUMER.PAUSE.S.pull1", {"pause_until": "2099-06-01T02:00:00+02:00"}),
    raw("CONSUMER.PAUSE.S.pull1"),
    raw("CONSUMER.INFO.S.pull1"),
    raw("CONSUMER.PAUSE.S.pull1", {"pause_until": "2001-01-01T00:00:00Z"}),
    raw("CONSUMER.INFO.S.pull1"),
    raw("CONSUMER.PAUSE.S.pull1", {}),
    raw("CONSUMER.PAUSE.S.pull1", "x"),
    raw("CONSUMER.PAUSE.S.pull1", {"pause_until": "soon"}),
    raw("CONSUMER.PAUSE.S.pull1", {"bogus": 1}),
    raw("CONSUMER.PAUSE.S.nope", {}),
    raw("CONSUMER.PAUSE.T.nope", {}),
    raw("CONSUMER.UNPIN.S.prio2", {"group": "A/b=_"}),
    raw("CONSUMER.UNPIN.S.prio2", {"group": "other"}),
    raw("CONSUMER.UNPIN.S.prio1", {"group": "g1"}),
    raw("CONSUMER.UNPIN.S.prio2", {}),
    raw("CONSUMER.UNPIN.S.prio2"),
    raw("CONSUMER.UNPIN.S.prio2", "x"),
    raw("CONSUMER.UNPIN.S.prio2", {"group": 1}),
    raw("CONSUMER.UNPIN.S.nope", {"group": "g"}),
    raw("CONSUMER.UNPIN.T.nope", {"group": "g"}),
    raw("CONSUMER.UNPIN.S.pull1", {"group": "g"}),
    raw("CONSUMER.RESET.S.nope", silent=True),
    raw("CONSUMER.RESET.T.nope", silent=True),
    raw("CONSUMER.DELETE.S.pull1", "x"),
    raw("CONSUMER.DELETE.S.pull1"),
    raw("CONSUMER.DELETE.S.pull1"),
    raw("CONSUMER.DELETE.T.pull1"),
    raw("CONSUMER.DELETE.S.leg1", "{}"),
    raw("CONSUMER.DELETE.S", silent=True),
    raw("CONSUMER.NAMES.S", {"offset": 2}),
    raw("INFO"),
)

EPHEMERALS: tuple[Step, ...] = (
    stream("E1", subjects=["e1.>"]),
    ephemeral("E1"),
    raw("CONSUMER.INFO.E1.{EPH1}"),
    raw("CONSUMER.NAMES.E1"),
    raw("CONSUMER.LIST.E1"),
    ephemeral("E1", {"ack_policy": "explicit", "deliver_subject": "d.eph2"}),
    raw("CONSUMER.DELETE.E1.{EPH1}"),
    raw("CONSUMER.INFO.E1.{EPH2}"),
    ephemeral("E1", {"name": "eph-given", "inactive_threshold": 9 * S}),
    raw("CONSUMER.DELETE.E1.{EPH2}"),
    raw("CONSUMER.LIST.E1"),
)

STEPS: tuple[Step, ...] = (
    STREAMS
    + VALID
    + BAD_JSON
    + REQUEST_RULES
    + CONFIG_RULES
    + STREAM_RULES
    + UPDATES
    + QUERIES
    + CONTROL
    + EPHEMERALS
)


def pub(subject: str, body: str) -> Step:
    """A publish to a stream subject; the PubAck is compared like any reply."""
    return Step(subject, body.encode())


# Consumers created on a stream that already holds messages: the delivery state right after create
# (num_pending, delivered and ack floor sequences) and the stream's consumer count.
PREFILLED: tuple[Step, ...] = (
    stream("F", subjects=["f.>"]),
    pub("f.a", "1"),
    pub("f.b", "2"),
    pub("f.a", "3"),
    pub("f.c.d", "4"),
    pub("f.b", "5"),
    pub("f.a", "6"),
    named("F", "all"),
    named("F", "allx", {"ack_policy": "explicit"}),
    named("F", "last", {"deliver_policy": "last"}),
    named("F", "new", {"deliver_policy": "new"}),
    named("F", "lps", {"deliver_policy": "last_per_subject", "filter_subject": "f.*"}),
    named("F", "lps2", {"deliver_policy": "last_per_subject", "filter_subjects": ["f.a", "f.c.>"]}),
    named("F", "seq", {"deliver_policy": "by_start_sequence", "opt_start_seq": 3}),
    named("F", "seqfar", {"deliver_policy": "by_start_sequence", "opt_start_seq": 100}),
    named("F", "time", {"deliver_policy": "by_start_time", "opt_start_time": "2000-01-01T00:00:00Z"}),
    named("F", "future", {"deliver_policy": "by_start_time", "opt_start_time": "2099-01-01T00:00:00Z"}),
    named("F", "fa", {"filter_subject": "f.a"}),
    named("F", "fab", {"filter_subjects": ["f.a", "f.b"]}),
    named("F", "fgt", {"filter_subject": "f.>"}),
    named("F", "none", {"filter_subject": "g.x"}),
    named("F", "lastfa", {"deliver_policy": "last", "filter_subject": "f.a"}),
    named("F", "push", {"deliver_subject": "nobody.listens", "ack_policy": "explicit"}),
    raw("CONSUMER.INFO.F.all"),
    raw("CONSUMER.INFO.F.lps"),
    raw("CONSUMER.INFO.F.push"),
    raw("CONSUMER.LIST.F"),
    raw("CONSUMER.RESET.F.allx"),
    raw("CONSUMER.RESET.F.allx", {"seq": 3}),
    raw("CONSUMER.INFO.F.allx"),
    raw("CONSUMER.RESET.F.allx", {"seq": 0}),
    raw("CONSUMER.RESET.F.allx", {"seq": 7}),
    raw("CONSUMER.RESET.F.allx", {"seq": 8}),
    raw("CONSUMER.RESET.F.allx", {"seq": 100}),
    raw("CONSUMER.RESET.F.allx", "x"),
    raw("CONSUMER.RESET.F.allx", {"seq": "1"}),
    raw("CONSUMER.RESET.F.allx", {"bogus": 1}),
    raw("CONSUMER.RESET.F.seq"),
    raw("CONSUMER.RESET.F.lps", {"seq": 2}),
    raw("CONSUMER.DELETE.F.fa"),
    raw("STREAM.INFO.F"),
    raw("INFO"),
)
