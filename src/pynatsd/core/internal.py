# The server as a client of itself: internal subscriptions and publishes.
#
# JetStream, the $SYS services and (later) service imports are implemented as subscriptions whose
# "client" is a callback: delivery calls `callback(sub, subject, reply, hdr_len, msg)` synchronously
# on the publisher's turn of the event loop, exactly where a client's MSG would be queued. Their
# answers go out through publish_internal, which routes like any publish but has no publishing
# connection (so no echo rule and no no-responders reply apply).
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from pynatsd.core.delivery import deliver, deliver_replies
from pynatsd.core.subscription import SubKind, Subscription

if TYPE_CHECKING:
    from pynatsd.core.accounts import Account

__all__ = [
    "InternalCallback",
    "publish_internal",
    "publish_replies",
    "subscribe_internal",
    "unsubscribe_internal",
]

# callback(sub, subject, reply, hdr_len, msg): `msg` holds the header block (hdr_len bytes) and then
# the payload. A callback that returns False declines the message, which then does not count as
# delivered (a requester with no other responder gets the no-responders status).
InternalCallback = Callable[[Subscription, bytes, bytes, int, bytes], "bool | None"]


def subscribe_internal(
    account: Account, subject: bytes, callback: InternalCallback, queue: bytes = b""
) -> Subscription:
    sub = Subscription(None, subject, queue, b"", SubKind.INTERNAL, callback)
    account.sublist.insert(sub)
    return sub


def unsubscribe_internal(account: Account, sub: Subscription) -> None:
    account.sublist.remove(sub)


def publish_internal(
    account: Account, subject: bytes, reply: bytes, payload: bytes, hdr: bytes = b""
) -> bool:
    """Publish into `account` as the server; True if anyone (client or internal) received it."""
    res = account.sublist.match(subject)
    if not res[0] and not res[1]:
        return False
    if hdr:
        return deliver(None, account, subject, reply, len(hdr), hdr + payload, res)
    return deliver(None, account, subject, reply, 0, payload, res)


def publish_replies(account: Account, replies: list[tuple[bytes, bytes]]) -> None:
    """publish_internal for a batch of (reply subject, payload) answers without headers."""
    deliver_replies(account.sublist, replies)
