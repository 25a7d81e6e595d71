# Stream config validation, defaults and update rules; expected texts are nats-server 2.15.1's.
from __future__ import annotations

import json
from typing import Any

import pytest

from pynatsd.jetstream.errors import JSError
from pynatsd.jetstream.jsonutil import decode, encode
from pynatsd.jetstream.types import StreamConfig, StreamSource
from pynatsd.jetstream.validate import (
    StreamLimits,
    check_stream_config,
    check_stream_create,
    check_stream_update,
    consumer_name_error,
    decode_request,
    decode_stream_request,
    durable_name_error,
    is_valid_name,
    is_valid_stream_name,
    required_api_level,
    same_stream_config,
    stream_name_error,
    subjects_overlap,
    with_dynamic_metadata,
)
from pynatsd.jetstream.validate_subjects import (
    is_valid_subject,
    subject_is_subset_match,
    subjects_collide,
    transform_error,
    validate_mapping,
)

S = 1_000_000_000


def cfg(**fields: Any) -> StreamConfig:
    """A StreamConfig from JSON-shaped keyword arguments, decoded as a request would be."""
    return decode(json.dumps(fields).encode(), StreamConfig)


def ok(result: StreamConfig | JSError) -> StreamConfig:
    assert isinstance(result, StreamConfig), result
    return result


def err(result: object) -> tuple[int, int, str]:
    assert isinstance(result, JSError), result
    return result.code, result.err_code, result.description


# -- names ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["A", "orders", "KV_bucket-1", "é", "L" * 255])
def test_validate_names_accepted(name: str) -> None:
    assert is_valid_name(name)
    assert is_valid_stream_name(name)
    assert stream_name_error(name) is None


@pytest.mark.parametrize("name", ["", "a.b", "a*", "a>", "a b", "a\tb", "a\nb", "a\rb", "a\fb"])
def test_validate_names_rejected(name: str) -> None:
    assert not is_valid_name(name)
    assert err(stream_name_error(name) or JSError(code=0)) == (
        500,
        10052,
        "stream name is required and can not contain '.', '*', '>', '\\', '/'",
    )


def test_validate_name_length_and_separators() -> None:
    assert not is_valid_stream_name("a/b")
    assert not is_valid_stream_name("a\\b")
    assert not is_valid_stream_name("L" * 256)
    assert (
        err(stream_name_error("L" * 256) or JSError(code=0))[2]
        == "stream name is too long, maximum allowed is 255"
    )
    assert stream_name_error("é" * 128) is not None  # 256 bytes


def test_validate_consumer_names() -> None:
    assert consumer_name_error("dur") is None
    assert durable_name_error("dur") is None
    assert err(durable_name_error("a.b") or JSError(code=0)) == (
        400,
        10103,
        "durable name can not contain '.', '*', '>'",
    )
    assert err(consumer_name_error("a/b") or JSError(code=0))[1] == 10127
    assert err(consumer_name_error("a.b", durable=True) or JSError(code=0))[2] == (
        "consumer durable name can not contain '.', '*', '>', '\\', '/'"
    )
    assert err(consumer_name_error("C" * 256) or JSError(code=0))[1:] == (
        10102,
        "consumer name is too long, maximum allowed is 255",
    )


# -- defaults ------------------------------------------------------------------------------------

DEFAULT_CONFIG = (
    b'{"name":"A","subjects":["A"],"retention":"limits","max_consumers":-1,"max_msgs":-1,"max_bytes":-1,'
    b'"max_age":0,"max_msgs_per_subject":-1,"max_msg_size":-1,"discard":"old","storage":"file","num_replicas":1,'
    b'"duplicate_window":120000000000,"compression":"none","allow_direct":false,"mirror_direct":false,'
    b'"sealed":false,"deny_delete":false,"deny_purge":false,"allow_rollup_hdrs":false,"consumer_limits":{},'
    b'"allow_msg_ttl":false,"metadata":{"_nats.level":"5","_nats.req.level":"0","_nats.ver":"2.15.1"}}'
)


def test_validate_defaults_match_nats_server() -> None:
    out = ok(check_stream_config(cfg(name="A")))
    assert encode(with_dynamic_metadata(out)) == DEFAULT_CONFIG
    assert out.metadata == {"_nats.req.level": "0"}


