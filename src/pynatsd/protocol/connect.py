# CONNECT and INFO from a peer: their JSON fields, decoded and type-checked as nats-server's Go
# structs would be (unknown fields ignored, wrong types rejected, a second CONNECT merged into the
# first).
from __future__ import annotations

from typing import Any

import msgspec

__all__ = ["PEER_INFO_DECODER", "ConnectOptions", "PeerInfo", "decode_connect"]


class ConnectOptions(msgspec.Struct, omit_defaults=True):
    verbose: bool = True
    pedantic: bool = True
    echo: bool = True
    tls_required: bool = False
    auth_token: str = ""
    user: str = ""
    # `pass` is a keyword in Python; renamed on decode.
    password: str = msgspec.field(default="", name="pass")
    nkey: str = ""
    sig: str = ""
    jwt: str = ""
    name: str = ""
    lang: str = ""
    version: str = ""
    protocol: int = 0
    headers: bool = False
    no_responders: bool = False
    account: str = ""
    new_account: bool = False


class PeerInfo(msgspec.Struct):
    """The typed fields of an INFO a peer may send; decoding checks types as Go's json does."""

    server_id: str = ""
    server_name: str = ""
    version: str = ""
    proto: int = 0
    host: str = ""
    port: int = 0
    headers: bool = False
    auth_required: bool = False
    tls_required: bool = False
    max_payload: int = 0
    client_id: int = 0
    client_ip: str = ""
    connect_urls: list[str] | None = None
    ldm: bool = False


PEER_INFO_DECODER = msgspec.json.Decoder(PeerInfo | None)


def decode_connect(arg: bytes, previous: dict[str, Any]) -> tuple[ConnectOptions, dict[str, Any]]:
    """Decode CONNECT on top of the fields an earlier CONNECT set, as Go's json.Unmarshal does."""
    fields = msgspec.json.decode(arg)
    if fields is None:
        fields = {}
    if not isinstance(fields, dict):
        raise msgspec.ValidationError("CONNECT is not a JSON object")
    fields = {k: v for k, v in fields.items() if v is not None}
    merged = {**previous, **fields}
    return msgspec.convert(merged, ConnectOptions), merged
