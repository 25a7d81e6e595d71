# Accounts: the unit of isolation. Each has its own sublist, so subjects never cross accounts unless
# an import/export says so. The global account `$G` holds every client when no accounts are
# configured; the system account `$SYS` carries the server's own services.
from __future__ import annotations

from typing import TYPE_CHECKING, Final

from pynatsd.core.sublist import Sublist

if TYPE_CHECKING:
    from pynatsd.core.client import ClientConnection

__all__ = ["GLOBAL_ACCOUNT", "SYSTEM_ACCOUNT", "Account"]

GLOBAL_ACCOUNT: Final = "$G"
SYSTEM_ACCOUNT: Final = "$SYS"


class Account:
    __slots__ = ("clients", "is_system", "name", "sublist")

    def __init__(self, name: str, *, cache: bool = True, is_system: bool = False) -> None:
        self.name = name
        self.sublist = Sublist(cache=cache)
        self.clients: set[ClientConnection] = set()
        self.is_system = is_system

    def __repr__(self) -> str:
        return f"<Account {self.name}>"
