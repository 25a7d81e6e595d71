# Server-to-client encoders, byte for byte: INFO framing and Go-style JSON, -ERR quoting, MSG and
# HMSG framing, and the no-responders status message (bytes as nats-server 2.15 sends them).
from __future__ import annotations

import json

import pytest

from pynatsd.protocol.encode import (
    OK,
    PING,
    PONG,
    encode_err,
    encode_hmsg,
    encode_info,
    encode_msg,
    go_json,
    no_responders_hmsg,
)
from pynatsd.protocol.errors import ERR_MAX_PAYLOAD, ERR_UNKNOWN_OP


def test_constants() -> None:
    assert OK == b"+OK\r\n"
    assert PING == b"PING\r\n"
    assert PONG == b"PONG\r\n"


def test_info_framing_keeps_key_order_and_trailing_space() -> None:
    info = {"server_id": "NABC", "version": "2.15.1", "proto": 1, "headers": True, "max_payload": 1048576}
    assert encode_info(info) == (
        b'INFO {"server_id":"NABC","version":"2.15.1","proto":1,"headers":true,"max_payload":1048576} \r\n'
    )


def test_info_nested_values_are_compact() -> None:
    info = {"connect_urls": ["127.0.0.1:4222", "127.0.0.1:4223"], "ldm": False, "x": None}
    assert encode_info(info) == (
        b'INFO {"connect_urls":["127.0.0.1:4222","127.0.0.1:4223"],"ldm":false,"x":null} \r\n'
    )


def test_go_json_escapes_html_characters() -> None:
    assert go_json({"server_name": "a<b&c>d"}) == b'{"server_name":"a\\u003cb\\u0026c\\u003ed"}'
    assert go_json({"<k>": "&"}) == b'{"\\u003ck\\u003e":"\\u0026"}'
    assert encode_info({"n": "<>&"}) == b'INFO {"n":"\\u003c\\u003e\\u0026"} \r\n'


def test_go_json_leaves_non_ascii_as_utf8() -> None:
    assert go_json({"n": "é✓"}) == '{"n":"é✓"}'.encode()


def test_go_json_control_characters_and_quotes() -> None:
    assert go_json("\b\f\n\r\t\x01\x1f") == b'"\\b\\f\\n\\r\\t\\u0001\\u001f"'
    assert go_json('q"b\\') == b'"q\\"b\\\\"'
    assert go_json("a/b") == b'"a/b"'


def test_go_json_round_trips() -> None:
    obj = {"a": "<tag> & 'q'", "b": [1, 2, {"c": "é"}], "d": True}
    assert json.loads(go_json(obj)) == obj


def test_go_json_escapes_line_and_paragraph_separators() -> None:
    assert go_json({"n": "a\u2028b\u2029c"}) == b'{"n":"a\\u2028b\\u2029c"}'


@pytest.mark.parametrize(
    ("text", "wire"),
    [
        (ERR_UNKNOWN_OP, b"-ERR 'Unknown Protocol Operation'\r\n"),
        (ERR_MAX_PAYLOAD, b"-ERR 'Maximum Payload Violation'\r\n"),
        (
            'Permissions Violation for Publish to "foo"',
            b"-ERR 'Permissions Violation for Publish to \"foo\"'\r\n",
        ),
    ],
)
def test_err_is_single_quoted(text: str, wire: bytes) -> None:
    assert encode_err(text) == wire


def test_msg() -> None:
    assert encode_msg(b"foo.bar", b"1", b"", b"hello") == b"MSG foo.bar 1 5\r\nhello\r\n"
    assert encode_msg(b"foo", b"sid9", b"_INBOX.r", b"hi") == b"MSG foo sid9 _INBOX.r 2\r\nhi\r\n"
    assert encode_msg(b"foo", b"1", b"", b"") == b"MSG foo 1 0\r\n\r\n"
    assert encode_msg(b"foo", b"1", b"", b"a\r\nb") == b"MSG foo 1 4\r\na\r\nb\r\n"


def test_hmsg() -> None:
    hdr = b"NATS/1.0\r\nK: v\r\n\r\n"
    assert len(hdr) == 18
    assert encode_hmsg(b"foo", b"1", b"", hdr, b"hi") == b"HMSG foo 1 18 20\r\n" + hdr + b"hi\r\n"
    assert encode_hmsg(b"foo", b"1", b"r.1", hdr, b"") == b"HMSG foo 1 r.1 18 18\r\n" + hdr + b"\r\n"


def test_no_responders_exact_bytes() -> None:
    assert no_responders_hmsg(b"_INBOX.x", b"1", b"req") == (
        b"HMSG _INBOX.x 1 35 35\r\nNATS/1.0 503\r\nNats-Subject: req\r\n\r\n\r\n"
    )


def test_no_responders_sizes_follow_subject() -> None:
    out = no_responders_hmsg(b"_INBOX.abc.def", b"42", b"svc.long.subject")
    hdr = b"NATS/1.0 503\r\nNats-Subject: svc.long.subject\r\n\r\n"
    assert out == b"HMSG _INBOX.abc.def 42 %d %d\r\n" % (len(hdr), len(hdr)) + hdr + b"\r\n"
