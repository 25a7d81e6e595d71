# Mirrors and sources inside one server: a stream that copies the messages of other streams of
# its account, catching up from their stores and then following new messages.
#
# Theory of operation. Each configured mirror or source is a SourceLink held by the copying stream
# (`stream.links`, keyed by nats-server's "index name": stream, filters, destinations). A link that
# is attached to its origin is in the origin's `followers`; the origin wakes its followers whenever
# it stores a message. Waking only schedules a drain with call_soon (once, however many messages
# arrive in one loop pass), and a drain copies at most CHUNK messages before yielding the loop
# again, so a long catch-up never stalls the event loop and the origin's publish path stays cheap.
# A drain reads the origin's store from `next_seq`: the store is the source of truth, so catch-up
# and following are the same code.
#
# What is copied, as nats-server 2.15 does it (observed):
# - mirror: the same sequences (gaps become skipped sequences), timestamps, subjects and headers;
#   no dedup, rollup or expected-* checks. The mirror resumes after its last sequence.
# - source: a new sequence and timestamp; subject transforms (or the filter) select and rewrite the
#   subject; Nats-Expected-* headers are dropped, a `Nats-Stream-Source: <name> <seq> <filter>
#   <dest> <subject> <ident>` header is added, and the message goes through the stream's publish
#   checks (dedup by Nats-Msg-Id, limits, the stream's own subject transform, republish), except
#   that rollups are not applied. A source resumes after the last origin sequence found in those
#   headers (a backward scan at start-up, like nats-server's startingSequenceForSources).
# An origin that does not exist (yet) shows `stream not found` in the info; the link attaches as
# soon as a stream of that name starts. A copy that fails (limits, store error) is retried later.
from __future__ import annotations

import asyncio
import base64
import hashlib
import time
from typing import TYPE_CHECKING, Final

from pynatsd.jetstream.errors import JSError, js_error
from pynatsd.jetstream.jsonutil import parse_go_time
from pynatsd.jetstream.store import StoreError, StoreMsg
from pynatsd.jetstream.transform import SubjectTransform, compile_transform
from pynatsd.jetstream.types_api import StreamSourceInfo
from pynatsd.jetstream.validate_subjects import subject_is_subset_match
from pynatsd.protocol.headers import get_header

if TYPE_CHECKING:
    from pynatsd.jetstream.store import StreamStore
    from pynatsd.jetstream.stream import Stream
    from pynatsd.jetstream.types_stream import StreamSource

__all__ = ["SourceLink", "origins_info", "start_links", "stop_links"]

CHUNK: Final = 256
RETRY_DELAY: Final = 1.0
HEARTBEAT_NS: Final = 1_000_000_000
SOURCE_HDR: Final = b"Nats-Stream-Source"
_CRLF: Final = b"\r\n"


def index_name(src: StreamSource) -> str:
    """nats-server's iname: `<stream> <filters> <destinations>`, what makes a source unique."""
    name = src.name if src.external is None else f"{src.name}:{_hash(src.external.api)}"
    if not src.subject_transforms:
        return f"{name} {src.filter_subject or '>'} >"
    sources = "\f".join(tr.src or ">" for tr in src.subject_transforms)
    dests = "\f".join(tr.dest or ">" for tr in src.subject_transforms)
    return f"{name} {sources} {dests}"


def _hash(text: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()[:6]).decode()


def _routes(src: StreamSource) -> list[tuple[str, SubjectTransform | None]]:
    if src.subject_transforms:
        return [(tr.src or ">", compile_transform(tr.src, tr.dest)) for tr in src.subject_transforms]
    return [(src.filter_subject or ">", None)]


