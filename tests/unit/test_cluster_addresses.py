# Route and client addresses: route URLs (with credentials), the cluster listener from flags or
# config, and the client URLs a server advertises to its peers.
from __future__ import annotations

import pytest

from pynatsd.cluster import urls
from pynatsd.cluster.dial import listen_address, parse_route_url
from pynatsd.options import Options


def test_route_url_with_credentials() -> None:
    url = parse_route_url("nats-route://ru%40x:p%3Ass@10.0.0.5:6222")
    assert (url.host, url.port, url.user, url.password) == ("10.0.0.5", 6222, "ru@x", "p:ss")
    assert url.key == "10.0.0.5:6222"
    assert parse_route_url("127.0.0.1:7000").port == 7000
    with pytest.raises(ValueError, match="invalid route URL"):
        parse_route_url("nats://nohost")


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, None),
        ({"cluster_listen": "nats://127.0.0.1:6222"}, ("127.0.0.1", 6222)),
        ({"cluster_listen": "nats://127.0.0.1:-1"}, ("127.0.0.1", 0)),
        ({"cluster_listen": "0.0.0.0:7222"}, ("0.0.0.0", 7222)),
        ({"cluster_port": 6333}, ("0.0.0.0", 6333)),
        ({"cluster_host": "127.0.0.2", "cluster_port": -1}, ("127.0.0.2", 0)),
    ],
)
def test_listen_address(fields: dict[str, object], expected: tuple[str, int] | None) -> None:
    assert listen_address(Options().copy(**fields)) == expected


def test_client_urls() -> None:
    assert urls._compute("127.0.0.1", 4222, "") == ["127.0.0.1:4222"]
    assert urls._compute("::1", 4222, "") == ["[::1]:4222"]
    assert urls._compute("0.0.0.0", 4222, "nats://edge.example.com:4333") == ["edge.example.com:4333"]
    assert urls._compute("0.0.0.0", 4222, "edge.example.com") == ["edge.example.com:4222"]
    # Bound to every interface: the addresses of the interfaces, never loopback.
    found = urls._compute("0.0.0.0", 4222, "")
    assert found
    assert all(u.endswith(":4222") for u in found)
    assert not any(u.startswith("127.") for u in found) or found == ["127.0.0.1:4222"]
