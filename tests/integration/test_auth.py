# Authentication and permissions from nats-py: each method with right and wrong credentials,
# permission errors reported to the client's error callback, and accounts kept apart.
from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import nats
import nats.errors
import nkeys
import pytest

from pynatsd import Server
from pynatsd.config import parse_config
from pynatsd.config.apply import apply_config
from pynatsd.testing import run_server

SEED = b"SUAMLK2ZNL35WSMW37E7UD4VZ7ELPKW7DHC3BWBSD2GCZ7IUQQXZIORRBU"
BCRYPT_PW = "$2a$04$dAXVlV74Lmwh6NVUMY5o.uxcqC7cFVEaOy3DAJIT3nJA8paBEI5Ge"  # "pw"
WAIT = 2.0


def _config(text: str) -> Any:
    opts, _ = apply_config(parse_config(text))
    return opts.copy(host="127.0.0.1", port=-1)


@pytest.fixture
async def secured() -> AsyncIterator[Server]:
    public = nkeys.from_seed(bytearray(SEED)).public_key.decode()
    text = f"""
    authorization {{
      users = [
        {{user: alice, password: "{BCRYPT_PW}",
          permissions: {{publish: ["orders.>", "_INBOX.>"], subscribe: ["orders.*", "_INBOX.>"]}}}}
        {{user: bob, password: s3cret}}
        {{nkey: "{public}"}}
      ]
    }}
    """
    async with run_server(_config(text)) as srv:
        yield srv


async def _connect(url: str, **kw: Any) -> Any:
    return await nats.connect(url, allow_reconnect=False, connect_timeout=WAIT, **kw)


async def test_user_password_and_bcrypt(secured: Server) -> None:
    url = secured.client_url
    for user, password in (("alice", "pw"), ("bob", "s3cret")):
        nc = await _connect(url, user=user, password=password)
        await nc.flush()
        await nc.close()
    for user, password in (("alice", "nope"), ("bob", "pw"), ("carol", "x")):
        with pytest.raises((nats.errors.Error, OSError)):
            await _connect(url, user=user, password=password)


async def test_nkey_seed(secured: Server, tmp_path: Path) -> None:
    seed_file = tmp_path / "user.nk"
    seed_file.write_bytes(SEED)
    nc = await _connect(secured.client_url, nkeys_seed=str(seed_file))
    sub = await nc.subscribe("n.1")
    await nc.publish("n.1", b"hi")
    msg = await sub.next_msg(timeout=WAIT)
    assert msg.data == b"hi"
    await nc.close()


async def test_permission_errors_reach_the_error_callback(secured: Server) -> None:
    errors: list[Exception] = []

    async def on_error(e: Exception) -> None:
        errors.append(e)

    nc = await _connect(secured.client_url, user="alice", password="pw", error_cb=on_error)
    sub = await nc.subscribe("orders.new")
    await nc.publish("orders.new", b"ok")
    await nc.publish("payments.new", b"denied")
    await nc.subscribe("payments.*")
    await nc.flush()
    msg = await sub.next_msg(timeout=WAIT)
    assert msg.data == b"ok"
    await _until(lambda: len(errors) >= 2)
    texts = sorted(str(e) for e in errors)
    assert any('publish to "payments.new"' in t for t in texts), texts
    assert any('subscription to "payments.*"' in t for t in texts), texts
    assert nc.is_connected
    await nc.close()


async def test_request_reply_with_inbox_permissions(secured: Server) -> None:
    svc = await _connect(secured.client_url, user="bob", password="s3cret")

    async def handler(msg: Any) -> None:
        await msg.respond(b"pong:" + msg.data)

    await svc.subscribe("orders.ping", cb=handler)
    await svc.flush()
    nc = await _connect(secured.client_url, user="alice", password="pw")
    reply = await nc.request("orders.ping", b"1", timeout=WAIT)
    assert reply.data == b"pong:1"
    await nc.close()
    await svc.close()


async def test_token_auth() -> None:
    async with run_server(_config("authorization { token: t0k }")) as srv:
        nc = await _connect(srv.client_url, token="t0k")
        await nc.flush()
        await nc.close()
        with pytest.raises((nats.errors.Error, OSError)):
            await _connect(srv.client_url, token="bad")


