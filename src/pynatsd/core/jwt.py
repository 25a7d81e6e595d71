# NATS JWTs (operator mode): decoding, signature checks and the operator -> account -> user chain.
#
# A NATS JWT is `base64url(header).base64url(claims).base64url(signature)` where the signature is
# the Ed25519 signature, by the issuer's nkey, of the first two parts as text. The claims name the
# issuer (`iss`) and the subject (`sub`) by public nkey; `nats.type` says what the subject is.
#
# The chain: the configured operator is trusted as given; an account JWT must be issued by the
# operator or one of its signing keys; a user JWT by its account or one of the account's signing
# keys (then `issuer_account` names the account). A user is refused when its JWT or its account's
# has expired, when the account revoked it (revocations map a user key, or "*", to a time: JWTs
# issued at or before it are revoked), or when the nonce signature does not verify (unless the
# user JWT is a bearer token).
from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from pynatsd.core.nkeys import PREFIX_ACCOUNT, PREFIX_OPERATOR, PREFIX_USER, decode_public

__all__ = ["Claims", "JWTError", "OperatorTrust", "decode_jwt"]


class JWTError(ValueError):
    """A JWT that does not decode, verify or chain."""


class Claims(NamedTuple):
    issuer: str
    subject: str
    name: str
    issued_at: int
    expires: int
    kind: str
    nats: Mapping[str, Any]


def _b64(part: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (binascii.Error, ValueError) as e:
        raise JWTError("invalid base64 in JWT") from e


def _verify(issuer: str, signed: bytes, sig: bytes) -> None:
    from nacl.exceptions import BadSignatureError
    from nacl.signing import VerifyKey

    try:
        _, raw = decode_public(issuer)
        VerifyKey(raw).verify(signed, sig)
    except (ValueError, BadSignatureError) as e:
        raise JWTError("JWT signature does not verify") from e


def decode_jwt(token: str) -> Claims:
    """Decode a JWT and check that its issuer signed it."""
    parts = token.strip().split(".")
    if len(parts) != 3:
        raise JWTError("expected 3 chunks in JWT")
    try:
        header = json.loads(_b64(parts[0]))
        body = json.loads(_b64(parts[1]))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise JWTError("JWT does not hold JSON") from e
    if not isinstance(header, dict) or header.get("alg") not in ("ed25519-nkey", "ed25519"):
        raise JWTError("unexpected JWT algorithm")
    if not isinstance(body, dict):
        raise JWTError("JWT claims are not an object")
    raw_nats = body.get("nats")
    nats: dict[str, Any] = raw_nats if isinstance(raw_nats, dict) else {}
    claims = Claims(
        issuer=str(body.get("iss", "")),
        subject=str(body.get("sub", "")),
        name=str(body.get("name", "")),
        issued_at=int(body.get("iat", 0) or 0),
        expires=int(body.get("exp", 0) or 0),
        kind=str(nats.get("type", body.get("type", ""))),
        nats=nats,
    )
    _verify(claims.issuer, f"{parts[0]}.{parts[1]}".encode(), _b64(parts[2]))
    return claims


def _signing_keys(nats: Mapping[str, Any]) -> set[str]:
    keys: set[str] = set()
    for entry in nats.get("signing_keys", []) or []:
        if isinstance(entry, str):
            keys.add(entry)
        elif isinstance(entry, Mapping) and isinstance(entry.get("key"), str):
            keys.add(entry["key"])
    return keys


def _expired(claims: Claims, now: float) -> bool:
    return bool(claims.expires) and claims.expires <= now


def _load_jwt(value: str) -> str:
    text = value.strip()
    if text.startswith("eyJ") and text.count(".") == 2 and "/" not in text:
        return text
    try:
        return Path(text).read_text().strip()
    except OSError as e:
        raise JWTError(f"error reading operator JWT {text!r}: {e}") from e


class OperatorTrust:
    """The operator's view: which accounts exist and whether a user JWT chains to one of them."""

    def __init__(self, operators: list[str], preload: Mapping[str, str]) -> None:
        self.operator_keys: set[str] = set()
        self.system_account = ""
        for value in operators:
            op = decode_jwt(_load_jwt(value))
            if op.kind != "operator" or decode_public(op.subject)[0] != PREFIX_OPERATOR:
                raise JWTError("not an operator JWT")
            self.operator_keys |= {op.subject, *_signing_keys(op.nats)}
            self.system_account = self.system_account or str(op.nats.get("system_account", "") or "")
        self.accounts: dict[str, Claims] = {}
        for pub, token in preload.items():
            acc = decode_jwt(token)
            if acc.kind != "account" or acc.subject != pub or acc.issuer not in self.operator_keys:
                raise JWTError(f"account JWT for {pub} is not issued by a trusted operator")
            self.accounts[pub] = acc

    def user(self, token: str, now: float | None = None) -> tuple[Claims, Claims]:
        """(user claims, account claims) for a user JWT that chains to a known account."""
        now = time.time() if now is None else now
        user = decode_jwt(token)
        if user.kind != "user" or decode_public(user.subject)[0] != PREFIX_USER:
            raise JWTError("not a user JWT")
        account_key = str(user.nats.get("issuer_account", "") or "") or user.issuer
        if decode_public(account_key)[0] != PREFIX_ACCOUNT:
            raise JWTError("user JWT not issued by an account")
        account = self.accounts.get(account_key)
        if account is None:
            raise JWTError("account not found")
        if user.issuer != account_key and user.issuer not in _signing_keys(account.nats):
            raise JWTError("user JWT issuer is not a signing key of the account")
        if _expired(user, now) or _expired(account, now):
            raise JWTError("expired")
        revocations = account.nats.get("revocations", {}) or {}
        for key in (user.subject, "*"):
            at = revocations.get(key)
            if isinstance(at, int) and user.issued_at <= at:
                raise JWTError("user revoked")
        return user, account


def user_permissions(nats: Mapping[str, Any]) -> dict[str, Any] | None:
    """A user JWT's permissions as a config-style permissions block."""
    block: dict[str, Any] = {}
    for src, dst in (("pub", "publish"), ("sub", "subscribe")):
        rule = nats.get(src) or {}
        direction = {k: list(rule[k]) for k in ("allow", "deny") if rule.get(k)}
        if direction:
            block[dst] = direction
    resp = nats.get("resp")
    if isinstance(resp, Mapping):
        ttl = int(resp.get("ttl", 0) or 0)
        block["allow_responses"] = {"max": int(resp.get("max", 0) or 0), "expires": ttl / 1e9}
    return block or None


def jwt_account_block(nats: Mapping[str, Any]) -> dict[str, Any]:
    """An account JWT's exports and imports in the shape of a config `accounts` block."""
    exports = []
    for exp in nats.get("exports", []) or []:
        kind = str(exp.get("type", "stream"))
        entry: dict[str, Any] = {kind: exp.get("subject", "")}
        if exp.get("token_req"):
            entry["accounts"] = []
        if kind == "service" and exp.get("response_type"):
            entry["response_type"] = str(exp["response_type"]).lower()
        exports.append(entry)
    imports = []
    for imp in nats.get("imports", []) or []:
        kind = str(imp.get("type", "stream"))
        entry = {kind: {"account": imp.get("account", ""), "subject": imp.get("subject", "")}}
        if imp.get("local_subject"):
            entry["to"] = imp["local_subject"]
        elif imp.get("to"):
            entry["prefix" if kind == "stream" else "to"] = imp["to"]
        imports.append(entry)
    return {"exports": exports, "imports": imports}
