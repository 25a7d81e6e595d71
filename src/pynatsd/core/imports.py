# Exports and imports: the only way subjects cross from one account to another.
#
# A stream export makes an account's messages on a subject visible to importers, under a prefix or
# a mapped subject. It is an internal subscription in the exporting account that delivers each
# message into the importer's sublist; it declines (does not count as interest) when nobody in the
# importer wants the message.
#
# A service export lets importers send requests into the exporting account. The importer holds an
# internal subscription on the local subject (`to`, or the service subject itself); a request on it
# is republished into the exporter on the service subject with its reply rewritten to a response
# subject of the exporter, `_R_.<account token>.<random>`, and a `Nats-Request-Info` header naming
# the requesting account and the requester's round-trip time. The exporter's single
# `_R_.<account token>.>` subscription carries responses back to the original reply subject: one
# response for a singleton service, any number until the threshold for stream and chunked ones.
#
# Who may import what is checked when the configuration is loaded, with nats-server's errors.
from __future__ import annotations

import secrets
import string
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final, NamedTuple

from pynatsd.core.delivery import current_source, deliver
from pynatsd.core.internal import subscribe_internal
from pynatsd.protocol.subject import is_literal, is_valid_subject, subject_matches

if TYPE_CHECKING:
    from pynatsd.core.accounts import Account
    from pynatsd.core.subscription import Subscription

__all__ = ["ImportError_", "ResponseRoute", "configure_imports", "map_subject", "track_down"]

RESPONSE_THRESHOLD: Final = 120.0
_ALPHABET: Final = string.ascii_letters + string.digits
_RESPONSE_TYPES: Final = ("singleton", "stream", "chunked")


class ImportError_(ValueError):
    """An import or export nats-server would refuse to load."""


class Export(NamedTuple):
    subject: str
    accounts: frozenset[str] | None
    response_type: str = "singleton"
    threshold: float = RESPONSE_THRESHOLD

    def allows(self, account: str) -> bool:
        return self.accounts is None or account in self.accounts


class ResponseRoute(NamedTuple):
    """Where the responses to one rewritten reply subject go: the requester's account and reply."""

    account: Account
    reply: bytes
    singleton: bool
    expires: float


def track_down(account: Account, reply: bytes) -> tuple[Account, bytes]:
    """The account and subject whose interest stands behind `reply`: a request that came through
    service imports is followed back to its requester (nats-server's trackDownAccountAndInterest)."""
    while reply.startswith(b"_R_."):
        routes = account.response_routes
        route = routes.get(reply) if routes is not None else None
        if route is None:
            break
        account, reply = route.account, route.reply
    return account, reply


def _token(n: int = 6) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(n))


def map_subject(pattern: bytes, target: bytes, subject: bytes) -> bytes:
    """subject matched `pattern`; place its wildcard tokens into `target`'s wildcards, in order."""
    if is_literal(target):
        return target
    src, subj = pattern.split(b"."), subject.split(b".")
    captured: list[bytes] = []
    for i, tok in enumerate(src):
        if tok == b"*":
            captured.append(subj[i])
        elif tok == b">":
            captured.append(b".".join(subj[i:]))
    out = []
    for tok in target.split(b"."):
        out.append(captured.pop(0) if tok in (b"*", b">") and captured else tok)
    return b".".join(out)


def _exports(block: Mapping[str, Any]) -> tuple[list[Export], list[Export]]:
    streams: list[Export] = []
    services: list[Export] = []
    for entry in block.get("exports", []) or []:
        if not isinstance(entry, Mapping):
            raise ImportError_("Export should be a map")
        names = entry.get("accounts")
        allowed = frozenset(str(a) for a in names) if names is not None else None
        if "stream" in entry:
            streams.append(Export(str(entry["stream"]), allowed))
        elif "service" in entry:
            kind = str(entry.get("response_type", entry.get("response", "singleton"))).lower()
            if kind not in _RESPONSE_TYPES:
                raise ImportError_(f'Unknown response type: "{kind}"')
            threshold = entry.get("response_threshold", entry.get("threshold"))
            secs = RESPONSE_THRESHOLD
            if threshold is not None:
                from pynatsd.config import parse_duration

                secs = parse_duration(threshold, field="response_threshold")
            services.append(Export(str(entry["service"]), allowed, kind, secs))
        else:
            raise ImportError_("Export needs a stream or a service subject")
    return streams, services


def _find(exports: list[Export], subject: str) -> Export | None:
    for exp in exports:
        if subject_matches(exp.subject.encode(), subject.encode()):
            return exp
    return None


