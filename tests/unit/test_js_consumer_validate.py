# Consumer config defaults, validation, create subject forms and update rules; expected errors and
# texts are nats-server 2.15.1's.
from __future__ import annotations

from typing import Any

import pytest

from pynatsd.jetstream.errors import JSError
from pynatsd.jetstream.types import ConsumerConfig, CreateConsumerRequest, StreamConfig, StreamConsumerLimits
from pynatsd.jetstream.validate_consumer import (
    ConsumerLimits,
    CreateTarget,
    check_against_stream,
    check_consumer_config,
    check_consumer_update,
    check_create_request,
    consumer_required_level,
    create_target,
    new_consumer_name,
    set_consumer_defaults,
    set_consumer_static_metadata,
    with_consumer_metadata,
)

S = 1_000_000_000
STREAM = StreamConfig(name="S", subjects=["s.>"], num_replicas=1)


def cfg(**fields: Any) -> ConsumerConfig:
    return ConsumerConfig(**fields)


def defaulted(stream: StreamConfig = STREAM, **fields: Any) -> ConsumerConfig:
    c = cfg(**fields)
    assert set_consumer_defaults(c, stream) is None
    return c


def code(err: JSError | None) -> int | None:
    return None if err is None else err.err_code


# -- subject forms and the request -------------------------------------------------------------


def test_create_target_forms() -> None:
    assert create_target(False, ["S"]) == CreateTarget("ephemeral", "S")
    assert create_target(False, ["S", "c"]) == CreateTarget("named", "S", "c")
    assert create_target(False, ["S", "c", "a", "b"]) == CreateTarget("named", "S", "c", "a.b")
    assert create_target(True, ["S", "d"]) == CreateTarget("durable", "S", "d")
    assert create_target(True, ["S"]) is None
    assert create_target(True, ["S", "d", "x"]) is None
    assert create_target(False, []) is None


@pytest.mark.parametrize(
    ("target", "config", "stream_name", "err"),
    [
        (CreateTarget("named", "S", "c"), {}, "T", 10056),
        (CreateTarget("named", "S", "a/b"), {}, "S", 10127),
        (CreateTarget("named", "S", "c"), {"durable_name": "x"}, "S", 10017),
        (CreateTarget("named", "S", "c", "s.a"), {"filter_subjects": ["s.a"]}, "S", 10137),
        (CreateTarget("named", "S", "c", "s.a"), {"filter_subject": "s.b"}, "S", 10131),
        (CreateTarget("named", "S", "c", "s.a"), {}, "S", 10131),
        (CreateTarget("named", "S", "c", "s.a"), {"filter_subject": "s.a"}, "S", None),
        (CreateTarget("durable", "S", "d"), {}, "S", 10018),
        (CreateTarget("durable", "S", "d"), {"durable_name": "e"}, "S", 10017),
        (CreateTarget("ephemeral", "S"), {"durable_name": "e"}, "S", 10020),
        (CreateTarget("ephemeral", "S"), {"name": "e"}, "S", None),
    ],
)
def test_check_create_request(
    target: CreateTarget, config: dict[str, Any], stream_name: str, err: int | None
) -> None:
    req = CreateConsumerRequest(stream_name=stream_name, config=cfg(**config))
    assert code(check_create_request(req, target)) == err


def test_named_and_durable_forms_take_the_subject_name() -> None:
    req = CreateConsumerRequest(stream_name="S", config=cfg(name="other"))
    assert check_create_request(req, CreateTarget("named", "S", "c")) is None
    assert req.config.name == "c"
    req = CreateConsumerRequest(stream_name="S", config=cfg(durable_name="d", name="zz"))
    assert check_create_request(req, CreateTarget("durable", "S", "d")) is None
    assert req.config.name == "d"


# -- defaults ------------------------------------------------------------------------------------


def test_defaults_pull_ack_none() -> None:
    c = defaulted()
    assert (c.max_deliver, c.max_waiting, c.ack_wait, c.max_ack_pending, c.inactive_threshold) == (
        -1,
        512,
        0,
        0,
        0,
    )


def test_defaults_explicit_ack() -> None:
    c = defaulted(ack_policy="explicit")
    assert (c.ack_wait, c.max_ack_pending) == (30 * S, 1000)


