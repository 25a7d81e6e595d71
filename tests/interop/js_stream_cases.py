# The STREAM.CREATE / STREAM.UPDATE request table shared by the reference tests.
#
# Each case is (operation, stream token of the subject, body), replayed in order against one
# account: valid creates (idempotent repeats, every field, odd JSON spellings), bodies that are not
# valid JSON or do not fit the types, creates that break a config rule, and updates. Later cases
# rely on the streams the earlier ones created (BASE, A, MD2, U...), so the order matters.
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["CASES", "C", "Case", "S", "U"]

Op = Literal["create", "update"]
S = 1_000_000_000  # one second in ns


@dataclass(frozen=True)
class Case:
    op: Op
    stream: str
    body: bytes

    @property
    def subject(self) -> str:
        return f"$JS.API.STREAM.{self.op.upper()}.{self.stream}"


def C(stream: str, body: dict[str, Any] | bytes) -> Case:
    return Case("create", stream, body if isinstance(body, bytes) else json.dumps(body).encode())


def U(stream: str, body: dict[str, Any] | bytes) -> Case:
    return Case("update", stream, body if isinstance(body, bytes) else json.dumps(body).encode())


VALID_CREATES: tuple[Case, ...] = (
    C("A", {"name": "A"}),
    C("A", {"name": "A"}),  # idempotent
    C("A", {"name": "A", "subjects": ["A"], "max_msgs": -1, "duplicate_window": 120 * S, "metadata": {}}),
    C("BASE", {"name": "BASE", "subjects": ["base.>", "other"], "allow_direct": True}),
    C(
        "FULL",
        {
            "name": "FULL",
            "description": "all <fields> & more",
            "subjects": ["full.*", "fullx"],
            "retention": "limits",
            "max_consumers": 10,
            "max_msgs": 100,
            "max_bytes": 1_000_000,
            "max_age": 3600 * S,
            "max_msgs_per_subject": 5,
            "max_msg_size": 1024,
            "discard": "new",
            "discard_new_per_subject": True,
            "storage": "file",
            "num_replicas": 1,
            "no_ack": True,
            "duplicate_window": 60 * S,
            "compression": "s2",
            "first_seq": 10,
            "allow_direct": True,
            "deny_delete": True,
            "allow_rollup_hdrs": True,
            "allow_msg_ttl": True,
            "subject_delete_marker_ttl": S,
            "allow_batched": True,
            "persist_mode": "async",
            "consumer_limits": {"inactive_threshold": 1, "max_ack_pending": 7},
            "metadata": {"b": "1", "a": "2", "_nats.level": "99", "_nats.x": "kept"},
            "placement": {"cluster": "c", "tags": ["t"]},
            "subject_transform": {"src": "full.*", "dest": "ff.{{wildcard(1)}}"},
            "republish": {"src": "full.>", "dest": "rp.>", "headers_only": True},
        },
    ),
    C(
        "MEM",
        {
            "name": "MEM",
            "subjects": ["mem"],
            "storage": "memory",
            "retention": "workqueue",
            "max_age": 50 * S,
        },
    ),
    C("INT", {"name": "INT", "subjects": ["int"], "retention": "interest", "pedantic": True}),
    C("CNT", {"name": "CNT", "subjects": ["cnt"], "allow_msg_counter": True, "allow_atomic": True}),
    C("SCH", {"name": "SCH", "subjects": ["sch.>"], "allow_msg_schedules": True, "allow_msg_ttl": True}),
    C("MRK", {"name": "MRK", "subjects": ["mrk"], "subject_delete_marker_ttl": 2 * S, "deny_purge": True}),
    C("PD", {"name": "PD", "subjects": ["pd"], "persist_mode": "default", "discard": "New"}),
    C("PL", {"name": "PL", "subjects": ["pl"], "placement": {"cluster": "", "tags": []}}),
    C("PL2", {"name": "PL2", "subjects": ["pl2"], "placement": {}}),
    C("DW", {"name": "DW", "subjects": ["dw"], "max_age": 100_000_000}),
    C("DW2", {"name": "DW2", "subjects": ["dw2"], "max_age": 200 * S}),
    C("NEG", {"name": "NEG", "subjects": ["neg"], "max_msgs": -5, "max_bytes": -7, "max_consumers": -2}),
    C(
        "CL",
        {
            "name": "CL",
            "subjects": ["cl"],
            "consumer_limits": {"inactive_threshold": -5, "max_ack_pending": -3},
        },
    ),
    C(
        "ESC",
        {
            "name": "ESC",
            "subjects": ["esc"],
            "description": '\u00e9\u2028<&>\b\f\u0001\u007f\U0001f600 "q" \\ /',
        },
    ),
    C("MIR", {"name": "MIR", "mirror": {"name": "BASE", "opt_start_time": "2024-01-01T01:00:00.000+01:00"}}),
    C("MIR2", {"name": "MIR2", "mirror": {"name": "A", "consumer": {"name": "c", "deliver_subject": "d"}}}),
    C(
        "MIR3",
        {
            "name": "MIR3",
            "mirror": {"name": "FAR", "external": {"api": "$JS.x.API", "deliver": ""}},
            "mirror_direct": True,
            "max_age": S,
        },
    ),
    C("MIR4", {"name": "MIR4", "mirror": {"name": "NOPE"}, "duplicate_window": 5 * S}),
    C(
        "SRC",
        {
            "name": "SRC",
            "sources": [
                {"name": "A"},
                {
                    "name": "BASE",
                    "filter_subject": "base.x",
                    "external": {"api": "$JS.foo.API", "deliver": "dlv"},
                },
                {"name": "BASE", "subject_transforms": [{"src": "base.>", "dest": "t.>"}]},
                {"name": "BASE", "opt_start_seq": 5, "opt_start_time": "2020-06-01T12:00:00.123456789-07:00"},
            ],
        },
    ),
    C(
        "SRC2",
        {
            "name": "SRC2",
            "subjects": ["src2"],
            "sources": [{"name": "A", "consumer": {"name": "c", "deliver_subject": "d2"}}],
        },
    ),
    C(
        "TR",
        {
            "name": "TR",
            "subjects": ["tr.*.*"],
            "subject_transform": {"src": "tr.*.*", "dest": "t.{{partition(3,1,2)}}.$2"},
        },
    ),
    C(
        "TR2",
        {
            "name": "TR2",
            "subjects": ["tr2.*"],
            "subject_transform": {"src": "tr2.*", "dest": "t2.{{ Wildcard( 1 ) }}.{{split(1,-)}}"},
        },
    ),
    C("TR3", {"name": "TR3", "subjects": ["tr3"], "subject_transform": {"src": "", "dest": ""}}),
    C(
        "RP",
        {
            "name": "RP",
            "subjects": ["rp3"],
            "republish": {"src": ">", "dest": ">"},
            "subject_transform": {"src": "rp3", "dest": "t13"},
        },
    ),
    C("RP2", {"name": "RP2", "subjects": ["rp2"], "republish": {"src": "rp2", "dest": ""}}),
    C("SYS", {"name": "SYS", "subjects": ["$SYS.ACCOUNT.x", "$JS.EVENT.ADVISORY.>"]}),
    C("NOACK", {"name": "NOACK", "subjects": ["$JS.API.STREAM.>"], "no_ack": True}),
    C("L" * 255, {"name": "L" * 255}),
    C("MD", {"name": "MD", "subjects": ["md"], "metadata": {"k": "v" * (128 * 1024 - 1 - 16)}}),
    C("CASE", b'{"NAME":"CASE","Subjects":["case"],"Max_Msgs":5,"CONSUMER_LIMITS":{"Max_Ack_Pending":2}}'),
    C(
        "DUP",
        b'{"name":"DUP","subjects":["dup1"],"metadata":{"x":"1"},"metadata":{"y":"2"},"subjects":["dup"]}',
    ),
    C("MULTI", b'{"name":"MULTI","subjects":["multi"]}\n{"description":"second value"}'),
    C(
        "NULLS",
        b'{"name":"NULLS","subjects":["nulls"],"max_msgs":null,"placement":null,"sources":null,"metadata":{"a":null}}',
    ),
    C("UNI", b'{"name":"UNI","subjects":["uni"],"description":"\\u00e9\\ud83d\\ude00\\ud800 \xc3\xa9 \xff"}'),
    C(
        "ENUM",
        b'{"name":"ENUM","subjects":["enum"],"discard":"OLD","compression":"s\\u0032","persist_mode":""}',
    ),
    C(
        "BIG",
        {
            "name": "BIG",
            "subjects": ["big"],
            "max_msg_size": 2147483647,
            "first_seq": 18446744073709551615,
            "max_age": 9223372036854775807,
        },
    ),
)

