# The consumer API from the real nats-py client: create (durable, named, ephemeral, push and pull),
# the defaults clients see, info, listing and paging, delete, update rules and errors, account
# counts, pause, and creating a pull subscription. Delivery itself is tested with the consumer engine.
from __future__ import annotations

import json
from typing import Any

import pytest
import pytest_asyncio
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, ReplayPolicy
from nats.js.errors import BadRequestError, NotFoundError, ServerError

S = 1_000_000_000


@pytest_asyncio.fixture
async def js(client: Any) -> Any:
    jsc = client.jetstream()
    await jsc.add_stream(name="ORDERS", subjects=["orders.>"])
    return jsc


async def _api(client: Any, subject: str, body: dict[str, Any] | bytes = b"") -> dict[str, Any]:
    raw = json.dumps(body).encode() if isinstance(body, dict) else body
    msg = await client.request(f"$JS.API.{subject}", raw, timeout=5)
    reply: dict[str, Any] = json.loads(msg.data)
    return reply


async def test_durable_pull_consumer_defaults(js: Any) -> None:
    info = await js.add_consumer("ORDERS", durable_name="worker", ack_policy=AckPolicy.EXPLICIT)
    assert info.name == "worker"
    assert info.stream_name == "ORDERS"
    cfg = info.config
    assert cfg.durable_name == "worker"
    assert cfg.deliver_policy == DeliverPolicy.ALL
    assert cfg.ack_policy == AckPolicy.EXPLICIT
    assert cfg.ack_wait == 30.0
    assert cfg.max_deliver == -1
    assert cfg.max_waiting == 512
    assert cfg.max_ack_pending == 1000
    assert cfg.replay_policy == ReplayPolicy.INSTANT
    assert cfg.inactive_threshold is None
    assert info.num_pending == 0
    assert info.delivered.stream_seq == 0


async def test_named_push_consumer_round_trips_every_field(js: Any) -> None:
    config = ConsumerConfig(
        name="pusher",
        description="push <consumer>",
        deliver_subject="deliver.pusher",
        deliver_group="workers",
        ack_policy=AckPolicy.ALL,
        ack_wait=10,
        max_deliver=5,
        backoff=[1, 2],
        filter_subject="orders.new",
        idle_heartbeat=5,
        flow_control=True,
        headers_only=True,
        metadata={"team": "a"},
    )
    info = await js.add_consumer("ORDERS", config)
    cfg = info.config
    assert info.name == "pusher"
    assert cfg.deliver_subject == "deliver.pusher"
    assert cfg.ack_wait == 1.0  # the first backoff value
    assert cfg.backoff == [1.0, 2.0]
    assert cfg.idle_heartbeat == 5.0
    assert cfg.flow_control is True
    assert cfg.inactive_threshold == 5.0
    assert cfg.metadata is not None
    assert cfg.metadata["team"] == "a"
    assert cfg.metadata["_nats.req.level"] == "0"
    assert cfg.metadata["_nats.ver"] == "2.15.1"


async def test_consumer_info_missing_stream_and_consumer(js: Any) -> None:
    with pytest.raises(NotFoundError) as e:
        await js.consumer_info("ORDERS", "nope")
    assert e.value.err_code == 10014
    with pytest.raises(NotFoundError) as e:
        await js.consumer_info("NOPE", "nope")
    assert e.value.err_code == 10059


async def test_create_info_list_delete(js: Any) -> None:
    for name in ("c", "a", "b"):
        await js.add_consumer("ORDERS", durable_name=name)
    info = await js.consumer_info("ORDERS", "b")
    assert info.config.durable_name == "b"
    listed = await js.consumers_info("ORDERS")
    assert [c.name for c in listed] == ["a", "b", "c"]
    assert await js.delete_consumer("ORDERS", "b") is True
    with pytest.raises(NotFoundError):
        await js.delete_consumer("ORDERS", "b")
    assert [c.name for c in await js.consumers_info("ORDERS")] == ["a", "c"]
    assert (await js.stream_info("ORDERS")).config.name == "ORDERS"


async def test_names_and_list_paging(client: Any, js: Any) -> None:
    for i in range(5):
        await js.add_consumer("ORDERS", durable_name=f"c{i}")
    names = await _api(client, "CONSUMER.NAMES.ORDERS", {"offset": 3})
    assert (names["total"], names["offset"], names["limit"], names["consumers"]) == (5, 3, 1024, ["c3", "c4"])
    listed = await _api(client, "CONSUMER.LIST.ORDERS", {"offset": 4})
    assert (listed["total"], listed["limit"]) == (5, 256)
    assert [c["name"] for c in listed["consumers"]] == ["c4"]
    assert "_nats.ver" not in listed["consumers"][0]["config"]["metadata"]


async def test_ephemeral_gets_a_generated_name(client: Any, js: Any) -> None:
    reply = await _api(client, "CONSUMER.CREATE.ORDERS", {"stream_name": "ORDERS", "config": {}})
    name = reply["name"]
    assert len(name) == 8
    assert "name" not in reply["config"]
    assert reply["config"]["inactive_threshold"] == 5 * S
    assert (await js.consumer_info("ORDERS", name)).name == name


