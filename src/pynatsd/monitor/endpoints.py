# Monitoring data as plain dicts: varz(), connz(), healthz() ... computed from the Server.
#
# Computing is kept apart from serving (http.py), so the same functions serve HTTP, tests and, later,
# the $SYS request subjects. Field names, key order, units and omitted-when-empty fields follow
# nats-server's JSON: times are RFC 3339 in UTC, durations are Go duration strings (or nanoseconds
# where nats-server uses integers), and a bad query option raises MonitorError, which HTTP turns into
# a 400 with nats-server's text.
#
# A /connz entry is built as a "row": the public fields in nats-server's order plus raw values under
# `_`-prefixed keys (timestamps, rtt, user, account, subscriptions) used to filter and sort; rows of
# closed connections are kept in Server.closed_clients, so they are frozen at close time.
from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from pynatsd._version import GIT_COMMIT, NATS_SERVER_VERSION, __version__
from pynatsd.cluster.policy import COMPRESSION_OFF
from pynatsd.protocol.subject import is_literal, is_valid_subject, subject_matches

if TYPE_CHECKING:
    from pynatsd.cluster.link import RouteLink
    from pynatsd.core.accounts import Account
    from pynatsd.core.client import ClientConnection
    from pynatsd.core.server import Server
    from pynatsd.core.subscription import Subscription

__all__ = [
    "MonitorError",
    "accountz",
    "closed_conn_info",
    "connz",
    "gatewayz",
    "go_duration",
    "healthz",
    "jsz",
    "leafz",
    "rfc3339",
    "routez",
    "subsz",
    "uptime",
    "varz",
]

DEFAULT_LIST_SIZE: Final = 1024
GLOBAL_ACCOUNT: Final = "$G"
_NS: Final = 1_000_000_000
# Sort options whose largest value comes first, as nats-server sorts them.
_DESCENDING: Final = {
    "subs": "subscriptions",
    "pending": "pending_bytes",
    "msgs_to": "out_msgs",
    "msgs_from": "in_msgs",
    "bytes_to": "out_bytes",
    "bytes_from": "in_bytes",
    "last": "_last",
    "stop": "_stop",
    "rtt": "_rtt",
}
_SORTS: Final = frozenset({"cid", "start", "idle", "uptime", "reason", *_DESCENDING})
_CONN_OMITEMPTY: Final = frozenset(
    "kind type stop reason rtt name lang version tls_version tls_cipher_suite authorized_user account "  # noqa: SIM905
    "subscriptions_list subscriptions_list_detail name_tag".split()
)
_NO_ACCOUNT: Final = '"account" must not be empty when checking stream health'
_NO_STREAM: Final = '"stream" must not be empty when checking consumer health'


class MonitorError(Exception):
    """A bad query option; `text` is nats-server's plain-text reply for it."""

    def __init__(self, text: str, status: int = 400) -> None:
        super().__init__(text)
        self.text = text
        self.status = status


# -- formatting ---------------------------------------------------------------------------------------


def rfc3339(t: float | None = None) -> str:
    """A Unix time as Go's RFC3339Nano in UTC (microsecond precision, trailing zeros dropped)."""
    ts = time.time() if t is None else t
    stamp = datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f").rstrip("0").rstrip(".")
    return stamp + "Z"


def _fraction(value: int, digits: int) -> str:
    whole, frac = divmod(value, 10**digits)
    text = f"{frac:0{digits}d}".rstrip("0")
    return f"{whole}.{text}" if text else str(whole)


def go_duration(ns: int) -> str:
    """Go's time.Duration.String(): "0s", "850ns", "1.5µs", "2.25ms", "1m5.5s", "2h0m0s"."""
    if ns == 0:
        return "0s"
    sign, u = ("-", -ns) if ns < 0 else ("", ns)
    if u < 1000:
        return f"{sign}{u}ns"
    if u < 1_000_000:
        return f"{sign}{_fraction(u, 3)}µs"
    if u < _NS:
        return f"{sign}{_fraction(u, 6)}ms"
    secs, frac = divmod(u, _NS)
    hours, rest = divmod(secs, 3600)
    mins, secs = divmod(rest, 60)
    text = _fraction(secs * _NS + frac, 9) + "s"
    if hours:
        return f"{sign}{hours}h{mins}m{text}"
    return f"{sign}{mins}m{text}" if mins else sign + text


