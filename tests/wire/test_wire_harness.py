# The transcript normaliser must hide only per-process values, and only when they are well formed.
from __future__ import annotations

from pynatsd.testing.normalize import Transcript, normalize_info_json, normalize_stream, split_frames

NKEY = "N" + "A" * 55
XKEY = "X" + "B" * 55


def test_volatile_info_values_are_masked() -> None:
    body = (
        f'{{"server_id":"{NKEY}","server_name":"x","version":"2.15.1","proto":1,"git_commit":"abc",'
        f'"go":"go1.27","host":"127.0.0.1","port":4222,"client_id":7,"nonce":"abcdefghijk-_12",'
        f'"connect_urls":["a:1","b:2"],"xkey":"{XKEY}"}}'
    ).encode()
    assert normalize_info_json(body) == (
        b'{"server_id":"<server_id>","server_name":"<server_name>","version":"<version>","proto":1,'
        b'"git_commit":"<git_commit>","go":"<go>","host":"127.0.0.1","port":"<port>","client_id":"<client_id>",'
        b'"nonce":"<nonce>","connect_urls":"<connect_urls>","xkey":"<xkey>"}'
    )


def test_malformed_values_stay_visible() -> None:
    body = b'{"server_id":"abc","version":"two","port":"4222","client_id":-1.5,"xkey":"N"}'
    assert normalize_info_json(body) == body


def test_only_info_frames_are_touched() -> None:
    info = f'INFO {{"server_id":"{NKEY}","port":1}} \r\n'.encode()
    payload = b'INFO {"port":1}'
    data = info + b"MSG a 1 %d\r\n%s\r\nPONG\r\n" % (len(payload), payload)
    assert split_frames(data) == [info, b"MSG a 1 15\r\n" + payload + b"\r\n", b"PONG\r\n"]
    assert normalize_stream(data) == (
        b'INFO {"server_id":"<server_id>","port":"<port>"} \r\nMSG a 1 15\r\n' + payload + b"\r\nPONG\r\n"
    )


def test_split_frames_keeps_partial_tail() -> None:
    assert split_frames(b"+OK\r\nHMSG a 1 2 4\r\nab") == [b"+OK\r\n", b"HMSG a 1 2 4\r\nab"]
    assert split_frames(b"PONG\r\nPIN") == [b"PONG\r\n", b"PIN"]


def test_transcript_equality_includes_close() -> None:
    assert Transcript.of(b"PONG\r\n", False) == Transcript(b"PONG\r\n", closed=False)
    assert Transcript.of(b"PONG\r\n", True) != Transcript(b"PONG\r\n", closed=False)
