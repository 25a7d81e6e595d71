# Protocol tracing (-V / -DV): log each inbound op as nats-server does, `<<- [PUB foo 2]`.
#
# The tracer sits between the parser and the connection only when tracing is on, so a server
# without -V pays nothing for it.
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pynatsd.core.client import ClientConnection

__all__ = ["Tracer"]


def _s(b: bytes) -> str:
    return b.decode(errors="replace")


class Tracer:
    def __init__(self, client: ClientConnection) -> None:
        self.client = client
        self.log = client.server.log

    def _trace(self, text: str) -> None:
        self.log.trace(f"{self.client.log_prefix()} - <<- [{text}]")

    def on_connect(self, arg: bytes) -> None:
        self._trace(f"CONNECT {_s(arg)}")
        self.client.on_connect(arg)

    def on_pub(self, subject: bytes, reply: bytes, payload: bytes, sizes: bytes = b"") -> None:
        self._trace(" ".join(x for x in ("PUB", _s(subject), _s(reply), str(len(payload))) if x))
        self.log.trace(f"{self.client.log_prefix()} - <<- MSG_PAYLOAD: [{payload!r}]")
        self.client.on_pub(subject, reply, payload, sizes)

    def on_hpub(self, subject: bytes, reply: bytes, hdr_len: int, msg: bytes, sizes: bytes = b"") -> None:
        parts = ("HPUB", _s(subject), _s(reply), str(hdr_len), str(len(msg)))
        self._trace(" ".join(x for x in parts if x))
        self.client.on_hpub(subject, reply, hdr_len, msg, sizes)

    def on_sub(self, subject: bytes, queue: bytes, sid: bytes) -> None:
        self._trace(" ".join(x for x in ("SUB", _s(subject), _s(queue), _s(sid)) if x))
        self.client.on_sub(subject, queue, sid)

    def on_unsub(self, sid: bytes, max_msgs: int) -> None:
        self._trace(f"UNSUB {_s(sid)}" + (f" {max_msgs}" if max_msgs > 0 else ""))
        self.client.on_unsub(sid, max_msgs)

    def on_ping(self) -> None:
        self._trace("PING")
        self.client.on_ping()

    def on_pong(self) -> None:
        self._trace("PONG")
        self.client.on_pong()

    def on_info(self, arg: bytes) -> None:
        self._trace(f"INFO {_s(arg)}")
        self.client.on_info(arg)

    def on_err(self, arg: bytes) -> None:
        self._trace(f"-ERR {_s(arg)}")
        self.client.on_err(arg)

    def on_notice(self, err: str) -> None:
        self.client.on_notice(err)