def test_validate_input_is_not_modified() -> None:
    original = cfg(name="A", republish={"dest": "r.>"}, metadata={"_nats.ver": "x"})
    before = encode(original)
    ok(check_stream_config(original))
    assert encode(original) == before


@pytest.mark.parametrize(
    ("fields", "window"),
    [
        ({}, 120 * S),
        ({"max_age": S}, S),
        ({"max_age": 200 * S}, 120 * S),
        ({"duplicate_window": 5 * S}, 5 * S),
        ({"mirror": {"name": "O"}}, 0),
        ({"sources": [{"name": "O"}]}, 0),
        ({"mirror": {"name": "O"}, "duplicate_window": 5 * S}, 5 * S),
    ],
)
def test_validate_duplicate_window_default(fields: dict[str, Any], window: int) -> None:
    assert ok(check_stream_config(cfg(name="A", **fields))).duplicate_window == window


def test_validate_duplicate_window_server_limit() -> None:
    limits = StreamLimits(duplicates=30 * S)
    assert ok(check_stream_config(cfg(name="A"), limits=limits)).duplicate_window == 30 * S
    assert err(check_stream_config(cfg(name="A", duplicate_window=60 * S), limits=limits))[2] == (
        "duplicates window can not be larger then server limit of 30s"
    )


def test_validate_negative_limits_become_unlimited() -> None:
    out = ok(check_stream_config(cfg(name="A", max_msgs=-5, max_bytes=-7, max_consumers=-2, max_msg_size=-9)))
    assert (out.max_msgs, out.max_bytes, out.max_consumers, out.max_msg_size) == (-1, -1, -1, -1)


def test_validate_subjects_default_only_without_origin() -> None:
    assert ok(check_stream_config(cfg(name="A"))).subjects == ["A"]
    assert ok(check_stream_config(cfg(name="A", mirror={"name": "O"}))).subjects is None
    assert ok(check_stream_config(cfg(name="A", sources=[{"name": "O"}]))).subjects is None


def test_validate_features_switch_on_what_they_need() -> None:
    markers = ok(check_stream_config(cfg(name="A", subject_delete_marker_ttl=2 * S, deny_purge=True)))
    assert (markers.allow_msg_ttl, markers.allow_rollup_hdrs, markers.deny_purge) == (True, True, False)
    schedules = ok(check_stream_config(cfg(name="A", allow_msg_schedules=True)))
    assert schedules.allow_rollup_hdrs
    republish = ok(check_stream_config(cfg(name="A", republish={"dest": "r.>"})))
    assert republish.republish is not None
    assert republish.republish.src == ">"
    implicit = ok(
        check_stream_config(
            cfg(
                name="A",
                subjects=["a"],
                subject_transform={"src": "a", "dest": "t"},
                republish={"src": ">", "dest": ">"},
            )
        )
    )
    assert implicit.republish is not None
    assert (implicit.republish.src, implicit.republish.dest) == ("t", "t")


def test_validate_placement_empty_is_dropped() -> None:
    assert ok(check_stream_config(cfg(name="A", placement={}))).placement is None
    kept = ok(check_stream_config(cfg(name="A", placement={"tags": []}))).placement
    assert kept is not None
    assert kept.tags == []


@pytest.mark.parametrize(
    ("fields", "level"),
    [
        ({}, 0),
        ({"allow_msg_ttl": True}, 1),
        ({"subject_delete_marker_ttl": S}, 1),
        ({"allow_msg_counter": True}, 2),
        ({"allow_atomic": True}, 2),
        ({"allow_msg_schedules": True}, 2),
        ({"persist_mode": "async"}, 2),
        ({"allow_batched": True}, 4),
        ({"allow_batched": True, "allow_msg_ttl": True}, 4),
    ],
)
def test_validate_required_api_level(fields: dict[str, Any], level: int) -> None:
    assert required_api_level(cfg(name="A", **fields)) == level
    out = ok(check_stream_config(cfg(name="A", **fields)))
    assert out.metadata == {"_nats.req.level": str(level)}


def test_validate_metadata_keeps_user_keys_and_drops_response_keys() -> None:
    meta = {
        "_nats.level": "99",
        "_nats.ver": "x",
        "_nats.req.level": "7",
        "_nats.foo": "x",
        "z": "",
        "A": "1",
    }
    out = ok(check_stream_config(cfg(name="A", metadata=meta)))
    assert out.metadata == {"_nats.foo": "x", "z": "", "A": "1", "_nats.req.level": "0"}
    shown = with_dynamic_metadata(out, version="2.15.1", api_level=5)
    assert (
        b'"metadata":{"A":"1","_nats.foo":"x","_nats.level":"5","_nats.req.level":"0","_nats.ver":"2.15.1","z":""}'
        in encode(shown)
    )


