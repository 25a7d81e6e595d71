# Mapping parsed configuration onto Options: key names and aliases, types, durations and the
# warnings and errors nats-server reports (wording checked against nats-server v2.15.1).
from __future__ import annotations

import re
from pathlib import Path

import pytest

from pynatsd.config import ConfigError, apply_config, load_options, parse_duration
from pynatsd.config.parser import parse_text
from pynatsd.options import Options


def load(tmp_path: Path, text: str, base: Options | None = None) -> tuple[Options, list[str]]:
    path = tmp_path / "server.conf"
    path.write_text(text)
    return load_options(str(path), base)


def load_error(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as err:
        load(tmp_path, text)
    return str(err.value).replace(f"{tmp_path}/", "")


def test_typical_server_config(tmp_path: Path) -> None:
    opts, warnings = load(
        tmp_path,
        """
        listen: 127.0.0.1:4333
        server_name: n1
        http: "127.0.0.1:8333"
        ping_interval: "30s"
        lame_duck_duration: "45s"
        max_payload: 2MB
        authorization { user: alice, password: s3cr3t, timeout: 3 }
        cluster {
          name: c1
          listen: 127.0.0.1:6333
          routes: [nats://127.0.0.1:6334, nats://127.0.0.1:6335]
          connect_retries: 5
        }
        jetstream { store_dir: /data/js, max_mem: 1G, max_file: "10G", domain: hub }
        """,
    )
    assert warnings == []
    assert (opts.host, opts.port, opts.server_name) == ("127.0.0.1", 4333, "n1")
    assert (opts.http_host, opts.http_port) == ("127.0.0.1", 8333)
    assert opts.ping_interval == 30.0
    assert opts.lame_duck_duration == 45.0
    assert opts.max_payload == 2 * 1024 * 1024
    assert (opts.username, opts.password, opts.auth_timeout) == ("alice", "s3cr3t", 3.0)
    assert opts.authorization_block == {"user": "alice", "password": "s3cr3t", "timeout": 3}
    assert (opts.cluster_name, opts.cluster_host, opts.cluster_port) == ("c1", "127.0.0.1", 6333)
    assert opts.cluster_listen == "127.0.0.1:6333"
    assert opts.routes == ["nats://127.0.0.1:6334", "nats://127.0.0.1:6335"]
    assert opts.connect_retries == 5
    assert opts.cluster_block["name"] == "c1"
    assert opts.jetstream is True
    assert (opts.store_dir, opts.jetstream_domain) == ("/data/js", "hub")
    assert opts.jetstream_max_memory == 1_000_000_000
    assert opts.jetstream_max_store == 10 * 1024**3
    assert opts.config_file == str(tmp_path / "server.conf")


def test_base_options_are_kept_and_not_mutated(tmp_path: Path) -> None:
    base = Options(port=5555, debug=True)
    opts, _ = load(tmp_path, "trace: true\n", base)
    assert (opts.port, opts.debug, opts.trace) == (5555, True, True)
    assert base.trace is False


@pytest.mark.parametrize(
    ("text", "field", "expected"),
    [
        ("host: 127.0.0.1", "host", "127.0.0.1"),
        ("net: 127.0.0.2", "host", "127.0.0.2"),
        ("port: -1", "port", -1),
        ("listen: 4333", "port", 4333),
        ("listen: '[::1]:4334'", "host", "::1"),
        ("client_advertise: 'nats.example:4222'", "client_advertise", "nats.example:4222"),
        ("http_port: 8222", "http_port", 8222),
        ("monitor_port: 8223", "http_port", 8223),
        ("http: 8224", "http_port", 8224),
        ("https: '127.0.0.1:8225'", "https_port", 8225),
        ("https_port: 8226", "https_port", 8226),
        ("http_base_path: /nats", "http_base_path", "/nats"),
        ("debug: true", "debug", True),
        ("logtime: false", "logtime", False),
        ("logtime_utc: on", "logtime_utc", True),
        ("logfile: /var/log/n.log", "log_file", "/var/log/n.log"),
        ("log_file: /var/log/m.log", "log_file", "/var/log/m.log"),
        ("log_size_limit: 1MB", "log_size_limit", 1_048_576),
        ("logfile_size_limit: 1k", "log_size_limit", 1000),
        ("pidfile: /run/n.pid", "pid_file", "/run/n.pid"),
        ("pid_file: /run/m.pid", "pid_file", "/run/m.pid"),
        ("ports_file_dir: /run", "ports_file_dir", "/run"),
        ("max_control_line: 8kb", "max_control_line", 8192),
        ("max_pending: 128MB", "max_pending", 128 * 1_048_576),
        ("max_connections: 100", "max_connections", 100),
        ("max_conn: 101", "max_connections", 101),
        ("max_subscriptions: 10", "max_subscriptions", 10),
        ("max_subs: 11", "max_subscriptions", 11),
        ("max_sub_tokens: 16", "max_sub_tokens", 16),
        ("ping_max: 5", "ping_max", 5),
        ("write_deadline: '2s'", "write_deadline", 2.0),
        ("no_header_support: true", "no_header_support", True),
        ("no_fast_producer_stall: true", "no_fast_producer_stall", True),
        ("max_closed_clients: 50", "max_closed_clients", 50),
        ("disable_sublist_cache: true", "disable_sublist_cache", True),
        ("lame_duck_grace_period: '5s'", "lame_duck_grace_period", 5.0),
        ("no_auth_user: alice", "no_auth_user", "alice"),
        ("system_account: SYS", "system_account", "SYS"),
        ("system: SYS2", "system_account", "SYS2"),
        ("store_dir: /data/store", "store_dir", "/data/store"),
        ("jetstream: enabled", "jetstream", True),
        ("jetstream: true", "jetstream", True),
        ("jetstream: { enabled: false }", "jetstream", False),
        ("jetstream { sync_interval: '1m' }", "jetstream_sync_interval", "1m"),
        ("jetstream { sync_interval: always }", "jetstream_sync_interval", "always"),
        ("tls { cert_file: c.pem, key_file: k.pem }", "tls_cert", "c.pem"),
        ("tls { verify: true }", "tls_verify", True),
        ("tls { timeout: 0.5 }", "tls_timeout", 0.5),
        ("tls { ca_file: ca.pem }", "tls_ca_cert", "ca.pem"),
        (
            "cluster { port: 6225, host: 127.0.0.1, advertise: 'a:1', no_advertise: true }",
            "no_advertise",
            True,
        ),
        ("cluster { cluster_advertise: 'b:2' }", "cluster_advertise", "b:2"),
        ("authorization { token: s3cr3t }", "authorization", "s3cr3t"),
        ("authorization { timeout: '1.5s' }", "auth_timeout", 1.5),
        ("websocket { port: 8080, no_tls: true }", "websocket", {"port": 8080, "no_tls": True}),
        ("ws { port: 8081 }", "websocket", {"port": 8081}),
        ("leafnodes { port: 7422 }", "leafnodes", {"port": 7422}),
        ("leaf { port: 7423 }", "leafnodes", {"port": 7423}),
        ("gateway { name: A, port: 7222 }", "gateway", {"name": "A", "port": 7222}),
        ("mqtt { port: 1883 }", "mqtt", {"port": 1883}),
        (
            "accounts { A: { users: [{user: a, password: a}] } }",
            "accounts",
            {"A": {"users": [{"user": "a", "password": "a"}]}},
        ),
    ],
)
def test_key_maps_onto_field(text: str, field: str, expected: object) -> None:
    opts, warnings = apply_config(parse_text(text))
    assert getattr(opts, field) == expected
    assert warnings == []


def test_keys_are_case_insensitive(tmp_path: Path) -> None:
    opts, warnings = load(tmp_path, "PORT: 4555\nDebug: true\nCluster { Name: x, ROUTES: [nats://a:1] }\n")
    assert (opts.port, opts.debug, opts.cluster_name, opts.routes) == (4555, True, "x", ["nats://a:1"])
    assert warnings == []


def test_trace_verbose_implies_trace(tmp_path: Path) -> None:
    opts, _ = load(tmp_path, "trace_verbose: true\n")
    assert (opts.trace, opts.trace_verbose) == (True, True)


def test_tls_block_is_kept_and_enables_tls(tmp_path: Path) -> None:
    opts, _ = load(tmp_path, "tls { cert_file: c.pem, key_file: k.pem, cipher_suites: [X] }\n")
    assert opts.tls is True
    assert (opts.tls_cert, opts.tls_key) == ("c.pem", "k.pem")
    assert opts.tls_block == {"cert_file": "c.pem", "key_file": "k.pem", "cipher_suites": ["X"]}


def test_authorization_users_block(tmp_path: Path) -> None:
    opts, warnings = load(
        tmp_path,
        """
        PERMS = { publish: "a.>" }
        authorization {
          users: [
            {user: alice, password: a, permissions: $PERMS}
            {user: bob, password: b}
          ]
          default_permissions: { subscribe: ">" }
        }
        """,
    )
    assert warnings == []
    assert opts.username == ""
    assert opts.auth_required()
    assert opts.authorization_block["users"][0]["permissions"] == {"publish": "a.>"}


# ---- durations --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("10s", 10.0),
        ("1h30m", 5400.0),
        ("500ms", 0.5),
        ("1.5s", 1.5),
        ("2m", 120.0),
        ("0", 0.0),
        ("-1s", -1.0),
    ],
)
def test_parse_duration_go_strings(value: str, seconds: float) -> None:
    assert parse_duration(value) == seconds


