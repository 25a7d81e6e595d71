# JetStream enablement: the engine per server and its state per account.
#
# The engine starts with the server when JetStream is enabled (-js, `jetstream {}`): it opens the
# store directory (`<store_dir>/jetstream`, as nats-server lays it out), reloads every file stream of
# each account with its configuration and messages, and subscribes the account to `$JS.API.>`, whose
# requests api.py answers. A server without JetStream has no such subscription, so API requests get
# the no-responders status, as from nats-server. A stream with allow_direct also has its own
# subscriptions for direct gets (`$JS.API.DIRECT.GET.<stream>` and `...<stream>.>`), kept in step
# with its configuration here; the `$JS.API.>` subscription declines direct gets, so a direct get for
# any other stream gets no responders too. Consumers hang off their streams (consumer_admin.py): they
# are reloaded after the stream, told of each stored message, and stopped with the stream.
from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from pynatsd.core.internal import subscribe_internal, unsubscribe_internal
from pynatsd.jetstream import consumer_admin
from pynatsd.jetstream.advisories import stream_action
from pynatsd.jetstream.errors import JSError
from pynatsd.jetstream.jsonutil import encode
from pynatsd.jetstream.limits import UNLIMITED
from pynatsd.jetstream.store import (
    FileStore,
    MemoryStore,
    StoreError,
    StreamStore,
    WriterHost,
    list_streams,
    streams_dir,
)
from pynatsd.jetstream.stream import Stream
from pynatsd.jetstream.types_stream import StreamConfig
from pynatsd.jetstream.validate import decode_request

if TYPE_CHECKING:
    from pynatsd.core.accounts import Account
    from pynatsd.core.server import Server
    from pynatsd.core.subscription import Subscription

__all__ = ["JSAccount", "JetStream"]

API_LEVEL = 5


class JetStream:
    def __init__(self, server: Server) -> None:
        opts = server.options
        self.server = server
        base = opts.store_dir or os.path.join(tempfile.gettempdir(), "nats")
        self.store_dir = Path(base) / "jetstream"
        self.domain = opts.jetstream_domain
        self.sync_interval: float | None = None
        if opts.jetstream_sync_interval not in ("", "always"):
            from pynatsd.config import parse_duration

            self.sync_interval = parse_duration(opts.jetstream_sync_interval)
        self.max_memory = opts.jetstream_max_memory
        self.max_store = opts.jetstream_max_store
        if self.max_memory < 0:
            # nats-server's defaults: 75% of the machine's memory, and the free disk space.
            self.max_memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") * 3 // 4
        self.accounts: dict[str, JSAccount] = {}
        self.writer_host = WriterHost()
        self.api_total = 0
        self.api_errors = 0

    async def start(self) -> None:
        log = self.server.log
        log.info("Starting JetStream")
        try:
            self.store_dir.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StoreError(f"could not create storage directory {self.store_dir}: {e}") from e
        if self.max_store < 0:
            self.max_store = shutil.disk_usage(self.store_dir).free
        log.info("---------------- JETSTREAM ----------------")
        log.info(f"  Max Memory:      {_size(self.max_memory)}")
        log.info(f"  Max Storage:     {_size(self.max_store)}")
        log.info(f'  Store Directory: "{self.store_dir}"')
        if self.domain:
            log.info(f"  Domain:          {self.domain}")
        log.info(f"  API Level:       {API_LEVEL}")
        log.info("-------------------------------------------")
        self.enable_account(self.server.global_account)

    def enable_account(self, account: Account) -> JSAccount:
        jsa = self.accounts.get(account.name)
        if jsa is None:
            jsa = self.accounts[account.name] = JSAccount(self, account)
            jsa.load()
            jsa.subscribe_api()
        return jsa

    def open_file_store(self, directory: Path, name: str) -> FileStore:
        return FileStore.open(directory, name, sync_interval=self.sync_interval, host=self.writer_host)

    def usage(self) -> dict[str, Any]:
        """Totals over every account, for /jsz and /varz."""
        out = {"memory": 0, "storage": 0, "streams": 0, "consumers": 0, "messages": 0, "bytes": 0}
        for jsa in self.accounts.values():
            for stream in jsa.streams.values():
                st = stream.store.state()
                out["memory" if stream.config.storage == "memory" else "storage"] += st.bytes
                out["streams"] += 1
                out["consumers"] += len(stream.consumers)
                out["messages"] += st.msgs
                out["bytes"] += st.bytes
        return out

    def config_info(self) -> dict[str, Any]:
        sync = int(self.sync_interval * 1_000_000_000) if self.sync_interval else 0
        return {
            "max_memory": self.max_memory,
            "max_storage": self.max_store,
            "store_dir": str(self.store_dir),
            "sync_interval": sync,
            "strict": True,
        }

    async def shutdown(self) -> None:
        for jsa in self.accounts.values():
            await jsa.close()
        self.accounts.clear()
        await asyncio.get_running_loop().run_in_executor(None, self.writer_host.close)