def test_validate_metadata_size_counts_the_stored_form() -> None:
    # 128 KiB includes the 16 bytes of `_nats.req.level: "0"`.
    assert isinstance(check_stream_config(cfg(name="A", metadata={"k": "v" * (131072 - 17)})), StreamConfig)
    assert err(check_stream_config(cfg(name="A", metadata={"k": "v" * (131072 - 16)})))[2] == (
        "stream metadata exceeds maximum size of 131072 bytes"
    )


# -- checkStreamCfg errors -------------------------------------------------------------------------

INVALID = "JSStreamInvalidConfigF"
CONFIG_ERRORS: list[tuple[dict[str, Any], int, int, str]] = [
    ({"name": "a*"}, 500, 10052, "stream name is required and can not contain '.', '*', '>', '\\', '/'"),
    (
        {"name": "Y", "description": "d" * 4097},
        500,
        10052,
        "stream description is too long, maximum allowed is 4096",
    ),
    ({"name": "Y", "num_replicas": 6}, 500, 10052, "maximum replicas is 5"),
    ({"name": "Y", "num_replicas": -1}, 400, 10133, "replicas count cannot be negative"),
    (
        {"name": "Y", "max_msgs": -5, "pedantic": True},
        400,
        10157,
        "pedantic mode: max_msgs must be set to -1",
    ),
    (
        {"name": "Y", "max_consumers": -2, "pedantic": True},
        400,
        10157,
        "pedantic mode: max_consumers must be set to -1",
    ),
    ({"name": "Y", "max_age": -5}, 500, 10052, "max age can not be negative"),
    ({"name": "Y", "max_age": 50_000_000}, 500, 10052, "max age needs to be >= 100ms"),
    ({"name": "Y", "duplicate_window": -1}, 500, 10052, "duplicates window can not be negative"),
    ({"name": "Y", "duplicate_window": 50_000_000}, 500, 10052, "duplicates window needs to be >= 100ms"),
    (
        {"name": "Y", "duplicate_window": 5 * S, "max_age": S},
        500,
        10052,
        "duplicates window can not be larger then max age",
    ),
    (
        {"name": "Y", "max_age": S, "pedantic": True},
        400,
        10157,
        "pedantic mode: duplicate window cannot be bigger than max age",
    ),
    (
        {"name": "Y", "deny_purge": True, "allow_rollup_hdrs": True},
        500,
        10052,
        "roll-ups require the purge permission",
    ),
    (
        {"name": "Y", "allow_msg_counter": True, "discard": "new"},
        500,
        10052,
        "counter stream cannot use discard new",
    ),
    (
        {"name": "Y", "allow_msg_counter": True, "allow_msg_ttl": True},
        500,
        10052,
        "counter stream cannot use message TTLs",
    ),
    (
        {"name": "Y", "allow_msg_counter": True, "allow_msg_schedules": True},
        500,
        10052,
        "counter stream cannot use message schedules",
    ),
    (
        {"name": "Y", "allow_msg_counter": True, "retention": "interest"},
        500,
        10052,
        "counter stream can only use limits retention",
    ),
    (
        {"name": "Y", "discard_new_per_subject": True},
        500,
        10052,
        "discard new per subject requires discard new policy to be set",
    ),
    (
        {"name": "Y", "discard_new_per_subject": True, "discard": "new"},
        500,
        10052,
        "discard new per subject requires max msgs per subject > 0",
    ),
    (
        {"name": "Y", "subject_delete_marker_ttl": S // 2},
        500,
        10052,
        "subject delete marker TTL must be at least 1 second",
    ),
    (
        {"name": "Y", "subject_delete_marker_ttl": -1},
        500,
        10052,
        "subject delete marker TTL must not be negative",
    ),
    (
        {"name": "Y", "subject_delete_marker_ttl": S, "pedantic": True},
        500,
        10052,
        "subject delete marker cannot be set if message TTLs are disabled",
    ),
    (
        {"name": "Y", "subject_delete_marker_ttl": S, "allow_msg_ttl": True, "pedantic": True},
        500,
        10052,
        "subject delete marker cannot be set if roll-ups are disabled",
    ),
    (
        {"name": "Y", "allow_msg_schedules": True, "discard": "new"},
        500,
        10052,
        "message scheduling cannot use discard new",
    ),
    (
        {"name": "Y", "allow_msg_schedules": True, "pedantic": True},
        500,
        10052,
        "message scheduling cannot be set if roll-ups are disabled",
    ),
    (
        {"name": "Y", "persist_mode": "async", "storage": "memory"},
        500,
        10052,
        "async persist mode is only supported on file storage",
    ),
    (
        {"name": "Y", "persist_mode": "async", "num_replicas": 3},
        500,
        10052,
        "async persist mode is not supported on replicated streams",
    ),
    (
        {"name": "Y", "persist_mode": "async", "allow_atomic": True},
        500,
        10052,
        "async persist mode is not supported with atomic batch publish",
    ),
    ({"name": "Y", "subjects": ["a..b"]}, 500, 10052, "invalid subject"),
    ({"name": "Y", "subjects": [""]}, 500, 10052, "invalid subject"),
    ({"name": "Y", "subjects": ["a.>.b"]}, 500, 10052, "invalid subject"),
    ({"name": "Y", "subjects": ["z", "z"]}, 500, 10052, 'subject "z" overlaps with "z"'),
    ({"name": "Y", "subjects": ["z.a", "z.*"]}, 500, 10052, 'subject "z.a" overlaps with "z.*"'),
    ({"name": "Y", "subjects": [">"]}, 500, 10052, "capturing all subjects requires no-ack to be true"),
    (
        {"name": "Y", "subjects": [">"], "no_ack": True, "num_replicas": 2},
        500,
        10052,
        "capturing all subjects requires replicas of 1",
    ),
    (
        {"name": "Y", "subjects": ["$JS.API.>"]},
        500,
        10052,
        "subjects that overlap with jetstream api require no-ack to be true",
    ),
    (
        {"name": "Y", "subjects": ["$JS.*.foo"]},
        500,
        10052,
        "subjects that overlap with jetstream api require no-ack to be true",
    ),
    (
        {"name": "Y", "subjects": ["$NRG.>"]},
        500,
        10052,
        "subjects that overlap with jetstream api require no-ack to be true",
    ),
    (
        {"name": "Y", "subjects": ["$SYS.x"]},
        500,
        10052,
        "subjects that overlap with system api require no-ack to be true",
    ),
    (
        {"name": "Y", "mirror": {"name": "O"}, "first_seq": 3},
        400,
        10143,
        "stream mirrors can not have first sequence configured",
    ),
    (
        {"name": "Y", "mirror": {"name": "O"}, "subjects": ["q"]},
        400,
        10034,
        "stream mirrors can not contain subjects",
    ),
    (
        {"name": "Y", "mirror": {"name": "O"}, "sources": [{"name": "P"}]},
        400,
        10031,
        "stream mirrors can not also contain other sources",
    ),
    (
        {"name": "Y", "mirror": {"name": "O"}, "allow_msg_counter": True},
        400,
        10173,
        "stream mirrors can not also calculate counters",
    ),
    (
        {"name": "Y", "mirror": {"name": "O"}, "allow_atomic": True},
        400,
        10198,
        "stream mirrors can not also use atomic publishing",
    ),
    (
        {"name": "Y", "mirror": {"name": "O"}, "allow_batched": True},
        400,
        10209,
        "stream mirrors can not also use batch publishing",
    ),
    (
        {"name": "Y", "mirror": {"name": "O"}, "allow_msg_schedules": True},
        400,
        10186,
        "stream mirrors can not also schedule messages",
    ),
    (
        {"name": "Y", "mirror": {"name": "O"}, "subject_delete_marker_ttl": S},
        500,
        10052,
        "subject delete markers forbidden on mirrors",
    ),
    ({"name": "Y", "mirror": {"name": "O.P"}}, 400, 10142, "mirrored stream name is invalid"),
    (
        {"name": "Y", "mirror": {"name": "O", "consumer": {"name": "c", "deliver_subject": "d.*"}}},
        400,
        10213,
        "stream mirror consumer config is invalid",
    ),
    (
        {
            "name": "Y",
            "mirror": {"name": "O", "filter_subject": "x", "subject_transforms": [{"src": "a", "dest": "b"}]},
        },
        400,
        10150,
        "mirror with multiple subject transforms cannot also have a single subject filter",
    ),
    (
        {
            "name": "Y",
            "mirror": {"name": "O", "subject_transforms": [{"src": "a.*", "dest": "x.{{wildcard(2)}}"}]},
        },
        400,
        10154,
        "mirror transform: invalid mapping destination: wildcard index out of range in {{wildcard(2)}}: [2]",
    ),
    ({"name": "Y", "sources": [None]}, 400, 10141, "sourced stream name is invalid"),
    (
        {"name": "Y", "sources": [{"name": "O"}, {"name": "O"}]},
        400,
        10140,
        "duplicate source configuration detected",
    ),
    (
        {
            "name": "Y",
            "sources": [
                {
                    "name": "O",
                    "subject_transforms": [{"src": "a.>", "dest": "b.>"}, {"src": "a.b", "dest": "c"}],
                }
            ],
        },
        400,
        10147,
        "source filters can not overlap",
    ),
    (
        {"name": "Y", "sources": [{"name": "O", "external": {"api": "$JS.API", "deliver": ""}}]},
        400,
        10021,
        "stream external api prefix $JS.API must not overlap with $JS.API",
    ),
    (
        {"name": "Y", "sources": [{"name": "O", "external": {"api": "a.*", "deliver": ""}}]},
        500,
        10052,
        'stream external api prefix "a.*" must be a valid subject without wildcards',
    ),
    (
        {"name": "Y", "sources": [{"name": "O", "external": {"api": "x", "deliver": "a.>"}}]},
        400,
        10024,
        "stream external delivery prefix a.> must not contain wildcards",
    ),
    (
        {"name": "Y", "sources": [{"name": "O"}], "allow_msg_schedules": True},
        400,
        10187,
        "stream source can not also schedule messages",
    ),
    ({"name": "Y", "sources": [{"name": "Y"}]}, 500, 10052, "detected cycle"),
    ({"name": "Y", "mirror": {"name": "Y"}}, 500, 10052, "detected cycle"),
    (
        {"name": "Y", "subjects": ["y"], "republish": {"src": "y", "dest": "y"}},
        500,
        10052,
        "stream configuration for republish destination forms a cycle",
    ),
    (
        {"name": "Y", "subjects": ["y.*"], "republish": {"src": "q.*", "dest": "r.>"}},
        500,
        10052,
        "stream configuration for republish with transform from 'q.*' to 'r.>' not valid",
    ),
    (
        {"name": "Y", "subjects": ["y"], "republish": {"dest": "rr"}, "pedantic": True},
        400,
        10157,
        "pedantic mode: republish source can not be empty",
    ),
    (
        {"name": "Y", "subject_transform": {"src": "a..b", "dest": "x"}},
        400,
        10155,
        "stream transform source: invalid subject a..b",
    ),
    (
        {"name": "Y", "subject_transform": {"src": "y", "dest": "a.*"}},
        400,
        10156,
        "stream transform: invalid subject",
    ),
    (
        {"name": "Y", "subject_transform": {"src": "y.*", "dest": "t..x"}},
        400,
        10156,
        "stream transform: invalid mapping destination: invalid transform",
    ),
    (
        {"name": "Y", "placement": {"preferred": "x"}},
        500,
        10052,
        "preferred server not permitted in placement",
    ),
]


@pytest.mark.parametrize(("fields", "code", "err_code", "text"), CONFIG_ERRORS)
def test_validate_config_errors(fields: dict[str, Any], code: int, err_code: int, text: str) -> None:
    decoded = decode_stream_request(json.dumps(fields).encode())
    assert not isinstance(decoded, JSError)
    config, pedantic = decoded
    assert err(check_stream_config(config, pedantic=pedantic)) == (code, err_code, text)


def test_validate_account_limits() -> None:
    required = StreamLimits(max_bytes_required=True)
    assert err(check_stream_config(cfg(name="A"), limits=required))[1] == 10113
    capped = StreamLimits(max_stream_bytes=100)
    assert err(check_stream_config(cfg(name="A", max_bytes=1000), limits=capped))[1] == 10122
    assert ok(check_stream_config(cfg(name="A", max_bytes=100), limits=capped)).max_bytes == 100


# -- origins -------------------------------------------------------------------------------------


def test_validate_mirror_inherits_direct_from_origin() -> None:
    origin = ok(check_stream_config(cfg(name="O", allow_direct=True, max_msg_size=100)))
    streams = {"O": origin}
    assert ok(check_stream_config(cfg(name="M", mirror={"name": "O"}), streams=streams)).mirror_direct
    assert err(check_stream_config(cfg(name="M", mirror={"name": "O"}), pedantic=True, streams=streams)) == (
        400,
        10157,
        "pedantic mode: origin stream has direct get set, mirror has it disabled",
    )
    assert (
        err(check_stream_config(cfg(name="M", mirror={"name": "O"}, max_msg_size=10), streams=streams))[1]
        == 10030
    )
    assert (
        err(check_stream_config(cfg(name="M", sources=[{"name": "O"}], max_msg_size=10), streams=streams))[1]
        == 10046
    )


def test_validate_cycles_through_other_streams() -> None:
    a = ok(check_stream_config(cfg(name="A", subjects=["a"])))
    b = ok(check_stream_config(cfg(name="B", sources=[{"name": "A"}])))
    looped = cfg(name="A", subjects=["a"], sources=[{"name": "B"}])
    assert err(check_stream_config(looped, streams={"A": a, "B": b}))[2] == "detected cycle"
    # The way back is filtered to subjects the looping stream does not hold: no cycle.
    filtered = ok(check_stream_config(cfg(name="B", sources=[{"name": "A", "filter_subject": "zz"}])))
    assert isinstance(check_stream_config(looped, streams={"A": a, "B": filtered}), StreamConfig)


def test_validate_external_delivery_prefix_overlap() -> None:
    origin = ok(check_stream_config(cfg(name="O", subjects=["x.>"])))
    source = {"name": "O", "external": {"api": "$JS.hub.API", "deliver": "x"}}
    mirror = cfg(name="M", mirror={"name": "O", "external": {"api": "$JS.hub.API", "deliver": "d"}})
    assert isinstance(check_stream_config(mirror, streams={"O": origin}), StreamConfig)
    both = cfg(name="M", sources=[{"name": "O"}, source])
    assert err(check_stream_config(both, streams={"O": origin})) == (
        400,
        10022,
        "stream external delivery prefix x overlaps with stream subject x.>",
    )


# -- create --------------------------------------------------------------------------------------


def test_validate_create_checks_in_nats_server_order() -> None:
    assert err(check_stream_create("Y", cfg(name="X")))[1] == 10056
    assert err(check_stream_create("a/b", cfg(name="a/b")))[1] == 10128
    assert err(check_stream_create("Y", cfg(name="Y", sealed=True, max_age=-1)))[2] == (
        "stream configuration for create can not be sealed"
    )
    assert err(check_stream_create("Y", cfg(name="Y", mirror_direct=True)))[2] == (
        "stream has no mirror but does have mirror direct"
    )
    assert (
        err(check_stream_create("Y", cfg(name="Y", num_replicas=3, max_age=-1)))[2]
        == "max age can not be negative"
    )
    assert err(check_stream_create("Y", cfg(name="Y", num_replicas=3))) == (
        500,
        10074,
        "replicas > 1 not supported in non-clustered mode",
    )
    assert ok(check_stream_create("Y", cfg(name="Y", num_replicas=3), clustered=True)).num_replicas == 3


def test_validate_create_against_existing_streams() -> None:
    base = ok(check_stream_create("BASE", cfg(name="BASE", subjects=["base.>", "other"])))
    streams = {"BASE": base}
    again = check_stream_create(
        "BASE", cfg(name="BASE", subjects=["base.>", "other"], max_msgs=-1), streams=streams
    )
    assert again is base
    assert (
        err(check_stream_create("BASE", cfg(name="BASE", subjects=["base.>"]), streams=streams))[1] == 10058
    )
    assert err(check_stream_create("BASE", cfg(name="BASE", num_replicas=3), streams=streams))[1] == 10074
    for subjects in (["base.x"], ["*"], ["y", "other"]):
        assert err(check_stream_create("Y", cfg(name="Y", subjects=subjects), streams=streams)) == (
            400,
            10065,
            "subjects overlap with an existing stream",
        )
    assert subjects_overlap(cfg(name="Y", subjects=["base.a.b"]), streams)
    assert not subjects_overlap(cfg(name="BASE", subjects=["base.a.b"]), streams)
    assert same_stream_config(base, ok(check_stream_config(cfg(name="BASE", subjects=["base.>", "other"]))))


def test_validate_decode_stream_request() -> None:
    decoded = decode_stream_request(b'{"name":"A","pedantic":true}')
    assert not isinstance(decoded, JSError)
    assert decoded == (StreamConfig(name="A"), True)
    assert err(decode_stream_request(b'{"name":"A","rollup_hdrs":true}')) == (
        400,
        10025,
        'invalid JSON: json: unknown field "rollup_hdrs"',
    )
    assert err(decode_request(b"{bad", StreamConfig))[2] == (
        "invalid JSON: invalid character 'b' looking for beginning of object key string at offset 2"
    )


# -- update --------------------------------------------------------------------------------------


@pytest.fixture
def stored() -> StreamConfig:
    return ok(check_stream_create("U", cfg(name="U", subjects=["u.>"], max_age=60 * S)))


def update(old: StreamConfig | None, **fields: Any) -> StreamConfig | JSError:
    return check_stream_update(old, cfg(**fields), subject_name="U")


@pytest.mark.parametrize(
    ("fields", "text"),
    [
        ({"storage": "memory"}, "stream configuration update can not change storage type"),
        (
            {"retention": "workqueue"},
            "stream configuration update can not change retention policy to/from workqueue",
        ),
        ({"allow_msg_counter": True}, "stream configuration update can not change message counter setting"),
        ({"persist_mode": "async"}, "stream configuration update can not change persist mode"),
    ],
)
def test_validate_update_refusals(stored: StreamConfig, fields: dict[str, Any], text: str) -> None:
    assert err(update(stored, name="U", subjects=["u.>"], **fields)) == (500, 10052, text)


def test_validate_update_one_way_switches(stored: StreamConfig) -> None:
    locked = ok(
        update(stored, name="U", subjects=["u.>"], deny_delete=True, deny_purge=True, allow_msg_ttl=True)
    )
    assert err(update(locked, name="U", subjects=["u.>"], deny_purge=True, allow_msg_ttl=True))[2] == (
        "stream configuration update can not cancel deny message deletes"
    )
    assert err(update(locked, name="U", subjects=["u.>"], deny_delete=True, allow_msg_ttl=True))[2] == (
        "stream configuration update can not cancel deny purge"
    )
    assert err(update(locked, name="U", subjects=["u.>"], deny_delete=True, deny_purge=True))[2] == (
        "message TTL status can not be disabled"
    )
    schedules = ok(update(stored, name="U", subjects=["u.>"], allow_msg_schedules=True))
    assert err(update(schedules, name="U", subjects=["u.>"]))[2] == "message schedules can not be disabled"


def test_validate_update_sealing(stored: StreamConfig) -> None:
    sealed = ok(
        update(stored, name="U", subjects=["u.>"], sealed=True, max_age=5 * S, allow_rollup_hdrs=True)
    )
    assert (sealed.max_age, sealed.discard, sealed.deny_delete, sealed.deny_purge) == (0, "new", True, True)
    assert (sealed.allow_rollup_hdrs, sealed.duplicate_window) == (False, 5 * S)
    assert err(update(sealed, name="U", subjects=["u.>"], deny_delete=True, deny_purge=True))[2] == (
        "stream configuration update can not unseal a sealed stream"
    )


def test_validate_update_allowed_changes(stored: StreamConfig) -> None:
    changed = ok(update(stored, name="U", subjects=["u.>", "v"], retention="interest", mirror_direct=True))
    assert (changed.subjects, changed.retention, changed.max_age) == (["u.>", "v"], "interest", 0)


def test_validate_update_order_of_errors(stored: StreamConfig) -> None:
    assert (
        err(check_stream_update(None, cfg(name="NOPE", max_age=-1), subject_name="NOPE"))[2]
        == "max age can not be negative"
    )
    assert err(check_stream_update(None, cfg(name="NOPE"), subject_name="NOPE"))[1] == 10059
    assert err(update(stored, name="V"))[1] == 10056
    assert (
        err(check_stream_update(stored, cfg(name="V")))[2] == "stream configuration name must match original"
    )
    assert err(update(stored, name="U", num_replicas=3, storage="memory"))[1] == 10074


def test_validate_update_mirror_rules() -> None:
    mirror = ok(check_stream_create("M", cfg(name="M", mirror={"name": "O"})))
    changed = check_stream_update(mirror, cfg(name="M", mirror={"name": "O", "filter_subject": "x"}))
    assert err(changed) == (400, 10055, "stream mirror configuration can not be updated")
    promoted = ok(check_stream_update(mirror, cfg(name="M", subjects=["m"])))
    assert (promoted.mirror, promoted.duplicate_window) == (None, 120 * S)
    plain = ok(check_stream_create("P", cfg(name="P", subjects=["p"])))
    assert err(check_stream_update(plain, cfg(name="P", subjects=["p"], mirror={"name": "O"})))[1] == 10034
    assert err(check_stream_update(plain, cfg(name="P", mirror={"name": "O"})))[1] == 10055
    assert ok(
        check_stream_update(mirror, cfg(name="M", mirror={"name": "O"}, max_msgs=5))
    ).mirror == StreamSource(name="O")


def test_validate_update_subject_overlap(stored: StreamConfig) -> None:
    other = ok(check_stream_create("O", cfg(name="O", subjects=["o.>"])))
    result = check_stream_update(
        stored, cfg(name="U", subjects=["u.>", "o.x"]), streams={"U": stored, "O": other}
    )
    assert err(result)[1] == 10065


# -- subjects and mappings -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "collide"),
    [
        ("foo", "foo", True),
        ("foo", "bar", False),
        ("base.>", "base.x", True),
        ("*", "other", True),
        ("a.*", "b.>", False),
        ("a.*", "a.>", True),
        ("a.*.c", "a.b.*", True),
        ("a.*", "a.*.c", False),
        ("$JS.*.foo", "$JS.>", True),
        ("a.>", "*.b.c", True),
    ],
)
def test_validate_subjects_collide(a: str, b: str, collide: bool) -> None:
    assert subjects_collide(a, b) is collide
    assert subjects_collide(b, a) is collide


