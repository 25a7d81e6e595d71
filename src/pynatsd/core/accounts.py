# Accounts: the unit of isolation. Each has its own sublist, so subjects never cross accounts unless
# an import/export says so. The global account `$G` holds every client when no accounts are
# configured; the system account `$SYS` carries the server's own services.
from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from pynatsd.core.sublist import Sublist

if TYPE_CHECKING:
    from pynatsd.core.client import ClientConnection
    from pynatsd.core.imports import ResponseRoute

__all__ = ["GLOBAL_ACCOUNT", "SYSTEM_ACCOUNT", "Account"]

GLOBAL_ACCOUNT: Final = "$G"
SYSTEM_ACCOUNT: Final = "$SYS"


class Account:
    __slots__ = (
        "clients",
        "is_system",
        "max_connections",
        "max_payload",
        "max_subscriptions",
        "name",
        "response_routes",
        "sublist",
    )

    def __init__(self, name: str, *, cache: bool = True, is_system: bool = False) -> None:
        self.name = name
        self.sublist = Sublist(cache=cache)
        self.clients: set[ClientConnection] = set()
        self.is_system = is_system
        # `limits {}` of the account's config block (0 = none); subscriptions and payload apply to
        # each of its connections, connections to the account as a whole.
        self.max_connections = 0
        self.max_subscriptions = 0
        self.max_payload = 0
        # For an account exporting services: where responses to its rewritten reply subjects go.
        self.response_routes: Mapping[bytes, ResponseRoute] | None = None

    def set_limits(self, block: Mapping[str, Any]) -> None:
        self.max_connections = int(block.get("max_connections", block.get("max_conn", 0)) or 0)
        self.max_subscriptions = int(block.get("max_subscriptions", block.get("max_subs", 0)) or 0)
        self.max_payload = int(block.get("max_payload", 0) or 0)

    def __repr__(self) -> str:
        return f"<Account {self.name}>"