INVALID_JSON: tuple[Case, ...] = (
    C("X", b"{bad}"),
    C("X", b'{"name":"X",'),
    C("X", b"{"),
    C("X", b"[]"),
    C("X", b'"str"'),
    C("X", b'{"name":"X"} x'),
    C("X", b'{"name":"X"} 5'),
    C("X", b'{"name":"X"} {"bogus":1}'),
    C("X", b'{"name":"X","max_msgs":1.}'),
    C("X", b'{"name":"X","max_msgs":01}'),
    C("X", b'{"name":"X","max_msgs":-}'),
    C("X", b'{"name":"X","max_msgs":+1}'),
    C("X", b'{"name":"X", "no_ack": tru}'),
    C("X", b'{"name":"X","description":"a\tb"}'),
    C("X", b'{"name":"X","description":"a\\qb"}'),
    C("X", b'{"name":"X","description":"a\\u12g4"}'),
    C("X", b'\xef\xbb\xbf{"name":"X"}'),
    C("X", b'{"name":"X" "a":1}'),
    C("X", b'{"name":"X",}'),
    C("X", b"{'name':'X'}"),
    C("X", b'{"name":"X","rollup_hdrs":true}'),
    C("X", b'{"name":"X","template_owner":"t"}'),
    C("X", b'{"name":"X","mirror":{"name":"A","bogus":1}}'),
    C("X", b'{"name":"X","max_msgs":"5"}'),
    C("X", b'{"name":"X","max_msgs":1.5}'),
    C("X", b'{"name":"X","max_msgs":1e3}'),
    C("X", b'{"name":"X","max_msgs":99999999999999999999}'),
    C("X", b'{"name":"X","max_msg_size":3000000000}'),
    C("X", b'{"name":"X","first_seq":-1}'),
    C("X", b'{"name":5}'),
    C("X", b'{"name":"X","subjects":"a"}'),
    C("X", b'{"name":"X","subjects":[1]}'),
    C("X", b'{"name":"X","no_ack":"true"}'),
    C("X", b'{"name":"X","mirror":"A"}'),
    C("X", b'{"name":"X","mirror":{"name":7}}'),
    C("X", b'{"name":"X","sources":{}}'),
    C("X", b'{"name":"X","sources":[5]}'),
    C("X", b'{"name":"X","sources":[{"name":"A","external":{"api":1}}]}'),
    C("X", b'{"name":"X","consumer_limits":{"max_ack_pending":"x"}}'),
    C("X", b'{"name":"X","metadata":{"a":1}}'),
    C("X", b'{"name":"X","metadata":[]}'),
    C("X", b'{"name":"X","placement":{"tags":"x"}}'),
    C("X", b'{"name":"X","max_age":"1s"}'),
    C("X", b'{"name":"X","pedantic":"yes"}'),
    C("X", b'{"name":"X","retention":"bogus"}'),
    C("X", b'{"name":"X","retention":5}'),
    C("X", b'{"name":"X","retention":"a<b"}'),
    C("X", b'{"name":"X","retention":{"a" : 1}}'),
    C("X", b'{"name":"X","storage":"Memory"}'),
    C("X", b'{"name":"X","discard":"all"}'),
    C("X", b'{"name":"X","compression":"gzip"}'),
    C("X", b'{"name":"X","compression":5}'),
    C("X", b'{"name":"X","compression":null}'),
    C("X", b'{"name":"X","persist_mode":null}'),
    C("X", b'{"name":"X","persist_mode":"Async"}'),
    C("X", b'{"name":"X","max_msgs":"x","retention":"bogus"}'),
    C("X", b'{"name":"X","retention":"bogus","max_msgs":"x"}'),
    C("X", b'{"name":"X","bogus":1,"max_msgs":"x"}'),
    C("X", b'{"name":"X","max_msgs":"x","subjects":[}'),
    C("X", b'{"name":"X","mirror":{"name":"A","opt_start_time":5}}'),
    C("X", b'{"name":"X","mirror":{"name":"A","opt_start_time":"yesterday"}}'),
    C("X", b'{"name":"X","mirror":{"name":"A","opt_start_time":"2024-01-01"}}'),
    C("X", b'{"name":"X","mirror":{"name":"A","opt_start_time":"2024-13-01T00:00:00Z"}}'),
    C("X", b'{"name":"X","mirror":{"name":"A","opt_start_time":"2024-02-30T00:00:00Z"}}'),
    C("X", b'{"name":"X","mirror":{"name":"A","opt_start_time":"2024-01-01t00:00:00z"}}'),
    C("X", b'{"name":"X","mirror":{"name":"A","opt_start_time":"2024-01-01T00:00:00+0100"}}'),
    C("X", b'{"name":"X","mirror":{"name":"A","opt_start_time":"2024-01-01T00:00:00+25:00"}}'),
    C("X", b'{"name":"X","mirror":{"name":"A","opt_start_time":"2024-01-01T00:00:00Zjunk"}}'),
)

