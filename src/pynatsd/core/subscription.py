# A subscription: who receives, on which subject, under which sid.
#
# `kind` tells local client subscriptions from route and internal ones (JetStream, $SYS services):
# delivery treats them differently, so it is fixed at creation.
from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any

from pynatsd.protocol.subject import is_literal

if TYPE_CHECKING:
    from pynatsd.core.client import ClientConnection

__all__ = ["SubKind", "Subscription"]


class SubKind(enum.IntEnum):
    CLIENT = 0
    ROUTE = 1
    INTERNAL = 2


class Subscription:
    __slots__ = ("callback", "client", "delivered", "kind", "max", "msg_prefix", "queue", "sid", "subject")

    def __init__(
        self,
        client: ClientConnection | None,
        subject: bytes,
        queue: bytes,
        sid: bytes,
        kind: SubKind = SubKind.CLIENT,
        callback: Any = None,
    ) -> None:
        self.client = client
        self.subject = subject
        self.queue = queue
        self.sid = sid
        self.kind = kind
        self.max = 0
        self.delivered = 0
        # `MSG <subject> <sid>` for a literal subscription: every message it gets has exactly this
        # subject, so the start of its MSG line is built once. Empty for wildcard subscriptions.
        self.msg_prefix = b"MSG " + subject + b" " + sid if is_literal(subject) else b""
        # For INTERNAL subscriptions: callback(subject, reply, hdr, payload).
        self.callback = callback

    def __repr__(self) -> str:
        return f"<Subscription {self.subject!r} q={self.queue!r} sid={self.sid!r}>"