class _Wiring:
    """The state of one server's imports: response routes per exporting account."""

    def __init__(self) -> None:
        self.responses: dict[bytes, ResponseRoute] = {}
        self.response_prefix: dict[str, bytes] = {}

    def stream_import(self, exporter: Account, importer: Account, subject: str, to: str, prefix: str) -> None:
        pattern = subject.encode()
        target = to.encode() if to else b""
        pre = prefix.encode() + b"." if prefix else b""

        def forward(sub: Subscription, subj: bytes, reply: bytes, hdr_len: int, msg: bytes) -> bool:
            local = pre + (map_subject(pattern, target, subj) if target else subj)
            res = importer.sublist.match(local)
            if not res[0] and not res[1]:
                return False
            return deliver(None, importer, local, reply, hdr_len, msg, res)

        subscribe_internal(exporter, pattern, forward)

    def service_import(
        self, exporter: Account, importer: Account, export: Export, subject: str, to: str
    ) -> None:
        remote = subject.encode()
        local = to.encode() if to else remote
        prefix = self._response_prefix(exporter)
        info = b'Nats-Request-Info: {"acc":"%s","rtt":' % importer.name.encode()

        def request(sub: Subscription, subj: bytes, reply: bytes, hdr_len: int, msg: bytes) -> bool:
            target = map_subject(local, remote, subj)
            res = exporter.sublist.match(target)
            if not res[0] and not res[1]:
                return False
            routed = b""
            if reply:
                routed = prefix + _token(8).encode()
                single = export.response_type == "singleton"
                self.responses[routed] = ResponseRoute(
                    importer, reply, single, time.monotonic() + export.threshold
                )
            requester = current_source()
            rtt = int(requester.rtt * 1e9) if requester is not None else 0
            hdr = msg[:hdr_len] if hdr_len else b"NATS/1.0\r\n\r\n"
            hdr = hdr[:-2] + info + b"%d}\r\n\r\n" % rtt
            body = msg[hdr_len:]
            return deliver(None, exporter, target, routed, len(hdr), hdr + body, res)

        subscribe_internal(importer, local, request)

    def _response_prefix(self, exporter: Account) -> bytes:
        prefix = self.response_prefix.get(exporter.name)
        if prefix is None:
            prefix = self.response_prefix[exporter.name] = f"_R_.{_token()}.".encode()
            exporter.response_routes = self.responses
            subscribe_internal(exporter, prefix + b">", self._respond)
        return prefix

    def _respond(self, sub: Subscription, subj: bytes, reply: bytes, hdr_len: int, msg: bytes) -> bool:
        route = self.responses.get(subj)
        if route is None:
            return False
        now = time.monotonic()
        if route.singleton or now > route.expires:
            del self.responses[subj]
            if now > route.expires:
                return False
        if len(self.responses) > 1024:
            self._expire(now)
        res = route.account.sublist.match(route.reply)
        if not res[0] and not res[1]:
            return False
        return deliver(None, route.account, route.reply, reply, hdr_len, msg, res)

    def _expire(self, now: float) -> None:
        for key in [k for k, r in self.responses.items() if r.expires < now]:
            del self.responses[key]


def _import_target(entry: Mapping[str, Any], kind: str) -> tuple[str, str]:
    spec = entry[kind]
    if not isinstance(spec, Mapping):
        raise ImportError_(f"{kind} import should be a map with account and subject")
    subject = str(spec.get("subject", ""))
    if not is_valid_subject(subject.encode()):
        raise ImportError_(f'Invalid subject "{subject}" for {kind} import')
    return str(spec.get("account", "")), subject


def configure_imports(accounts: Mapping[str, Account], blocks: Mapping[str, Any]) -> None:
    """Wire every account's imports to the exports they name; raise ImportError_ on a bad one."""
    exports = {name: _exports(b if isinstance(b, Mapping) else {}) for name, b in blocks.items()}
    wiring = _Wiring()
    errors: list[str] = []
    for name, block in blocks.items():
        if not isinstance(block, Mapping):
            continue
        importer = accounts[name]
        for entry in block.get("imports", []) or []:
            kind = "stream" if "stream" in entry else "service"
            origin, subject = _import_target(entry, kind)
            exporter = accounts.get(origin)
            streams, services = exports.get(origin, ([], []))
            found = _find(streams if kind == "stream" else services, subject)
            if exporter is None or found is None or not found.allows(name):
                errors.append(f'Error adding {kind} import "{subject}": {kind} import not authorized')
                continue
            to = str(entry.get("to", "") or "")
            if kind == "stream":
                wiring.stream_import(exporter, importer, subject, to, str(entry.get("prefix", "") or ""))
            else:
                wiring.service_import(exporter, importer, found, subject, to)
    if errors:
        raise ImportError_("\n".join(errors))
