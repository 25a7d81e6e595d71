# Authentication and authorization on the wire, differential: users with permissions, bcrypt
# secrets, nkey nonce signatures, accounts and no_auth_user give the same bytes on both servers.
from __future__ import annotations

import base64
import json

import pytest
from nacl.signing import SigningKey

from pynatsd.core.nkeys import PREFIX_USER, encode_public
from pynatsd.testing.normalize import Transcript
from pynatsd.testing.wire import RawClient, WireTarget, read_transcript

PONG = b"PONG\r\n"
AUTH_VIOLATION = b"-ERR 'Authorization Violation'\r\n"

SEED = SigningKey(bytes(range(32)))
OTHER_SEED = SigningKey(bytes(range(1, 33)))
NKEY = encode_public(PREFIX_USER, bytes(SEED.verify_key))
OTHER_NKEY = encode_public(PREFIX_USER, bytes(OTHER_SEED.verify_key))
BCRYPT_PW = "$2a$04$dAXVlV74Lmwh6NVUMY5o.uxcqC7cFVEaOy3DAJIT3nJA8paBEI5Ge"  # "pw"

USERS = f"""
authorization {{
  users = [
    {{user: a, password: b, permissions: {{
      publish: {{allow: ["foo.*", "_INBOX.>"], deny: ["foo.secret"]}}
      subscribe: {{allow: ["foo.*", "foo.>", "q.* v1", "bar", "w.*"], deny: ["foo.secret", "w.x"]}}
    }}}}
    {{user: resp, password: p, permissions: {{publish: {{deny: ">"}}, allow_responses: {{max: 1}}}}}}
    {{user: full, password: p}}
    {{user: bc, password: "{BCRYPT_PW}"}}
    {{nkey: "{NKEY}", permissions: {{publish: "n.>"}}}}
  ]
}}
"""

ACCOUNTS = """
accounts {
  A { users = [{user: a1, password: p}, {user: a2, password: p}] }
  B { users = [{user: b1, password: p}] }
}
no_auth_user: a2
"""

BCRYPT_TOKEN = f'authorization {{ token: "{BCRYPT_PW}" }}\n'


def _connect(user: str, password: str, **extra: object) -> bytes:
    body = {"user": user, "pass": password, "verbose": False, "headers": True, **extra}
    return b"CONNECT " + json.dumps(body).encode() + b"\r\n"


def _sign(seed: SigningKey, nonce: str) -> str:
    return base64.urlsafe_b64encode(seed.sign(nonce.encode()).signature).decode().rstrip("=")


@pytest.mark.parametrize(
    ("ops", "expected"),
    [
        (b"SUB foo.x 1\r\nSUB foo.> 2\r\nSUB bar 3\r\n", b""),
        (b"SUB nope 1\r\n", b"-ERR 'Permissions Violation for Subscription to \"nope\"'\r\n"),
        (b"SUB > 1\r\n", b"-ERR 'Permissions Violation for Subscription to \">\"'\r\n"),
        (b"SUB foo.secret 1\r\n", b"-ERR 'Permissions Violation for Subscription to \"foo.secret\"'\r\n"),
        (b"SUB q.a 1\r\n", b"-ERR 'Permissions Violation for Subscription to \"q.a\"'\r\n"),
        (
            b"SUB q.a v2 1\r\n",
            b'-ERR \'Permissions Violation for Subscription to "q.a" using queue "v2"\'\r\n',
        ),
        (b"SUB q.a v1 1\r\nSUB bar anyq 2\r\n", b""),
        (b"PUB bar 0\r\n\r\n", b"-ERR 'Permissions Violation for Publish to \"bar\"'\r\n"),
        (b"PUB foo.secret 0\r\n\r\n", b"-ERR 'Permissions Violation for Publish to \"foo.secret\"'\r\n"),
        (
            b"HPUB baz 12 12\r\nNATS/1.0\r\n\r\n\r\n",
            b"-ERR 'Permissions Violation for Publish to \"baz\"'\r\n",
        ),
        (b"SUB foo.x 1\r\nPUB foo.x 2\r\nhi\r\n", b"MSG foo.x 1 2\r\nhi\r\n"),
        # A wildcard subscription that overlaps a deny entry is accepted; the denied subject is
        # held back at delivery.
        (
            b"SUB w.* 1\r\nSUB foo.* 2\r\nSUB bar 3\r\nPUB foo.y 1\r\ny\r\n",
            b"MSG foo.y 2 1\r\ny\r\n",
        ),
    ],
    ids=[
        "sub-allowed",
        "sub-not-allowed",
        "sub-wildcard-escalation",
        "sub-denied",
        "sub-queue-only-rule-plain",
        "sub-wrong-queue",
        "sub-queue-allowed",
        "pub-not-allowed",
        "pub-denied",
        "hpub-not-allowed",
        "pub-allowed-delivered",
        "deny-overlap-filtered",
    ],
)
async def test_permissions(wire: WireTarget, ops: bytes, expected: bytes) -> None:
    server = await wire.server(USERS)
    got = await wire.run(_connect("a", "b") + ops + b"PING\r\n", server=server, until=PONG)
    assert got == Transcript(expected + PONG, closed=False)


