# Local interest, as the routes must see it.
#
# Peers need to know which subjects this server's clients listen on, not each subscription: a plain
# subject is announced (RS+) when its first local subscriber appears and withdrawn (RS-) when the
# last one leaves; a queue group is announced with its weight, the number of local members, again
# whenever that number changes, and withdrawn when it reaches zero. Only client subscriptions count:
# interest learned from a route is never passed on (the mesh is full, one hop reaches everyone).
# Subjects the route permissions do not let in (`allow` says no: see policy.py) are counted but
# never announced.
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from pynatsd.core.subscription import SubKind
from pynatsd.protocol.route import encode_rs_minus, encode_rs_plus

if TYPE_CHECKING:
    from pynatsd.core.accounts import Account
    from pynatsd.core.subscription import Subscription

__all__ = ["LocalInterest"]


class LocalInterest:
    __slots__ = ("_allow", "_counts")

    def __init__(self, allow: Callable[[bytes], bool] | None = None) -> None:
        self._counts: dict[tuple[bytes, bytes, bytes], int] = {}
        self._allow = allow

    def change(self, account: Account, sub: Subscription, added: bool) -> bytes | None:
        """Record one local subscription added or removed; the RS+/RS- line to send, if any."""
        if sub.kind is not SubKind.CLIENT:
            return None
        acc = account.name.encode()
        key = (acc, sub.subject, sub.queue)
        n = self._counts.get(key, 0) + (1 if added else -1)
        if n < 0:
            return None
        if n == 0:
            self._counts.pop(key, None)
        else:
            self._counts[key] = n
        if self._allow is not None and not self._allow(sub.subject):
            return None
        if n == 0:
            return encode_rs_minus(acc, sub.subject, sub.queue)
        if sub.queue:
            return encode_rs_plus(acc, sub.subject, sub.queue, n)
        return encode_rs_plus(acc, sub.subject) if n == 1 else None

    def all_lines(self) -> Iterator[bytes]:
        """RS+ for every local interest, for a route that just registered."""
        allow = self._allow
        for (acc, subject, queue), n in self._counts.items():
            if allow is None or allow(subject):
                yield encode_rs_plus(acc, subject, queue, n)

    def __len__(self) -> int:
        return len(self._counts)