def test_defaults_push_has_no_max_waiting() -> None:
    assert defaulted(deliver_subject="d").max_waiting == 0


def test_defaults_backoff_sets_ack_wait() -> None:
    assert defaulted(ack_policy="explicit", backoff=[2 * S, 4 * S]).ack_wait == 2 * S


def test_defaults_negative_values_clamped() -> None:
    c = defaulted(
        max_deliver=-5, max_waiting=-1, max_ack_pending=-7, max_batch=-1, max_expires=-1, idle_heartbeat=-1
    )
    assert (
        c.max_deliver,
        c.max_waiting,
        c.max_ack_pending,
        c.max_batch,
        c.max_expires,
        c.idle_heartbeat,
    ) == (
        -1,
        512,
        -1,
        0,
        0,
        0,
    )


def test_defaults_stream_consumer_limits() -> None:
    stream = StreamConfig(
        name="L", consumer_limits=StreamConsumerLimits(max_ack_pending=10, inactive_threshold=7 * S)
    )
    c = defaulted(stream)
    assert (c.max_ack_pending, c.inactive_threshold) == (10, 7 * S)


def test_defaults_server_and_account_ack_pending_limits() -> None:
    c = cfg(ack_policy="all")
    assert (
        set_consumer_defaults(
            c, STREAM, limits=ConsumerLimits(max_ack_pending=500, account_max_ack_pending=300)
        )
        is None
    )
    assert c.max_ack_pending == 300


def test_defaults_pinned_ttl_and_flow_control_ack() -> None:
    assert defaulted(priority_policy="pinned_client").priority_timeout == 120 * S
    c = defaulted(ack_policy="flow_control", deliver_subject="d")
    assert (c.flow_control, c.idle_heartbeat) == (True, S)


@pytest.mark.parametrize(
    ("fields", "text"),
    [
        ({"max_deliver": -2}, "pedantic mode: max_deliver must be set to -1"),
        ({"max_waiting": -1}, "pedantic mode: max_waiting must not be negative"),
        ({"max_ack_pending": -2}, "pedantic mode: max_ack_pending must be set to -1"),
        ({"max_bytes": -1}, "pedantic mode: max_bytes must not be negative"),
        ({"priority_timeout": -1}, "pedantic mode: priority_timeout must not be negative"),
        (
            {"ack_policy": "explicit", "backoff": [S]},
            "pedantic mode: first backoff value has to equal batch AckWait",
        ),
    ],
)
def test_defaults_pedantic(fields: dict[str, Any], text: str) -> None:
    err = set_consumer_defaults(cfg(**fields), STREAM, pedantic=True)
    assert err is not None
    assert (err.err_code, err.description) == (10157, text)


# -- checkConsumerCfg ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "err"),
    [
        ({"name": "a.b"}, 10052),
        ({"durable_name": "a*b"}, 10052),
        ({"num_replicas": 3}, 10126),
        ({"num_replicas": -1}, 10133),
        ({"ack_policy": "explicit", "backoff": [-1]}, 10184),
        ({"ack_policy": "explicit", "ack_wait": -1}, 10183),
        ({"ack_policy": "flow_control"}, 10218),
        ({"ack_policy": "explicit", "backoff": [S, S], "max_deliver": 1}, 10116),
        ({"description": "x" * 4097}, 10107),
        ({"deliver_subject": "d.*"}, 10079),
        ({"deliver_subject": "d..x"}, 10112),
        ({"deliver_subject": "s.x"}, 10081),
        ({"deliver_subject": "d", "ack_policy": "none", "max_ack_pending": 3}, 10082),
        ({"deliver_subject": "d", "idle_heartbeat": 1}, 10083),
        ({"rate_limit_bps": 1}, 10086),
        ({"idle_heartbeat": S}, 10088),
        ({"flow_control": True}, 10089),
        ({"max_expires": 1}, 10115),
        ({"direct": True}, 10090),
        ({"filter_subject": "s.a", "filter_subjects": ["s.b"]}, 10136),
        ({"filter_subject": "s..a"}, 10052),
        ({"filter_subjects": [""]}, 10139),
        ({"filter_subjects": ["s.a", "s.*"]}, 10138),
        ({"opt_start_seq": 1}, 10094),
        ({"deliver_policy": "last_per_subject"}, 10094),
        ({"deliver_policy": "by_start_time"}, 10094),
        ({"sample_freq": "x"}, 10095),
        ({"deliver_subject": "d", "flow_control": True}, 10108),
        ({"metadata": {"k": "v" * 131072}}, 10135),
        ({"priority_policy": "overflow"}, 10159),
        ({"priority_policy": "overflow", "priority_groups": [""]}, 10161),
        ({"priority_policy": "overflow", "priority_groups": ["a b"]}, 10162),
        ({"priority_groups": ["g"]}, 10196),
        ({"priority_timeout": S}, 10197),
        ({"deliver_subject": "d", "priority_policy": "overflow", "priority_groups": ["g"]}, 10178),
    ],
)
def test_check_consumer_config_errors(fields: dict[str, Any], err: int) -> None:
    c = defaulted(**fields)
    assert code(check_consumer_config(c, STREAM)) == err