INVALID_CREATES: tuple[Case, ...] = (
    C("Y", {"name": "X"}),
    C("Y", b""),
    C("Y", b"null"),
    C("a\\b", {"name": "a\\b"}),
    C("a/b", {"name": "a/b"}),
    C("a*", {"name": "a*"}),
    C("a>", {"name": "a>"}),
    C("L" * 256, {"name": "L" * 256}),
    C("Y", {"name": "Y", "sealed": True, "max_age": -1}),
    C("Y", {"name": "Y", "mirror_direct": True}),
    C("Y", {"name": "Y", "description": "d" * 4097}),
    C("Y", {"name": "Y", "metadata": {"k": "v" * (128 * 1024 - 16)}}),
    C("Y", {"name": "Y", "num_replicas": 6}),
    C("Y", {"name": "Y", "num_replicas": -1}),
    C("Y", {"name": "Y", "num_replicas": 3}),
    C("Y", {"name": "Y", "num_replicas": 3, "max_age": -1}),
    C("BASE", {"name": "BASE", "subjects": ["base.>", "other"], "allow_direct": True, "num_replicas": 3}),
    C("BASE", {"name": "BASE", "subjects": ["base.>"]}),
    C("Y", {"name": "Y", "subjects": ["base.x"]}),
    C("Y", {"name": "Y", "subjects": ["*"]}),
    C("Y", {"name": "Y", "subjects": ["y", "other"]}),
    C("Y", {"name": "Y", "max_msgs": -5, "pedantic": True}),
    C("Y", {"name": "Y", "max_age": -5}),
    C("Y", {"name": "Y", "max_age": 50_000_000}),
    C("Y", {"name": "Y", "duplicate_window": -1}),
    C("Y", {"name": "Y", "duplicate_window": 50_000_000}),
    C("Y", {"name": "Y", "duplicate_window": 5 * S, "max_age": S}),
    C("Y", {"name": "Y", "max_age": S, "pedantic": True}),
    C("Y", {"name": "Y", "deny_purge": True, "allow_rollup_hdrs": True}),
    C("Y", {"name": "Y", "allow_msg_counter": True, "discard": "new"}),
    C("Y", {"name": "Y", "allow_msg_counter": True, "allow_msg_ttl": True}),
    C("Y", {"name": "Y", "allow_msg_counter": True, "allow_msg_schedules": True}),
    C("Y", {"name": "Y", "allow_msg_counter": True, "retention": "interest"}),
    C("Y", {"name": "Y", "discard_new_per_subject": True}),
    C("Y", {"name": "Y", "discard_new_per_subject": True, "discard": "new"}),
    C("Y", {"name": "Y", "subject_delete_marker_ttl": 500_000_000}),
    C("Y", {"name": "Y", "subject_delete_marker_ttl": -1}),
    C("Y", {"name": "Y", "subject_delete_marker_ttl": S, "pedantic": True}),
    C("Y", {"name": "Y", "subject_delete_marker_ttl": S, "allow_msg_ttl": True, "pedantic": True}),
    C("Y", {"name": "Y", "allow_msg_schedules": True, "discard": "new"}),
    C("Y", {"name": "Y", "allow_msg_schedules": True, "pedantic": True}),
    C("Y", {"name": "Y", "persist_mode": "async", "storage": "memory"}),
    C("Y", {"name": "Y", "persist_mode": "async", "num_replicas": 3}),
    C("Y", {"name": "Y", "persist_mode": "async", "allow_atomic": True}),
    C("Y", {"name": "Y", "subjects": ["a..b"]}),
    C("Y", {"name": "Y", "subjects": [""]}),
    C("Y", {"name": "Y", "subjects": ["a b"]}),
    C("Y", {"name": "Y", "subjects": ["a.>.b"]}),
    C("Y", {"name": "Y", "subjects": ["z", "z"]}),
    C("Y", {"name": "Y", "subjects": ["z.*", "z.a"]}),
    C("Y", {"name": "Y", "subjects": [">"]}),
    C("Y", {"name": "Y", "subjects": [">"], "no_ack": True, "num_replicas": 2}),
    C("Y", {"name": "Y", "subjects": ["$JS.API.>"]}),
    C("Y", {"name": "Y", "subjects": ["$JS.*.foo"]}),
    C("Y", {"name": "Y", "subjects": ["$JSC.x"]}),
    C("Y", {"name": "Y", "subjects": ["$NRG.>"]}),
    C("Y", {"name": "Y", "subjects": ["$SYS.x"]}),
    C("Y", {"name": "Y", "subjects": [None]}),
    C("Y", {"name": "Y", "mirror": {"name": "BASE"}, "first_seq": 3}),
    C("Y", {"name": "Y", "mirror": {"name": "BASE"}, "subjects": ["q"]}),
    C("Y", {"name": "Y", "mirror": {"name": "BASE"}, "sources": [{"name": "A"}]}),
    C("Y", {"name": "Y", "mirror": {"name": "BASE"}, "allow_msg_counter": True}),
    C("Y", {"name": "Y", "mirror": {"name": "BASE"}, "allow_atomic": True}),
    C("Y", {"name": "Y", "mirror": {"name": "BASE"}, "allow_batched": True}),
    C("Y", {"name": "Y", "mirror": {"name": "BASE"}, "allow_msg_schedules": True}),
    C("Y", {"name": "Y", "mirror": {"name": "BASE"}, "subject_delete_marker_ttl": S}),
    C("Y", {"name": "Y", "mirror": {"name": "BA.SE"}}),
    C("Y", {"name": "Y", "mirror": {"name": ""}}),
    C(
        "Y",
        {
            "name": "Y",
            "mirror": {
                "name": "BASE",
                "filter_subject": "x",
                "subject_transforms": [{"src": "a", "dest": "b"}],
            },
        },
    ),
    C("Y", {"name": "Y", "mirror": {"name": "BASE", "subject_transforms": [{"src": "a..b", "dest": "x"}]}}),
    C(
        "Y",
        {
            "name": "Y",
            "mirror": {"name": "BASE", "subject_transforms": [{"src": "a.*", "dest": "x.{{wildcard(2)}}"}]},
        },
    ),
    C(
        "Y",
        {
            "name": "Y",
            "mirror": {
                "name": "BASE",
                "subject_transforms": [{"src": "a.*", "dest": "x"}, {"src": "a.b", "dest": "y"}],
            },
        },
    ),
    C("Y", {"name": "Y", "mirror": {"name": "BASE", "consumer": {"name": "c", "deliver_subject": "d.*"}}}),
    C(
        "Y",
        {
            "name": "Y",
            "mirror": {"name": "BASE", "opt_start_seq": 5, "consumer": {"name": "c", "deliver_subject": "d"}},
        },
    ),
    C("Y", {"name": "Y", "mirror": {"name": "BASE"}, "pedantic": True}),
    C("Y", {"name": "Y", "mirror": {"name": "MD2"}, "max_msg_size": 10}),
    C("Y", {"name": "Y", "sources": [{"name": "MD2"}], "max_msg_size": 10}),
    C("Y", {"name": "Y", "sources": [None]}),
    C("Y", {"name": "Y", "sources": [{"name": "BASE"}, {"name": "BASE"}]}),
    C(
        "Y",
        {
            "name": "Y",
            "sources": [
                {"name": "BASE", "filter_subject": "x", "subject_transforms": [{"src": "a", "dest": "b"}]}
            ],
        },
    ),
    C(
        "Y",
        {
            "name": "Y",
            "sources": [
                {
                    "name": "BASE",
                    "subject_transforms": [{"src": "a.>", "dest": "b.>"}, {"src": "a.b", "dest": "c"}],
                }
            ],
        },
    ),
    C("Y", {"name": "Y", "sources": [{"name": "BASE", "external": {"api": "$JS.API", "deliver": ""}}]}),
    C("Y", {"name": "Y", "sources": [{"name": "BASE", "external": {"api": "a.*", "deliver": ""}}]}),
    C("Y", {"name": "Y", "sources": [{"name": "BASE", "external": {"api": "x", "deliver": "a.>"}}]}),
    C("Y", {"name": "Y", "sources": [{"name": "BASE"}], "allow_msg_schedules": True}),
    C(
        "Y",
        {
            "name": "Y",
            "sources": [
                {"name": "A", "consumer": {"name": "c1", "deliver_subject": "dq"}},
                {"name": "A", "filter_subject": "x", "consumer": {"name": "c1", "deliver_subject": "dq2"}},
            ],
        },
    ),
    C("Y", {"name": "Y", "sources": [{"name": "Y"}]}),
    C("Y", {"name": "Y", "mirror": {"name": "Y"}}),
    C("Y", {"name": "Y", "subjects": ["y"], "sources": [{"name": "Y"}]}),
    C("Y", {"name": "Y", "subjects": ["y"], "republish": {"src": "y", "dest": "y"}}),
    C("Y", {"name": "Y", "subjects": ["y.*"], "republish": {"src": "y.*", "dest": "r.{{wildcard(3)}}"}}),
    C("Y", {"name": "Y", "subjects": ["y.*"], "republish": {"src": "q.*", "dest": "r.>"}}),
    C("Y", {"name": "Y", "subjects": ["y"], "republish": {"dest": "rr"}, "pedantic": True}),
    C("Y", {"name": "Y", "subjects": ["y"], "subject_transform": {"src": "a..b", "dest": "x"}}),
    C("Y", {"name": "Y", "subjects": ["y"], "subject_transform": {"src": "y", "dest": "{{wildcard(1)}}"}}),
    C("Y", {"name": "Y", "subjects": ["y"], "subject_transform": {"src": "y", "dest": "a.*"}}),
    C("Y", {"name": "Y", "subjects": ["y.*"], "subject_transform": {"src": "y.*", "dest": "t..x"}}),
    C("Y", {"name": "Y", "subjects": ["y.*"], "subject_transform": {"src": "y.*", "dest": "t.>.x"}}),
    C("Y", {"name": "Y", "subjects": ["y.*"], "subject_transform": {"src": "y.*", "dest": "t.{{foo(1)}}"}}),
    C(
        "Y",
        {"name": "Y", "subjects": ["y.*"], "subject_transform": {"src": "y.*", "dest": "t.{{wildcard()}}"}},
    ),
    C(
        "Y",
        {"name": "Y", "subjects": ["y.*"], "subject_transform": {"src": "y.*", "dest": "t.{{wildcard(x)}}"}},
    ),
    C(
        "Y",
        {
            "name": "Y",
            "subjects": ["y.*"],
            "subject_transform": {"src": "y.*", "dest": "t.{{splitFromLeft(1)}}"},
        },
    ),
    C("Y", {"name": "Y", "subjects": ["y"], "placement": {"preferred": "x"}}),
)

