# Operator (JWT) mode, differential: user JWTs that chain to a preloaded account get in; expired,
# revoked, wrongly signed or replayed ones get the same Authorization Violation from both servers.
from __future__ import annotations

import base64
import json
import time

import pytest

from pynatsd.core.nkeys import PREFIX_ACCOUNT
from pynatsd.testing.jwt import ACCOUNT_LIMITS, KeyPair, encode_jwt, new_account, new_operator, new_user
from pynatsd.testing.normalize import Transcript
from pynatsd.testing.wire import RawClient, WireTarget, read_transcript

PONG = b"PONG\r\n"
AUTH_VIOLATION = b"-ERR 'Authorization Violation'\r\n"

OPERATOR, OPERATOR_JWT = new_operator()
SYS, SYS_JWT = new_account(OPERATOR)
ACCOUNT = KeyPair(PREFIX_ACCOUNT)
SIGNER = KeyPair(PREFIX_ACCOUNT)
ROGUE_SIGNER = KeyPair(PREFIX_ACCOUNT)
UNKNOWN_ACCOUNT = KeyPair(PREFIX_ACCOUNT)
FOREIGN_ACCOUNT, FOREIGN_JWT = new_account(new_operator()[0])
EXPORTER, EXPORTER_JWT = new_account(
    OPERATOR,
    exports=[{"subject": "events.>", "type": "stream"}, {"subject": "svc.>", "type": "service"}],
)
NOW = int(time.time())

USERS = {
    "account-signed": new_user(ACCOUNT),
    "signing-key": new_user(ACCOUNT, signer=SIGNER),
    "rogue-signing-key": new_user(ACCOUNT, signer=ROGUE_SIGNER),
    "expired": new_user(ACCOUNT, exp=NOW - 60),
    "bearer": new_user(ACCOUNT, bearer_token=True),
    "unknown-account": new_user(UNKNOWN_ACCOUNT),
    "foreign-account": new_user(FOREIGN_ACCOUNT),
    "permissions": new_user(ACCOUNT, pub={"allow": ["ok.>"]}, sub={"allow": ["ok.>"]}),
    "revoked": new_user(ACCOUNT, iat=NOW - 100),
    "limited": new_user(ACCOUNT, subs=1, payload=10),
    "exporter": new_user(EXPORTER),
}
ACCOUNT_JWT = encode_jwt(
    OPERATOR,
    ACCOUNT.public,
    "account",
    {
        "limits": dict(ACCOUNT_LIMITS),
        "signing_keys": [SIGNER.public],
        "revocations": {USERS["revoked"][0].public: NOW - 50},
        "default_permissions": {"pub": {"deny": ["secret.>"]}},
        "imports": [
            {"account": EXPORTER.public, "subject": "events.>", "type": "stream", "local_subject": "ext.>"},
            {"account": EXPORTER.public, "subject": "svc.echo", "type": "service", "local_subject": "echo"},
        ],
    },
)
CONFIG = (
    f"operator: {OPERATOR_JWT}\nsystem_account: {SYS.public}\nresolver: MEMORY\n"
    f"resolver_preload: {{\n  {SYS.public}: {SYS_JWT}\n  {ACCOUNT.public}: {ACCOUNT_JWT}\n"
    f"  {EXPORTER.public}: {EXPORTER_JWT}\n}}\n"
)


def _sign(user: KeyPair, nonce: str) -> str:
    return base64.urlsafe_b64encode(user.sign(nonce.encode())).decode().rstrip("=")


async def _attempt(wire: WireTarget, name: str, *, sign: str = "own", ops: bytes = b"") -> Transcript:
    server = await wire.server(CONFIG)
    client = await wire.connect(server)
    nonce = client.info.get("nonce")
    assert isinstance(nonce, str)
    user, token = USERS[name]
    body: dict[str, object] = {"jwt": token, "verbose": False}
    if sign == "own":
        body["sig"] = _sign(user, nonce)
    elif sign == "other-nonce":
        body["sig"] = _sign(user, "not-the-nonce-123")
    await client.send(b"CONNECT " + json.dumps(body).encode() + b"\r\n" + ops + b"PING\r\n")
    return await read_transcript(client, until=PONG)


