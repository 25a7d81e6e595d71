# Subject permissions of a user: what it may publish and subscribe to, and the replies it may send.
#
# Why sublists: an allow or deny list is a set of subject patterns, and "does this subject match
# one of them" is exactly a sublist match. As in nats-server, the subject of a PUB or SUB is matched
# as a string, so a wildcard SUB subject is allowed only when some allow pattern covers it token by
# token (`SUB foo.>` passes `foo.>` or `>`, not `foo.bar`). Queue entries ("subject queue") restrict
# the queue groups a SUB may use.
#
# The publish check runs on every PUB of a restricted user, and the deny check of a wildcard
# subscription on every delivery, so their verdicts are cached per subject
# (bounded; half the entries go when it is full). Reply permissions (`allow_responses`) are not
# cached: a reply subject is allowed only while the user still holds an unused, unexpired grant
# for it, recorded when the user received a request.
#
# A wildcard SUB that only overlaps a deny entry is accepted; `deny_delivery` then tells delivery
# which messages to hold back from it.
from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import Any, Final

from pynatsd.core.sublist import Sublist
from pynatsd.core.subscription import SubKind, Subscription
from pynatsd.protocol.subject import is_literal, is_valid_subject, subject_matches

__all__ = ["PermissionError_", "Permissions", "ResponsePermission", "parse_permissions"]

PUB_CACHE_MAX: Final = 128
REPLY_GRANTS_MAX: Final = 4096
DEFAULT_RESPONSE_MAX: Final = 1
DEFAULT_RESPONSE_EXPIRES: Final = 120.0


class PermissionError_(ValueError):
    """A permissions block that nats-server would refuse to load."""


class ResponsePermission:
    __slots__ = ("expires", "max")

    def __init__(
        self, max_msgs: int = DEFAULT_RESPONSE_MAX, expires: float = DEFAULT_RESPONSE_EXPIRES
    ) -> None:
        self.max = max_msgs
        self.expires = expires


class _Rule:
    """One direction's allow and deny patterns."""

    __slots__ = ("allow", "allow_patterns", "deny", "deny_list")

    def __init__(self, allow: list[str] | None, deny: list[str] | None) -> None:
        self.allow_patterns = list(allow) if allow is not None else None
        self.deny_list = list(deny) if deny is not None else None
        self.allow = _sublist(allow) if allow is not None else None
        self.deny = _sublist(deny) if deny is not None else None

    def is_empty(self) -> bool:
        return self.allow is None and self.deny is None


def _sublist(patterns: Iterable[str]) -> Sublist:
    out = Sublist(cache=False)
    for entry in patterns:
        subject, _, queue = entry.strip().partition(" ")
        out.insert(Subscription(None, subject.encode(), queue.strip().encode(), b"", SubKind.INTERNAL))
    return out


def _queue_listed(queue: bytes, groups: tuple[tuple[Subscription, ...], ...]) -> bool:
    return any(subject_matches(g[0].queue, queue) for g in groups)