def uptime(seconds: float) -> str:
    """nats-server's whole-second uptime format: "5s", "2m0s", "1h2m3s", "3d0h0m1s", "1y2d0h0m0s"."""
    secs = max(int(seconds), 0)
    mins, hours, days = secs // 60, secs // 3600, secs // 86400
    years = days // 365
    if years:
        return f"{years}y{days % 365}d{hours % 24}h{mins % 60}m{secs % 60}s"
    if days:
        return f"{days}d{hours % 24}h{mins % 60}m{secs % 60}s"
    if hours:
        return f"{hours}h{mins % 60}m{secs % 60}s"
    return f"{mins}m{secs % 60}s" if mins else f"{secs}s"


def _rtt(seconds: float) -> str:
    ns = int(seconds * _NS)
    if 1000 < ns < 1_000_000:
        ns -= ns % 1000
    return go_duration(ns)


def _num(x: float) -> float | int:
    """Go prints a whole float64 without a fraction (`2`, not `2.0`)."""
    return int(x) if float(x).is_integer() else x


# -- query options ------------------------------------------------------------------------------------


def _bool(query: Mapping[str, str], name: str) -> bool:
    raw = query.get(name, "")
    if raw == "":
        return False
    if raw in ("1", "t", "T", "true", "TRUE", "True"):
        return True
    if raw in ("0", "f", "F", "false", "FALSE", "False"):
        return False
    raise MonitorError(
        f"Error decoding boolean for '{name}': strconv.ParseBool: parsing \"{raw}\": invalid syntax"
    )


def _int(query: Mapping[str, str], name: str, kind: str = "int") -> int:
    raw = query.get(name, "")
    if raw == "":
        return 0
    try:
        value = int(raw, 10)
        if kind == "uint64" and value < 0:
            raise ValueError(raw)
    except ValueError:
        func = "strconv.ParseUint" if kind == "uint64" else "strconv.Atoi"
        raise MonitorError(
            f"Error decoding {kind} for '{name}': {func}: parsing \"{raw}\": invalid syntax"
        ) from None
    return value


def _subs_option(query: Mapping[str, str]) -> tuple[bool, bool]:
    """(subs, detail) from `subs=1|true|detail`."""
    if query.get("subs", "").lower() == "detail":
        return False, True
    return _bool(query, "subs"), False


def _page(query: Mapping[str, str]) -> tuple[int, int]:
    offset, limit = _int(query, "offset"), _int(query, "limit")
    return max(offset, 0), limit if limit > 0 else DEFAULT_LIST_SIZE


# -- process usage ------------------------------------------------------------------------------------


class _Usage:
    """CPU percent of this process between samples at least half a second apart; 0 until then."""

    def __init__(self) -> None:
        self._wall = 0.0
        self._cpu = 0.0
        self._pcpu = 0.0

    def cpu_percent(self) -> float:
        times = os.times()
        cpu, wall = times.user + times.system, time.monotonic()
        if not self._wall:
            self._wall, self._cpu = wall, cpu
        elif wall - self._wall >= 0.5:
            self._pcpu = round((cpu - self._cpu) / (wall - self._wall) * 100, 1)
            self._wall, self._cpu = wall, cpu
        return self._pcpu


def _rss() -> int:
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        pass
    try:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024
    except (ImportError, OSError):
        return 0


_usage = _Usage()


def _usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


# -- /varz --------------------------------------------------------------------------------------------


def _system_account(server: Server) -> str:
    name = server.options.system_account
    if name:
        return name
    return next((acc.name for acc in server.accounts.values() if acc.is_system), "")


def _varz_config(server: Server) -> dict[str, Any]:
    opts = server.options
    v: dict[str, Any] = {
        "server_id": server.server_id,
        "server_name": server.name,
        "version": NATS_SERVER_VERSION,
        "proto": 1,
        "git_commit": GIT_COMMIT,
        "go": server.client_info(None)["go"],
        "host": opts.host,
        "port": server.port,
        "auth_required": server.auth.required,
        "tls_required": opts.tls,
        "tls_verify": opts.tls_verify,
        "max_connections": opts.max_connections,
        "max_subscriptions": opts.max_subscriptions,
        "ping_interval": int(opts.ping_interval * _NS),
        "ping_max": opts.ping_max,
        "http_host": opts.http_host or opts.host or "0.0.0.0",
        "http_port": server.http_port if opts.http_port else 0,
        "http_base_path": opts.http_base_path,
        "https_port": server.http_port if opts.https_port and not opts.http_port else opts.https_port,
        "auth_timeout": _num(opts.auth_timeout),
        "max_control_line": opts.max_control_line,
        "max_payload": opts.max_payload,
        "max_pending": opts.max_pending,
        "cluster": server.cluster.varz() if server.cluster is not None else {},
        "gateway": {},
        "leaf": {},
        "mqtt": {},
        "websocket": {},
        "jetstream": _varz_jetstream(server),
        "tls_timeout": _num(opts.tls_timeout),
        "write_deadline": int(opts.write_deadline * _NS),
    }
    for key in ("auth_required", "tls_required", "tls_verify", "max_subscriptions"):
        if not v[key]:
            del v[key]
    return v