async def test_update_rules(js: Any) -> None:
    await js.add_consumer("ORDERS", durable_name="u", ack_policy=AckPolicy.EXPLICIT)
    info = await js.add_consumer(
        "ORDERS", durable_name="u", ack_policy=AckPolicy.EXPLICIT, description="changed"
    )
    assert info.config.description == "changed"
    with pytest.raises(ServerError) as e:
        await js.add_consumer("ORDERS", durable_name="u", ack_policy=AckPolicy.ALL)
    assert (e.value.err_code, e.value.description) == (10012, "ack policy can not be updated")
    with pytest.raises(ServerError) as e:
        await js.add_consumer("ORDERS", durable_name="u", ack_policy=AckPolicy.EXPLICIT, deliver_subject="x")
    assert e.value.description == "can not update pull consumer to push based"


async def test_create_and_update_actions(client: Any, js: Any) -> None:
    body: dict[str, Any] = {"stream_name": "ORDERS", "config": {"durable_name": "act"}, "action": "update"}
    assert (await _api(client, "CONSUMER.CREATE.ORDERS.act", body))["error"]["err_code"] == 10149
    body["action"] = "create"
    assert (await _api(client, "CONSUMER.CREATE.ORDERS.act", body))["name"] == "act"
    assert (await _api(client, "CONSUMER.CREATE.ORDERS.act", body))["name"] == "act"
    body["config"]["description"] = "d"
    assert (await _api(client, "CONSUMER.CREATE.ORDERS.act", body))["error"]["err_code"] == 10148


async def test_config_errors(js: Any) -> None:
    with pytest.raises(BadRequestError) as e:
        await js.add_consumer(
            "ORDERS", durable_name="bo", ack_policy=AckPolicy.EXPLICIT, backoff=[1, 2], max_deliver=1
        )
    assert e.value.err_code == 10116
    with pytest.raises(BadRequestError) as e:
        await js.add_consumer("ORDERS", durable_name="hb", idle_heartbeat=1)
    assert e.value.err_code == 10088
    with pytest.raises(BadRequestError) as e:
        await js.add_consumer(
            "ORDERS", durable_name="dup", filter_subject="orders.a", filter_subjects=["orders.b"]
        )
    assert e.value.err_code == 10136
    with pytest.raises(BadRequestError) as e:
        await js.add_consumer("ORDERS", durable_name="ov", filter_subjects=["orders.a", "orders.*"])
    assert e.value.err_code == 10138


async def test_workqueue_rules(js: Any) -> None:
    await js.add_stream(name="WQ", subjects=["wq.>"], retention="workqueue")
    with pytest.raises(BadRequestError) as e:
        await js.add_consumer("WQ", durable_name="w", ack_policy=AckPolicy.ALL)
    assert e.value.err_code == 10098
    await js.add_consumer("WQ", durable_name="w1", ack_policy=AckPolicy.EXPLICIT, filter_subject="wq.a")
    with pytest.raises(BadRequestError) as e:
        await js.add_consumer("WQ", durable_name="w2", ack_policy=AckPolicy.EXPLICIT, filter_subject="wq.*")
    assert e.value.err_code == 10100


async def test_account_info_counts_consumers(js: Any) -> None:
    await js.add_consumer("ORDERS", durable_name="one")
    await js.add_consumer("ORDERS", durable_name="two")
    assert (await js.account_info()).consumers == 2


async def test_pause_and_resume(client: Any, js: Any) -> None:
    await js.add_consumer("ORDERS", durable_name="p")
    paused = await _api(client, "CONSUMER.PAUSE.ORDERS.p", {"pause_until": "2099-01-01T00:00:00Z"})
    assert paused["paused"] is True
    assert paused["pause_remaining"] > 0
    info = await _api(client, "CONSUMER.INFO.ORDERS.p")
    assert info["paused"] is True
    assert info["config"]["pause_until"] == "2099-01-01T00:00:00Z"
    resumed = await _api(client, "CONSUMER.PAUSE.ORDERS.p")
    assert (resumed["paused"], resumed["pause_until"]) == (False, "0001-01-01T00:00:00Z")
    assert "pause_until" not in (await _api(client, "CONSUMER.INFO.ORDERS.p"))["config"]


async def test_unpin_needs_a_configured_group(client: Any, js: Any) -> None:
    body = {"stream_name": "ORDERS", "config": {"priority_groups": ["g"], "priority_policy": "pinned_client"}}
    assert (await _api(client, "CONSUMER.CREATE.ORDERS.pin", body))["config"]["priority_timeout"] == 120 * S
    assert "error" not in await _api(client, "CONSUMER.UNPIN.ORDERS.pin", {"group": "g"})
    reply = await _api(client, "CONSUMER.UNPIN.ORDERS.pin", {"group": "h"})
    assert reply["error"]["err_code"] == 10160


async def test_pull_subscribe_creates_the_durable(js: Any) -> None:
    sub = await js.pull_subscribe("orders.new", durable="puller", stream="ORDERS")
    info = await js.consumer_info("ORDERS", "puller")
    assert info.config.filter_subject == "orders.new"
    assert info.config.ack_policy == AckPolicy.EXPLICIT
    await sub.unsubscribe()