class JSAccount:
    """JetStream in one account: its streams and the API subscription."""

    def __init__(self, js: JetStream, account: Account) -> None:
        self.js = js
        self.account = account
        self.streams: dict[str, Stream] = {}
        self.domain = js.domain
        # The account's own limits (accounts { A { jetstream { ... } } }); unlimited otherwise.
        self.limits = UNLIMITED
        self._api_sub: Subscription | None = None
        self._direct_subs: dict[str, list[Subscription]] = {}
        self._reopening: set[str] = set()
        self.dir = streams_dir(js.store_dir, account.name)

    def subscribe_api(self) -> None:
        from pynatsd.jetstream.api import handle_api

        def on_request(
            sub: Subscription, subject: bytes, reply: bytes, hdr_len: int, msg: bytes
        ) -> bool | None:
            return handle_api(self, subject, reply, msg[:hdr_len], msg[hdr_len:])

        self._api_sub = subscribe_internal(self.account, b"$JS.API.>", on_request)

    def sync_direct(self, name: str) -> None:
        """Subscribe or unsubscribe a stream's direct get subjects to match its allow_direct."""
        from pynatsd.jetstream.api_msg import direct_get, direct_get_last

        for sub in self._direct_subs.pop(name, ()):
            unsubscribe_internal(self.account, sub)
        stream = self.streams.get(name)
        if stream is None or not stream.config.allow_direct:
            return

        def by_request(sub: Subscription, subject: bytes, reply: bytes, hdr_len: int, msg: bytes) -> None:
            if (current := self.streams.get(name)) is not None:
                direct_get(self, current, reply, msg[:hdr_len], msg[hdr_len:])

        def by_subject(sub: Subscription, subject: bytes, reply: bytes, hdr_len: int, msg: bytes) -> None:
            if (current := self.streams.get(name)) is not None:
                name_subject = subject.decode(errors="replace")
                direct_get_last(self, current, name_subject, reply, msg[:hdr_len], msg[hdr_len:])

        base = b"$JS.API.DIRECT.GET." + name.encode()
        self._direct_subs[name] = [
            subscribe_internal(self.account, base, by_request),
            subscribe_internal(self.account, base + b".>", by_subject),
        ]

    def load(self) -> None:
        """Reopen the account's file streams after a restart."""
        if not self.dir.exists():
            return
        for name in list_streams(self.dir):
            self._open_stream(name)

    def _open_stream(self, name: str) -> None:
        log = self.js.server.log
        try:
            store = self.js.open_file_store(self.dir, name)
        except StoreError as e:
            log.error(f"JetStream could not open stream '{self.account.name} > {name}': {e}")
            return
        meta = store.load_meta()
        created, cfg = _decode_meta(meta) if meta is not None else (0, None)
        if cfg is None:
            if meta is not None:
                log.error(f"JetStream stream '{self.account.name} > {name}' has a bad config")
            store.close()
            return
        stream = Stream(self, cfg, store, created)
        stream.rebuild_dedup()
        self.streams[name] = stream
        stream.start()
        self.sync_direct(name)
        consumer_admin.load(stream)
        st = store.state()
        log.info(f"  Restored {st.msgs:,} messages for stream '{self.account.name} > {name}' in {0:.0f}ms")

    def writer_lost(self, stream: Stream) -> None:
        """The stream's store lost its writer process: reopen the stream from what is durable,
        with a new writer, once the current loop pass is over."""
        if stream.name in self._reopening:
            return
        self._reopening.add(stream.name)
        self.js.server.log.error(
            f"JetStream stream '{self.account.name} > {stream.name}' lost its store writer; reopening it"
        )
        asyncio.get_running_loop().call_soon(self._reopen, stream)

    def _reopen(self, stream: Stream) -> None:
        self._reopening.discard(stream.name)
        if self.streams.get(stream.name) is not stream:
            return
        stream.stop()
        consumer_admin.close_all(stream, deleted=False)
        stream.store.close()
        del self.streams[stream.name]
        self._open_stream(stream.name)
        if stream.name not in self.streams:
            self.sync_direct(stream.name)

    def add_stream(self, cfg: StreamConfig) -> Stream:
        created = time.time_ns()
        store: StreamStore
        if cfg.storage == "memory":
            store = MemoryStore(cfg.name)
        else:
            store = self.js.open_file_store(self.dir, cfg.name)
        if cfg.first_seq > 1:
            try:
                store.compact(cfg.first_seq)
            except StoreError:
                store.delete()
                raise
        store.save_meta(_encode_meta(created, cfg))
        stream = Stream(self, cfg, store, created)
        self.streams[cfg.name] = stream
        stream.start()
        self.sync_direct(cfg.name)
        stream_action(self, cfg.name, "create")
        return stream

    def update_stream(self, stream: Stream, cfg: StreamConfig) -> None:
        stream.stop()
        stream.config = cfg
        stream.store.save_meta(_encode_meta(stream.created, cfg))
        stream.start()
        stream.apply_limits()
        self.sync_direct(stream.name)
        stream_action(self, cfg.name, "modify")

    def delete_stream(self, stream: Stream) -> None:
        stream.stop()
        consumer_admin.close_all(stream, deleted=True)
        del self.streams[stream.name]
        self.sync_direct(stream.name)
        stream.store.delete()
        stream_action(self, stream.name, "delete")

    def on_stored(self, stream: Stream, subject: str, seq: int) -> None:
        """A message was stored: tell the stream's consumers."""
        consumers = stream.consumers
        if consumers:
            for consumer in consumers.values():
                consumer.on_stored(subject, seq)

    async def close(self) -> None:
        if self._api_sub is not None:
            unsubscribe_internal(self.account, self._api_sub)
        for subs in self._direct_subs.values():
            for sub in subs:
                unsubscribe_internal(self.account, sub)
        self._direct_subs.clear()
        for stream in self.streams.values():
            stream.stop()
            consumer_admin.close_all(stream, deleted=False)
            try:
                await asyncio.wait_for(stream.store.flush(), 5.0)
            except (StoreError, TimeoutError):
                pass
            stream.store.close()
        self.streams.clear()


def _encode_meta(created: int, cfg: StreamConfig) -> bytes:
    return b'{"created":%d,"config":%s}' % (created, encode(cfg))


def _decode_meta(meta: bytes) -> tuple[int, StreamConfig | None]:
    try:
        outer: dict[str, Any] = msgspec.json.decode(meta)
        cfg = decode_request(msgspec.json.encode(outer["config"]), StreamConfig)
    except (msgspec.DecodeError, KeyError, TypeError):
        return 0, None
    if isinstance(cfg, JSError):
        return 0, None
    return int(outer.get("created", 0)), cfg


def _size(n: int) -> str:
    if n < 0:
        return "unlimited"
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{n:.2f} {unit}" if unit != "B" else f"{n} B"
        n = n / 1024  # type: ignore[assignment]
    return str(n)