def varz(server: Server) -> dict[str, Any]:
    """General server information and counters, as nats-server's /varz."""
    now = time.time()
    tot = server.totals()
    st = server.stats
    stats = server.monitor.http_req_stats if server.monitor is not None else {}
    v = _varz_config(server)
    v.update(
        start=rfc3339(server.start_time),
        now=rfc3339(now),
        uptime=uptime(now - server.start_time),
        mem=_rss(),
        cores=os.cpu_count() or 1,
        gomaxprocs=_usable_cpus(),
        cpu=_num(_usage.cpu_percent()),
        connections=len(server.clients),
        total_connections=st.total_connections,
        routes=len(server.cluster.routes) if server.cluster is not None else 0,
        remotes=len(server.cluster.routes) if server.cluster is not None else 0,
        leafnodes=0,
        in_msgs=tot.in_msgs,
        in_bytes=tot.in_bytes,
        in_client_msgs=tot.in_msgs,
        in_client_bytes=tot.in_bytes,
        out_msgs=tot.out_msgs,
        out_bytes=tot.out_bytes,
        out_client_msgs=tot.out_msgs,
        out_client_bytes=tot.out_bytes,
        slow_consumers=st.slow_consumers,
        stale_connections=st.stale_connections,
        stalled_clients=st.stalled_clients,
        subscriptions=sum(acc.sublist.count for acc in server.accounts.values()),
        http_req_stats=dict(sorted(stats.items())),
        config_load_time=rfc3339(server.config_load_time),
        config_digest="",
        feature_flags={},
    )
    if system_account := _system_account(server):
        v["system_account"] = system_account
    v["slow_consumer_stats"] = {"clients": st.slow_consumers, "routes": 0, "gateways": 0, "leafs": 0}
    v["stale_connection_stats"] = {"clients": st.stale_connections, "routes": 0, "gateways": 0, "leafs": 0}
    v["disk_io_wait_stats"] = {"waiters": 0, "waits": 0, "wait_time": 0, "max_wait_time": 0}
    v["pynatsd_version"] = __version__
    return v


# -- /connz -------------------------------------------------------------------------------------------


def _sub_detail(sub: Subscription, cid: int, account: str | None = None) -> dict[str, Any]:
    d: dict[str, Any] = {}
    if account is not None:
        d["account"] = account
        d["account_tag"] = account
    d["subject"] = sub.subject.decode(errors="replace")
    if sub.queue:
        d["qgroup"] = sub.queue.decode(errors="replace")
    d["sid"] = sub.sid.decode(errors="replace")
    d["msgs"] = sub.delivered
    if sub.max:
        d["max"] = sub.max
    d["cid"] = cid
    return d


def _pending(client: ClientConnection) -> int:
    queued = sum(len(b) for b in client.out)
    transport = client.transport
    if transport is None or transport.is_closing():
        return queued
    return queued + transport.get_write_buffer_size()


def _tls(client: ClientConnection) -> tuple[str, str]:
    ssl_obj = client.transport.get_extra_info("ssl_object") if client.transport is not None else None
    if ssl_obj is None:
        return "", ""
    version = str(ssl_obj.version() or "").removeprefix("TLSv")
    cipher = ssl_obj.cipher()
    return version, str(cipher[0]) if cipher else ""


