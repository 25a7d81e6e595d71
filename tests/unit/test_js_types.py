# JetStream JSON types and the Go-compatible codec: bytes observed from nats-server 2.15.1 must come
# out of jsonutil.encode unchanged, and request bodies must fail with nats-server's decoder texts.
from __future__ import annotations

import pytest

from pynatsd.jetstream.errors import js_error
from pynatsd.jetstream.jsonutil import (
    ZERO_TIME,
    GoJSONError,
    decode,
    encode,
    format_go_time,
    is_empty_request,
    parse_go_time,
)
from pynatsd.jetstream.jsonutil_scan import go_quote, go_quote_char, scan_values
from pynatsd.jetstream.types import (
    AccountInfo,
    AccountInfoResponse,
    JetStreamAPIStats,
    MsgGetResponse,
    Placement,
    PubAck,
    PubAckResponse,
    StoredMsg,
    StreamConfig,
    StreamConfigRequest,
    StreamCreateResponse,
    StreamInfo,
    StreamInfoResponse,
    StreamListResponse,
    StreamNamesResponse,
    StreamPurgeResponse,
    StreamSource,
    StreamState,
    encode_pub_ack,
)

# Observed nats-server 2.15.1 output (STREAM.INFO of a default stream, minus the type/paging prefix).
INFO_DEFAULT = (
    b'{"config":{"name":"A","subjects":["A"],"retention":"limits","max_consumers":-1,"max_msgs":-1,'
    b'"max_bytes":-1,"max_age":0,"max_msgs_per_subject":-1,"max_msg_size":-1,"discard":"old","storage":"file",'
    b'"num_replicas":1,"duplicate_window":120000000000,"compression":"none","allow_direct":false,'
    b'"mirror_direct":false,"sealed":false,"deny_delete":false,"deny_purge":false,"allow_rollup_hdrs":false,'
    b'"consumer_limits":{},"allow_msg_ttl":false,"metadata":{"_nats.level":"5","_nats.req.level":"0",'
    b'"_nats.ver":"2.15.1"}},"created":"2026-11-27T20:20:49.150226657Z","state":{"messages":0,"bytes":0,'
    b'"first_seq":0,"first_ts":"0001-01-01T00:00:00Z","last_seq":0,"last_ts":"0001-01-01T00:00:00Z",'
    b'"consumer_count":0},"cluster":{"leader":"NBWR5C6IRQLYPZ3AXXK4ZMLAJHKMKVD35K32BGXWCGFR4FCQJIPJNEXL"},'
    b'"ts":"2026-11-27T20:20:49.155099976Z"}'
)
# A config with every optional field set, as STREAM.CREATE returned it.
CONFIG_FULL = (
    b'{"name":"F","description":"x","subjects":["f.*","g"],"retention":"limits","max_consumers":10,'
    b'"max_msgs":100,"max_bytes":1000000,"max_age":3600000000000,"max_msgs_per_subject":5,"max_msg_size":1024,'
    b'"discard":"new","storage":"file","num_replicas":1,"no_ack":true,"duplicate_window":60000000000,'
    b'"placement":{"cluster":"c","tags":["t"]},"compression":"s2","first_seq":10,'
    b'"subject_transform":{"src":"f.*","dest":"ff.{{wildcard(1)}}"},'
    b'"republish":{"src":"f.\\u003e","dest":"rp.\\u003e","headers_only":true},"allow_direct":true,'
    b'"mirror_direct":false,"discard_new_per_subject":true,"sealed":false,"deny_delete":true,"deny_purge":false,'
    b'"allow_rollup_hdrs":true,"consumer_limits":{"inactive_threshold":1,"max_ack_pending":7},'
    b'"allow_msg_ttl":true,"subject_delete_marker_ttl":1000000000,"persist_mode":"async","allow_batched":true,'
    b'"metadata":{"_nats.level":"5","_nats.req.level":"4","_nats.ver":"2.15.1","a":"2","b":"1"}}'
)
# STREAM.INFO of a stream with an interior delete, and of a sourcing stream.
INFO_DELETED_STATE = (
    b'{"messages":3,"bytes":99,"first_seq":1,"first_ts":"2026-11-27T20:24:38.290735769Z","last_seq":4,'
    b'"last_ts":"2026-11-27T20:24:38.292139804Z","num_subjects":1,"num_deleted":1,"deleted":[2],"consumer_count":0}'
)
SOURCES_INFO = (
    b'{"config":{"name":"SRC","retention":"limits","max_consumers":-1,"max_msgs":-1,"max_bytes":-1,"max_age":0,'
    b'"max_msgs_per_subject":-1,"max_msg_size":-1,"discard":"old","storage":"file","num_replicas":1,'
    b'"sources":[{"name":"S","subject_transforms":[{"src":"s.\\u003e","dest":"t.\\u003e"}]}],"compression":"none",'
    b'"allow_direct":false,"mirror_direct":false,"sealed":false,"deny_delete":false,"deny_purge":false,'
    b'"allow_rollup_hdrs":false,"consumer_limits":{},"allow_msg_ttl":false,"metadata":{"_nats.level":"5",'
    b'"_nats.req.level":"0","_nats.ver":"2.15.1"}},"created":"2026-11-27T20:24:38.296087167Z",'
    b'"state":{"messages":3,"bytes":285,"first_seq":1,"first_ts":"2026-11-27T20:24:38.413681481Z","last_seq":3,'
    b'"last_ts":"2026-11-27T20:24:38.413780087Z","num_subjects":1,"consumer_count":0},'
    b'"cluster":{"leader":"NA43K3ZQCHODIDMR56APTCM7W4LEGF27QHLCLYY5ECKB6VPP6VCM26MC"},'
    b'"sources":[{"name":"S","lag":0,"seq":4,"active":384844558,"subject_transforms":[{"src":"s.\\u003e",'
    b'"dest":"t.\\u003e"}]}],"ts":"2026-11-27T20:24:38.798486641Z"}'
)
MIRROR_CONFIG = (
    b'{"name":"M3","retention":"limits","max_consumers":-1,"max_msgs":-1,"max_bytes":-1,"max_age":1000000000,'
    b'"max_msgs_per_subject":-1,"max_msg_size":-1,"discard":"old","storage":"file","num_replicas":1,'
    b'"mirror":{"name":"G2","opt_start_time":"2024-01-01T01:00:00+01:00","external":{"api":"$JS.x.API",'
    b'"deliver":""}},"compression":"none","allow_direct":false,"mirror_direct":true,"sealed":false,'
    b'"deny_delete":false,"deny_purge":false,"allow_rollup_hdrs":false,"consumer_limits":{},"allow_msg_ttl":false,'
    b'"metadata":{"_nats.level":"5","_nats.req.level":"0","_nats.ver":"2.15.1"}}'
)
ACCOUNT_INFO = (
    b'{"type":"io.nats.jetstream.api.v1.account_info_response","memory":0,"storage":66,"reserved_memory":0,'
    b'"reserved_storage":0,"streams":1,"consumers":0,"limits":{"max_memory":-1,"max_storage":-1,"max_streams":-1,'
    b'"max_consumers":-1,"max_ack_pending":-1,"memory_max_stream_bytes":-1,"storage_max_stream_bytes":-1,'
    b'"max_bytes_required":false},"domain":"hub","api":{"level":5,"total":1,"errors":0}}'
)


