# The command line, spelled as nats-server spells it.
#
# nats-server uses Go's flag package, so every flag works with one or two dashes, `-flag=value` and
# `-flag value` both work for valued flags, and boolean flags take no separate value (`-js`,
# `--tlsverify=false`). Tools and test harnesses (nats.py's runner, testcontainers, Helm charts)
# start servers with these exact flags, so the table below is the compatibility surface.
#
# Order of precedence: defaults < config file (-c) < flags.
from __future__ import annotations

import asyncio
import gc
import hashlib
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pynatsd._version import NATS_SERVER_VERSION, __version__
from pynatsd.logger import Logger
from pynatsd.options import Options

__all__ = ["CliError", "main", "parse_args"]

_STR, _INT, _BOOL = "str", "int", "bool"

# flag names -> (kind, destination). A destination is an Options field, or "!name" for an action.
_FLAGS: dict[str, tuple[str, str]] = {}


def _flag(kind: str, dest: str, *names: str) -> None:
    for n in names:
        _FLAGS[n] = (kind, dest)


_flag(_STR, "host", "a", "addr", "net")
_flag(_INT, "port", "p", "port")
_flag(_STR, "server_name", "n", "name", "server_name")
_flag(_STR, "pid_file", "P", "pid")
_flag(_INT, "http_port", "m", "http_port")
_flag(_INT, "https_port", "ms", "https_port")
_flag(_STR, "config_file", "c", "config")
_flag(_BOOL, "!test_config", "t")
_flag(_STR, "!signal", "sl", "signal")
_flag(_STR, "log_file", "l", "log")
_flag(_BOOL, "logtime", "T", "logtime")
_flag(_BOOL, "logtime_utc", "logtime_utc")
_flag(_BOOL, "syslog", "s", "syslog")
_flag(_STR, "remote_syslog", "r", "remote_syslog")
_flag(_INT, "log_size_limit", "log_size_limit")
_flag(_INT, "max_traced_msg_len", "max_traced_msg_len")
_flag(_BOOL, "debug", "D", "debug")
_flag(_BOOL, "trace", "V", "trace")
_flag(_BOOL, "!trace_sys", "VV")
_flag(_BOOL, "!debug_trace", "DV")
_flag(_BOOL, "!debug_trace_sys", "DVV")
_flag(_STR, "client_advertise", "client_advertise")
_flag(_STR, "ports_file_dir", "ports_file_dir")
_flag(_STR, "username", "user")
_flag(_STR, "password", "pass")
_flag(_STR, "authorization", "auth")
_flag(_BOOL, "tls", "tls")
_flag(_STR, "tls_cert", "tlscert")
_flag(_STR, "tls_key", "tlskey")
_flag(_STR, "tls_ca_cert", "tlscacert")
_flag(_BOOL, "tls_verify", "tlsverify")
_flag(_STR, "cluster_listen", "cluster", "cluster_listen")
_flag(_STR, "!routes", "routes")
_flag(_STR, "cluster_name", "cluster_name")
_flag(_STR, "cluster_advertise", "cluster_advertise")
_flag(_BOOL, "no_advertise", "no_advertise")
_flag(_INT, "connect_retries", "connect_retries")
_flag(_BOOL, "jetstream", "js", "jetstream")
_flag(_STR, "store_dir", "sd", "store_dir")
_flag(_INT, "!profile", "profile")
_flag(_BOOL, "!help", "h", "help")
_flag(_BOOL, "!help_tls", "help_tls")
_flag(_BOOL, "!version", "v", "version")