class SourceLink:
    """One mirror or source of `target`: where it reads in the origin, and how it copies."""

    def __init__(self, target: Stream, cfg: StreamSource, mirror: bool, iname: str) -> None:
        self.target = target
        self.cfg = cfg
        self.mirror = mirror
        self.iname = iname
        self.name = cfg.name
        self.origin: Stream | None = None
        self.next_seq = 0  # next origin sequence to look at; 0 until positioned
        self.last_copied = 0  # origin sequence of the last message copied
        self.resume_ts = 0  # start-up fallback: skip origin messages older than this (ns)
        self.last_active = 0
        self.ident = ""
        self._origin_created = 0
        self._routes = _routes(cfg)
        self._load_filter = self._routes[0][0] if len(self._routes) == 1 else ">"
        self._all = len(self._routes) == 1 and self._routes[0] == (">", None)
        name, _, filters = iname.partition(" ")
        self._hdr_name, self._hdr_filters = name, filters
        self._handle: asyncio.Handle | None = None
        self._failing = False
        self._missing = False  # the origin was looked for and not found

    # -- attachment ------------------------------------------------------------------------------

    def attach(self, origin: Stream) -> None:
        if self._origin_created and origin.created != self._origin_created and not self.mirror:
            # The origin was deleted and created again: its sequences start over.
            self.next_seq = self.last_copied = 0
        self._origin_created = origin.created
        self.origin = origin
        origin.followers.append(self)
        self.ident = _hash(f"{origin.jsa.account.name} {origin.name} {origin.created}")
        if self.next_seq == 0:
            self.next_seq = self._start_seq(origin.store)
        self.wake()

    def detach(self) -> None:
        origin = self.origin
        if origin is not None and self in origin.followers:
            origin.followers.remove(self)
        self.origin = None
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _start_seq(self, origin: StreamStore) -> int:
        if self.mirror:
            last = self.target.store.state().last_seq
            if last > 0:
                return last + 1
        elif self.last_copied:
            return self.last_copied + 1
        cfg = self.cfg
        seq = 1
        if cfg.opt_start_seq > 0:
            seq = cfg.opt_start_seq
        elif cfg.opt_start_time is not None:
            seq = origin.seq_for_time(parse_go_time(cfg.opt_start_time).unix_ns)
        if self.resume_ts:
            seq = max(seq, origin.seq_for_time(self.resume_ts))
        return seq

    # -- copying ---------------------------------------------------------------------------------

    def wake(self) -> None:
        """The origin has something new (or we just attached): drain on the next loop pass."""
        if self._handle is None and self.origin is not None:
            self._handle = asyncio.get_running_loop().call_soon(self._drain)

    def _drain(self) -> None:
        self._handle = None
        origin = self.origin
        if origin is None:
            return
        load = origin.store.load_next
        budget = CHUNK
        while budget:
            budget -= 1
            try:
                sm = load(self._load_filter, self.next_seq)
            except StoreError as e:
                self._retry(f"reading {origin.name}: {e}")
                return
            if sm is None:
                break
            subject = self._route(sm.subject)
            if subject is not None:
                err = self._copy(sm, subject)
                if err is not None:
                    self._retry(err)
                    return
                self.last_copied = sm.seq
            self.next_seq = sm.seq + 1
        else:
            self._handle = asyncio.get_running_loop().call_soon(self._drain)
        self.last_active = time.time_ns()
        self._failing = False

    def _retry(self, why: str) -> None:
        if not self._failing:
            self._failing = True
            log = self.target.jsa.js.server.log
            log.warn(f"JetStream stream '{self.target.name}' could not copy from '{self.name}': {why}")
        self._handle = asyncio.get_running_loop().call_later(RETRY_DELAY, self._drain)

    def _route(self, subject: str) -> str | None:
        """The subject to store under, or None when no filter selects the message."""
        if self._all:
            return subject
        for flt, tr in self._routes:
            if flt == ">" or subject_is_subset_match(subject, flt):
                return tr.transform(subject) if tr is not None else subject
        return None

    def _copy(self, sm: StoreMsg, subject: str) -> str | None:
        if self.mirror:
            return self.target.store_mirrored(sm, subject)
        hdr = source_header(sm.hdr, self._source_value(sm))
        result = self.target.process(subject, hdr, sm.msg, sourced=True)
        return result.description if isinstance(result, JSError) else None

    def _source_value(self, sm: StoreMsg) -> bytes:
        return f"{self._hdr_name} {sm.seq} {self._hdr_filters} {sm.subject} {self.ident}".encode()

    # -- info ------------------------------------------------------------------------------------

    def info(self) -> StreamSourceInfo:
        cfg = self.cfg
        return StreamSourceInfo(
            name=cfg.name,
            external=cfg.external,
            lag=self._lag(),
            seq=0 if self.mirror else self.last_copied,
            active=self._active(),
            error=self._error(),
            filter_subject=cfg.filter_subject,
            subject_transforms=cfg.subject_transforms,
        )

    def _lag(self) -> int:
        origin = self.origin
        if origin is None or not self.last_active:
            return 0
        return sum(origin.store.num_pending(self.next_seq, flt) for flt, _ in self._routes)

    def _active(self) -> int:
        if not self.last_active:
            return -1
        elapsed = max(time.time_ns() - self.last_active, 0)
        # An attached in-process origin is always reachable; report it the way nats-server does for
        # an idle source whose heartbeats keep arriving.
        return elapsed % HEARTBEAT_NS if self.origin is not None else elapsed

    def _error(self) -> JSError | None:
        if self._missing and self.origin is None:
            return js_error("JSStreamNotFoundErr")
        return None

    def check_origin(self) -> None:
        """Note a missing origin; like nats-server, the info shows it only once it was looked
        for, not in the response that creates the stream."""
        self._missing = self.origin is None and self.cfg.external is None


