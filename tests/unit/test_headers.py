from __future__ import annotations

from pynatsd.protocol.headers import build_headers, get_header, parse_headers, status_of


def test_headers_build_plain_and_status() -> None:
    assert build_headers([("Nats-Msg-Id", "1")]) == b"NATS/1.0\r\nNats-Msg-Id: 1\r\n\r\n"
    assert build_headers(status=503) == b"NATS/1.0 503\r\n\r\n"
    assert build_headers(status=404, description="No Messages") == b"NATS/1.0 404 No Messages\r\n\r\n"


def test_headers_lookup_is_by_exact_key() -> None:
    hdr = b"NATS/1.0\r\nNats-Msg-Id:  abc \r\nX: 1\r\nX: 2\r\n\r\n"
    assert get_header(hdr, b"Nats-Msg-Id") == b"abc"
    assert get_header(hdr, b"X") == b"1"
    assert get_header(hdr, b"nats-msg-id") is None
    assert get_header(b"", b"X") is None
    assert parse_headers(hdr) == [("Nats-Msg-Id", "abc"), ("X", "1"), ("X", "2")]


def test_headers_status_line() -> None:
    assert status_of(b"NATS/1.0 408 Request Timeout\r\n\r\n") == (408, "Request Timeout")
    assert status_of(b"NATS/1.0 503\r\n\r\n") == (503, "")
    assert status_of(b"NATS/1.0\r\nA: b\r\n\r\n") == (0, "")
