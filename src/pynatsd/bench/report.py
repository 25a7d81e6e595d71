# Human-readable rendering of bench results (the JSON output is the result dict itself).
#
# Result keys: scenario, server, status ("ok" | "FAILED" | "n/a"), error, checks (failed checks),
# params; throughput runs add msgs, bytes, deliveries, elapsed_s, msgs_per_s, mb_per_s (10^6 bytes of
# payload per second), deliveries_per_s; request runs add latency_us {p50, p90, p99, p999, min, max,
# mean}; conns adds conns, subs, connect_s, conns_per_s, rss_base_kib, rss_kib, rss_per_conn_kib;
# cpu_s maps each worker (role-index) and the server to CPU seconds used during the run.
from __future__ import annotations

from typing import Any

__all__ = ["describe", "render"]


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def describe(res: dict[str, Any]) -> str:
    """The shape of a run in a few words: who talks to whom, how many messages of what size."""
    p = res["params"]
    name = res["scenario"]
    varied = " varied" if p.get("varied") else ""
    if name == "conns":
        return f"{p['conns']:,} idle connections x {p['subs_per_conn']} subscriptions"
    pubs, subs = _n(p["pubs"], "pub"), _n(p["subs"], "sub")
    who = {
        "pub": pubs,
        "pubsub": f"{pubs} -> 1 sub",
        "fanout": f"{pubs} -> {subs}",
        "queue": f"{pubs} -> queue group of {p['subs']}",
        "reqrep": f"{_n(p['pubs'], 'requester')}, {_n(p['subs'], 'responder')}, inflight {p['inflight']}",
        "latency": f"{_n(p['pubs'], 'requester')}, {_n(p['subs'], 'responder')}, inflight 1",
        "js-pub": f"{pubs}, {p['storage']} stream, inflight {p['inflight']}",
        "js-fetch": f"{_n(p['subs'], 'fetcher')}, {p['storage']} stream, batch {p['batch']}",
    }.get(name, name)
    return f"{who}, {p['msgs']:,} msgs x {p['size']} B{varied}"


def _throughput(res: dict[str, Any]) -> list[str]:
    lines = []
    if "msgs_per_s" in res:
        lines.append(
            f"  throughput  {res['msgs_per_s']:>12,.0f} msgs/s  {res['mb_per_s']:>9,.2f} MB/s"
            f"   ({res['msgs']:,} msgs in {res['elapsed_s']:.3f} s)"
        )
        if res["scenario"] == "fanout":
            lines.append(f"  deliveries  {res['deliveries_per_s']:>12,.0f} msgs/s")
    if "fill_msgs_per_s" in res:
        lines.append(f"  stream fill {res['fill_msgs_per_s']:>12,.0f} msgs/s (acked publishes)")
    lat = res.get("latency_us")
    if lat:
        parts = "  ".join(f"{k} {lat[k]:,.0f}" for k in ("p50", "p90", "p99", "p999", "max"))
        lines.append(f"  latency us  {parts}")
    return lines


def _conns(res: dict[str, Any]) -> list[str]:
    if "conns" not in res:
        return []
    lines = [
        f"  connected   {res['conns']:,} conns in {res['connect_s']:.2f} s ({res['conns_per_s']:,.0f}/s)"
    ]
    if res.get("rss_per_conn_kib") is not None:
        lines.append(
            f"  server RSS  {res['rss_base_kib']:,} KiB -> {res['rss_kib']:,} KiB,"
            f" {res['rss_per_conn_kib']:.2f} KiB per connection"
        )
    else:
        lines.append("  server RSS  n/a (give --server-pid)")
    return lines


def render(res: dict[str, Any]) -> str:
    lines = [f"{res['scenario']}  {res['server']}  {describe(res)}"]
    status = res["status"]
    lines.append(f"  status      {status}" + (f": {res['error']}" if res.get("error") else ""))
    for extra in res.get("checks", [])[1:]:
        lines.append(f"              {extra}")
    if status != "n/a":
        lines += _throughput(res) + _conns(res)
    cpu = res.get("cpu_s")
    if cpu:
        lines.append("  cpu s       " + "  ".join(f"{k} {v:.2f}" for k, v in cpu.items()))
    return "\n".join(lines)