@pytest.mark.parametrize("raw", [INFO_DEFAULT, SOURCES_INFO])
def test_types_stream_info_round_trips_byte_for_byte(raw: bytes) -> None:
    assert encode(decode(raw, StreamInfo)) == raw


@pytest.mark.parametrize("raw", [CONFIG_FULL, MIRROR_CONFIG])
def test_types_stream_config_round_trips_byte_for_byte(raw: bytes) -> None:
    assert encode(decode(raw, StreamConfig)) == raw


def test_types_stream_state_keeps_deleted_details() -> None:
    state = decode(INFO_DELETED_STATE, StreamState)
    assert state.deleted == [2]
    assert state.first_ts == 1795811078290735769
    assert encode(state) == INFO_DELETED_STATE


def test_types_info_response_adds_paging_after_type() -> None:
    info = decode(INFO_DEFAULT, StreamInfo)
    head = b'{"type":"io.nats.jetstream.api.v1.stream_info_response","total":0,"offset":0,"limit":0,'
    assert encode(StreamInfoResponse(info=info)) == head + INFO_DEFAULT[1:]


def test_types_error_responses_drop_the_embedded_payload() -> None:
    err = js_error("JSStreamNotFoundErr")
    assert encode(StreamInfoResponse(error=err)) == (
        b'{"type":"io.nats.jetstream.api.v1.stream_info_response","error":{"code":404,"err_code":10059,'
        b'"description":"stream not found"},"total":0,"offset":0,"limit":0}'
    )
    assert encode(StreamPurgeResponse(error=err)) == (
        b'{"type":"io.nats.jetstream.api.v1.stream_purge_response","error":{"code":404,"err_code":10059,'
        b'"description":"stream not found"},"purged":0}'
    )
    assert encode(StreamCreateResponse(error=err)).endswith(b'"description":"stream not found"}}')


