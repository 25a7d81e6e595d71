# The sublist: subscriptions indexed by subject token, with a match cache.
#
# Theory of operation. Subscriptions live in a trie of levels, one per token; each node has literal
# children, a `*` child and a `>` child, and holds the plain subscriptions and the queue groups that
# end at it. match(subject) walks the trie for one literal subject and returns a SublistResult:
# plain subscribers, and queue groups as lists of members (the caller picks one member per group).
#
# Results are cached per subject (most traffic reuses a few subjects). A change to the trie drops
# only the cache entries it can affect: for a literal subscription, the one entry with that subject;
# for a wildcard one, the entries it matches. Results are immutable tuples, so a caller may hold one
# while the sublist changes.
#
# JetStream ack subjects ($JS.ACK.<stream>.<consumer>.<numbers...>) are unique per delivery, so
# they are cached by shape instead: their first four tokens and token count. That is exact while no
# subscription able to match an ack subject has a literal token from the fifth on (`ack_deep`
# counts those; while there is one, ack subjects are walked), because the walk past the fourth
# level then follows only `*` and `>` nodes. Any change to such subscriptions drops that cache.
#
# Invariants: a subscription object is inserted at most once; remove() of an absent subscription is
# a no-op returning False.
from __future__ import annotations

from typing import TYPE_CHECKING, Final

from pynatsd.protocol.subject import is_literal, subject_matches

if TYPE_CHECKING:
    from pynatsd.core.subscription import Subscription

__all__ = ["EMPTY_RESULT", "Sublist", "SublistResult"]

CACHE_MAX: Final = 1024
_ACK: Final = b"$JS.ACK."
# (plain subscribers, queue groups)
SublistResult = tuple[tuple["Subscription", ...], tuple[tuple["Subscription", ...], ...]]
# Test a result for emptiness, never for identity with EMPTY_RESULT: the compiled build passes
# these fixed-length tuples unboxed, so the object a caller gets back is a new one.
EMPTY_RESULT: Final[SublistResult] = ((), ())


class _Node:
    __slots__ = ("fwc", "literal", "psubs", "pwc", "qsubs")

    def __init__(self) -> None:
        self.literal: dict[bytes, _Node] = {}
        self.pwc: _Node | None = None
        self.fwc: _Node | None = None
        self.psubs: dict[Subscription, None] = {}
        self.qsubs: dict[bytes, dict[Subscription, None]] = {}

    def is_empty(self) -> bool:
        return not (self.literal or self.pwc or self.fwc or self.psubs or self.qsubs)