def test_check_consumer_config_texts() -> None:
    err = check_consumer_config(defaulted(deliver_policy="new", opt_start_seq=3), STREAM)
    assert err is not None
    assert (
        err.description == "consumer delivery policy is deliver new, but optional start sequence is also set"
    )
    err = check_consumer_config(defaulted(sample_freq="abc"), STREAM)
    assert err is not None
    assert err.description == (
        'failed to parse consumer sampling configuration: strconv.Atoi: parsing "abc": invalid syntax'
    )


def test_check_consumer_config_accepts_full_configs() -> None:
    for fields in (
        {
            "ack_policy": "explicit",
            "backoff": [S, 2 * S],
            "max_deliver": 3,
            "filter_subjects": ["s.a", "s.b"],
        },
        {"deliver_subject": "d.x", "idle_heartbeat": S, "flow_control": True, "rate_limit_bps": 10},
        {"deliver_policy": "by_start_time", "opt_start_time": "2024-01-01T00:00:00Z"},
        {"deliver_policy": "last_per_subject", "filter_subject": "s.*", "sample_freq": "20%"},
        {"priority_policy": "pinned_client", "priority_groups": ["A/b=_-9"]},
        {"deliver_subject": "d.fc", "ack_policy": "flow_control", "max_ack_pending": 5},
    ):
        assert check_consumer_config(defaulted(**fields), STREAM) is None, fields


def test_stream_limits_are_checked() -> None:
    stream = StreamConfig(
        name="L", consumer_limits=StreamConsumerLimits(max_ack_pending=10, inactive_threshold=S)
    )
    err = check_consumer_config(defaulted(stream, ack_policy="explicit", max_ack_pending=11), stream)
    assert err is not None
    assert (err.err_code, err.description) == (10121, "consumer max ack pending exceeds system limit of 10")
    err = check_consumer_config(defaulted(stream, inactive_threshold=2 * S), stream)
    assert err is not None
    assert (err.err_code, err.description) == (
        10153,
        "consumer inactive threshold exceeds system limit of 1s",
    )


def test_workqueue_pull_needs_acks() -> None:
    wq = StreamConfig(name="W", retention="workqueue", num_replicas=1)
    assert code(check_consumer_config(defaulted(wq), wq)) == 10084


# -- against the stream's consumers --------------------------------------------------------------


def test_actions() -> None:
    existing = defaulted(name="c", ack_policy="explicit")
    others = {"c": existing}
    same = defaulted(name="c", ack_policy="explicit")
    assert check_against_stream(same, "create", STREAM, others) is None
    changed = defaulted(name="c", ack_policy="explicit", description="x")
    assert code(check_against_stream(changed, "create", STREAM, others)) == 10148
    assert check_against_stream(changed, "update", STREAM, others) is None
    assert code(check_against_stream(defaulted(name="n"), "update", STREAM, others)) == 10149


def test_ephemeral_inactive_threshold_default() -> None:
    new = defaulted(name="c")
    assert check_against_stream(new, "", STREAM, {}) is None
    assert new.inactive_threshold == 5 * S
    durable = defaulted(durable_name="d")
    assert check_against_stream(durable, "", STREAM, {}) is None
    assert durable.inactive_threshold == 0