def _conn_row(client: ClientConnection, now: float, subs: list[dict[str, Any]]) -> dict[str, Any]:
    opts = client.opts
    tls_version, tls_cipher = _tls(client)
    return {
        "cid": client.cid,
        "kind": "Client",
        "type": "nats",
        "ip": client.host,
        "port": client.port,
        "start": rfc3339(client.start),
        "last_activity": rfc3339(client.last_activity),
        "stop": rfc3339(client.stop) if client.stop else "",
        "reason": client.close_reason,
        "rtt": _rtt(client.rtt),
        "uptime": uptime((client.stop or now) - client.start),
        "idle": uptime(now - client.last_activity),
        "pending_bytes": _pending(client),
        "in_msgs": client.in_msgs,
        "out_msgs": client.out_msgs,
        "in_bytes": client.in_bytes,
        "out_bytes": client.out_bytes,
        "subscriptions": len(client.subs),
        "name": opts.name if opts else "",
        "lang": opts.lang if opts else "",
        "version": opts.version if opts else "",
        "tls_version": tls_version,
        "tls_cipher_suite": tls_cipher,
        "_start": client.start,
        "_last": client.last_activity,
        "_stop": client.stop,
        "_rtt": client.rtt,
        "_user": client.user,
        "_account": client.account.name,
        "_subs": subs,
    }


def closed_conn_info(server: Server, client: ClientConnection) -> dict[str, Any]:
    """The /connz row of a connection as it closes, kept for /connz?state=closed."""
    acc = client.account.name
    subs = [_sub_detail(s, client.cid, acc) for s in client.subs.values()]
    return _conn_row(client, client.stop or time.time(), subs)


def _conn_out(row: Mapping[str, Any], subs: bool, detail: bool, auth: bool) -> dict[str, Any]:
    out: dict[str, Any] = {k: v for k, v in row.items() if not k.startswith("_")}
    if auth:
        out["authorized_user"] = row["_user"]
        out["account"] = row["_account"] if row["_account"] != GLOBAL_ACCOUNT else ""
    if detail:
        out["subscriptions_list_detail"] = row["_subs"]
    elif subs:
        out["subscriptions_list"] = [d["subject"] for d in row["_subs"]]
    if auth:
        out["name_tag"] = row["_account"]
    return {k: v for k, v in out.items() if v or k not in _CONN_OMITEMPTY}


@dataclass
class _ConnzOptions:
    sort: str
    auth: bool
    subs: bool
    detail: bool
    offset: int
    limit: int
    cid: int
    state: str
    user: str
    acc: str


def _connz_options(query: Mapping[str, str]) -> _ConnzOptions:
    sort = query.get("sort", "") or "cid"
    auth = _bool(query, "auth")
    subs, detail = _subs_option(query)
    offset, limit = _page(query)
    cid = _int(query, "cid", "uint64")
    raw_state = query.get("state", "")
    state = {"": "open", "open": "open", "closed": "closed", "any": "any", "all": "any"}.get(
        raw_state.lower()
    )
    if state is None:
        raise MonitorError(f"Error decoding state for {raw_state}")
    if sort not in _SORTS:
        raise MonitorError(f"invalid sorting option: {sort}")
    if sort in ("stop", "reason") and state != "closed":
        raise MonitorError(f"sort by {sort} only valid on closed connections")
    if cid > 0:
        limit = 1
    user, acc = query.get("user", ""), query.get("acc", "")
    return _ConnzOptions(sort, auth, subs, detail, offset, limit, cid, state, user, acc)


def _sort_rows(rows: list[dict[str, Any]], sort: str, now: float) -> None:
    rows.sort(key=lambda r: r["cid"])
    if sort in _DESCENDING:
        field = _DESCENDING[sort]
        rows.sort(key=lambda r: r[field], reverse=True)
    elif sort == "idle":
        rows.sort(key=lambda r: r["_last"])
    elif sort == "uptime":
        rows.sort(key=lambda r: (r["_stop"] or now) - r["_start"])
    elif sort == "reason":
        rows.sort(key=lambda r: r["reason"])


def connz(server: Server, query: Mapping[str, str]) -> dict[str, Any]:
    """Connections, open and/or recently closed, as nats-server's /connz."""
    o = _connz_options(query)
    now = time.time()
    opened = [c for c in server.clients.values() if not o.acc or c.account.name == o.acc]
    closed = [r for r in server.closed_clients if not o.acc or r["_account"] == o.acc]
    total = (len(opened) if o.state != "closed" else 0) + (len(closed) if o.state != "open" else 0)
    rows: list[dict[str, Any]] = []
    if o.state != "closed":
        for c in opened:
            if not o.cid or c.cid == o.cid:
                rows.append(_conn_row(c, now, [_sub_detail(s, c.cid) for s in c.subs.values()]))
    if o.state != "open":
        rows += [r for r in closed if not o.cid or r["cid"] == o.cid]
    if o.cid and len(rows) > 1:
        rows = rows[:1]
    if o.user:
        rows = [r for r in rows if r["_user"] == o.user]
    _sort_rows(rows, o.sort, now)
    page = rows[o.offset : o.offset + o.limit]
    return {
        "server_id": server.server_id,
        "now": rfc3339(now),
        "num_connections": len(page),
        "total": total,
        "offset": o.offset,
        "limit": o.limit,
        "connections": [_conn_out(r, o.subs, o.detail, o.auth) for r in page],
    }