def source_header(hdr: bytes, value: bytes) -> bytes:
    """`hdr` without Nats-Stream-Source and Nats-Expected-* headers, plus our Nats-Stream-Source."""
    line = SOURCE_HDR + b": " + value + _CRLF
    if not hdr:
        return b"NATS/1.0" + _CRLF + line + _CRLF
    lines = hdr.split(_CRLF)
    kept = [
        ln
        for ln in lines[1:]
        if ln and not ln.startswith(b"Nats-Expected-") and not ln.startswith(SOURCE_HDR + b":")
    ]
    return lines[0] + _CRLF + b"".join(ln + _CRLF for ln in kept) + line + _CRLF


def _parse_source(value: bytes) -> tuple[str, int] | None:
    fields = value.decode(errors="replace").split(" ")
    if len(fields) < 4 or not fields[1].isdigit():
        return None
    return f"{fields[0]} {fields[2]} {fields[3]}", int(fields[1])


def _scan_positions(store: StreamStore, inames: set[str]) -> dict[str, int]:
    """The last origin sequence recorded for each source, newest message first."""
    found: dict[str, int] = {}
    st = store.state()
    seq = st.last_seq
    while seq >= st.first_seq > 0 and len(found) < len(inames):
        sm = store.load_prev(">", seq)
        if sm is None:
            break
        value = get_header(sm.hdr, SOURCE_HDR) if sm.hdr else None
        parsed = _parse_source(value) if value else None
        if parsed is not None and parsed[0] in inames and parsed[0] not in found:
            found[parsed[0]] = parsed[1]
        seq = sm.seq - 1
    return found


def _wanted(stream: Stream) -> dict[str, tuple[StreamSource, bool]]:
    cfg = stream.config
    wanted: dict[str, tuple[StreamSource, bool]] = {}
    if cfg.mirror is not None:
        wanted[index_name(cfg.mirror)] = (cfg.mirror, True)
    for src in cfg.sources or ():
        if src is not None:
            wanted[index_name(src)] = (src, False)
    return wanted


def start_links(stream: Stream, first: bool) -> None:
    """Set up `stream`'s mirror/sources (keeping positions across updates) and attach them; then
    attach the links of other streams that were waiting for this one."""
    wanted = _wanted(stream)
    old = stream.links
    links: dict[str, SourceLink] = {}
    for key, (src, mirror) in wanted.items():
        link = old.get(key)
        if link is None or link.mirror != mirror:
            link = SourceLink(stream, src, mirror, key)
            if src.external is not None:
                stream.jsa.js.server.log.warn(
                    f"JetStream stream '{stream.name}': sourcing '{src.name}' from another domain "
                    "or account is not supported"
                )
        link.cfg = src
        links[key] = link
    if first and links and stream.config.mirror is None:
        _resume(stream, links)
    stream.links = links
    streams = stream.jsa.streams
    for link in links.values():
        origin = streams.get(link.name)
        if link.cfg.external is None and origin is not None and origin is not stream:
            link.attach(origin)
        else:
            asyncio.get_running_loop().call_soon(link.check_origin)
    for other in streams.values():
        if other is stream:
            continue
        for link in other.links.values():
            if link.origin is None and link.name == stream.name and link.cfg.external is None:
                link.attach(stream)


def _resume(stream: Stream, links: dict[str, SourceLink]) -> None:
    found = _scan_positions(stream.store, set(links))
    last_ts = stream.store.state().last_ts
    for key, link in links.items():
        if key in found:
            link.last_copied = found[key]
        elif last_ts:
            link.resume_ts = last_ts


def stop_links(stream: Stream) -> None:
    """Detach `stream` from its origins and its followers from it."""
    for link in stream.links.values():
        link.detach()
    for link in list(stream.followers):
        link.detach()


def origins_info(stream: Stream) -> tuple[StreamSourceInfo | None, list[StreamSourceInfo] | None]:
    """STREAM.INFO's `mirror` and `sources` for `stream`."""
    if not stream.links:
        return None, None
    mirror: StreamSourceInfo | None = None
    sources: list[StreamSourceInfo] = []
    for link in stream.links.values():
        if link.mirror:
            mirror = link.info()
        else:
            sources.append(link.info())
    return mirror, sources or None