@pytest.mark.parametrize("name", ["account-signed", "signing-key", "permissions"])
async def test_user_jwt_accepted(wire: WireTarget, name: str) -> None:
    assert await _attempt(wire, name) == Transcript(PONG, closed=False)


async def test_bearer_token_needs_no_signature(wire: WireTarget) -> None:
    assert await _attempt(wire, "bearer", sign="none") == Transcript(PONG, closed=False)


@pytest.mark.parametrize(
    "name", ["rogue-signing-key", "expired", "unknown-account", "foreign-account", "revoked"]
)
async def test_user_jwt_refused(wire: WireTarget, name: str) -> None:
    assert await _attempt(wire, name) == Transcript(AUTH_VIOLATION, closed=True)


@pytest.mark.parametrize("sign", ["none", "other-nonce"])
async def test_nonce_signature_required(wire: WireTarget, sign: str) -> None:
    assert await _attempt(wire, "account-signed", sign=sign) == Transcript(AUTH_VIOLATION, closed=True)


async def test_jwt_permissions(wire: WireTarget) -> None:
    got = await _attempt(
        wire, "permissions", ops=b"SUB ok.1 1\r\nSUB no 2\r\nPUB ok.1 1\r\nx\r\nPUB no 0\r\n\r\n"
    )
    assert got == Transcript(
        b"-ERR 'Permissions Violation for Subscription to \"no\"'\r\n"
        b"MSG ok.1 1 1\r\nx\r\n"
        b"-ERR 'Permissions Violation for Publish to \"no\"'\r\n" + PONG,
        closed=False,
    )


async def test_info_in_operator_mode(wire: WireTarget) -> None:
    server = await wire.server(CONFIG)
    client = await wire.connect(server)
    assert client.info["auth_required"] is True
    assert isinstance(client.info["nonce"], str)


async def test_user_limits_from_jwt(wire: WireTarget) -> None:
    got = await _attempt(wire, "limited", ops=b"SUB a 1\r\nSUB b 2\r\nPUB a 10\r\n0123456789\r\n")
    assert got == Transcript(
        b"-ERR 'maximum subscriptions exceeded'\r\nMSG a 1 10\r\n0123456789\r\n" + PONG, closed=False
    )
    got = await _attempt(wire, "limited", ops=b"PUB a 11\r\n01234567890\r\n")
    assert got == Transcript(b"-ERR 'Maximum Payload Violation'\r\n", closed=True)


async def test_account_default_permissions_apply_to_users_without_their_own(wire: WireTarget) -> None:
    got = await _attempt(wire, "account-signed", ops=b"PUB secret.x 0\r\n\r\nPUB open 0\r\n\r\n")
    assert got == Transcript(
        b"-ERR 'Permissions Violation for Publish to \"secret.x\"'\r\n" + PONG, closed=False
    )


async def _logged_in(wire: WireTarget, name: str, ops: bytes) -> RawClient:
    server = await wire.server(CONFIG)
    client = await wire.connect(server)
    user, token = USERS[name]
    body = {"jwt": token, "sig": _sign(user, str(client.info["nonce"])), "verbose": False, "headers": True}
    await client.send(b"CONNECT " + json.dumps(body).encode() + b"\r\n" + ops + b"PING\r\n")
    await client.expect(PONG)
    return client


async def test_imports_and_exports_from_account_jwts(wire: WireTarget) -> None:
    importer = await _logged_in(wire, "account-signed", b"SUB ext.> 1\r\nSUB _INBOX.> 2\r\n")
    exporter = await _logged_in(wire, "exporter", b"SUB svc.echo 9\r\n")
    await exporter.send(b"PUB events.a 1\r\nx\r\nPING\r\n")
    await exporter.expect(PONG)
    await importer.send(b"PUB echo _INBOX.r 1\r\nq\r\nPING\r\n")
    got = await read_transcript(importer, until=PONG)
    assert got == Transcript(b"MSG ext.a 1 1\r\nx\r\n" + PONG, closed=False)
    request = await read_transcript(exporter, until=b"q\r\n")
    assert request.data.startswith(b"HMSG svc.echo 9 _R_.")
