# Reference test: pynatsd's JetStream data layer against a real nats-server.
#
# One nats-server (JetStream on, 127.0.0.1, a temporary store) receives every request of CASES in
# order over nats-py's raw `nc.request`; for each one the pure functions (decode_stream_request,
# check_stream_create, check_stream_update, jsonutil.encode) compute pynatsd's answer from the same
# body and the same account state, and the two must agree byte for byte: the `config` object of a
# success, or the `error` object of a failure. The account state the pure functions see is rebuilt
# from nats-server's own answers, so one disagreement does not cascade.
#
# CASES is a plain table (operation, stream token of the subject, body) so the same list can be
# replayed against pynatsd's live API later. A second test checks the other response shapes
# (STREAM.INFO/NAMES/LIST/PURGE/DELETE, MSG.GET/DELETE, account info, PubAcks) with the times and
# ids taken from nats-server's answer. Streams are deleted at the end.
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pytest

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