def test_parse_duration_bare_int_is_seconds_with_warning() -> None:
    warnings: list[str] = []
    assert parse_duration(60, field="ping_interval", warnings=warnings) == 60.0
    assert warnings == [
        'invalid use of field "ping_interval": ping_interval should be converted to a duration'
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("abc", 'error parsing duration: time: invalid duration "abc"'),
        ("10", 'error parsing duration: time: missing unit in duration "10"'),
        ("10x", 'error parsing duration: time: unknown unit "x" in duration "10x"'),
        (1.5, "interface conversion: interface {} is float64, not int64"),
        (True, "interface conversion: interface {} is bool, not int64"),
    ],
)
def test_parse_duration_errors(value: object, message: str) -> None:
    with pytest.raises(ConfigError, match=f"^{re.escape(message)}$"):
        parse_duration(value)


def test_ping_interval_quoted_and_unquoted_2m(tmp_path: Path) -> None:
    opts, warnings = load(tmp_path, 'ping_interval: "2m"\n')
    assert (opts.ping_interval, warnings) == (120.0, [])
    opts, warnings = load(tmp_path, "ping_interval: 2m\n")
    assert opts.ping_interval == 2_000_000.0
    assert warnings == [
        f'{tmp_path}/server.conf:1:1: invalid use of field "ping_interval": ping_interval should be converted to a duration'
    ]


