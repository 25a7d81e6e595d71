# Map a parsed configuration onto Options, with nats-server's key names, aliases and checks.
#
# Keys are matched case-insensitively. Each top-level key goes to a simple typed setter (_SIMPLE), a
# handler for keys that need more than a type check (_HANDLERS), or the set of keys nats-server knows
# but pynatsd does not act on (_ACCEPTED); anything else is reported as `unknown field`. Blocks such as
# cluster and jetstream are checked the same way, one level down.
#
# Problems are collected rather than raised at the first one, as nats-server does: errors (a value of
# the wrong type, an impossible setting) are raised together as one ConfigError at the end, warnings
# (unknown fields, durations written as bare seconds) are returned. Messages reuse nats-server's
# wording and carry the file:line:col of the offending key when the data came from the parser.
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

from pynatsd.config.lexer import ConfigError, format_go_duration, parse_go_duration
from pynatsd.config.parser import ConfigMap, parse_path, to_plain
from pynatsd.options import LAME_DUCK_MIN_DURATION, Options

_INT31_MAX: Final = 2**31 - 1
_T = TypeVar("_T")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# ---- typed access with nats-server's messages ---------------------------------------------------


class _Bad(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


_GO_TYPES: Final = (
    (bool, "bool"),
    (int, "int64"),
    (float, "float64"),
    (str, "string"),
    (dict, "map[string]interface {}"),
    (list, "[]interface {}"),
    (dt.datetime, "time.Time"),
)


def go_type(value: Any) -> str:
    """The Go type nats-server would report for a parsed value."""
    return next((name for kind, name in _GO_TYPES if isinstance(value, kind)), type(value).__name__)


def _go_value(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def _conversion(value: Any, want: str) -> _Bad:
    return _Bad(f"interface conversion: interface {{}} is {go_type(value)}, not {want}")


def _expect(value: Any, kind: type[_T], want: str) -> _T:
    # bool is an int in Python but not in the config language.
    if isinstance(value, kind) and (kind is bool or not isinstance(value, bool)):
        return value
    raise _conversion(value, want)


def as_str(value: Any) -> str:
    return _expect(value, str, "string")


def as_int(value: Any) -> int:
    return _expect(value, int, "int64")


def as_bool(value: Any) -> bool:
    return _expect(value, bool, "bool")


def as_list(value: Any) -> list[Any]:
    return _expect(value, list, "[]interface {}")


def as_map(value: Any, message: str = "") -> Mapping[str, Any]:
    if isinstance(value, dict):
        return value
    if message:
        raise _Bad(message.format(type=go_type(value)))
    raise _conversion(value, "map[string]interface {}")


def _duration(value: Any, field: str) -> tuple[float, str]:
    if isinstance(value, str):
        try:
            return parse_go_duration(value), ""
        except ValueError as exc:
            raise _Bad(f"error parsing {field}: {exc}") from None
    return float(as_int(value)), f"{field} should be converted to a duration"


def parse_duration(value: Any, *, field: str = "duration", warnings: list[str] | None = None) -> float:
    """Read a config duration as nats-server does: a Go duration string, or an int of seconds.

    An int is accepted for backward compatibility, with a warning appended to `warnings`. Note that
    an unquoted `2m` in a config file is already the integer 2000000 by the time it gets here.
    """
    try:
        seconds, warning = _duration(value, field)
    except _Bad as exc:
        raise ConfigError(exc.reason) from None
    if warning and warnings is not None:
        warnings.append(f'invalid use of field "{field}": {warning}')
    return seconds


def _seconds(value: Any, field: str) -> float:
    # Timeouts (auth, TLS) are float seconds, or a duration string in newer nats-server versions.
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        return _duration(value, field)[0]
    raise _conversion(value, "float64")


def split_host_port(value: Any) -> tuple[str, int]:
    """Parse a `listen`-style value: a port number or "host:port" (IPv6 hosts in brackets)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return "", value
    if not isinstance(value, str):
        raise _Bad(f"expected port or host:port, got {go_type(value)}")
    host, sep, port = value.rpartition(":")
    if not sep or (":" in host and not (host.startswith("[") and host.endswith("]"))):
        raise _Bad(f'could not parse address string "{value}"')
    host = host[1:-1] if host.startswith("[") else host
    try:
        return host, int(port)
    except ValueError:
        raise _Bad(f'could not parse port "{port}"') from None


# ---- collecting problems ------------------------------------------------------------------------


@dataclass
class _Context:
    filename: str
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    store_dir_set: bool = False

    def where(self, block: Mapping[str, Any], key: str) -> str:
        if isinstance(block, ConfigMap) and key in block.positions:
            return str(block.positions[key])
        return self.filename

    def error(self, block: Mapping[str, Any], key: str, reason: str) -> None:
        self.errors.append(f"{self.where(block, key)}: {reason}")

    def warn(self, block: Mapping[str, Any], key: str, reason: str) -> None:
        self.warnings.append(f"{self.where(block, key)}: {reason}")

    def unknown(self, block: Mapping[str, Any], key: str) -> None:
        if isinstance(block, ConfigMap) and key in block.used:
            return
        self.warn(block, key, f'unknown field "{key}"')

    def duration(self, block: Mapping[str, Any], key: str, value: Any, field: str = "") -> float:
        seconds, warning = _duration(value, field or key.lower())
        if warning:
            self.warn(block, key, f'invalid use of field "{field or key.lower()}": {warning}')
        return seconds


Handler = Callable[[_Context, Options, Mapping[str, Any], str, Any], None]


def _walk(
    ctx: _Context, block: Mapping[str, Any], accepted: frozenset[str], apply: Callable[[str, Any], bool]
) -> None:
    """Run `apply(key, value)` for each entry; it returns False for keys it does not handle."""
    for key, value in block.items():
        try:
            if not apply(key, value) and key.lower() not in accepted:
                ctx.unknown(block, key)
        except _Bad as exc:
            ctx.error(block, key, exc.reason)


# ---- top-level keys -----------------------------------------------------------------------------


def _aliases(*rows: tuple[str, str, Callable[[Any], Any]]) -> dict[str, tuple[str, Callable[[Any], Any]]]:
    return {name: (attr, conv) for names, attr, conv in rows for name in names.split()}


# Keys that set one Options field after a type check: "aliases", field, converter.
_SIMPLE: Final = _aliases(
    ("host net", "host", as_str),
    ("port", "port", as_int),
    ("server_name", "server_name", as_str),
    ("client_advertise", "client_advertise", as_str),
    ("http_port monitor_port", "http_port", as_int),
    ("https_port", "https_port", as_int),
    ("http_base_path", "http_base_path", as_str),
    ("debug", "debug", as_bool),
    ("trace", "trace", as_bool),
    ("logtime", "logtime", as_bool),
    ("logtime_utc", "logtime_utc", as_bool),
    ("logfile log_file", "log_file", as_str),
    ("log_size_limit logfile_size_limit", "log_size_limit", as_int),
    ("syslog", "syslog", as_bool),
    ("remote_syslog", "remote_syslog", as_str),
    ("max_traced_msg_len", "max_traced_msg_len", as_int),
    ("pidfile pid_file", "pid_file", as_str),
    ("ports_file_dir", "ports_file_dir", as_str),
    ("max_pending", "max_pending", as_int),
    ("max_connections max_conn", "max_connections", as_int),
    ("max_subscriptions max_subs", "max_subscriptions", as_int),
    ("ping_max", "ping_max", as_int),
    ("no_header_support", "no_header_support", as_bool),
    ("no_fast_producer_stall", "no_fast_producer_stall", as_bool),
    ("max_closed_clients", "max_closed_clients", as_int),
    ("disable_sublist_cache no_sublist_cache", "disable_sublist_cache", as_bool),
    ("no_auth_user", "no_auth_user", as_str),
    ("allow_non_tls", "allow_non_tls", as_bool),
)

# Keys nats-server accepts that pynatsd does not act on (yet); they are neither set nor reported.
_ACCEPTED: Final = _words(
    """trace_headers mappings maps logfile_max_num log_max_num prof_port prof_block_rate ocsp
    ocsp_cache write_timeout roots root root_operators
    root_operator account_resolver accounts_resolver resolver_tls
    resolver_pinned_accounts no_system_account no_system no_sys_acc trusted trusted_keys
    connect_error_reports reconnect_error_reports server_tags default_js_domain server_metadata
    feature_flags proxy_protocol proxies"""
)


def _listen(ctx: _Context, opts: Options, block: Mapping[str, Any], key: str, value: Any) -> None:
    host, port = split_host_port(value)
    opts.host = host or opts.host
    opts.port = port


def _monitor(ctx: _Context, opts: Options, block: Mapping[str, Any], key: str, value: Any) -> None:
    host, port = split_host_port(value)
    opts.http_host = host or opts.http_host
    if key.lower() == "https":
        opts.https_port = port
    else:
        opts.http_port = port


def _trace_verbose(ctx: _Context, opts: Options, block: Mapping[str, Any], key: str, value: Any) -> None:
    opts.trace_verbose = opts.trace = as_bool(value)


def _int31(attr: str) -> Handler:
    def handler(ctx: _Context, opts: Options, block: Mapping[str, Any], key: str, value: Any) -> None:
        number = as_int(value)
        if number > _INT31_MAX:
            raise _Bad(f"{key} value is too big")
        setattr(opts, attr, number)

    return handler


def _max_sub_tokens(ctx: _Context, opts: Options, block: Mapping[str, Any], key: str, value: Any) -> None:
    number = as_int(value)
    if number > 255:
        raise _Bad(f"{key} value is too big")
    if number <= 0:
        raise _Bad(f"{key} value can not be negative")
    opts.max_sub_tokens = number


def _duration_field(attr: str) -> Handler:
    def handler(ctx: _Context, opts: Options, block: Mapping[str, Any], key: str, value: Any) -> None:
        setattr(opts, attr, ctx.duration(block, key, value))

    return handler


def _duration_string(name: str, value: Any) -> float:
    # The lame duck settings must be duration strings; nats-server has no bare-seconds fallback here.
    try:
        return parse_go_duration(as_str(value))
    except ValueError as exc:
        raise _Bad(f"error parsing {name}: {exc}") from None


def _lame_duck(ctx: _Context, opts: Options, block: Mapping[str, Any], key: str, value: Any) -> None:
    seconds = _duration_string("lame_duck_duration", value)
    if seconds < LAME_DUCK_MIN_DURATION:
        shown = format_go_duration(seconds)
        raise _Bad(f"invalid lame_duck_duration of {shown}, minimum is {LAME_DUCK_MIN_DURATION:g} seconds")
    opts.lame_duck_duration = seconds


def _lame_duck_grace(ctx: _Context, opts: Options, block: Mapping[str, Any], key: str, value: Any) -> None:
    seconds = _duration_string("lame_duck_grace_period", value)
    if seconds < 0:
        raise _Bad("invalid lame_duck_grace_period, needs to be positive")
    opts.lame_duck_grace_period = seconds


def _set_store_dir(ctx: _Context, opts: Options, value: Any) -> None:
    path = as_str(value)
    if ctx.store_dir_set:
        raise _Bad("Duplicate 'store_dir' configuration")
    ctx.store_dir_set = True
    opts.store_dir = path


def _store_dir(ctx: _Context, opts: Options, block: Mapping[str, Any], key: str, value: Any) -> None:
    _set_store_dir(ctx, opts, value)


def _system_account(ctx: _Context, opts: Options, block: Mapping[str, Any], key: str, value: Any) -> None:
    if not isinstance(value, str):
        raise _Bad("system account name must be a string")
    opts.system_account = value


def _accounts(ctx: _Context, opts: Options, block: Mapping[str, Any], key: str, value: Any) -> None:
    if isinstance(value, list):
        opts.accounts = {as_str(name): {} for name in value}
        return
    opts.accounts = to_plain(as_map(value, "Expected map to define accounts, got {type}"))


def _kept_block(attr: str, message: str) -> Handler:
    # Listeners implemented elsewhere (websocket, leaf nodes, gateways, MQTT): kept as plain dicts.
    def handler(ctx: _Context, opts: Options, block: Mapping[str, Any], key: str, value: Any) -> None:
        setattr(opts, attr, to_plain(as_map(value, message)))

    return handler


_websocket: Final = _kept_block("websocket", "Expected websocket to be a map, got {type}")


def _operator(ctx: _Context, opts: Options, block: Mapping[str, Any], key: str, value: Any) -> None:
    items = value if isinstance(value, list) else [value]
    opts.operators = [as_str(v) for v in items]


def _resolver(ctx: _Context, opts: Options, block: Mapping[str, Any], key: str, value: Any) -> None:
    opts.resolver = to_plain(value) if isinstance(value, Mapping) else as_str(value)


def _resolver_preload(ctx: _Context, opts: Options, block: Mapping[str, Any], key: str, value: Any) -> None:
    preload = as_map(value, "Expected preload to be a map, got {type}")
    opts.resolver_preload = {as_str(k): as_str(v) for k, v in preload.items()}


_leafnodes: Final = _kept_block("leafnodes", "Expected map to define a leafnode, got {type}")


# ---- authorization ------------------------------------------------------------------------------

_AUTH_ACCEPTED: Final = frozenset({"default_permissions", "permissions", "auth_callout"})


def _users(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise _Bad(f"Expected users field to be an array, got {_go_value(value)}")
    for entry in value:
        if not isinstance(entry, dict):
            raise _Bad(f"Expected user entry to be a map/struct, got {_go_value(entry)}")
    return value


def _authorization(ctx: _Context, opts: Options, block: Mapping[str, Any], key: str, value: Any) -> None:
    auth = as_map(value)
    found: dict[str, str] = {"user": "", "password": "", "token": ""}
    users: list[list[Any]] = []

    def apply(k: str, v: Any) -> bool:
        name = k.lower()
        if name in ("user", "username"):
            found["user"] = as_str(v)
        elif name in ("pass", "password"):
            found["password"] = as_str(v)
        elif name == "token":
            found["token"] = as_str(v)
        elif name == "timeout":
            opts.auth_timeout = _seconds(v, "timeout")
        elif name == "users":
            users.append(_users(v))
        else:
            return False
        return True

    _walk(ctx, auth, _AUTH_ACCEPTED, apply)
    if (found["user"] or found["password"]) and found["token"]:
        raise _Bad("Cannot have a user/pass and token")
    if users and found["user"]:
        raise _Bad("Can not have a single user/pass and a users array")
    if users and found["token"]:
        raise _Bad("Can not have a token and a users array")
    opts.username, opts.password = found["user"], found["password"]
    opts.authorization = found["token"]
    opts.authorization_block = to_plain(auth)


# ---- TLS ----------------------------------------------------------------------------------------

_TLS_ACCEPTED: Final = _words(
    """insecure pinned_certs cipher_suites curve_preferences verify_cert_and_check_known_urls
    handshake_first cert_store cert_match cert_match_by ca_certs_match min_version certs
    connection_rate_limit ocsp_peer cert_match_skip_invalid"""
)
_TLS_FILES: Final = {"cert_file": "tls_cert", "key_file": "tls_key", "ca_file": "tls_ca_cert"}


def _tls(ctx: _Context, opts: Options, block: Mapping[str, Any], key: str, value: Any) -> None:
    tls = as_map(value)
    files: dict[str, str] = {}

    def apply(k: str, v: Any) -> bool:
        name = k.lower()
        if name in _TLS_FILES:
            files[name] = as_str(v)
        elif name == "verify":
            opts.tls_verify = as_bool(v)
        elif name == "verify_and_map":
            opts.tls_verify = as_bool(v) or opts.tls_verify
        elif name == "timeout":
            opts.tls_timeout = _seconds(v, "timeout")
        else:
            return False
        return True

    _walk(ctx, tls, _TLS_ACCEPTED, apply)
    if "cert_file" in files and "key_file" not in files:
        raise _Bad("missing 'key_file' in TLS configuration")
    if "key_file" in files and "cert_file" not in files:
        raise _Bad("missing 'cert_file' in TLS configuration")
    for name, path in files.items():
        setattr(opts, _TLS_FILES[name], path)
    opts.tls = opts.tls or "cert_file" in files
    opts.tls_block = to_plain(tls)


# ---- cluster ------------------------------------------------------------------------------------

_CLUSTER_ACCEPTED: Final = _words(
    """tls permissions pool_size accounts compression ping_interval ping_max write_deadline
    write_timeout connect_backoff"""
)


def _routes(ctx: _Context, cluster: Mapping[str, Any], key: str, value: Any) -> list[str]:
    routes: list[str] = []
    for entry in as_list(value):
        url = as_str(entry).strip()
        if url in routes:
            ctx.warn(cluster, key, f'invalid use of field "{url}": Duplicate route entry detected')
            continue
        routes.append(url)
    return routes


def _cluster_authorization(value: Any) -> None:
    names = {k.lower() for k in as_map(value)}
    if "users" in names:
        raise _Bad("Cluster authorization does not allow multiple users")
    if "token" in names:
        raise _Bad("Cluster authorization does not support tokens")


def _cluster(ctx: _Context, opts: Options, block: Mapping[str, Any], key: str, value: Any) -> None:
    cluster = as_map(value, "Expected map to define cluster, got {type}")

    def apply(k: str, v: Any) -> bool:
        name = k.lower()
        if name == "name":
            opts.cluster_name = as_str(v)
        elif name == "listen":
            host, port = split_host_port(v)
            opts.cluster_host, opts.cluster_port = host or opts.cluster_host, port
            opts.cluster_listen = v if isinstance(v, str) else f":{port}"
        elif name == "port":
            opts.cluster_port = as_int(v)
        elif name in ("host", "net"):
            opts.cluster_host = as_str(v)
        elif name in ("advertise", "cluster_advertise"):
            opts.cluster_advertise = as_str(v)
        elif name == "no_advertise":
            opts.no_advertise = as_bool(v)
        elif name == "connect_retries":
            opts.connect_retries = as_int(v)
        elif name == "routes":
            opts.routes = _routes(ctx, cluster, k, v)
        elif name == "authorization":
            _cluster_authorization(v)
        else:
            return False
        return True

    _walk(ctx, cluster, _CLUSTER_ACCEPTED, apply)
    opts.cluster_block = to_plain(cluster)


# ---- JetStream ----------------------------------------------------------------------------------

_JETSTREAM_ACCEPTED: Final = _words(
    """key ek encryption_key prev_key prev_encryption_key cipher extension_hint limits tpm unique_tag
    max_outstanding_catchup max_buffered_size max_buffered_msgs request_queue_limit strict
    meta_compact meta_compact_size meta_compact_sync"""
)
_SIZE_SHIFT: Final = {"K": 10, "M": 20, "G": 30, "T": 40}


def _storage_size(value: Any, label: str) -> int:
    # An int (with the usual unit suffixes), or a string "<n>K|M|G|T" meaning powers of 1024.
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if not isinstance(value, str):
        raise _Bad(f"{label} must be int64 or string")
    if not value:
        return 0
    prefix, suffix = value[:-1], value[-1]
    if not re.fullmatch(r"[+-]?\d+", prefix):
        raise _Bad(f'{label} strconv.ParseInt: parsing "{prefix}": invalid syntax')
    if suffix not in _SIZE_SHIFT:
        raise _Bad(f"{label} sizes defined as strings must end in K, M, G, T")
    return int(prefix) << _SIZE_SHIFT[suffix]


def _sync_interval(ctx: _Context, js: Mapping[str, Any], key: str, value: Any) -> str:
    if isinstance(value, str) and value.lower() == "always":
        return "always"
    seconds = ctx.duration(js, key, value)
    return value if isinstance(value, str) else format_go_duration(seconds)


def _jetstream_switch(value: str) -> bool:
    word = value.lower()
    if word in ("enabled", "enable"):
        return True
    if word in ("disabled", "disable"):
        return False
    raise _Bad(f"Expected 'enabled' or 'disabled' for string value, got '{value}'")


def _jetstream(ctx: _Context, opts: Options, block: Mapping[str, Any], key: str, value: Any) -> None:
    if isinstance(value, (bool, str)):
        opts.jetstream = value if isinstance(value, bool) else _jetstream_switch(value)
        return
    js = as_map(value, "Expected map, bool or string to define JetStream, got {type}")
    enabled = [True]

    def apply(k: str, v: Any) -> bool:
        name = k.lower()
        if name in ("store", "store_dir", "storedir"):
            _set_store_dir(ctx, opts, v)
        elif name in ("max_memory_store", "max_mem_store", "max_mem"):
            opts.jetstream_max_memory = _storage_size(v, "max_mem_store")
        elif name in ("max_file_store", "max_file"):
            opts.jetstream_max_store = _storage_size(v, "max_file_store")
        elif name == "domain":
            opts.jetstream_domain = as_str(v)
        elif name in ("enable", "enabled"):
            enabled[0] = as_bool(v)
        elif name in ("sync_interval", "sync"):
            opts.jetstream_sync_interval = _sync_interval(ctx, js, k, v)
        else:
            return False
        return True

    _walk(ctx, js, _JETSTREAM_ACCEPTED, apply)
    opts.jetstream = enabled[0]


# ---- entry points -------------------------------------------------------------------------------

_HANDLERS: Final[dict[str, Handler]] = {
    "listen": _listen,
    "http": _monitor,
    "https": _monitor,
    "trace_verbose": _trace_verbose,
    "max_payload": _int31("max_payload"),
    "max_control_line": _int31("max_control_line"),
    "max_sub_tokens": _max_sub_tokens,
    "max_subscription_tokens": _max_sub_tokens,
    "ping_interval": _duration_field("ping_interval"),
    "write_deadline": _duration_field("write_deadline"),
    "lame_duck_duration": _lame_duck,
    "lame_duck_grace_period": _lame_duck_grace,
    "store_dir": _store_dir,
    "storedir": _store_dir,
    "system_account": _system_account,
    "system": _system_account,
    "accounts": _accounts,
    "operator": _operator,
    "operators": _operator,
    "resolver": _resolver,
    "resolver_preload": _resolver_preload,
    "authorization": _authorization,
    "tls": _tls,
    "cluster": _cluster,
    "jetstream": _jetstream,
    "websocket": _websocket,
    "ws": _websocket,
    "leafnodes": _leafnodes,
    "leaf": _leafnodes,
    "gateway": _kept_block("gateway", "Expected gateway to be a map, got {type}"),
    "mqtt": _kept_block("mqtt", "Expected mqtt to be a map, got {type}"),
}


def apply_config(
    data: Mapping[str, Any], base: Options | None = None, *, filename: str = "<string>"
) -> tuple[Options, list[str]]:
    """Build Options from parsed config data on top of `base`; return them with any warnings.

    Raises ConfigError listing every error found (one per line).
    """
    opts = (base if base is not None else Options()).copy()
    ctx = _Context(filename)

    def apply(key: str, value: Any) -> bool:
        simple = _SIMPLE.get(key.lower())
        if simple is not None:
            setattr(opts, simple[0], simple[1](value))
            return True
        handler = _HANDLERS.get(key.lower())
        if handler is None:
            return False
        handler(ctx, opts, data, key, value)
        return True

    _walk(ctx, data, _ACCEPTED, apply)
    if ctx.errors:
        raise ConfigError("\n".join(ctx.errors), filename=filename, reason=ctx.errors[0])
    return opts, ctx.warnings


def load_options(path: str, base: Options | None = None) -> tuple[Options, list[str]]:
    """Read a config file into Options (on top of `base`); return them with any warnings."""
    data = parse_path(path)
    opts, warnings = apply_config(data, base, filename=path)
    opts.config_file = path
    if not data:
        warnings.insert(0, f"{path}: config has no values or is empty")
    return opts, warnings