async def test_denied_subject_is_filtered_for_wildcard_subscriber(wire: WireTarget) -> None:
    server = await wire.server(USERS)
    sub = await wire.connect(server)
    await sub.send(_connect("a", "b") + b"SUB foo.* 1\r\nSUB foo.> 2\r\nPING\r\n")
    await sub.expect(PONG)
    pub = await wire.connect(server)
    await pub.send(_connect("full", "p") + b"PUB foo.secret 1\r\nx\r\nPUB foo.ok 1\r\ny\r\nPING\r\n")
    await pub.expect(PONG)
    await sub.send(b"PING\r\n")
    got = await read_transcript(sub, until=PONG)
    assert got == Transcript(b"MSG foo.ok 2 1\r\ny\r\nMSG foo.ok 1 1\r\ny\r\n" + PONG, closed=False)


async def test_allow_responses_grants_one_reply(wire: WireTarget) -> None:
    server = await wire.server(USERS)
    svc = await wire.connect(server)
    await svc.send(_connect("resp", "p") + b"SUB svc 1\r\nPUB other 0\r\n\r\nPING\r\n")
    first = await read_transcript(svc, until=PONG)
    assert first == Transcript(
        b"-ERR 'Permissions Violation for Publish to \"other\"'\r\n" + PONG, closed=False
    )
    req = await wire.connect(server)
    await req.send(_connect("full", "p") + b"SUB reply.1 9\r\nPUB svc reply.1 1\r\nq\r\nPING\r\n")
    await req.expect(PONG)
    await svc.send(b"PING\r\n")
    got = await read_transcript(svc, until=PONG)
    assert got == Transcript(b"MSG svc 1 reply.1 1\r\nq\r\n" + PONG, closed=False)
    await svc.send(b"PUB reply.1 1\r\na\r\nPUB reply.1 1\r\nb\r\nPING\r\n")
    got = await read_transcript(svc, until=PONG)
    assert got == Transcript(
        b"-ERR 'Permissions Violation for Publish to \"reply.1\"'\r\n" + PONG, closed=False
    )
    await req.send(b"PING\r\n")
    got = await read_transcript(req, until=PONG)
    assert got == Transcript(b"MSG reply.1 9 1\r\na\r\n" + PONG, closed=False)


@pytest.mark.parametrize(
    ("user", "password", "ok"),
    [("bc", "pw", True), ("bc", "nope", False), ("bc", BCRYPT_PW, False), ("full", "p", True)],
    ids=["bcrypt-ok", "bcrypt-wrong", "bcrypt-hash-as-password", "plain-ok"],
)
async def test_password_verdicts(wire: WireTarget, user: str, password: str, ok: bool) -> None:
    server = await wire.server(USERS)
    got = await wire.run(_connect(user, password) + b"PING\r\n", server=server)
    expected = Transcript(PONG, closed=False) if ok else Transcript(AUTH_VIOLATION, closed=True)
    assert got == expected


@pytest.mark.parametrize(
    ("token", "ok"), [("pw", True), ("wrong", False)], ids=["bcrypt-token-ok", "bcrypt-token-bad"]
)
async def test_bcrypt_token(wire: WireTarget, token: str, ok: bool) -> None:
    server = await wire.server(BCRYPT_TOKEN)
    got = await wire.run(
        b'CONNECT {"auth_token":"' + token.encode() + b'","verbose":false}\r\nPING\r\n', server=server
    )
    assert got == (Transcript(PONG, closed=False) if ok else Transcript(AUTH_VIOLATION, closed=True))