# ---- warnings and errors ----------------------------------------------------------------------------


def test_unknown_top_level_key_is_a_warning(tmp_path: Path) -> None:
    opts, warnings = load(tmp_path, "port: 4333\nfoo_bar: 1\n")
    assert opts.port == 4333
    assert warnings == [f'{tmp_path}/server.conf:2:1: unknown field "foo_bar"']


def test_unknown_keys_inside_blocks_are_warnings(tmp_path: Path) -> None:
    _, warnings = load(tmp_path, "cluster {\n  zzz: 1\n}\njetstream { yyy: 2 }\n")
    assert warnings == [
        f'{tmp_path}/server.conf:2:3: unknown field "zzz"',
        f'{tmp_path}/server.conf:4:13: unknown field "yyy"',
    ]


def test_known_but_unused_keys_and_variables_are_silent(tmp_path: Path) -> None:
    text = "mappings { a: b }\nserver_tags: [x]\nwrite_timeout: close\nLIMIT = 5\nmax_subs: $LIMIT\n"
    opts, warnings = load(tmp_path, text)
    assert (opts.max_subscriptions, warnings) == (5, [])


def test_empty_config_warns(tmp_path: Path) -> None:
    opts, warnings = load(tmp_path, "# nothing\n")
    assert warnings == [f"{tmp_path}/server.conf: config has no values or is empty"]
    assert opts.port == 4222


