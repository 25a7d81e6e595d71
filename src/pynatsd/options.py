# Server options: one typed object, every default in one place.
#
# The config file (pynatsd.config) and the command line (pynatsd.cli) both produce an Options; the
# command line is applied on top of the file. Names follow nats-server's option names so a reader of
# its docs finds them here. Durations are floats in seconds; sizes are ints in bytes.
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Final

DEFAULT_PORT: Final = 4222
DEFAULT_HOST: Final = "0.0.0.0"
RANDOM_PORT: Final = -1
DEFAULT_HTTP_PORT: Final = 8222
DEFAULT_CLUSTER_PORT: Final = 6222
MAX_PAYLOAD_SIZE: Final = 1024 * 1024
MAX_PAYLOAD_MAX_SIZE: Final = 8 * 1024 * 1024
MAX_CONTROL_LINE_SIZE: Final = 4096
MAX_PENDING_SIZE: Final = 64 * 1024 * 1024
MAX_CONNECTIONS: Final = 64 * 1024
PING_INTERVAL: Final = 120.0
PING_MAX: Final = 2
# nats-server sends its first PING about 2 s after a client connects, then every ping_interval.
FIRST_PING_INTERVAL: Final = 2.0
WRITE_DEADLINE: Final = 10.0
AUTH_TIMEOUT: Final = 2.0
TLS_TIMEOUT: Final = 2.0
LAME_DUCK_DURATION: Final = 120.0
LAME_DUCK_MIN_DURATION: Final = 30.0
LAME_DUCK_GRACE_PERIOD: Final = 10.0
MAX_CLOSED_CLIENTS: Final = 10000


@dataclass
class Options:
    # client listener
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    server_name: str = ""
    client_advertise: str = ""
    # monitoring
    http_host: str = ""
    http_port: int = 0
    https_port: int = 0
    http_base_path: str = ""
    # files
    config_file: str = ""
    pid_file: str = ""
    ports_file_dir: str = ""
    # logging
    log_file: str = ""
    logtime: bool = True
    logtime_utc: bool = False
    debug: bool = False
    trace: bool = False
    trace_verbose: bool = False
    max_traced_msg_len: int = 0
    syslog: bool = False
    remote_syslog: str = ""
    log_size_limit: int = 0
    # limits
    max_payload: int = MAX_PAYLOAD_SIZE
    max_control_line: int = MAX_CONTROL_LINE_SIZE
    max_pending: int = MAX_PENDING_SIZE
    max_connections: int = MAX_CONNECTIONS
    max_subscriptions: int = 0
    max_sub_tokens: int = 0
    ping_interval: float = PING_INTERVAL
    ping_max: int = PING_MAX
    write_deadline: float = WRITE_DEADLINE
    no_header_support: bool = False
    no_fast_producer_stall: bool = False
    max_closed_clients: int = MAX_CLOSED_CLIENTS
    disable_sublist_cache: bool = False
    lame_duck_duration: float = LAME_DUCK_DURATION
    lame_duck_grace_period: float = LAME_DUCK_GRACE_PERIOD
    # auth (single user / token; the full model comes with the security work)
    username: str = ""
    password: str = ""
    authorization: str = ""
    auth_timeout: float = AUTH_TIMEOUT
    no_auth_user: str = ""
    authorization_block: dict[str, Any] = field(default_factory=dict)
    accounts: dict[str, Any] = field(default_factory=dict)
    system_account: str = ""
    # operator (JWT) mode: operator JWTs (inline or file paths), the account resolver and its
    # preloaded account JWTs
    operators: list[str] = field(default_factory=list)
    resolver: Any = ""
    resolver_preload: dict[str, str] = field(default_factory=dict)
    # TLS
    tls: bool = False
    tls_cert: str = ""
    tls_key: str = ""
    tls_ca_cert: str = ""
    tls_verify: bool = False
    tls_timeout: float = TLS_TIMEOUT
    tls_block: dict[str, Any] = field(default_factory=dict)
    allow_non_tls: bool = False
    # cluster
    cluster_name: str = ""
    cluster_listen: str = ""
    cluster_host: str = ""
    cluster_port: int = 0
    cluster_advertise: str = ""
    no_advertise: bool = False
    routes: list[str] = field(default_factory=list)
    connect_retries: int = 0
    cluster_block: dict[str, Any] = field(default_factory=dict)
    # JetStream
    jetstream: bool = False
    store_dir: str = ""
    jetstream_max_memory: int = -1
    jetstream_max_store: int = -1
    jetstream_domain: str = ""
    jetstream_sync_interval: str = "always"
    # other listeners accepted in config, implemented by later work
    websocket: dict[str, Any] = field(default_factory=dict)
    leafnodes: dict[str, Any] = field(default_factory=dict)
    gateway: dict[str, Any] = field(default_factory=dict)
    mqtt: dict[str, Any] = field(default_factory=dict)

    def copy(self, **changes: Any) -> Options:
        return dataclasses.replace(self, **changes)

    def auth_required(self) -> bool:
        return bool(self.username or self.authorization or self.authorization_block.get("users"))


FIELD_NAMES: Final = frozenset(f.name for f in dataclasses.fields(Options))