USAGE = f"""Usage: pynatsd [options]

A NATS server (protocol and behaviour of nats-server {NATS_SERVER_VERSION}).

Server Options:
    -a, --addr, --net <host>         Bind to host address (default: 0.0.0.0)
    -p, --port <port>                Use port for clients (default: 4222, -1 for random)
    -n, --name <server_name>         Server name (default: auto)
    -P, --pid <file>                 File to store PID
    -m, --http_port <port>           Use port for http monitoring
    -ms,--https_port <port>          Use port for https monitoring
    -c, --config <file>              Configuration file
    -t                               Test configuration and exit
    -sl,--signal <signal>[=<pid>]    Send signal to pynatsd process (ldm, stop, quit, term, reopen, reload)
                                     <pid> can be either a PID (e.g. 1) or the path to a PID file
    --client_advertise <string>      Client URL to advertise to other servers
    --ports_file_dir <dir>           Creates a ports file in the specified directory (<executable_name>_<pid>.ports)

Logging Options:
    -l, --log <file>                 File to redirect log output
    -T, --logtime                    Timestamp log entries (default: true)
    -s, --syslog                     Log to syslog or windows event log
    -r, --remote_syslog <addr>       Syslog server addr (udp://localhost:514)
    -D, --debug                      Enable debugging output
    -V, --trace                      Trace the raw protocol
    -VV                              Verbose trace (traces system account as well)
    -DV                              Debug and trace
    -DVV                             Debug and verbose trace (traces system account as well)
    --log_size_limit <limit>         Logfile size limit (default: auto)
    --max_traced_msg_len <len>       Maximum printable length for traced messages (default: unlimited)

JetStream Options:
    -js, --jetstream                 Enable JetStream functionality
    -sd, --store_dir <dir>           Set the storage directory

Authorization Options:
    --user <user>                    User required for connections
    --pass <password>                Password required for connections
    --auth <token>                   Authorization token required for connections

TLS Options:
    --tls                            Enable TLS, do not verify clients (default: false)
    --tlscert <file>                 Server certificate file
    --tlskey <file>                  Private key for server certificate
    --tlsverify                      Enable TLS, verify client certificates
    --tlscacert <file>               Client certificate CA for verification

Cluster Options:
    --routes <rurl-1, rurl-2>        Routes to solicit and connect
    --cluster <cluster-url>          Cluster URL for solicited routes
    --cluster_listen <cluster-url>   Cluster URL from which members can solicit routes
    --cluster_name <string>          Cluster Name, if not set one will be dynamically generated
    --no_advertise <bool>            Do not advertise known cluster information to clients
    --cluster_advertise <string>     Cluster URL to advertise to other servers
    --connect_retries <number>       For implicit routes, number of connect retries

Common Options:
    -h, --help                       Show this message
    -v, --version                    Show version

Benchmarks:
    pynatsd bench SCENARIO [options] Drive any NATS server (pynatsd bench --help)
"""


class CliError(Exception):
    pass


@dataclass
class Args:
    values: dict[str, Any] = field(default_factory=dict)
    actions: dict[str, Any] = field(default_factory=dict)
    rest: list[str] = field(default_factory=list)


def _convert(kind: str, name: str, raw: str) -> Any:
    if kind == _INT:
        try:
            return int(raw, 0) if raw.lower().startswith(("0x", "0o", "0b")) else int(raw)
        except ValueError:
            raise CliError(f'invalid value "{raw}" for flag -{name}: parse error') from None
    if kind == _BOOL:
        low = raw.lower()
        if low in ("1", "t", "true"):
            return True
        if low in ("0", "f", "false"):
            return False
        raise CliError(f'invalid boolean value "{raw}" for -{name}: parse error')
    return raw


def parse_args(argv: list[str]) -> Args:
    """Parse flags the way Go's flag package does."""
    args = Args()
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            args.rest = argv[i + 1 :]
            break
        if not arg.startswith("-") or arg == "-":
            args.rest = argv[i:]
            break
        name = arg[2:] if arg.startswith("--") else arg[1:]
        value: str | None = None
        if "=" in name:
            name, value = name.split("=", 1)
        spec = _FLAGS.get(name)
        if spec is None:
            raise CliError(f"flag provided but not defined: -{name}")
        kind, dest = spec
        if value is None:
            if kind == _BOOL:
                value = "true"
            else:
                i += 1
                if i >= len(argv):
                    raise CliError(f"flag needs an argument: -{name}")
                value = argv[i]
        target = args.actions if dest.startswith("!") else args.values
        target[dest.lstrip("!")] = _convert(kind, name, value)
        i += 1
    return args


def build_options(args: Args) -> tuple[Options, list[str]]:
    """Options from the config file (if any) with the flags applied on top."""
    warnings: list[str] = []
    opts = Options()
    config = args.values.get("config_file", "")
    if config:
        from pynatsd.config import load_options

        opts, warnings = load_options(config, opts)
        opts.config_file = config
    changes = dict(args.values)
    acts = args.actions
    if acts.get("debug_trace") or acts.get("debug_trace_sys"):
        changes["debug"] = changes["trace"] = True
    if acts.get("trace_sys"):
        changes["trace"] = changes["trace_verbose"] = True
    if "routes" in acts:
        changes["routes"] = [r.strip() for r in str(acts["routes"]).split(",") if r.strip()]
    if changes.get("store_dir"):
        changes.setdefault("jetstream", opts.jetstream)
    return opts.copy(**changes), warnings


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["bench"]:
        from pynatsd.bench.cli import main as bench_main

        return bench_main(argv[1:])
    try:
        args = parse_args(argv)
    except CliError as e:
        print(e, file=sys.stderr)
        print(USAGE, file=sys.stderr)
        return 2
    acts = args.actions
    if acts.get("help") or acts.get("help_tls"):
        print(USAGE)
        return 0
    if acts.get("version"):
        from pynatsd._version import build_kind

        print(f"pynatsd: v{__version__} (nats-server v{NATS_SERVER_VERSION} protocol, {build_kind()})")
        return 0
    if "signal" in acts:
        from pynatsd.signals import send_signal

        return send_signal(str(acts["signal"]), args.values.get("pid_file", ""))
    try:
        opts, warnings = build_options(args)
    except Exception as e:  # a bad config file must exit cleanly with its message
        print(f"pynatsd: {e}", file=sys.stderr)
        return 1
    if acts.get("test_config"):
        return _test_config(opts, warnings)
    log = Logger(
        debug=opts.debug,
        trace=opts.trace,
        logtime=opts.logtime,
        utc=opts.logtime_utc,
        log_file=opts.log_file,
    )
    for w in warnings:
        log.warn(w)
    return run(opts, log, args)


