# pynatsd: a NATS server written in Python.
#
# The server classes are imported on first use, so `import pynatsd.testing.wire` (a raw-protocol
# client) or `pynatsd.protocol` never pulls in the server core.
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pynatsd._version import NATS_SERVER_VERSION, __version__

if TYPE_CHECKING:
    from pynatsd.core.server import Server, ServerError
    from pynatsd.options import Options

__all__ = ["NATS_SERVER_VERSION", "Options", "Server", "ServerError", "__version__"]


def __getattr__(name: str) -> Any:
    if name in ("Server", "ServerError"):
        from pynatsd.core import server

        return getattr(server, name)
    if name == "Options":
        from pynatsd.options import Options

        return Options
    raise AttributeError(f"module 'pynatsd' has no attribute {name!r}")
