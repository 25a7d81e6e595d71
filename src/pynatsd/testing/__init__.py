# Test support shipped with pynatsd.
#
# Two kinds of helpers live here: child-process servers and raw wire clients (servers, wire,
# normalize) for protocol tests, and in-process servers (embedded, pytest_plugin) for tests that use
# real clients. The in-process names below are imported lazily, on first use, so that importing the
# wire helpers never imports the server core they are meant to test from the outside. The pytest
# fixtures are in pynatsd.testing.pytest_plugin, which is not imported here.
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pynatsd.testing.embedded import LOOPBACK, run_server, start_server, wait_until

__all__ = ["LOOPBACK", "run_server", "start_server", "wait_until"]

_EMBEDDED = frozenset(__all__)


def __getattr__(name: str) -> Any:
    if name in _EMBEDDED:
        return getattr(importlib.import_module("pynatsd.testing.embedded"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
