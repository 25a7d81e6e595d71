# NATS nkeys: Ed25519 public keys as base32 text with a role prefix and a CRC16 checksum.
#
# The server's own identity (server_id, `N…`) and its curve key (xkey, `X…`) are real keys made at
# start-up; user keys (`U…`) are decoded here to verify nonce signatures.
from __future__ import annotations

import base64
import binascii
from typing import Final

__all__ = [
    "PREFIX_ACCOUNT",
    "PREFIX_CURVE",
    "PREFIX_SERVER",
    "PREFIX_USER",
    "decode_public",
    "encode_public",
    "new_server_keys",
]

PREFIX_ACCOUNT: Final = 0 << 3  # 'A'
PREFIX_SERVER: Final = 13 << 3  # 'N'
PREFIX_OPERATOR: Final = 14 << 3  # 'O'
PREFIX_USER: Final = 20 << 3  # 'U'
PREFIX_CURVE: Final = 23 << 3  # 'X'


def _crc16(data: bytes) -> int:
    return binascii.crc_hqx(data, 0)


def encode_public(prefix: int, raw: bytes) -> str:
    body = bytes([prefix]) + raw
    crc = _crc16(body)
    return base64.b32encode(body + crc.to_bytes(2, "little")).decode().rstrip("=")


def decode_public(key: str) -> tuple[int, bytes]:
    """Return (prefix, 32-byte public key); raise ValueError on a malformed or corrupt key."""
    pad = "=" * (-len(key) % 8)
    try:
        data = base64.b32decode(key + pad)
    except binascii.Error as e:
        raise ValueError("invalid nkey encoding") from e
    if len(data) != 35:
        raise ValueError("invalid nkey length")
    body, crc = data[:-2], int.from_bytes(data[-2:], "little")
    if _crc16(body) != crc:
        raise ValueError("invalid nkey checksum")
    return body[0], body[1:]


def new_server_keys() -> tuple[str, str]:
    """A fresh server identity: (server_id `N…`, xkey `X…`)."""
    from nacl.public import PrivateKey
    from nacl.signing import SigningKey

    sign = SigningKey.generate()
    curve = PrivateKey.generate()
    return (
        encode_public(PREFIX_SERVER, bytes(sign.verify_key)),
        encode_public(PREFIX_CURVE, bytes(curve.public_key)),
    )