async def test_accounts_isolate_subjects() -> None:
    text = """
    accounts {
      A { users = [{user: a, password: p}] }
      B { users = [{user: b, password: p}] }
    }
    """
    async with run_server(_config(text)) as srv:
        a = await _connect(srv.client_url, user="a", password="p")
        b = await _connect(srv.client_url, user="b", password="p")
        a_sub = await a.subscribe("x")
        b_sub = await b.subscribe("x")
        await a.flush()
        await b.flush()
        await b.publish("x", b"from-b")
        await b.flush()
        assert (await b_sub.next_msg(timeout=WAIT)).data == b"from-b"
        with pytest.raises(nats.errors.TimeoutError):
            await a_sub.next_msg(timeout=0.2)
        with pytest.raises(nats.errors.NoRespondersError):
            await a.request("x.none", b"", timeout=WAIT)
        await a.close()
        await b.close()


async def _until(predicate: Callable[[], bool], within: float = WAIT) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached"
        await asyncio.sleep(0.01)


IMPORTS = """
accounts {
  A {
    users = [{user: a, password: p}]
    exports = [{stream: "events.>"}, {service: "svc.>"}]
  }
  B {
    users = [{user: b, password: p}]
    imports = [
      {stream: {account: A, subject: "events.>"}, prefix: "a"}
      {service: {account: A, subject: "svc.time"}, to: "time"}
    ]
  }
}
"""


async def test_cross_account_stream_and_service() -> None:
    async with run_server(_config(IMPORTS)) as srv:
        a = await _connect(srv.client_url, user="a", password="p")
        b = await _connect(srv.client_url, user="b", password="p")

        async def answer(msg: Any) -> None:
            assert msg.headers is not None
            assert '"acc":"B"' in msg.headers.get("Nats-Request-Info", "")
            await msg.respond(b"noon")

        await a.subscribe("svc.time", cb=answer)
        events = await b.subscribe("a.events.>")
        await a.flush()
        await b.flush()
        reply = await b.request("time", b"", timeout=WAIT)
        assert reply.data == b"noon"
        await a.publish("events.created", b"e1")
        msg = await events.next_msg(timeout=WAIT)
        assert (msg.subject, msg.data) == ("a.events.created", b"e1")
        await a.close()
        await b.close()


def test_import_of_a_private_export_is_refused() -> None:
    text = """
    accounts {
      A { exports = [{stream: "priv.>", accounts: [B]}] }
      B { }
      C { imports = [{stream: {account: A, subject: "priv.>"}}] }
    }
    """
    with pytest.raises(
        ValueError, match=re.escape('Error adding stream import "priv.>": stream import not authorized')
    ):
        Server(_config(text))


async def test_operator_mode_with_creds_file(tmp_path: Path) -> None:
    import time

    from pynatsd.testing.jwt import creds, new_account, new_operator, new_user

    operator, operator_jwt = new_operator()
    account, account_jwt = new_account(operator)
    text = (
        f"operator: {operator_jwt}\nresolver: MEMORY\n"
        f"resolver_preload: {{ {account.public}: {account_jwt} }}\n"
    )
    user, user_jwt = new_user(account, pub={"allow": ["jwt.>", "_INBOX.>"]})
    short, short_jwt = new_user(account, exp=int(time.time()) + 2)
    good = tmp_path / "good.creds"
    good.write_text(creds(user_jwt, user))
    brief = tmp_path / "brief.creds"
    brief.write_text(creds(short_jwt, short))
    async with run_server(_config(text)) as srv:
        nc = await _connect(srv.client_url, user_credentials=str(good))
        sub = await nc.subscribe("jwt.x")
        await nc.publish("jwt.x", b"signed")
        assert (await sub.next_msg(timeout=WAIT)).data == b"signed"
        closed = asyncio.Event()

        async def on_closed() -> None:
            closed.set()

        brief_nc = await _connect(srv.client_url, user_credentials=str(brief), closed_cb=on_closed)
        await asyncio.wait_for(closed.wait(), 10.0)
        assert "user authentication expired" in str(brief_nc.last_error).lower()
        await nc.close()