@pytest.mark.parametrize(
    ("change", "text"),
    [
        ({"deliver_policy": "new"}, "deliver policy can not be updated"),
        ({"ack_policy": "all"}, "ack policy can not be updated"),
        ({"replay_policy": "original"}, "replay policy can not be updated"),
        ({"deliver_subject": "d"}, "can not update pull consumer to push based"),
        ({"max_waiting": 1}, "max waiting can not be updated"),
        ({"mem_storage": True}, "storage type can not be updated"),
    ],
)
def test_update_rules(change: dict[str, Any], text: str) -> None:
    old = defaulted(name="c", ack_policy="explicit")
    new = defaulted(**{"name": "c", "ack_policy": "explicit", **change})
    err = check_consumer_update(old, new)
    assert err is not None
    assert (err.err_code, err.description) == (10012, text)


def test_update_start_time_compares_instants() -> None:
    old = defaulted(deliver_policy="by_start_time", opt_start_time="2024-01-01T00:00:00Z")
    same = defaulted(deliver_policy="by_start_time", opt_start_time="2024-01-01T01:00:00+01:00")
    assert check_consumer_update(old, same) is None
    later = defaulted(deliver_policy="by_start_time", opt_start_time="2024-01-01T00:00:01Z")
    assert code(check_consumer_update(old, later)) == 10012


def test_max_consumers_and_workqueue_rules() -> None:
    limited = StreamConfig(name="L", max_consumers=1, num_replicas=1)
    assert (
        code(check_against_stream(defaulted(limited, name="b"), "", limited, {"a": defaulted(limited)}))
        == 10026
    )
    wq = StreamConfig(name="W", retention="workqueue", num_replicas=1)
    assert code(check_against_stream(defaulted(wq, name="a", ack_policy="all"), "", wq, {})) == 10098
    assert (
        code(
            check_against_stream(
                defaulted(wq, name="a", ack_policy="explicit", deliver_policy="new"), "", wq, {}
            )
        )
        == 10101
    )
    first = {"a": defaulted(wq, name="a", ack_policy="explicit", filter_subject="w.a")}
    assert code(check_against_stream(defaulted(wq, name="b", ack_policy="explicit"), "", wq, first)) == 10099
    overlap = defaulted(wq, name="b", ack_policy="explicit", filter_subject="w.*")
    assert code(check_against_stream(overlap, "", wq, first)) == 10100
    apart = defaulted(wq, name="b", ack_policy="explicit", filter_subject="w.b")
    assert check_against_stream(apart, "", wq, first) is None


# -- names and metadata --------------------------------------------------------------------------


def test_new_consumer_name() -> None:
    name = new_consumer_name({})
    assert len(name) == 8
    assert name.isalnum()


def test_required_levels_and_metadata() -> None:
    assert consumer_required_level(cfg()) == 0
    assert consumer_required_level(cfg(pause_until="2099-01-01T00:00:00Z")) == 1
    assert consumer_required_level(cfg(priority_policy="prioritized", priority_groups=["g"])) == 1
    assert consumer_required_level(cfg(ack_policy="flow_control")) == 4
    c = cfg(metadata={"_nats.ver": "x", "_nats.level": "y", "k": "v"})
    set_consumer_static_metadata(c)
    assert c.metadata == {"k": "v", "_nats.req.level": "0"}
    shown = with_consumer_metadata(c)
    assert shown.metadata == {"k": "v", "_nats.req.level": "0", "_nats.ver": "2.15.1", "_nats.level": "5"}
    assert c.metadata == {"k": "v", "_nats.req.level": "0"}


def test_push_consumer_may_not_leave_a_subscribed_deliver_subject() -> None:
    old = defaulted(name="p", deliver_subject="d.old")
    moved = defaulted(name="p", deliver_subject="d.new")
    err = check_against_stream(moved, "", STREAM, {"p": old}, bound=lambda subject: subject == "d.old")
    assert err is not None
    assert (err.err_code, err.description) == (10013, "consumer name already in use")
    assert check_against_stream(moved, "", STREAM, {"p": old}, bound=lambda subject: False) is None