def test_validate_subject_rules() -> None:
    assert subject_is_subset_match("$JS.EVENT.ADVISORY.>", "$JS.EVENT.>")
    assert not subject_is_subset_match("$JS.>", "$JS.EVENT.>")
    assert subject_is_subset_match("foo.*", "foo.*")
    assert not subject_is_subset_match("foo.*", "foo.bar")
    assert is_valid_subject("a.*.>")
    assert not is_valid_subject("a.>.b")
    assert not is_valid_subject("a. b")


@pytest.mark.parametrize(
    ("src", "dest", "problem"),
    [
        ("f.*", "ff.{{wildcard(1)}}", None),
        ("f.*.*", "ff.$2.$1", None),
        ("f.*", "ff.{{partition(3)}}", None),
        ("f.*", "ff.{{ Wildcard( 1 ) }}", None),
        ("f.*", "f.{{random(10)}}", None),
        ("", "", None),
        (
            "a.*",
            "x.{{wildcard(2)}}",
            "invalid mapping destination: wildcard index out of range in {{wildcard(2)}}: [2]",
        ),
        (
            "z",
            "{{wildcard(1)}}",
            "invalid mapping destination: wildcard index out of range in {{wildcard(1)}}",
        ),
        ("z", "a.*", "invalid subject"),
        ("", "zz", "invalid subject"),
        ("m.*", "tm..x", "invalid mapping destination: invalid transform"),
        ("m.*", "tm.>.x", "invalid mapping destination: invalid transform in x"),
        ("m.*", "t.{{foo(1)}}", "invalid mapping destination: unknown function in {{foo(1)}}"),
        (
            "m.*",
            "t.{{wildcard()}}",
            "invalid mapping destination: not enough arguments passed to the function in {{wildcard()}}",
        ),
        (
            "m.*",
            "t.{{wildcard(x)}}",
            "invalid mapping destination: function argument is invalid or in the wrong format in {{wildcard(x)}}",
        ),
        (
            "m.*",
            "t.{{wildcard(1,2)}}",
            "invalid mapping destination: too many arguments passed to the function in {{wildcard(1,2)}}",
        ),
        (
            "m.*",
            "t.{{splitFromLeft(1)}}",
            "invalid mapping destination: not enough arguments passed to the function in {{splitFromLeft(1)}}",
        ),
    ],
)
def test_validate_mapping(src: str, dest: str, problem: str | None) -> None:
    assert validate_mapping(src, dest) == problem


def test_validate_republish_transform_errors() -> None:
    assert transform_error("y.*", "r.{{wildcard(3)}}") == (
        "invalid mapping destination: wildcard index out of range in {{wildcard(3)}}: [3]"
    )
    assert transform_error("q.*", "r.>") == "invalid subject"
    assert transform_error("y", "") is None