# -- /subsz -------------------------------------------------------------------------------------------


def _sublist_stats(accounts: Iterable[Account]) -> dict[str, Any]:
    n_subs = n_cache = inserts = removes = matches = hits = fan_max = fan_total = 0
    for acc in accounts:
        sl = acc.sublist
        n_subs += sl.count
        inserts += sl.inserts
        removes += sl.removes
        matches += sl.matches
        hits += sl.hits
        cached, fanout, biggest = sl.fanout_stats()
        n_cache += cached
        fan_total += fanout
        fan_max = max(fan_max, biggest)
    return {
        "num_subscriptions": n_subs,
        "num_cache": n_cache,
        "num_inserts": inserts,
        "num_removes": removes,
        "num_matches": matches,
        "cache_hit_rate": _num(hits / matches) if matches else 0,
        "max_fanout": fan_max,
        "avg_fanout": _num(fan_total / n_cache) if fan_total else 0,
    }


def _cid(sub: Subscription) -> int:
    return sub.client.cid if sub.client is not None else 0


def _sid_key(sub: Subscription) -> tuple[int, int, bytes]:
    return _cid(sub), int(sub.sid) if sub.sid.isdigit() else 0, sub.sid


def subsz(server: Server, query: Mapping[str, str]) -> dict[str, Any]:
    """Sublist statistics and, with subs=1, the subscriptions, as nats-server's /subsz."""
    want = _bool(query, "subs")
    offset, limit = _page(query)
    test = query.get("test", "")
    if test and not (is_valid_subject(test.encode()) and is_literal(test.encode())):
        raise MonitorError(f"invalid test subject, must be valid publish subject: {test}")
    acc_name = query.get("acc", "")
    accounts = [a for a in server.accounts.values() if not acc_name or a.name == acc_name]
    out: dict[str, Any] = {"server_id": server.server_id, "now": rfc3339()}
    out.update(_sublist_stats(accounts))
    details: list[dict[str, Any]] = []
    if want:
        for acc in accounts:
            subs = [s for s in acc.sublist.all_subscriptions() if s.client is not None]
            if test:
                subs = [s for s in subs if subject_matches(s.subject, test.encode())]
            details += [_sub_detail(s, _cid(s), acc.name) for s in sorted(subs, key=_sid_key)]
    out.update(total=len(details), offset=offset, limit=limit)
    if want and details[offset : offset + limit]:
        out["subscriptions_list"] = details[offset : offset + limit]
    return out


# -- /healthz -----------------------------------------------------------------------------------------


def _health_error(
    status: int, details: bool, kind: str, text: str, **where: str
) -> tuple[int, dict[str, Any]]:
    if details:
        return status, {"status": "error", "errors": [{"type": kind, **where, "error": text}]}
    return status, {"status": "error" if status == 400 else "unavailable", "error": text}


