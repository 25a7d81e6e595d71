# A blocking JetStream API client for setting up and checking bench runs (not for the timed part).
#
# Requests are plain PUBs to `$JS.API.*` with a reply inbox; the answer is a JSON document, or an HMSG
# status 503 when nothing answers, which is what a server without JetStream says.
from __future__ import annotations

import json
import secrets
import socket
import time
from typing import Any

from pynatsd.bench.wire import Frame, WireError, connect, parse_frames

__all__ = ["JsApi", "JsError", "NoJetStream"]

_API = "$JS.API."


class JsError(Exception):
    pass


class NoJetStream(JsError):
    pass


class JsApi:
    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.timeout = timeout
        self.inbox = f"_INBOX.{secrets.token_hex(6)}."
        self.sock: socket.socket = connect(url, "bench-control", f"SUB {self.inbox}* 1\r\n".encode(), timeout)
        self.k = 0
        self.data = b""

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> JsApi:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(self, api: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """One API call; raises NoJetStream on no responders and JsError on an API error."""
        self.k += 1
        reply = f"{self.inbox}{self.k}"
        payload = json.dumps(body).encode() if body is not None else b""
        self.sock.sendall(
            b"PUB %b %b %d\r\n%b\r\n" % ((_API + api).encode(), reply.encode(), len(payload), payload)
        )
        frame = self._wait(reply.encode())
        if frame.status == 503:
            raise NoJetStream("no JetStream: no responders")
        if frame.status:
            raise JsError(f"{_API}{api}: status {frame.status}")
        resp: dict[str, Any] = json.loads(frame.payload)
        err = resp.get("error")
        if err and "not available" in str(err.get("description", "")):
            # A server that says it lacks the feature: the scenario is n/a, not a failure.
            raise NoJetStream(f"{_API}{api}: {err['description']}")
        if err:
            raise JsError(f"{_API}{api}: {err.get('description', err)} (code {err.get('err_code', '?')})")
        return resp

    def _wait(self, subject: bytes) -> Frame:
        deadline = time.monotonic() + self.timeout
        while True:
            frames, pos = parse_frames(self.data)
            self.data = self.data[pos:]
            for f in frames:
                if f.op == b"PING":
                    self.sock.sendall(b"PONG\r\n")
                elif f.op == b"-ERR":
                    raise WireError(f"server error: {b' '.join(f.args).decode(errors='replace')}")
                elif f.op in (b"MSG", b"HMSG") and f.args[0] == subject:
                    return f
            left = deadline - time.monotonic()
            if left <= 0:
                raise JsError(f"no answer from {_API} within {self.timeout:g} s")
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(1 << 16)
            except TimeoutError:
                continue
            if not chunk:
                raise WireError("connection closed by the server")
            self.data += chunk

    def check(self) -> dict[str, Any]:
        """Account info: fails with NoJetStream when the server has none."""
        return self.request("INFO")

    def create_stream(self, name: str, subjects: list[str], storage: str) -> dict[str, Any]:
        cfg = {
            "name": name,
            "subjects": subjects,
            "storage": storage,
            "retention": "limits",
            "discard": "old",
            "max_msgs": -1,
            "max_bytes": -1,
            "max_age": 0,
            "num_replicas": 1,
        }
        return self.request(f"STREAM.CREATE.{name}", cfg)

    def delete_stream(self, name: str) -> None:
        self.request(f"STREAM.DELETE.{name}")

    def stream_info(self, name: str) -> dict[str, Any]:
        return self.request(f"STREAM.INFO.{name}")

    def create_consumer(self, stream: str, name: str, max_ack_pending: int) -> dict[str, Any]:
        cfg = {
            "name": name,
            "durable_name": name,
            "ack_policy": "explicit",
            "deliver_policy": "all",
            "ack_wait": 60_000_000_000,
            "max_ack_pending": max_ack_pending,
            "max_waiting": 512,
        }
        return self.request(f"CONSUMER.CREATE.{stream}.{name}", {"stream_name": stream, "config": cfg})

    def consumer_info(self, stream: str, name: str) -> dict[str, Any]:
        return self.request(f"CONSUMER.INFO.{stream}.{name}")