async def _nkey_attempt(
    wire: WireTarget, key: str, sig_for: str | None, seed: SigningKey = SEED
) -> Transcript:
    server = await wire.server(USERS)
    client = await wire.connect(server)
    nonce = client.info["nonce"]
    assert isinstance(nonce, str)
    assert len(nonce) >= 11
    body: dict[str, object] = {"nkey": key, "verbose": False}
    if sig_for is not None:
        body["sig"] = _sign(seed, nonce if sig_for == "own" else sig_for)
    await client.send(
        b"CONNECT " + json.dumps(body).encode() + b"\r\nPUB n.1 0\r\n\r\nPUB x 0\r\n\r\nPING\r\n"
    )
    return await read_transcript(client, until=PONG)


async def test_nkey_signed_nonce(wire: WireTarget) -> None:
    got = await _nkey_attempt(wire, NKEY, "own")
    assert got == Transcript(b"-ERR 'Permissions Violation for Publish to \"x\"'\r\n" + PONG, closed=False)


@pytest.mark.parametrize(
    ("key", "sig_for", "seed"),
    [
        (NKEY, "a-nonce-from-another-connection", SEED),
        (NKEY, None, SEED),
        (NKEY, "own", OTHER_SEED),
        (OTHER_NKEY, "own", OTHER_SEED),
    ],
    ids=["replayed-signature", "no-signature", "wrong-seed", "unknown-key"],
)
async def test_nkey_rejections(wire: WireTarget, key: str, sig_for: str | None, seed: SigningKey) -> None:
    got = await _nkey_attempt(wire, key, sig_for, seed)
    assert got == Transcript(AUTH_VIOLATION, closed=True)


async def test_nkey_info_has_nonce_only_when_needed(wire: WireTarget) -> None:
    with_nkeys = await wire.connect(await wire.server(USERS))
    plain = await wire.connect(await wire.server(ACCOUNTS))
    assert "nonce" in with_nkeys.info
    assert "nonce" not in plain.info


async def _account_client(wire: WireTarget, server: object, user: str | None) -> RawClient:
    client = await wire.connect(server)  # type: ignore[arg-type]
    connect = _connect(user, "p") if user else b'CONNECT {"verbose":false}\r\n'
    await client.send(connect + b"SUB x 1\r\nPING\r\n")
    await client.expect(PONG)
    return client


async def test_accounts_are_isolated(wire: WireTarget) -> None:
    server = await wire.server(ACCOUNTS)
    a1 = await _account_client(wire, server, "a1")
    b1 = await _account_client(wire, server, "b1")
    anon = await _account_client(wire, server, None)
    await b1.send(b"PUB x 2\r\nb1\r\nPING\r\n")
    await anon.send(b"PUB x 2\r\nnn\r\nPING\r\n")
    got_b = await read_transcript(b1, until=PONG)
    assert got_b == Transcript(b"MSG x 1 2\r\nb1\r\n" + PONG, closed=False)
    await a1.send(b"PING\r\n")
    got_a = await read_transcript(a1, until=PONG)
    assert got_a == Transcript(b"MSG x 1 2\r\nnn\r\n" + PONG, closed=False)


async def test_remote_account_in_async_info(wire: WireTarget) -> None:
    server = await wire.server(ACCOUNTS)
    client = await wire.connect(server)
    # With no_auth_user, the first INFO does not ask for credentials.
    assert "auth_required" not in client.info
    await client.send(_connect("b1", "p", protocol=1) + b"PING\r\n")
    got = await read_transcript(client, until=b"} \r\n")
    assert got.frames()[0] == PONG
    assert b'"auth_required":true,' in got.data
    assert b'"remote_account":"B"' in got.data


async def test_no_auth_user_lands_in_its_account(wire: WireTarget) -> None:
    server = await wire.server(ACCOUNTS)
    got = await wire.run(
        b'CONNECT {"verbose":false,"protocol":1}\r\nPING\r\n', server=server, until=b"} \r\n"
    )
    assert b'"remote_account":"A"' in got.data


RELOAD_BEFORE = """
authorization { users = [
  {user: a, password: p}
  {user: b, password: p, permissions: {subscribe: ["x.>"]}}
  {user: c, password: p}
] }
"""
RELOAD_AFTER = """
authorization { users = [
  {user: b, password: p, permissions: {subscribe: ["y.>"], publish: ["y.>"]}}
  {user: c, password: q}
] }
"""