def healthz(server: Server, query: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
    """(HTTP status, body) of the health probe, as nats-server's /healthz.

    With JetStream configured but holding no assets yet, the server is healthy and any named stream
    or consumer is missing (404).
    """
    for name in ("js-enabled", "js-enabled-only", "js-server-only", "js-meta-only"):
        _bool(query, name)
    details = _bool(query, "details")
    account, stream, consumer = query.get("account", ""), query.get("stream", ""), query.get("consumer", "")
    if not account and stream:
        return _health_error(400, details, "BAD_REQUEST", _NO_ACCOUNT)
    if not stream and consumer:
        return _health_error(400, details, "BAD_REQUEST", _NO_STREAM)
    if _bool(query, "js-server-only") or not server.options.jetstream or not account:
        return 200, {"status": "ok"}
    if account not in server.accounts:
        return _health_error(
            404, details, "ACCOUNT", f'JetStream account "{account}" not found', account=account
        )
    if stream:
        text = f'JetStream stream "{stream}" not found on account "{account}"'
        return _health_error(404, details, "STREAM", text, account=account, stream=stream)
    return 200, {"status": "ok"}


# -- the endpoints of features pynatsd does not have yet: valid, empty shapes ----------------------------


def routez(server: Server, query: Mapping[str, str]) -> dict[str, Any]:
    subs, detail = _subs_option(query)
    out = {"server_id": server.server_id, "server_name": server.name, "now": rfc3339()}
    links = list(server.cluster.routes.values()) if server.cluster is not None else []
    now = time.time()
    return {**out, "num_routes": len(links), "routes": [_route_info(r, now, subs or detail) for r in links]}


def _route_info(link: RouteLink, now: float, subs: bool) -> dict[str, Any]:
    row: dict[str, Any] = {
        "rid": link.rid,
        "remote_id": link.remote_id,
        "remote_name": link.remote_name,
        "did_solicit": link.solicited,
        "is_configured": link.explicit,
        "ip": link.host,
        "port": link.port,
        "start": rfc3339(link.start),
        "last_activity": rfc3339(link.last_activity),
        "rtt": _rtt(link.rtt),
        "uptime": uptime(now - link.start),
        "idle": uptime(now - link.last_activity),
        "pending_size": link.pending_bytes,
        "in_msgs": link.in_msgs,
        "out_msgs": link.out_msgs,
        "in_bytes": link.in_bytes,
        "out_bytes": link.out_bytes,
        "subscriptions": len(link.remote_subs),
    }
    if subs:
        row["subscriptions_list"] = sorted(
            {s.subject.decode(errors="replace") for s in link.remote_subs.values()}
        )
    row["compression"] = COMPRESSION_OFF
    return row


def leafz(server: Server, query: Mapping[str, str]) -> dict[str, Any]:
    return {"server_id": server.server_id, "now": rfc3339(), "leafnodes": 0, "leafs": []}


def gatewayz(server: Server, query: Mapping[str, str]) -> dict[str, Any]:
    return {"server_id": server.server_id, "now": rfc3339(), "outbound_gateways": {}, "inbound_gateways": {}}


def _js_stats(server: Server) -> tuple[dict[str, Any], dict[str, Any]] | None:
    js = server.jetstream
    if js is None:
        return None
    use = js.usage()
    stats = {"memory": use["memory"], "storage": use["storage"], "reserved_memory": 0, "reserved_storage": 0}
    stats.update(accounts=len(js.accounts), ha_assets=0)
    stats["api"] = {"level": 5, "total": js.api_total, "errors": js.api_errors}
    return stats, use


def _varz_jetstream(server: Server) -> dict[str, Any]:
    running = _js_stats(server)
    if running is None:
        return {}
    stats, _ = running
    return {
        "config": server.jetstream.config_info(),
        "stats": stats,
        "limits": {"default_max_consumers": 1000},
    }


def jsz(server: Server, query: Mapping[str, str]) -> dict[str, Any]:
    """JetStream usage; nats-server's shape for a server without it when it is off."""
    running = _js_stats(server)
    if running is not None:
        stats, use = running
        info = {
            **stats,
            "server_id": server.server_id,
            "now": rfc3339(),
            "config": server.jetstream.config_info(),
        }
        info["limits"] = {"default_max_consumers": 1000}
        total = {k: use[k] for k in ("streams", "consumers", "messages", "bytes")}
        return {**info, **total, "total": use["streams"]}
    out: dict[str, Any] = dict.fromkeys(("memory", "storage", "reserved_memory", "reserved_storage"), 0)
    out.update(accounts=0, ha_assets=0, api={"level": 0, "total": 0, "errors": 0})
    out.update(server_id=server.server_id, now=rfc3339(), disabled=True)
    out["config"] = {"max_memory": 0, "max_storage": 0}
    return {**out, **dict.fromkeys(("streams", "consumers", "messages", "bytes", "total"), 0)}


def accountz(server: Server, query: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {"server_id": server.server_id, "now": rfc3339()}
    if system_account := _system_account(server):
        out["system_account"] = system_account
    name = query.get("acc", "")
    if not name:
        out["accounts"] = list(server.accounts)
        return out
    acc = server.accounts.get(name)
    if acc is None:
        raise MonitorError(f"Account {name} does not exist")
    out["account_detail"] = {
        "account_name": acc.name,
        "update_time": rfc3339(server.config_load_time),
        **({"is_system": True} if acc.is_system else {}),
        "expired": False,
        "complete": True,
        "jetstream_enabled": False,
        "leafnode_connections": 0,
        "client_connections": len(acc.clients),
        "subscriptions": acc.sublist.count,
        "name_tag": acc.name,
        "sublist_stats": _sublist_stats([acc]),
    }
    return out
