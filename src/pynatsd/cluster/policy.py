# What may cross a route, and how: route permissions and the compression setting.
#
# Permissions (`cluster { permissions { import, export } }`) read like a user's, import standing for
# publish and export for subscribe, and they act on interest:
#   - import: the subjects this server wants from its peers. Local interest outside it is not
#     announced (no RS+), so peers never send those messages here.
#   - export: the subjects this server gives its peers. An RS+ outside it is ignored, so nothing on
#     that subject is sent to the peer; a wildcard RS+ that merely overlaps an export deny is kept,
#     and the denied subjects are held back message by message.
# Both are also announced in the route INFO (`import`, `export`), as nats-server does.
#
# Compression: nats-server can S2-compress route traffic once both INFOs agree on it. pynatsd does
# not speak S2, so it always announces `compression: off`, which every nats-server mode answers by
# leaving the route uncompressed. A configured `off` or `accept` asks for nothing more; a mode that
# would compress is accepted with one warning that routes run uncompressed.
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from pynatsd.core.permissions import PermissionError_, Permissions, parse_permissions

__all__ = ["COMPRESSION_OFF", "compression_warning", "permissions_info", "route_permissions"]

COMPRESSION_OFF: Final = "off"
# nats-server's spellings of each mode, lower-cased.
_UNCOMPRESSED: Final = frozenset({"off", "disabled", "false", "accept", "not supported", "not_supported"})
_COMPRESSED: Final = frozenset(
    {"on", "enabled", "true", "auto", "s2_auto", "fast", "s2_fast", "better", "s2_better", "best", "s2_best"}
)


def route_permissions(cluster_block: Mapping[str, Any]) -> Permissions | None:
    """The cluster's import/export permissions, or None when everything crosses."""
    block = cluster_block.get("permissions")
    if block is None:
        return None
    if isinstance(block, Mapping) and any(k.lower().startswith("allow_responses") for k in block):
        raise PermissionError_("Cluster permissions do not support dynamic responses")
    return parse_permissions(block)


def permissions_info(perms: Permissions | None) -> dict[str, Any]:
    """The `import` and `export` fields of the route INFO."""
    if perms is None:
        return {}
    out: dict[str, Any] = {}
    for name, rule in (("import", perms.pub), ("export", perms.sub)):
        entry: dict[str, list[str]] = {}
        if rule.allow_patterns is not None:
            entry["allow"] = rule.allow_patterns
        if rule.deny_list is not None:
            entry["deny"] = rule.deny_list
        if entry:
            out[name] = entry
    return out


def compression_warning(value: Any) -> str:
    """The warning a configured compression mode deserves ("" for none); ValueError if unknown."""
    if value is None:
        return ""
    mode = value.get("mode", "accept") if isinstance(value, Mapping) else value
    text = str(mode).lower() if not isinstance(mode, bool) else ("true" if mode else "false")
    if text in _UNCOMPRESSED:
        return ""
    if text in _COMPRESSED:
        return f'Route compression "{mode}" is not supported: routes run uncompressed'
    raise ValueError(f'unsupported compression mode "{mode}"')
