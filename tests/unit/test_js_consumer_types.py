# Consumer config and consumer API types: JSON shapes and decoding as nats-server 2.15.1 does them.
from __future__ import annotations

import json

import pytest

from pynatsd.jetstream.errors import js_error
from pynatsd.jetstream.jsonutil import GoJSONError, decode, encode
from pynatsd.jetstream.types import (
    ConsumerConfig,
    ConsumerCreateResponse,
    ConsumerInfo,
    ConsumerListResponse,
    ConsumerNamesResponse,
    ConsumerPauseResponse,
    ConsumerResetResponse,
    CreateConsumerRequest,
    PriorityGroupState,
    SequenceInfo,
)

S = 1_000_000_000


def test_consumer_config_minimal_json_keeps_non_omitempty_fields() -> None:
    assert encode(ConsumerConfig()) == (
        b'{"deliver_policy":"all","ack_policy":"none","replay_policy":"instant","num_replicas":0}'
    )


def test_consumer_config_field_order_is_go_order() -> None:
    cfg = ConsumerConfig(
        durable_name="d",
        name="d",
        description="x",
        deliver_policy="by_start_sequence",
        opt_start_seq=3,
        ack_policy="explicit",
        ack_wait=S,
        max_deliver=5,
        backoff=[S, 2 * S],
        filter_subject="a.b",
        replay_policy="original",
        sample_freq="10%",
        max_waiting=512,
        max_ack_pending=100,
        headers_only=True,
        max_batch=10,
        max_expires=S,
        max_bytes=1024,
        inactive_threshold=5 * S,
        num_replicas=1,
        mem_storage=True,
        metadata={"z": "1", "a": "2"},
        priority_groups=["g"],
        priority_policy="overflow",
    )
    data = encode(cfg)
    keys = list(json.loads(data))
    assert data.startswith(
        b'{"durable_name":"d","name":"d","description":"x","deliver_policy":"by_start_sequence"'
    )
    assert b'"metadata":{"a":"2","z":"1"}' in data
    assert data.endswith(b'"priority_groups":["g"],"priority_policy":"overflow"}')
    assert keys.index("num_replicas") < keys.index("mem_storage") < keys.index("metadata")


def test_consumer_config_priority_policy_none_is_omitted() -> None:
    assert b"priority_policy" not in encode(ConsumerConfig(priority_policy="none"))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b'"all"', "all"),
        (b'"undefined"', "all"),
        (b'"last_per_subject"', "last_per_subject"),
        (b'"by_start_time"', "by_start_time"),
    ],
)
def test_deliver_policy_decodes_go_spellings(raw: bytes, expected: str) -> None:
    body = b'{"deliver_policy":' + raw + b"}"
    assert decode(body, ConsumerConfig).deliver_policy == expected


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"deliver_policy":"ALL"}', 'can not unmarshal "\\"ALL\\""'),
        (b'{"deliver_policy":null}', 'can not unmarshal "null"'),
        (b'{"ack_policy":"bogus"}', 'can not unmarshal "\\"bogus\\""'),
        (b'{"replay_policy":1}', 'can not unmarshal "1"'),
        (b'{"priority_policy":"x"}', 'unknown priority policy: "x"'),
        (b'{"bogus":1}', 'json: unknown field "bogus"'),
    ],
)
def test_consumer_config_decode_errors(body: bytes, message: str) -> None:
    with pytest.raises(GoJSONError) as info:
        decode(body, ConsumerConfig)
    assert str(info.value) == message


def test_create_request_action_decoding() -> None:
    assert decode(b'{"action":"create"}', CreateConsumerRequest).action == "create"
    assert decode(b'{"action":""}', CreateConsumerRequest).action == ""
    with pytest.raises(GoJSONError) as info:
        decode(b'{"action":"CREATE"}', CreateConsumerRequest)
    assert str(info.value) == 'unknown consumer action: "CREATE"'


def test_create_request_keeps_start_time_text() -> None:
    req = decode(
        b'{"stream_name":"S","config":{"opt_start_time":"2024-01-01T01:00:00.000+01:00"}}',
        CreateConsumerRequest,
    )
    assert req.config.opt_start_time == "2024-01-01T01:00:00+01:00"
    assert b'"opt_start_time":"2024-01-01T01:00:00+01:00"' in encode(req.config)


def test_consumer_info_shape() -> None:
    info = ConsumerInfo(
        stream_name="S",
        name="c",
        created=S,
        config=ConsumerConfig(name="c"),
        delivered=SequenceInfo(consumer_seq=1, stream_seq=2, last_active=3 * S),
        ts=2 * S,
        priority_groups=[PriorityGroupState(group="g")],
    )
    data = encode(ConsumerCreateResponse(info=info))
    assert data == (
        b'{"type":"io.nats.jetstream.api.v1.consumer_create_response","stream_name":"S","name":"c",'
        b'"created":"1970-01-01T00:00:01Z","config":{"name":"c","deliver_policy":"all",'
        b'"ack_policy":"none","replay_policy":"instant","num_replicas":0},'
        b'"delivered":{"consumer_seq":1,"stream_seq":2,"last_active":"1970-01-01T00:00:03Z"},'
        b'"ack_floor":{"consumer_seq":0,"stream_seq":0},"num_ack_pending":0,"num_redelivered":0,'
        b'"num_waiting":0,"num_pending":0,"ts":"1970-01-01T00:00:02Z",'
        b'"priority_groups":[{"group":"g","pinned_ts":"0001-01-01T00:00:00Z"}]}'
    )


def test_paused_info_shows_paused_and_remaining() -> None:
    data = encode(ConsumerInfo(paused=True, pause_remaining=5, push_bound=True))
    assert b'"num_pending":0,"push_bound":true,"paused":true,"pause_remaining":5,"ts":' in data


def test_error_responses_keep_sibling_fields() -> None:
    err = js_error("JSStreamNotFoundErr")
    assert encode(ConsumerNamesResponse(error=err)) == (
        b'{"type":"io.nats.jetstream.api.v1.consumer_names_response","error":{"code":404,'
        b'"err_code":10059,"description":"stream not found"},"total":0,"offset":0,"limit":0,"consumers":[]}'
    )
    assert encode(ConsumerListResponse(error=err)).endswith(b'"total":0,"offset":0,"limit":0,"consumers":[]}')
    assert encode(ConsumerPauseResponse(error=err)).endswith(
        b'"paused":false,"pause_until":"0001-01-01T00:00:00Z"}'
    )
    assert encode(ConsumerResetResponse(error=err)).endswith(b'"reset_seq":0}')
    assert encode(ConsumerCreateResponse(error=err)) == (
        b'{"type":"io.nats.jetstream.api.v1.consumer_create_response","error":{"code":404,'
        b'"err_code":10059,"description":"stream not found"}}'
    )