def _remember(cache: dict[bytes, bool], subject: bytes, verdict: bool) -> None:
    if len(cache) >= PUB_CACHE_MAX:
        for key in list(cache)[: PUB_CACHE_MAX // 2]:
            del cache[key]
    cache[subject] = verdict


class Permissions:
    """A user's publish and subscribe permissions, with reply grants."""

    __slots__ = ("_deny_cache", "_pub_cache", "pub", "replies", "resp", "sub")

    def __init__(
        self,
        pub_allow: list[str] | None = None,
        pub_deny: list[str] | None = None,
        sub_allow: list[str] | None = None,
        sub_deny: list[str] | None = None,
        resp: ResponsePermission | None = None,
    ) -> None:
        self.pub = _Rule(pub_allow, pub_deny)
        self.sub = _Rule(sub_allow, sub_deny)
        self.resp = resp
        if resp is not None and self.pub.allow is None:
            # Reply grants only mean something when publishing is otherwise restricted.
            self.pub.allow = Sublist(cache=False)
        self._pub_cache: dict[bytes, bool] = {}
        self._deny_cache: dict[bytes, bool] = {}
        self.replies: dict[bytes, list[float]] = {}

    def can_publish(self, subject: bytes) -> bool:
        verdict = self._pub_cache.get(subject)
        if verdict is None:
            verdict = self._check(self.pub, subject)
            _remember(self._pub_cache, subject, verdict)
        if not verdict and self.resp is not None:
            return self._use_reply_grant(subject)
        return verdict

    @staticmethod
    def _check(rule: _Rule, subject: bytes) -> bool:
        if rule.allow is not None and not rule.allow.has_interest(subject):
            return False
        return rule.deny is None or not rule.deny.has_interest(subject)

    def can_subscribe(self, subject: bytes, queue: bytes = b"") -> bool:
        rule = self.sub
        if rule.allow is not None:
            psubs, qgroups = rule.allow.match(subject)
            allowed = bool(psubs)
            if queue and qgroups:
                allowed = _queue_listed(queue, qgroups)
            if not allowed:
                return False
        if rule.deny is not None:
            psubs, qgroups = rule.deny.match(subject)
            if psubs:
                return False
            if queue and qgroups and _queue_listed(queue, qgroups):
                return False
        return True

    def deny_delivery(self, sub_subject: bytes, msg_subject: bytes) -> bool:
        """Whether a message on msg_subject must be held back from a wildcard subscription."""
        deny = self.sub.deny
        if deny is None or is_literal(sub_subject):
            return False
        verdict = self._deny_cache.get(msg_subject)
        if verdict is None:
            verdict = bool(deny.match(msg_subject)[0])
            _remember(self._deny_cache, msg_subject, verdict)
        return verdict

    def grant_reply(self, reply: bytes) -> None:
        """The user received a request: it may answer on reply, within the response limits."""
        replies = self.replies
        replies[reply] = [time.monotonic(), 0]
        if len(replies) > REPLY_GRANTS_MAX and self.resp is not None and self.resp.expires > 0:
            cutoff = time.monotonic() - self.resp.expires
            for key in [k for k, (t, _) in replies.items() if t < cutoff]:
                del replies[key]

    def _use_reply_grant(self, subject: bytes) -> bool:
        grant = self.replies.get(subject)
        resp = self.resp
        if grant is None or resp is None:
            return False
        grant[1] += 1
        expired = resp.expires > 0 and time.monotonic() - grant[0] > resp.expires
        if expired or (resp.max > 0 and grant[1] > resp.max):
            del self.replies[subject]
            return False
        return True


# -- config ------------------------------------------------------------------------------------


def _subject_list(value: Any, what: str) -> list[str]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(s, str) for s in items):
        raise PermissionError_(f"Expected {what} to be a subject or list of subjects")
    for entry in items:
        subject = entry.strip().split(" ", 1)[0]
        if not is_valid_subject(subject.encode()):
            raise PermissionError_(f'invalid subject "{subject}" in {what}')
    return list(items)


def _direction(value: Any, what: str) -> tuple[list[str] | None, list[str] | None]:
    if isinstance(value, Mapping):
        unknown = set(value) - {"allow", "deny"}
        if unknown:
            raise PermissionError_(f'Unknown field "{sorted(unknown)[0]}" parsing {what} permissions')
        allow = _subject_list(value["allow"], what) if "allow" in value else None
        deny = _subject_list(value["deny"], what) if "deny" in value else None
        return allow, deny
    return _subject_list(value, what), None


def _responses(value: Any) -> ResponsePermission | None:
    if value is True:
        return ResponsePermission()
    if value is False or value is None:
        return None
    if not isinstance(value, Mapping):
        raise PermissionError_("Expected allow_responses to be a boolean or map")
    from pynatsd.config import parse_duration

    max_msgs = int(value.get("max", DEFAULT_RESPONSE_MAX))
    expires = value.get("expires")
    if expires is None:
        secs = DEFAULT_RESPONSE_EXPIRES
    elif isinstance(expires, float):
        secs = expires
    else:
        secs = parse_duration(expires, field="expires")
    return ResponsePermission(max_msgs, secs)


def parse_permissions(block: Any) -> Permissions | None:
    """A `permissions { publish, subscribe, allow_responses }` block (import/export as aliases)."""
    if block is None:
        return None
    if not isinstance(block, Mapping):
        raise PermissionError_("Expected permissions to be a map")
    pub: tuple[list[str] | None, list[str] | None] = (None, None)
    sub: tuple[list[str] | None, list[str] | None] = (None, None)
    resp = None
    for key, value in block.items():
        name = key.lower()
        if name in ("publish", "import", "pub"):
            pub = _direction(value, "publish")
        elif name in ("subscribe", "export", "sub"):
            sub = _direction(value, "subscribe")
        elif name in ("allow_responses", "allow_responses_all"):
            resp = _responses(value)
        else:
            raise PermissionError_(f'Unknown field "{key}" parsing permissions')
    perms = Permissions(pub[0], pub[1], sub[0], sub[1], resp)
    return None if perms.pub.is_empty() and perms.sub.is_empty() and resp is None else perms
