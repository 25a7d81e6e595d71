# The JetStream error table: complete, unique, and rendered the way nats-server renders it.
from __future__ import annotations

import re

import pytest

from pynatsd.jetstream.errors import (
    BY_ERR_CODE,
    ERRORS,
    JSError,
    encode_error_response,
    error_response,
    invalid_json,
    js_error,
)
from pynatsd.jetstream.jsonutil import encode
from pynatsd.jetstream.types import response_type

# Spec 6.10: (err_code, code, description template).
SPEC_6_10 = [
    (10003, 400, "bad request"),
    (10004, 503, "incomplete results"),
    (10005, 400, "{err}"),
    (10008, 503, "JetStream system temporarily unavailable"),
    (10010, 503, "JetStream clustering support required"),
    (10014, 404, "consumer not found"),
    (10025, 400, "invalid JSON: {err}"),
    (10026, 400, "maximum consumers limit reached"),
    (10027, 400, "maximum number of streams reached"),
    (10028, 500, "insufficient memory resources available"),
    (10047, 500, "insufficient storage resources available"),
    (10037, 404, "no message found"),
    (10039, 503, "JetStream not enabled for account"),
    (10052, 500, "{err}"),
    (10053, 500, "{err}"),
    (10054, 400, "message size exceeds maximum allowed"),
    (10056, 400, "stream name in subject does not match request"),
    (10057, 500, "{err}"),
    (10058, 400, "stream name already in use with a different configuration"),
    (10059, 404, "stream not found"),
    (10060, 400, "expected stream does not match"),
    (10065, 400, "subjects overlap with an existing stream"),
    (10070, 400, "wrong last msg ID: {id}"),
    (10071, 400, "wrong last sequence: {seq}"),
    (10074, 500, "replicas > 1 not supported in non-clustered mode"),
    (10076, 503, "JetStream not enabled"),
    (10077, 503, "{err}"),
    (10109, 400, "invalid operation on sealed stream"),
    (10111, 500, "{err}"),
    (10131, 400, "Consumer create request did not match filtered subject from create subject"),
    (10148, 400, "consumer already exists"),
    (10149, 400, "consumer does not exist"),
    (10157, 400, "pedantic mode: {err}"),
    (10158, 409, "duplicate message id is in process"),
    (10165, 400, "invalid per-message TTL"),
    (10166, 400, "per-message TTL is disabled"),
    (10167, 429, "too many requests"),
    (10185, 412, "JetStream minimum api level required"),
]


def test_errors_err_codes_are_unique() -> None:
    codes = [entry.err_code for entry in ERRORS.values()]
    assert len(codes) == len(set(codes))
    assert len(BY_ERR_CODE) == len(ERRORS)


def test_errors_table_is_complete() -> None:
    assert set(BY_ERR_CODE) == set(range(10002, 10227))
    assert len(ERRORS) == 225


def test_errors_names_match_their_entries() -> None:
    for name, entry in ERRORS.items():
        assert entry.name == name
        assert name.startswith("JS")
        assert entry.code in (400, 404, 409, 412, 429, 500, 503)


@pytest.mark.parametrize(("err_code", "code", "template"), SPEC_6_10)
def test_errors_spec_table(err_code: int, code: int, template: str) -> None:
    entry = BY_ERR_CODE[err_code]
    assert (entry.code, entry.description) == (code, template)


def test_errors_placeholders_are_known() -> None:
    known = {"err", "seq", "id", "prefix", "subject", "max", "limit", "header", "size", "msg"}
    for entry in ERRORS.values():
        assert set(re.findall(r"{(\w+)}", entry.description)) <= known


def test_errors_js_error_fills_placeholders() -> None:
    assert js_error("JSStreamWrongLastSequenceErrF", seq=7) == JSError(
        code=400, err_code=10071, description="wrong last sequence: 7"
    )
    overlap = js_error("JSStreamExternalDelPrefixOverlapsErrF", prefix="p", subject="s")
    assert overlap.description == "stream external delivery prefix p overlaps with stream subject s"
    assert js_error("JSStreamNotFoundErr").description == "stream not found"


def test_errors_unknown_name_raises() -> None:
    with pytest.raises(KeyError):
        js_error("JSNoSuchThing")


def test_errors_invalid_json_prefix() -> None:
    err = invalid_json('json: unknown field "rollup_hdrs"')
    assert (err.code, err.err_code) == (400, 10025)
    assert err.description == 'invalid JSON: json: unknown field "rollup_hdrs"'
    assert str(err) == err.description


def test_errors_encode_like_go() -> None:
    err = js_error("JSStreamReplicasNotSupportedErr")
    assert encode(err) == (
        b'{"code":500,"err_code":10074,"description":"replicas \\u003e 1 not supported in non-clustered mode"}'
    )
    # Go's ApiError omits an empty err_code and description.
    assert encode(JSError(code=503)) == b'{"code":503}'


def test_errors_response_shape() -> None:
    kind = response_type("stream_create_response")
    err = invalid_json("invalid character 'b' looking for beginning of object key string at offset 2")
    assert error_response(kind, err) == {"type": kind, "error": err}
    assert encode_error_response(kind, err) == (
        b'{"type":"io.nats.jetstream.api.v1.stream_create_response","error":{"code":400,"err_code":10025,'
        b'"description":"invalid JSON: invalid character \'b\' looking for beginning of object key string at offset 2"}}'
    )


def test_errors_are_immutable_and_comparable() -> None:
    err = js_error("JSStreamNotFoundErr")
    assert err == js_error("JSStreamNotFoundErr")
    assert hash(err) == hash(js_error("JSStreamNotFoundErr"))
    with pytest.raises(AttributeError):
        err.code = 1  # type: ignore[misc]