def _test_config(opts: Options, warnings: list[str]) -> int:
    for w in warnings:
        print(f"pynatsd: {w}", file=sys.stderr)
    path = opts.config_file
    if not path:
        print(
            "pynatsd: must specify [-c, --config] option to check configuration file syntax", file=sys.stderr
        )
        return 1
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    print(f"pynatsd: configuration file {path} is valid (sha256:{digest})", file=sys.stderr)
    return 0


def run(opts: Options, log: Logger, args: Args | None = None) -> int:
    """Run a server until it is told to stop; return the exit code."""
    _install_uvloop()
    try:
        return asyncio.run(_serve(opts, log, args or Args()))
    except KeyboardInterrupt:
        return 0


def _install_uvloop() -> None:
    try:
        import uvloop
    except ImportError:
        return
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


async def _serve(opts: Options, log: Logger, args: Args) -> int:
    from pynatsd.core.server import Server, ServerError

    if opts.jetstream:
        # Each file stream commits from its own writer thread; a short GIL switch interval keeps a
        # busy event loop from starving it (and with it every PubAck).
        sys.setswitchinterval(0.0005)
        # Every stored message allocates a few tracked objects that live until its commit, so at
        # the default threshold the collector runs every few hundred publishes and promotes them;
        # each full collection then walks the whole in-memory stream index. Collecting less often
        # lets most of them die young and cuts the collector's time on acked publishes by two thirds.
        gc.set_threshold(20_000, *gc.get_threshold()[1:])
    try:
        server = Server(opts, logger=log)
    except ValueError as e:
        log.fatal(str(e))
        return 1
    # Handlers go in before "Server is ready" is logged: a harness may signal as soon as it sees it.
    _install_signal_handlers(server, log, args)
    try:
        await server.start()
    except (ServerError, OSError) as e:
        log.fatal(str(e))
        await server.shutdown()
        return 1
    await server.wait_for_shutdown()
    return 0


def _install_signal_handlers(server: Any, log: Logger, args: Args) -> None:
    loop = asyncio.get_running_loop()
    tasks: set[asyncio.Task[None]] = set()

    def shutdown(name: str) -> Callable[[], None]:
        def handler() -> None:
            log.info(f'Trapped "{name}" signal')
            if name == "terminated" and server.lame_duck:
                return
            task = loop.create_task(server.shutdown())
            tasks.add(task)
            task.add_done_callback(tasks.discard)

        return handler

    def reload() -> None:
        log.info('Trapped "hangup" signal')
        _reload(server, log, args)

    def reopen() -> None:
        log.info('Trapped "user defined signal 1" signal')
        log.reopen()
        log.info("File log re-opened")

    def ldm() -> None:
        log.info('Trapped "user defined signal 2" signal')
        server.enter_lame_duck()

    loop.add_signal_handler(signal.SIGINT, shutdown("interrupt"))
    loop.add_signal_handler(signal.SIGTERM, shutdown("terminated"))
    loop.add_signal_handler(signal.SIGHUP, reload)
    loop.add_signal_handler(signal.SIGUSR1, reopen)
    loop.add_signal_handler(signal.SIGUSR2, ldm)


def _reload(server: Any, log: Logger, args: Args) -> None:
    # The start-up flags keep overriding the file on reload, as in nats-server.
    if not server.options.config_file:
        log.error("Failed to reload server configuration: config reload not supported without a config file")
        return
    try:
        new, warnings = build_options(args)
        for w in warnings:
            log.warn(w)
        server.apply_reload(new)
    except Exception as e:
        log.error(f"Failed to reload server configuration: {e}")
        return
    log.info("Reloaded server configuration")
