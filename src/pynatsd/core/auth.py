# Client authentication for the single-user, token and simple users-list configurations.
#
# check() gets the decoded CONNECT and returns the authenticated user name ("" for a token), or None
# when the credentials are wrong. Secrets are compared in constant time.
from __future__ import annotations

import hmac
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pynatsd.options import Options
    from pynatsd.protocol.connect import ConnectOptions

__all__ = ["Authenticator"]


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


class Authenticator:
    def __init__(self, opts: Options) -> None:
        block = opts.authorization_block
        self.token = opts.authorization or str(block.get("token", "") or "")
        self.users: dict[str, str] = {}
        if opts.username:
            self.users[opts.username] = opts.password
        for entry in block.get("users", []) or []:
            if isinstance(entry, dict) and "user" in entry:
                self.users[str(entry["user"])] = str(entry.get("password", ""))
        self.required = bool(self.token or self.users)

    def check(self, connect: ConnectOptions) -> str | None:
        if self.token:
            return "" if connect.auth_token and _same(connect.auth_token, self.token) else None
        expected = self.users.get(connect.user)
        if expected is None or not _same(connect.password, expected):
            return None
        return connect.user