UPDATES: tuple[Case, ...] = (
    C("U", {"name": "U", "subjects": ["u.>"], "max_age": 60 * S}),
    U("U", {"name": "U", "subjects": ["u.>", "v"]}),
    U("U", {"name": "U", "subjects": ["u.>", "v"], "storage": "memory"}),
    U("U", {"name": "U", "subjects": ["u.>", "v"], "retention": "workqueue"}),
    U("U", {"name": "U", "subjects": ["u.>", "v"], "retention": "interest"}),
    U("U", {"name": "V", "subjects": ["u.>"]}),
    U("NOPE", {"name": "NOPE", "subjects": ["nope"]}),
    U("NOPE", {"name": "NOPE", "max_age": -1}),
    U("U", b""),
    U("U", b"{bad"),
    U("U", {"name": "U", "subjects": ["u.>", "base.q"]}),
    U(
        "U",
        {"name": "U", "subjects": ["u.>"], "deny_delete": True, "deny_purge": True, "allow_msg_ttl": True},
    ),
    U("U", {"name": "U", "subjects": ["u.>"], "deny_purge": True, "allow_msg_ttl": True}),
    U("U", {"name": "U", "subjects": ["u.>"], "deny_delete": True, "allow_msg_ttl": True}),
    U("U", {"name": "U", "subjects": ["u.>"], "deny_delete": True, "deny_purge": True}),
    U(
        "U",
        {
            "name": "U",
            "subjects": ["u.>"],
            "deny_delete": True,
            "deny_purge": True,
            "allow_msg_ttl": True,
            "allow_msg_counter": True,
        },
    ),
    U(
        "U",
        {
            "name": "U",
            "subjects": ["u.>"],
            "deny_delete": True,
            "deny_purge": True,
            "allow_msg_ttl": True,
            "persist_mode": "async",
        },
    ),
    U(
        "U",
        {
            "name": "U",
            "subjects": ["u.>"],
            "deny_delete": True,
            "deny_purge": True,
            "allow_msg_ttl": True,
            "mirror": {"name": "X"},
        },
    ),
    U(
        "U",
        {
            "name": "U",
            "deny_delete": True,
            "deny_purge": True,
            "allow_msg_ttl": True,
            "mirror": {"name": "X"},
        },
    ),
    U(
        "U",
        {
            "name": "U",
            "subjects": ["u.>"],
            "deny_delete": True,
            "deny_purge": True,
            "allow_msg_ttl": True,
            "num_replicas": 3,
        },
    ),
    U(
        "U",
        {
            "name": "U",
            "subjects": ["u.>"],
            "deny_delete": True,
            "deny_purge": True,
            "allow_msg_ttl": True,
            "mirror_direct": True,
        },
    ),
    U(
        "U",
        {
            "name": "U",
            "subjects": ["u.>"],
            "deny_delete": True,
            "deny_purge": True,
            "allow_msg_ttl": True,
            "sealed": True,
            "max_age": 5 * S,
        },
    ),
    U(
        "U",
        {"name": "U", "subjects": ["u.>"], "deny_delete": True, "deny_purge": True, "allow_msg_ttl": True},
    ),
    C("U2", {"name": "U2", "subjects": ["u2"], "allow_msg_schedules": True}),
    U("U2", {"name": "U2", "subjects": ["u2"]}),
    U("U2", {"name": "U2", "subjects": ["u2"], "allow_msg_schedules": True, "allow_direct": True}),
    U(
        "U2",
        {"name": "U2", "subjects": ["u2"], "allow_msg_schedules": True, "sealed": True, "pedantic": True},
    ),
    C("U3", {"name": "U3", "subjects": ["u3"], "allow_msg_counter": True}),
    U("U3", {"name": "U3", "subjects": ["u3"]}),
    U(
        "U3",
        {"name": "U3", "subjects": ["u3"], "allow_msg_counter": True, "first_seq": 100, "discard": "new"},
    ),
    C("M1", {"name": "M1", "mirror": {"name": "U3"}}),
    U("M1", {"name": "M1", "mirror": {"name": "U3", "filter_subject": "x"}}),
    U("M1", {"name": "M1", "mirror": {"name": "U3"}, "max_msgs": 5}),
    U("M1", {"name": "M1", "subjects": ["m1"]}),
    C("CY1", {"name": "CY1", "subjects": ["cy1"]}),
    C("CY2", {"name": "CY2", "sources": [{"name": "CY1"}]}),
    U("CY1", {"name": "CY1", "subjects": ["cy1"], "sources": [{"name": "CY2"}]}),
    U("CY1", {"name": "CY1", "subjects": ["cy1"], "sources": [{"name": "CY2", "filter_subject": "zz"}]}),
    C("CY4", {"name": "CY4", "subjects": ["cy4"]}),
    C("CY3", {"name": "CY3", "sources": [{"name": "CY4", "filter_subject": "zz"}]}),
    U("CY4", {"name": "CY4", "subjects": ["cy4"], "sources": [{"name": "CY3"}]}),
)

CASES: tuple[Case, ...] = (
    *VALID_CREATES,
    C("MD2", {"name": "MD2", "subjects": ["md2"], "max_msg_size": 100}),
    *INVALID_JSON,
    *INVALID_CREATES,
    *UPDATES,
)
