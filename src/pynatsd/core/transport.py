# A transport that wraps the socket's own: the base of the layers a ClientConnection can write
# through (websocket framing, TLS over memory BIOs). Whatever a layer does not change — buffer
# sizes and limits, read pausing, peer details, abort — is passed on to the socket's transport.
from __future__ import annotations

import asyncio
from typing import Any

__all__ = ["WrappingTransport"]


class WrappingTransport:
    def __init__(self, raw: asyncio.Transport) -> None:
        self._raw = raw

    def abort(self) -> None:
        self._raw.abort()

    def is_closing(self) -> bool:
        return self._raw.is_closing()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._raw.get_extra_info(name, default)

    def get_write_buffer_size(self) -> int:
        return self._raw.get_write_buffer_size()

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self._raw.set_write_buffer_limits(high=high, low=low)

    def pause_reading(self) -> None:
        self._raw.pause_reading()

    def resume_reading(self) -> None:
        self._raw.resume_reading()