async def test_reload_applies_auth_changes_to_open_connections(wire: WireTarget) -> None:
    server = await wire.server(RELOAD_BEFORE, fresh=True)
    clients = {}
    for user in ("a", "b", "c"):
        client = await wire.connect(server)
        await client.send(_connect(user, "p") + b"SUB x.1 1\r\nPING\r\n")
        await client.expect(PONG)
        clients[user] = client
    server.reload(RELOAD_AFTER)
    removed = await read_transcript(clients["a"], until=b"never")
    assert removed == Transcript(b"", closed=True)
    changed = await read_transcript(clients["c"], until=b"never")
    assert changed == Transcript(AUTH_VIOLATION, closed=True)
    got = await read_transcript(clients["b"], until=b"'\r\n")
    assert got == Transcript(
        b'-ERR \'Permissions Violation for Subscription to "x.1" (sid "1")\'\r\n', closed=False
    )
    await clients["b"].send(b"PUB y.1 1\r\nz\r\nPUB x.1 1\r\nz\r\nPING\r\n")
    got = await read_transcript(clients["b"], until=PONG)
    assert got == Transcript(b"-ERR 'Permissions Violation for Publish to \"x.1\"'\r\n" + PONG, closed=False)


IMPORTS = """
accounts {
  A {
    users = [{user: a, password: p}]
    exports = [
      {stream: "events.>"}
      {service: "svc.*"}
      {service: "multi.>", response_type: stream}
      {stream: "priv.>", accounts: [B]}
    ]
  }
  B {
    users = [{user: b, password: p}]
    imports = [
      {stream: {account: A, subject: "events.>"}, prefix: "froma"}
      {service: {account: A, subject: "svc.echo"}, to: "echo"}
      {service: {account: A, subject: "svc.*"}}
      {stream: {account: A, subject: "priv.>"}, to: "p.>"}
      {service: {account: A, subject: "multi.>"}}
    ]
  }
  C { users = [{user: c, password: p}] }
}
"""


async def _account_clients(wire: WireTarget, *users: str) -> list[RawClient]:
    server = await wire.server(IMPORTS)
    out = []
    for user in users:
        client = await wire.connect(server)
        await client.send(_connect(user, "p") + b"PING\r\n")
        await client.expect(PONG)
        out.append(client)
    return out


def _mask_request_info(data: bytes) -> bytes:
    import re

    # The rtt is the requester's measured round trip, so its digits (and the sizes) vary.
    data = re.sub(rb"_R_\.[A-Za-z0-9]+\.[A-Za-z0-9]+ \d+ \d+", b"_R_.<acc>.<id> <sizes>", data)
    return re.sub(rb'"rtt":\d+', b'"rtt":<rtt>', data)


async def test_stream_imports_with_prefix_and_mapping(wire: WireTarget) -> None:
    a, b, c = await _account_clients(wire, "a", "b", "c")
    await b.send(b"SUB froma.> 1\r\nSUB p.> 2\r\nSUB events.> 3\r\nPING\r\n")
    await b.expect(PONG)
    await c.send(b"SUB > 1\r\nPING\r\n")
    await c.expect(PONG)
    await a.send(b"PUB events.x 2\r\nhi\r\nPUB priv.y 2\r\nyo\r\nPUB other 1\r\nz\r\nPING\r\n")
    await a.expect(PONG)
    await b.send(b"PING\r\n")
    got = await read_transcript(b, until=PONG)
    assert got == Transcript(b"MSG froma.events.x 1 2\r\nhi\r\nMSG p.y 2 2\r\nyo\r\n" + PONG, closed=False)
    await c.send(b"PING\r\n")
    assert await read_transcript(c, until=PONG) == Transcript(PONG, closed=False)


