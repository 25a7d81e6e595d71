# Client authentication: who a CONNECT is, which account it lands in, and what it may do.
#
# One server may mix methods, as nats-server does: a token (`--auth`, `authorization { token }`), a
# single user (`--user/--pass`, `authorization { user, password }`), a users list (password or nkey
# entries) in `authorization` and in each `accounts { NAME { users } }` block. Passwords and tokens
# that look like bcrypt hashes (`$2a$`, `$2b$`, `$2x$`, `$2y$`) are checked with bcrypt; others are
# compared in constant time. A bcrypt check costs milliseconds, so `is_slow` tells the caller to run
# `check` off the event loop.
#
# NKey users sign the per-connection nonce from INFO; `check` verifies the Ed25519 signature of that
# exact nonce, so a signature replayed on another connection fails.
#
# `no_auth_user` names the identity a client without credentials gets; the server then stops
# requiring auth in INFO.
from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from pynatsd.core.accounts import GLOBAL_ACCOUNT
from pynatsd.core.jwt import JWTError, OperatorTrust, user_permissions
from pynatsd.core.nkeys import PREFIX_USER, decode_public
from pynatsd.core.permissions import Permissions, parse_permissions

if TYPE_CHECKING:
    from pynatsd.options import Options
    from pynatsd.protocol.connect import ConnectOptions

__all__ = ["AuthError", "AuthResult", "Authenticator", "User", "is_bcrypt"]

_BCRYPT_PREFIXES = ("$2a$", "$2b$", "$2x$", "$2y$")


class AuthError(ValueError):
    """An auth configuration nats-server would refuse."""


class User(NamedTuple):
    name: str
    password: str = ""
    nkey: str = ""
    account: str = GLOBAL_ACCOUNT
    permissions: Permissions | None = None


class AuthResult(NamedTuple):
    user: str
    account: str
    permissions: Permissions | None
    expires: int = 0
    max_subs: int = 0
    max_payload: int = 0


def is_bcrypt(secret: str) -> bool:
    return secret.startswith(_BCRYPT_PREFIXES)


def _secret_matches(given: str, expected: str) -> bool:
    if is_bcrypt(expected):
        import bcrypt

        try:
            return bool(bcrypt.checkpw(given.encode(), expected.encode()))
        except ValueError:
            return False
    return hmac.compare_digest(given.encode(), expected.encode())


def _decode_sig(sig: str) -> bytes:
    pad = "=" * (-len(sig) % 4)
    try:
        return base64.urlsafe_b64decode(sig + pad)
    except (binascii.Error, ValueError):
        return base64.b64decode(sig + pad)


def verify_nonce(nkey: str, sig: str, nonce: bytes) -> bool:
    """Whether sig is the user key's Ed25519 signature of nonce."""
    from nacl.exceptions import BadSignatureError
    from nacl.signing import VerifyKey

    try:
        prefix, raw = decode_public(nkey)
        if prefix != PREFIX_USER:
            return False
        VerifyKey(raw).verify(nonce, _decode_sig(sig))
    except (ValueError, binascii.Error, BadSignatureError):
        return False
    return True


def _user_entry(entry: Any, account: str) -> User:
    if not isinstance(entry, Mapping):
        raise AuthError("Expected user entry to be a map")
    perms = parse_permissions(entry.get("permissions"))
    nkey = str(entry.get("nkey", "") or "")
    if nkey:
        try:
            prefix, _ = decode_public(nkey)
        except ValueError as e:
            raise AuthError(f"Not a valid public nkey for a user: {nkey}") from e
        if prefix != PREFIX_USER:
            raise AuthError(f"Not a valid public nkey for a user: {nkey}")
        return User(nkey, "", nkey, account, perms)
    return User(str(entry.get("user", "")), str(entry.get("password", "")), "", account, perms)


