# A subscription: who receives, on which subject, under which sid.
#
# `kind` tells local client subscriptions from route and internal ones (JetStream, $SYS services):
# delivery treats them differently, so it is fixed at creation.
from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pynatsd.core.client import ClientConnection

__all__ = ["SubKind", "Subscription"]


class SubKind(enum.IntEnum):
    CLIENT = 0
    ROUTE = 1
    INTERNAL = 2


class Subscription:
    __slots__ = ("callback", "client", "delivered", "kind", "max", "queue", "sid", "subject")

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
        # For INTERNAL subscriptions: callback(subject, reply, hdr, payload).
        self.callback = callback

    def __repr__(self) -> str:
        return f"<Subscription {self.subject!r} q={self.queue!r} sid={self.sid!r}>"