def test_duplicate_routes_warn(tmp_path: Path) -> None:
    opts, warnings = load(tmp_path, "cluster { routes: [nats://a:1, nats://a:1] }\n")
    assert opts.routes == ["nats://a:1"]
    assert warnings == [
        f'{tmp_path}/server.conf:1:11: invalid use of field "nats://a:1": Duplicate route entry detected'
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("port: abc", "server.conf:1:1: interface conversion: interface {} is string, not int64"),
        ("debug: 5", "server.conf:1:1: interface conversion: interface {} is int64, not bool"),
        ("server_name: 1.5", "server.conf:1:1: interface conversion: interface {} is float64, not string"),
        (
            "lame_duck_duration: '10s'",
            "server.conf:1:1: invalid lame_duck_duration of 10s, minimum is 30 seconds",
        ),
        (
            "lame_duck_duration: '29.5s'",
            "server.conf:1:1: invalid lame_duck_duration of 29.5s, minimum is 30 seconds",
        ),
        (
            "lame_duck_duration: 60",
            "server.conf:1:1: interface conversion: interface {} is int64, not string",
        ),
        (
            "lame_duck_grace_period: '-1s'",
            "server.conf:1:1: invalid lame_duck_grace_period, needs to be positive",
        ),
        ("ping_interval: abc", 'server.conf:1:1: error parsing ping_interval: time: invalid duration "abc"'),
        ("listen: abc", 'server.conf:1:1: could not parse address string "abc"'),
        ("http: '127.0.0.1:x'", 'server.conf:1:1: could not parse port "x"'),
        ("max_payload: 3000000000", "server.conf:1:1: max_payload value is too big"),
        ("max_sub_tokens: 300", "server.conf:1:1: max_sub_tokens value is too big"),
        ("max_sub_tokens: 0", "server.conf:1:1: max_sub_tokens value can not be negative"),
        ("system_account: 5", "server.conf:1:1: system account name must be a string"),
        (
            "authorization { user: a, password: b, token: c }",
            "server.conf:1:1: Cannot have a user/pass and token",
        ),
        (
            "authorization { user: a, users: [{user: b}] }",
            "server.conf:1:1: Can not have a single user/pass and a users array",
        ),
        ("authorization { users: 5 }", "server.conf:1:17: Expected users field to be an array, got 5"),
        (
            "authorization: 5",
            "server.conf:1:1: interface conversion: interface {} is int64, not map[string]interface {}",
        ),
        ("cluster: 5", "server.conf:1:1: Expected map to define cluster, got int64"),
        (
            "cluster { routes: 'nats://a:1' }",
            "server.conf:1:11: interface conversion: interface {} is string, not []interface {}",
        ),
        (
            "cluster { authorization { users: [] } }",
            "server.conf:1:11: Cluster authorization does not allow multiple users",
        ),
        ("jetstream: 5", "server.conf:1:1: Expected map, bool or string to define JetStream, got int64"),
        (
            "jetstream: maybe",
            "server.conf:1:1: Expected 'enabled' or 'disabled' for string value, got 'maybe'",
        ),
        (
            "jetstream { max_mem: '1X' }",
            "server.conf:1:13: max_mem_store sizes defined as strings must end in K, M, G, T",
        ),
        ("jetstream { max_mem: 1.5 }", "server.conf:1:13: max_mem_store must be int64 or string"),
        (
            "store_dir: /a\njetstream { store_dir: /b }",
            "server.conf:2:13: Duplicate 'store_dir' configuration",
        ),
        ("tls { cert_file: a.pem }", "server.conf:1:1: missing 'key_file' in TLS configuration"),
        ("websocket: 5", "server.conf:1:1: Expected websocket to be a map, got int64"),
        ("leafnodes: 5", "server.conf:1:1: Expected map to define a leafnode, got int64"),
        ("gateway: 5", "server.conf:1:1: Expected gateway to be a map, got int64"),
        ("mqtt: 5", "server.conf:1:1: Expected mqtt to be a map, got int64"),
    ],
)
def test_bad_values_are_errors(tmp_path: Path, text: str, message: str) -> None:
    assert load_error(tmp_path, text + "\n") == message


def test_all_errors_are_reported_together(tmp_path: Path) -> None:
    message = load_error(tmp_path, "port: abc\nfoo: 1\ndebug: 5\n")
    assert message.splitlines() == [
        "server.conf:1:1: interface conversion: interface {} is string, not int64",
        "server.conf:3:1: interface conversion: interface {} is int64, not bool",
    ]


def test_errors_in_included_files_name_that_file(tmp_path: Path) -> None:
    (tmp_path / "limits.conf").write_text("max_sub_tokens: 999\n")
    assert (
        load_error(tmp_path, 'include "limits.conf"\n') == "limits.conf:1:1: max_sub_tokens value is too big"
    )


def test_apply_config_accepts_plain_dicts() -> None:
    opts, warnings = apply_config({"port": 4444, "bogus": 1}, filename="x.conf")
    assert opts.port == 4444
    assert warnings == ['x.conf: unknown field "bogus"']