class Authenticator:
    def __init__(self, opts: Options) -> None:
        block = opts.authorization_block
        self.token = opts.authorization or str(block.get("token", "") or "")
        self.users: dict[str, User] = {}
        self.nkeys: dict[str, User] = {}
        default_perms = parse_permissions(block.get("permissions"))
        if opts.username:
            self.users[opts.username] = User(opts.username, opts.password, permissions=default_perms)
        for entry in block.get("users", []) or []:
            self._add(_user_entry(entry, GLOBAL_ACCOUNT))
        for name, acc in (opts.accounts or {}).items():
            entries = acc.get("users") if isinstance(acc, Mapping) else None
            for entry in entries or []:
                self._add(_user_entry(entry, name))
        self.no_auth_user = opts.no_auth_user
        if self.no_auth_user and self.no_auth_user not in self.users:
            raise AuthError(
                f'no_auth_user: "{self.no_auth_user}" not present as user or nkey in authorization block or account configuration'
            )
        self.tls_map = bool(opts.tls_block.get("verify_and_map", False))
        self.trust = OperatorTrust(opts.operators, opts.resolver_preload) if opts.operators else None
        self.needs_nonce = bool(self.nkeys) or self.trust is not None
        self.required = bool(self.token or self.users or self.nkeys) or self.trust is not None

    @staticmethod
    def _check_jwt(trust: OperatorTrust, connect: ConnectOptions, nonce: bytes) -> AuthResult | None:
        try:
            user, account = trust.user(connect.jwt)
        except (JWTError, ValueError):
            return None
        if not user.nats.get("bearer_token") and not verify_nonce(user.subject, connect.sig, nonce):
            return None
        block = user_permissions(user.nats) or user_permissions(account.nats.get("default_permissions") or {})
        expiry = min(e for e in (user.expires, account.expires, 1 << 62) if e)
        return AuthResult(
            user.subject,
            account.subject,
            parse_permissions(block),
            0 if expiry == 1 << 62 else expiry,
            max_subs=int(user.nats.get("subs", -1) or 0),
            max_payload=int(user.nats.get("payload", -1) or 0),
        )

    def _check_cert(self, cert_names: Sequence[str]) -> AuthResult | None:
        for name in cert_names:
            user = self.users.get(name)
            if user is not None:
                return AuthResult(user.name, user.account, user.permissions)
        return None

    def _add(self, user: User) -> None:
        (self.nkeys if user.nkey else self.users)[user.name] = user

    def find(self, name: str) -> User | None:
        return self.users.get(name) or self.nkeys.get(name)

    def has_plaintext_passwords(self) -> bool:
        return any(u.password and not is_bcrypt(u.password) for u in self.users.values())

    def is_slow(self, connect: ConnectOptions) -> bool:
        """Whether checking these credentials means a bcrypt comparison."""
        if self.token:
            return is_bcrypt(self.token)
        user = self.users.get(connect.user)
        return user is not None and is_bcrypt(user.password)

    def check(
        self, connect: ConnectOptions, nonce: bytes = b"", cert_names: Sequence[str] = ()
    ) -> AuthResult | None:
        """The identity for these credentials, or None when they are wrong."""
        if self.tls_map:
            return self._check_cert(cert_names)
        if self.trust is not None:
            return self._check_jwt(self.trust, connect, nonce)
        if connect.nkey and self.nkeys:
            user = self.nkeys.get(connect.nkey)
            if user is None or not verify_nonce(user.nkey, connect.sig, nonce):
                return None
            return AuthResult(user.nkey, user.account, user.permissions)
        if self.token and connect.auth_token:
            if not _secret_matches(connect.auth_token, self.token):
                return None
            return AuthResult("", GLOBAL_ACCOUNT, None)
        if not (connect.user or connect.password or connect.auth_token or connect.nkey) and self.no_auth_user:
            user = self.users[self.no_auth_user]
            return AuthResult(user.name, user.account, user.permissions)
        user = self.users.get(connect.user)
        if user is None or not _secret_matches(connect.password, user.password):
            return None
        return AuthResult(user.name, user.account, user.permissions)