class Sublist:
    __slots__ = (
        "_ack_cache",
        "_cache",
        "_root",
        "ack_deep",
        "cache_enabled",
        "count",
        "hits",
        "inserts",
        "matches",
        "removes",
    )

    def __init__(self, *, cache: bool = True) -> None:
        self._root = _Node()
        self._cache: dict[bytes, SublistResult] = {}
        self._ack_cache: dict[tuple[bytes, bytes, int], SublistResult] = {}
        self.ack_deep = 0
        self.cache_enabled = cache
        self.count = 0
        self.inserts = 0
        self.removes = 0
        self.matches = 0
        self.hits = 0

    # -- changes -------------------------------------------------------------------------------

    def insert(self, sub: Subscription) -> None:
        node = self._root
        for tok in sub.subject.split(b"."):
            if tok == b"*":
                if node.pwc is None:
                    node.pwc = _Node()
                node = node.pwc
            elif tok == b">":
                if node.fwc is None:
                    node.fwc = _Node()
                node = node.fwc
            else:
                nxt = node.literal.get(tok)
                if nxt is None:
                    nxt = node.literal[tok] = _Node()
                node = nxt
        if sub.queue:
            node.qsubs.setdefault(sub.queue, {})[sub] = None
        else:
            node.psubs[sub] = None
        self.count += 1
        self.inserts += 1
        self._invalidate(sub.subject)
        if _ack_capable(sub.subject):
            self._ack_cache.clear()
            if _ack_deep(sub.subject):
                self.ack_deep += 1

    def remove(self, sub: Subscription) -> bool:
        path: list[tuple[_Node, bytes]] = []
        node: _Node | None = self._root
        for tok in sub.subject.split(b"."):
            assert node is not None
            path.append((node, tok))
            if tok == b"*":
                node = node.pwc
            elif tok == b">":
                node = node.fwc
            else:
                node = node.literal.get(tok)
            if node is None:
                return False
        assert node is not None
        if sub.queue:
            group = node.qsubs.get(sub.queue)
            if group is None or sub not in group:
                return False
            del group[sub]
            if not group:
                del node.qsubs[sub.queue]
        else:
            if sub not in node.psubs:
                return False
            del node.psubs[sub]
        self._prune(path, node)
        self.count -= 1
        self.removes += 1
        self._invalidate(sub.subject)
        if _ack_capable(sub.subject):
            self._ack_cache.clear()
            if _ack_deep(sub.subject):
                self.ack_deep -= 1
        return True

    def _prune(self, path: list[tuple[_Node, bytes]], node: _Node) -> None:
        for parent, tok in reversed(path):
            if not node.is_empty():
                return
            if tok == b"*":
                parent.pwc = None
            elif tok == b">":
                parent.fwc = None
            else:
                del parent.literal[tok]
            node = parent

    def _invalidate(self, subject: bytes) -> None:
        cache = self._cache
        if not cache:
            return
        if is_literal(subject):
            cache.pop(subject, None)
            return
        for key in [k for k in cache if subject_matches(subject, k)]:
            del cache[key]

    # -- lookups -------------------------------------------------------------------------------

    def match(self, subject: bytes) -> SublistResult:
        """All subscriptions whose subject matches this literal subject."""
        self.matches += 1
        res = self._cache.get(subject)
        if res is not None:
            self.hits += 1
            return res
        if subject.startswith(_ACK) and self.cache_enabled:
            return self._match_ack(subject)
        res = self._walk(subject)
        if self.cache_enabled:
            cache = self._cache
            if len(cache) >= CACHE_MAX:
                for key in list(cache)[: CACHE_MAX // 2]:
                    del cache[key]
            cache[subject] = res
        return res

    def _match_ack(self, subject: bytes) -> SublistResult:
        """match() for an ack subject: cached by shape (see the module comment), never in the
        per-subject cache, where entries unique per delivery would only evict reusable ones."""
        toks = subject.split(b".")
        n = len(toks)
        if n < 5 or self.ack_deep or b"" in toks:
            return self._walk_tokens(toks)
        key = (toks[2], toks[3], n)
        cache = self._ack_cache
        res = cache.get(key)
        if res is None:
            res = self._walk_tokens(toks)
            if len(cache) >= CACHE_MAX:
                cache.clear()
            cache[key] = res
        return res

    def match_once(self, subject: bytes) -> SublistResult:
        """match() for a subject that is not expected again, such as a request's reply inbox: the
        result is not cached, so a stream of one-off subjects neither pays for cache entries nor
        evicts the entries of the subjects that recur."""
        self.matches += 1
        res = self._cache.get(subject)
        if res is not None:
            self.hits += 1
            return res
        return self._walk(subject)

    def _walk(self, subject: bytes) -> SublistResult:
        return self._walk_tokens(subject.split(b"."))

    def _walk_tokens(self, toks: list[bytes]) -> SublistResult:
        psubs: list[Subscription] = []
        qsubs: dict[bytes, list[Subscription]] = {}
        if b"" not in toks:  # a subject with an empty token matches nothing
            _collect(self._root, toks, 0, psubs, qsubs)
        if qsubs:
            return (tuple(psubs), tuple([tuple(g) for g in qsubs.values()]))
        return (tuple(psubs), ()) if psubs else EMPTY_RESULT

    def has_interest(self, subject: bytes) -> bool:
        res = self.match(subject)
        return bool(res[0] or res[1])

    def all_subscriptions(self) -> list[Subscription]:
        out: list[Subscription] = []
        stack = [self._root]
        while stack:
            node = stack.pop()
            out.extend(node.psubs)
            for group in node.qsubs.values():
                out.extend(group)
            stack.extend(node.literal.values())
            if node.pwc is not None:
                stack.append(node.pwc)
            if node.fwc is not None:
                stack.append(node.fwc)
        return out

    def cache_size(self) -> int:
        return len(self._cache)

    def fanout_stats(self) -> tuple[int, int, int]:
        """(cached results, total fan-out over them, largest fan-out) for /subsz."""
        total = biggest = 0
        for psubs, qgroups in self._cache.values():
            n = len(psubs) + len(qgroups)
            total += n
            biggest = max(biggest, n)
        return len(self._cache), total, biggest


def _ack_capable(subject: bytes) -> bool:
    """Can this subscription subject match some ack subject?"""
    toks = subject.split(b".", 2)
    if toks[0] == b">":
        return True
    if toks[0] not in (b"$JS", b"*") or len(toks) < 2:
        return False
    return toks[1] in (b"ACK", b"*", b">")


def _ack_deep(subject: bytes) -> bool:
    """Does this ack-capable subject have a literal token from the fifth on?"""
    return any(tok not in (b"*", b">") for tok in subject.split(b".")[4:])


def _collect(
    level: _Node | None,
    toks: list[bytes],
    i: int,
    psubs: list[Subscription],
    qsubs: dict[bytes, list[Subscription]],
) -> None:
    # The walk visits nodes in nats-server's order (`>` before `*` before the literal at each level,
    # but the final literal before the final `*`), so overlapping subscriptions on one connection
    # receive their copies in the same order as from nats-server.
    node: _Node | None = None
    pwc: _Node | None = None
    for k in range(i, len(toks)):
        if level is None:
            return
        if level.fwc is not None:
            _add(level.fwc, psubs, qsubs)
        pwc = level.pwc
        if pwc is not None:
            _collect(pwc, toks, k + 1, psubs, qsubs)
        node = level.literal.get(toks[k])
        level = node
    if node is not None:
        _add(node, psubs, qsubs)
    if pwc is not None:
        _add(pwc, psubs, qsubs)


def _add(node: _Node, psubs: list[Subscription], qsubs: dict[bytes, list[Subscription]]) -> None:
    if node.psubs:
        psubs.extend(node.psubs)
    for q, group in node.qsubs.items():
        members = qsubs.get(q)
        if members is None:
            qsubs[q] = list(group)
        else:
            members.extend(group)