def test_types_create_response_ends_with_did_create() -> None:
    info = decode(INFO_DEFAULT, StreamInfo)
    info.cluster = None
    out = encode(StreamCreateResponse(info=info, did_create=True))
    assert out.startswith(b'{"type":"io.nats.jetstream.api.v1.stream_create_response","config":{"name":"A"')
    assert out.endswith(b'"ts":"2026-11-27T20:20:49.155099976Z","did_create":true}')


def test_types_names_and_list_empty_forms() -> None:
    assert encode(StreamNamesResponse()) == (
        b'{"type":"io.nats.jetstream.api.v1.stream_names_response","total":0,"offset":0,"limit":1024,"streams":null}'
    )
    assert encode(StreamListResponse()) == (
        b'{"type":"io.nats.jetstream.api.v1.stream_list_response","total":0,"offset":0,"limit":256,"streams":[]}'
    )


def test_types_account_info_shape() -> None:
    info = AccountInfo(storage=66, streams=1, domain="hub", api=JetStreamAPIStats(level=5, total=1))
    assert encode(AccountInfoResponse(info=info)) == ACCOUNT_INFO


def test_types_pub_ack_bytes() -> None:
    assert encode_pub_ack("S", 1) == b'{"stream":"S","seq":1}'
    assert encode_pub_ack("S", 2, duplicate=True) == b'{"stream":"S","seq":2,"duplicate": true}'
    assert encode_pub_ack("S", 1, domain="hub") == b'{"stream":"S","domain":"hub","seq":1}'
    err = js_error("JSStreamNotMatchErr")
    assert encode(PubAckResponse(error=err, ack=PubAck(stream="S"))) == (
        b'{"error":{"code":400,"err_code":10060,"description":"expected stream does not match"},'
        b'"stream":"S","seq":0}'
    )


def test_types_stored_msg_base64_and_empty_payload() -> None:
    msg = StoredMsg(subject="s.c", seq=3, hdrs=b"NATS/1.0\r\nFoo: bar\r\n\r\n", data=b"with hdr", time=1)
    assert encode(MsgGetResponse(message=msg)) == (
        b'{"type":"io.nats.jetstream.api.v1.stream_msg_get_response","message":{"subject":"s.c","seq":3,'
        b'"hdrs":"TkFUUy8xLjANCkZvbzogYmFyDQoNCg==","data":"d2l0aCBoZHI=","time":"1970-01-01T00:00:00.000000001Z"}}'
    )
    empty = StoredMsg(subject="s.a", seq=1, time=1795811078290735769)
    assert encode(empty) == b'{"subject":"s.a","seq":1,"time":"2026-11-27T20:24:38.290735769Z"}'


def test_types_go_escaping() -> None:
    cfg = StreamConfig(name="E", description="\u00e9\u2028\u2029<&>\b\f\x01\x7f\U0001f600")
    out = encode(cfg)
    expected = '"description":"\u00e9\\u2028\\u2029\\u003c\\u0026\\u003e\\b\\f\\u0001\x7f\U0001f600"'
    assert expected.encode() in out


def test_types_maps_are_sorted_structs_are_not() -> None:
    cfg = StreamConfig(name="M", metadata={"z": "1", "A": "2", "_nats.x": "3"})
    assert b'"metadata":{"A":"2","_nats.x":"3","z":"1"}' in encode(cfg)
    assert encode({"b": 1, "a": 2}) == b'{"b":1,"a":2}'


def test_types_placement_pointer_empty_vs_nil() -> None:
    assert b'"placement":{}' in encode(StreamConfig(placement=Placement(tags=[])))
    assert b"placement" not in encode(StreamConfig())


