# Protocol errors raised by the parser and by op handlers.
#
# A ProtocolError always ends the connection. `err` is the text sent as `-ERR '<err>'` before the
# close, or None for nats-server's silent closes (bad PUB/SUB/UNSUB arguments, bad CONNECT JSON,
# HPUB without headers). `reason` is what the log line says.
from __future__ import annotations

from typing import Final

__all__ = [
    "ERR_AUTH_TIMEOUT",
    "ERR_AUTH_VIOLATION",
    "ERR_BAD_PROTOCOL",
    "ERR_INVALID_PUB_SUBJECT",
    "ERR_INVALID_SUBJECT",
    "ERR_MAX_CONNECTIONS",
    "ERR_MAX_CONTROL_LINE",
    "ERR_MAX_PAYLOAD",
    "ERR_MAX_SUBSCRIPTIONS",
    "ERR_NO_RESPONDERS_HEADERS",
    "ERR_STALE_CONNECTION",
    "ERR_UNKNOWN_OP",
    "ProtocolError",
]

ERR_UNKNOWN_OP: Final = "Unknown Protocol Operation"
ERR_AUTH_VIOLATION: Final = "Authorization Violation"
ERR_AUTH_TIMEOUT: Final = "Authentication Timeout"
ERR_MAX_PAYLOAD: Final = "Maximum Payload Violation"
ERR_MAX_CONTROL_LINE: Final = "maximum control line exceeded"
ERR_MAX_CONNECTIONS: Final = "maximum connections exceeded"
ERR_MAX_SUBSCRIPTIONS: Final = "maximum subscriptions exceeded"
ERR_BAD_PROTOCOL: Final = "invalid client protocol"
ERR_NO_RESPONDERS_HEADERS: Final = "no responders requires headers support"
ERR_STALE_CONNECTION: Final = "Stale Connection"
ERR_INVALID_SUBJECT: Final = "Invalid Subject"
ERR_INVALID_PUB_SUBJECT: Final = "Invalid Publish Subject"


class ProtocolError(Exception):
    """The peer broke the protocol; the connection must be closed."""

    def __init__(self, err: str | None, reason: str) -> None:
        super().__init__(reason)
        self.err = err
        self.reason = reason