async def test_service_import_singleton_and_stream_responses(wire: WireTarget) -> None:
    a, b = await _account_clients(wire, "a", "b")
    await a.send(b"SUB svc.* 9\r\nSUB multi.> 10\r\nPING\r\n")
    await a.expect(PONG)
    await b.send(
        b"SUB _INBOX.> 3\r\nPUB echo _INBOX.r1 3\r\nreq\r\nHPUB echo _INBOX.r3 18 20\r\nNATS/1.0\r\nX: 1\r\n\r\nhi\r\n"
        b"PUB multi.x _INBOX.r4 1\r\nm\r\nPING\r\n"
    )
    await b.expect(PONG)
    await a.send(b"PING\r\n")
    requests = await read_transcript(a, until=PONG)
    assert _mask_request_info(requests.data) == (
        b"HMSG svc.echo 9 _R_.<acc>.<id> <sizes>\r\nNATS/1.0\r\n"
        b'Nats-Request-Info: {"acc":"B","rtt":<rtt>}\r\n\r\nreq\r\n'
        b"HMSG svc.echo 9 _R_.<acc>.<id> <sizes>\r\nNATS/1.0\r\nX: 1\r\n"
        b'Nats-Request-Info: {"acc":"B","rtt":<rtt>}\r\n\r\nhi\r\n'
        b"HMSG multi.x 10 _R_.<acc>.<id> <sizes>\r\nNATS/1.0\r\n"
        b'Nats-Request-Info: {"acc":"B","rtt":<rtt>}\r\n\r\nm\r\n' + PONG
    )
    import re

    replies = re.findall(rb" (_R_\S+) ", requests.data)
    answers = b"".join(b"PUB %b 1\r\n1\r\nPUB %b 1\r\n2\r\n" % (r, r) for r in replies)
    await a.send(answers + b"PING\r\n")
    await a.expect(PONG)
    await b.send(b"PING\r\n")
    got = await read_transcript(b, until=PONG)
    assert got == Transcript(
        b"MSG _INBOX.r1 3 1\r\n1\r\nMSG _INBOX.r3 3 1\r\n1\r\nMSG _INBOX.r4 3 1\r\n1\r\nMSG _INBOX.r4 3 1\r\n2\r\n"
        + PONG,
        closed=False,
    )


async def test_service_import_without_responder_gets_503(wire: WireTarget) -> None:
    (b,) = await _account_clients(wire, "b")
    await b.send(b'CONNECT {"no_responders":true,"headers":true,"verbose":false}\r\n')
    await b.send(b"SUB _INBOX.> 3\r\nPUB echo _INBOX.r1 3\r\nreq\r\nPING\r\n")
    got = await read_transcript(b, until=PONG)
    assert got == Transcript(
        b"HMSG _INBOX.r1 3 36 36\r\nNATS/1.0 503\r\nNats-Subject: echo\r\n\r\n\r\n" + PONG, closed=False
    )


async def test_reload_under_load_closes_only_the_removed_user(wire: WireTarget) -> None:
    server = await wire.server(RELOAD_BEFORE, fresh=True)
    receiver = await wire.connect(server)
    await receiver.send(_connect("c", "p") + b"SUB load 1\r\nPING\r\n")
    await receiver.expect(PONG)
    doomed = await wire.connect(server)
    await doomed.send(_connect("a", "p") + b"PING\r\n")
    await doomed.expect(PONG)
    publisher = await wire.connect(server)
    await publisher.send(_connect("b", "p") + b"PING\r\n")
    await publisher.expect(PONG)
    batch = b"PUB load 4\r\nload\r\n" * 200
    for _ in range(5):
        await publisher.send(batch)
    server.reload(RELOAD_BEFORE.replace("{user: a, password: p}", ""))
    for _ in range(5):
        await publisher.send(batch)
    await publisher.send(b"PING\r\n")
    await publisher.expect(PONG)
    assert await read_transcript(doomed, until=b"never") == Transcript(b"", closed=True)
    await receiver.send(b"PING\r\n")
    got = await read_transcript(receiver, until=PONG)
    assert got.data.count(b"MSG load 1 4\r\nload\r\n") == 2000
    assert got.closed is False


ACCOUNT_LIMITS = """
accounts {
  A { users = [{user: a, password: p}], limits { max_connections: 1, max_subscriptions: 2, max_payload: 10 } }
}
"""


async def test_account_limits(wire: WireTarget) -> None:
    server = await wire.server(ACCOUNT_LIMITS, fresh=True)
    first = await wire.connect(server)
    await first.send(
        _connect("a", "p") + b"SUB x 1\r\nSUB y 2\r\nSUB z 3\r\nPUB x 10\r\n0123456789\r\nPING\r\n"
    )
    got = await read_transcript(first, until=PONG)
    assert got == Transcript(
        b"-ERR 'maximum subscriptions exceeded'\r\nMSG x 1 10\r\n0123456789\r\n" + PONG, closed=False
    )
    second = await wire.connect(server)
    await second.send(_connect("a", "p") + b"PING\r\n")
    got = await read_transcript(second, until=b"never")
    assert got == Transcript(b"-ERR 'maximum account active connections exceeded'\r\n", closed=True)
    await first.send(b"PUB x 11\r\n01234567890\r\n")
    got = await read_transcript(first, until=b"never")
    assert got == Transcript(b"-ERR 'Maximum Payload Violation'\r\n", closed=True)