# -- time --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ns", "text"),
    [
        (0, ZERO_TIME),
        (1795811078290735769, "2026-11-27T20:24:38.290735769Z"),
        (1795811078290735700, "2026-11-27T20:24:38.2907357Z"),
        (1795811078000000000, "2026-11-27T20:24:38Z"),
        (1795811078142319000, "2026-11-27T20:24:38.142319Z"),
        (-500_000_000, "1969-12-31T23:59:59.5Z"),
    ],
)
def test_types_time_format(ns: int, text: str) -> None:
    assert format_go_time(ns) == text


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("2024-01-01T00:00:00.5Z", "2024-01-01T00:00:00.5Z"),
        ("2024-01-01T01:00:00.000+01:00", "2024-01-01T01:00:00+01:00"),
        ("2024-06-01T12:00:00.123456789-07:00", "2024-06-01T12:00:00.123456789-07:00"),
        ("2024-01-01T00:00:00,5Z", "2024-01-01T00:00:00.5Z"),
        ("2024-01-01T00:00:00+00:00", "2024-01-01T00:00:00Z"),
        ("2024-01-01T0:00:00Z", "2024-01-01T00:00:00Z"),
        ("0000-01-01T00:00:00Z", "0000-01-01T00:00:00Z"),
        ("2024-01-01T00:00:00.123456789123Z", "2024-01-01T00:00:00.123456789Z"),
    ],
)
def test_types_time_parse_canonical(text: str, canonical: str) -> None:
    assert parse_go_time(text).text == canonical


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2024-01-01", 'cannot parse "" as "T"'),
        ("2024-01-01T00:00:00", 'cannot parse "" as "Z07:00"'),
        ("2024-01-01 00:00:00Z", 'cannot parse " 00:00:00Z" as "T"'),
        ("2024-01-01t00:00:00z", 'cannot parse "t00:00:00z" as "T"'),
        ("2024-01-01T00:00:00.Z", 'cannot parse ".Z" as "Z07:00"'),
        ("2024-01-01T00:00:00+0100", 'cannot parse "+0100" as "Z07:00"'),
        ("24-01-01T00:00:00Z", 'cannot parse "24-01-01T00:00:00Z" as "2006"'),
        ("yesterday", 'cannot parse "yesterday" as "2006"'),
    ],
)
def test_types_time_parse_layout_errors(text: str, message: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_go_time(text)
    assert str(info.value) == f'parsing time "{text}" as "2006-01-02T15:04:05Z07:00": {message}'


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("2024-13-01T00:00:00Z", "month"),
        ("2024-02-30T00:00:00Z", "day"),
        ("2023-02-29T00:00:00Z", "day"),
        ("2024-01-01T24:00:00Z", "hour"),
        ("2024-01-01T00:00:00+25:00", "time zone offset hour"),
    ],
)
def test_types_time_parse_range_errors(text: str, what: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_go_time(text)
    assert str(info.value) == f'parsing time "{text}": {what} out of range'


def test_types_time_round_trip() -> None:
    for ns in (1, 999_999_999, 1_000_000_000, 1795811078290735769, 253402300799999999999):
        assert parse_go_time(format_go_time(ns)).unix_ns == ns


# -- decoding ----------------------------------------------------------------------------------

DECODE_ERRORS = [
    (b"{bad}", "invalid character 'b' looking for beginning of object key string at offset 2"),
    (b'{"name":"X",', "unexpected EOF"),
    (b"{", "unexpected EOF"),
    (b'{"name":"X"} x', "invalid character 'x' looking for beginning of value at offset 14"),
    (b'{"name":"X"} ]', "invalid character ']' looking for beginning of value at offset 14"),
    (b'{"name":"X","max_msgs":1.}', "invalid character '}' in numeric literal at offset 26"),
    (b'{"name":"X","max_msgs":01}', "invalid character '1' after object key:value pair at offset 25"),
    (b'{"name":"X","max_msgs":1e}', "invalid character '}' in numeric literal at offset 26"),
    (b'{"name":"X","max_msgs":+1}', "invalid character '+' looking for beginning of value at offset 24"),
    (b'{"name":"X", "max_msgs": -}', "invalid character '}' in numeric literal at offset 27"),
    (b'{"name":"X", "max_msgs": tru}', "invalid character '}' in literal true (expecting 'e') at offset 29"),
    (b'{"name":"X","description":"a\tb"}', "invalid character '\\t' in string at offset 29"),
    (b'{"name":"X","description":"a\\qb"}', "invalid escape sequence `\\q` in string at offset 30"),
    (b'{"name":"X","description":"a\\u12g4"}', "invalid escape sequence `\\u12g4` in string at offset 34"),
    (b'\xef\xbb\xbf{"name":"X"}', "invalid character '\\ufeff' looking for beginning of value at offset 3"),
    (b'{"name":"X" "a":1}', "invalid character '\"' after object key:value pair at offset 13"),
    (b'{"name":"X",}', "invalid character '}' looking for beginning of object key string at offset 13"),
    (b"{'name':'X'}", "invalid character '\\'' looking for beginning of object key string at offset 2"),
    (b'{"name" 1}', "invalid character '1' after object key at offset 9"),
    (b'{"subjects":["a" "b"]}', "invalid character '\"' after array element at offset 18"),
    (
        b'{"max_msgs":"x","name":"X","subjects":[}',
        "invalid character '}' looking for beginning of value at offset 40",
    ),
    (b'{"name":"X","rollup_hdrs":true}', 'json: unknown field "rollup_hdrs"'),
    (b'{"mirror":{"name":"A","bogus":1}}', 'json: unknown field "bogus"'),
    (b'{"name":"X"} {"a":1}', 'json: unknown field "a"'),
    (b"[]", "json: cannot unmarshal array into Go value of type server.StreamConfigRequest"),
    (b'{"name":"X"} 5', "json: cannot unmarshal number into Go value of type server.StreamConfigRequest"),
    (
        b'{"max_msgs":"5"}',
        "json: cannot unmarshal string into Go struct field StreamConfigRequest.max_msgs of type int64",
    ),
    (
        b'{"max_msgs":1.5}',
        "json: cannot unmarshal number 1.5 into Go struct field StreamConfigRequest.max_msgs of type int64",
    ),
    (
        b'{"max_msgs":1e3}',
        "json: cannot unmarshal number 1e3 into Go struct field StreamConfigRequest.max_msgs of type int64",
    ),
    (
        b'{"max_msgs":99999999999999999999}',
        "json: cannot unmarshal number 99999999999999999999 into Go struct field StreamConfigRequest.max_msgs of type int64",
    ),
    (
        b'{"max_msg_size":3000000000}',
        "json: cannot unmarshal number 3000000000 into Go struct field StreamConfigRequest.max_msg_size of type int32",
    ),
    (
        b'{"first_seq":-1}',
        "json: cannot unmarshal number -1 into Go struct field StreamConfigRequest.first_seq of type uint64",
    ),
    (
        b'{"max_age":"1s"}',
        "json: cannot unmarshal string into Go struct field StreamConfigRequest.max_age of type time.Duration",
    ),
    (
        b'{"name":5}',
        "json: cannot unmarshal number into Go struct field StreamConfigRequest.name of type string",
    ),
    (b'{"subjects":[1]}', "json: cannot unmarshal number into StreamConfigRequest.subjects.0 of type string"),
    (
        b'{"no_ack":1}',
        "json: cannot unmarshal number into Go struct field StreamConfigRequest.no_ack of type bool",
    ),
    (
        b'{"mirror":"A"}',
        "json: cannot unmarshal string into Go struct field StreamConfigRequest.mirror of type server.StreamSource",
    ),
    (
        b'{"sources":{}}',
        "json: cannot unmarshal object into Go struct field StreamConfigRequest.sources of type []*server.StreamSource",
    ),
    (
        b'{"sources":[5]}',
        "json: cannot unmarshal number into StreamConfigRequest.sources.0 of type server.StreamSource",
    ),
    (
        b'{"sources":[{"external":{"api":1}}]}',
        "json: cannot unmarshal number into Go struct field StreamConfigRequest.sources.0.external.api of type string",
    ),
    (
        b'{"metadata":{"a":1}}',
        "json: cannot unmarshal number into Go struct field StreamConfigRequest.metadata.a of type string",
    ),
    (
        b'{"metadata":[]}',
        "json: cannot unmarshal array into Go struct field StreamConfigRequest.metadata of type map[string]string",
    ),
    (
        b'{"mirror":{"subject_transforms":[1]}}',
        "json: cannot unmarshal number into StreamConfigRequest.mirror.subject_transforms.0 of type server.SubjectTransformConfig",
    ),
    (
        b'{"mirror":{"opt_start_time":5}}',
        "json: cannot unmarshal number into Go struct field StreamConfigRequest.mirror.opt_start_time of type time.Time",
    ),
    (b'{"retention":"bogus"}', 'can not unmarshal "\\"bogus\\""'),
    (b'{"retention":5}', 'can not unmarshal "5"'),
    (b'{"retention":"\\u006cimits"}', 'can not unmarshal "\\"\\\\u006cimits\\""'),
    (b'{"retention":{"a" : 1}}', 'can not unmarshal "{\\"a\\" : 1}"'),
    (b'{"storage":"Memory"}', 'can not unmarshal "\\"Memory\\""'),
    (b'{"persist_mode":null}', 'can not unmarshal "null"'),
    (b'{"compression":"gzip"}', "unknown compression algorithm"),
    (b'{"compression":null}', "unknown compression algorithm"),
    (b'{"compression":5}', "json: cannot unmarshal number into Go value of type string"),
    (
        b'{"max_msgs":"x","retention":"bogus"}',
        "json: cannot unmarshal string into Go struct field StreamConfigRequest.max_msgs of type int64",
    ),
    (b'{"retention":"bogus","max_msgs":"x"}', 'can not unmarshal "\\"bogus\\""'),
    (b'{"bogus":1,"max_msgs":"x"}', 'json: unknown field "bogus"'),
    (
        b'{"mirror":{"opt_start_time":"2024-13-01T00:00:00Z"}}',
        'parsing time "2024-13-01T00:00:00Z": month out of range',
    ),
]


@pytest.mark.parametrize(("body", "message"), DECODE_ERRORS)
def test_types_decode_errors_match_nats_server(body: bytes, message: str) -> None:
    with pytest.raises(GoJSONError) as info:
        decode(body, StreamConfigRequest)
    assert str(info.value) == message


def test_types_decode_go_semantics() -> None:
    cfg = decode(b'{"NAME":"X","Max_Msgs":5,"CONSUMER_LIMITS":{"Max_Ack_Pending":2}}', StreamConfigRequest)
    assert (cfg.name, cfg.max_msgs, cfg.consumer_limits.max_ack_pending) == ("X", 5, 2)
    merged = decode(
        b'{"metadata":{"x":"1"},"metadata":{"y":"2"},"mirror":{"name":"A"},"mirror":{"filter_subject":"a"}}',
        StreamConfig,
    )
    assert merged.metadata == {"x": "1", "y": "2"}
    assert merged.mirror == StreamSource(name="A", filter_subject="a")
    stream = decode(b'{"name":"X","subjects":["a"]}\n{"description":"second"} null', StreamConfig)
    assert (stream.name, stream.subjects, stream.description) == ("X", ["a"], "second")
    nulls = decode(
        b'{"max_msgs":null,"subjects":["a"],"subjects":null,"sources":[null],"placement":{"tags":[null]}}',
        StreamConfig,
    )
    assert (nulls.max_msgs, nulls.subjects, nulls.sources) == (0, None, [None])
    assert nulls.placement is not None
    assert nulls.placement.tags == [""]


def test_types_decode_enum_rules() -> None:
    cfg = decode(
        b'{"discard":"NEW","compression":"s\\u0032","persist_mode":"","storage":"memory"}', StreamConfig
    )
    assert (cfg.discard, cfg.compression, cfg.persist_mode, cfg.storage) == ("new", "s2", "default", "memory")


def test_types_decode_strings() -> None:
    cfg = decode(b'{"description":"\\u00e9\\ud83d\\ude00\\ud800 \xc3\xa9 \xff \\/"}', StreamConfig)
    assert cfg.description == "\u00e9\U0001f600\ufffd \u00e9 \ufffd /"
    assert decode(b"", StreamConfig) == StreamConfig()
    assert decode(b"  null  ", StreamConfig) == StreamConfig()


def test_types_decode_depth_is_bounded() -> None:
    with pytest.raises(GoJSONError, match="exceeded max depth"):
        decode(b'{"metadata":' + b"[" * 200 + b"]" * 200 + b"}", StreamConfig)


def test_types_is_empty_request() -> None:
    assert is_empty_request(b"")
    assert is_empty_request(b"{}")
    assert is_empty_request(b"  { }  ")
    assert not is_empty_request(b'{"seq":1}')
    assert not is_empty_request(b"{bad")
    assert not is_empty_request(b"[]")


def test_types_go_quote() -> None:
    assert go_quote('a"b\\c\n\x01\x7f\u00e9\ufeff') == '"a\\"b\\\\c\\n\\x01\\x7f\u00e9\\ufeff"'
    assert go_quote_char("'") == "'\\''"
    assert go_quote_char('"') == "'\"'"
    assert go_quote_char("\t") == "'\\t'"


def test_types_scanner_keeps_spans() -> None:
    data = b' {"a" : [1, "x"]} '
    node = next(scan_values(data))
    assert (node.kind, data[node.start : node.end]) == ("object", b'{"a" : [1, "x"]}')
    assert isinstance(node.value, list)
    key, value = node.value[0]
    assert (key, data[value.start : value.end]) == ("a", b'[1, "x"]')
