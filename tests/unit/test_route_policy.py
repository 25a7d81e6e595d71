# The cluster block's route settings without a network: permissions (and the interest they let
# out), the compression modes, and route TLS contexts and timeouts.
from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

import pytest

from pynatsd.cluster.interest import LocalInterest
from pynatsd.cluster.policy import compression_warning, permissions_info, route_permissions
from pynatsd.cluster.tls import route_tls
from pynatsd.core.accounts import Account
from pynatsd.core.permissions import PermissionError_
from pynatsd.core.subscription import SubKind, Subscription
from pynatsd.core.tls import TLSConfigError

CERTS = Path(__file__).resolve().parents[1] / "fixtures" / "tls" / "route"
TLS = {
    "cert_file": str(CERTS / "node-cert.pem"),
    "key_file": str(CERTS / "node-key.pem"),
    "ca_file": str(CERTS / "ca.pem"),
}


@pytest.mark.parametrize("mode", [None, "off", "accept", "Disabled", False, "not_supported", {"mode": "off"}])
def test_uncompressed_modes_pass_silently(mode: Any) -> None:
    assert compression_warning(mode) == ""


@pytest.mark.parametrize("mode", ["s2_fast", "s2_auto", "best", "on", True, {"mode": "s2_auto"}])
def test_compressing_modes_warn(mode: Any) -> None:
    assert "not supported: routes run uncompressed" in compression_warning(mode)


def test_unknown_compression_mode_is_an_error() -> None:
    with pytest.raises(ValueError, match='unsupported compression mode "zstd"'):
        compression_warning("zstd")


def test_import_is_publish_and_export_is_subscribe() -> None:
    perms = route_permissions(
        {"permissions": {"import": ["in.>"], "export": {"allow": [">"], "deny": ["x.*"]}}}
    )
    assert perms is not None
    assert perms.can_publish(b"in.a")
    assert not perms.can_publish(b"out.a")
    assert perms.can_subscribe(b"out.a")
    assert not perms.can_subscribe(b"x.a")
    assert perms.deny_delivery(b"x.>", b"x.a")
    assert not perms.deny_delivery(b"x.>", b"x.a.b")
    assert permissions_info(perms) == {
        "import": {"allow": ["in.>"]},
        "export": {"allow": [">"], "deny": ["x.*"]},
    }
    assert route_permissions({}) is None
    assert permissions_info(None) == {}


def test_route_permissions_refuse_dynamic_responses() -> None:
    with pytest.raises(PermissionError_, match="do not support dynamic responses"):
        route_permissions({"permissions": {"import": "a", "allow_responses": True}})


def _sub(subject: bytes, queue: bytes = b"") -> Subscription:
    return Subscription(None, subject, queue, b"1", SubKind.CLIENT)


def test_interest_outside_import_is_counted_but_not_announced() -> None:
    acc = Account("$G")
    interest = LocalInterest(lambda subject: subject.startswith(b"in."))
    kept, hidden = _sub(b"in.a"), _sub(b"other")
    assert interest.change(acc, kept, True) == b"RS+ $G in.a\r\n"
    assert interest.change(acc, hidden, True) is None
    assert interest.change(acc, _sub(b"in.q", b"g"), True) == b"RS+ $G in.q g 1\r\n"
    assert list(interest.all_lines()) == [b"RS+ $G in.a\r\n", b"RS+ $G in.q g 1\r\n"]
    assert interest.change(acc, hidden, False) is None
    assert interest.change(acc, kept, False) == b"RS- $G in.a\r\n"
    assert len(interest) == 1


def test_route_tls_contexts() -> None:
    assert route_tls({}) is None
    tls = route_tls({"tls": {**TLS, "timeout": "500ms"}})
    assert tls is not None
    assert tls.timeout == 0.5
    assert tls.server.verify_mode is ssl.CERT_REQUIRED
    assert tls.client.verify_mode is ssl.CERT_REQUIRED
    assert tls.client.check_hostname
    insecure = route_tls({"tls": {**TLS, "insecure": True, "timeout": 3}})
    assert insecure is not None
    assert insecure.timeout == 3.0
    assert insecure.client.verify_mode is ssl.CERT_NONE
    assert insecure.server.verify_mode is ssl.CERT_REQUIRED


def test_route_tls_needs_a_certificate_and_key() -> None:
    with pytest.raises(TLSConfigError, match="requires a certificate and a key"):
        route_tls({"tls": {"cert_file": TLS["cert_file"]}})
    with pytest.raises(TLSConfigError, match="error parsing X509"):
        route_tls({"tls": {**TLS, "key_file": str(CERTS / "missing.pem")}})
