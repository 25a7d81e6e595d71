# Minting NATS keys and JWTs for tests: an operator, its accounts and their users, with the creds
# files clients read, so operator-mode servers can be set up without any external tool.
from __future__ import annotations

import base64
import binascii
import hashlib
import json
import time
from dataclasses import dataclass, field
from typing import Any

from nacl.signing import SigningKey

from pynatsd.core.nkeys import PREFIX_ACCOUNT, PREFIX_OPERATOR, PREFIX_USER, encode_public

__all__ = ["KeyPair", "creds", "encode_jwt", "new_account", "new_operator", "new_user"]

_PREFIX_SEED = 18 << 3
# "No limit" for everything, as nsc writes new accounts and users.
ACCOUNT_LIMITS = {
    "subs": -1,
    "data": -1,
    "payload": -1,
    "imports": -1,
    "exports": -1,
    "wildcards": True,
    "conn": -1,
    "leaf": -1,
}
USER_LIMITS = {"subs": -1, "data": -1, "payload": -1}


@dataclass
class KeyPair:
    prefix: int
    key: SigningKey = field(default_factory=SigningKey.generate)

    @property
    def public(self) -> str:
        return encode_public(self.prefix, bytes(self.key.verify_key))

    @property
    def seed(self) -> str:
        """The `S…` seed text, as nkeys and creds files carry it."""
        b1 = _PREFIX_SEED | (self.prefix >> 5)
        b2 = (self.prefix & 31) << 3
        body = bytes((b1, b2)) + bytes(self.key)
        crc = binascii.crc_hqx(body, 0).to_bytes(2, "little")
        return base64.b32encode(body + crc).decode().rstrip("=")

    def sign(self, data: bytes) -> bytes:
        return self.key.sign(data).signature


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def encode_jwt(issuer: KeyPair, subject: str, kind: str, nats: dict[str, Any], **extra: Any) -> str:
    """A v2 NATS JWT for `subject`, signed by `issuer`."""
    claims: dict[str, Any] = {"iat": int(time.time()) - 1, "iss": issuer.public, "sub": subject, **extra}
    claims["nats"] = {**nats, "type": kind, "version": 2}
    claims["jti"] = base64.b32encode(hashlib.new("sha512_256", json.dumps(claims).encode()).digest()).decode()
    header = _b64(json.dumps({"typ": "JWT", "alg": "ed25519-nkey"}).encode())
    body = _b64(json.dumps(claims).encode())
    return f"{header}.{body}.{_b64(issuer.sign(f'{header}.{body}'.encode()))}"


def new_operator(**nats: Any) -> tuple[KeyPair, str]:
    kp = KeyPair(PREFIX_OPERATOR)
    return kp, encode_jwt(kp, kp.public, "operator", nats, name="operator")


def new_account(operator: KeyPair, **nats: Any) -> tuple[KeyPair, str]:
    kp = KeyPair(PREFIX_ACCOUNT)
    return kp, encode_jwt(operator, kp.public, "account", {"limits": dict(ACCOUNT_LIMITS), **nats})


def new_user(
    account: KeyPair, *, signer: KeyPair | None = None, exp: int = 0, iat: int = 0, **nats: Any
) -> tuple[KeyPair, str]:
    """A user of `account`, signed by the account or by one of its signing keys."""
    kp = KeyPair(PREFIX_USER)
    extra: dict[str, Any] = {"name": "user"}
    if exp:
        extra["exp"] = exp
    if signer is not None:
        nats = {**nats, "issuer_account": account.public}
    token = encode_jwt(signer or account, kp.public, "user", {**USER_LIMITS, **nats}, **extra)
    if iat:
        token = _with_iat(signer or account, token, iat)
    return kp, token


def _with_iat(issuer: KeyPair, token: str, iat: int) -> str:
    header, body, _ = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["iat"] = iat
    body = _b64(json.dumps(claims).encode())
    return f"{header}.{body}.{_b64(issuer.sign(f'{header}.{body}'.encode()))}"


def creds(user_jwt: str, user: KeyPair) -> str:
    """The text of a `.creds` file for this user."""
    return (
        f"-----BEGIN NATS USER JWT-----\n{user_jwt}\n------END NATS USER JWT------\n\n"
        f"-----BEGIN USER NKEY SEED-----\n{user.seed}\n------END USER NKEY SEED------\n"
    )
