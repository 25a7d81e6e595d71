# The mirror and sources part of nats-server's checkStreamCfg.
#
# Why a module of its own: mirrors and sources have the longest rule list (what a mirror may not
# combine with, durable sourcing consumers, per-source subject transforms, external API and deliver
# prefixes, origin max_msg_size, mirror_direct inherited from the origin's allow_direct) and each
# rule has its own error code. The order below is nats-server's: mirror rules, then each source in
# turn, then the collected external prefixes, so that the first error matches.
#
# `streams` maps the account's stream names to their stored configs; an origin that is not there
# (not created yet, or in another domain) is simply not checked, as in nats-server.
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from pynatsd.jetstream.errors import JSError, js_error
from pynatsd.jetstream.jsonutil import go_quote
from pynatsd.jetstream.types_stream import StreamConfig, StreamConsumerSource, StreamSource
from pynatsd.jetstream.validate_subjects import (
    BAD_SUBJECT,
    is_literal,
    is_valid_publish_subject,
    is_valid_subject,
    subject_is_subset_match,
    subjects_collide,
    validate_mapping,
)

__all__ = ["check_origins"]

_JS_API_PREFIX = "$JS.API"
_NAME_FORBIDDEN = frozenset(" \t\r\n\f.*>/\\")


@dataclass(slots=True)
class _Seen:
    stream_subs: list[str] = field(default_factory=list)
    deliver_prefixes: list[str] = field(default_factory=list)
    api_prefixes: list[str] = field(default_factory=list)

    def external(self, src: StreamSource) -> None:
        assert src.external is not None
        if src.external.deliver:
            self.deliver_prefixes.append(src.external.deliver)
        if src.external.api:
            self.api_prefixes.append(src.external.api)


def _valid_asset_name(name: str) -> bool:
    return bool(name) and _NAME_FORBIDDEN.isdisjoint(name)


def _bad_consumer(src: StreamSource, c: StreamConsumerSource) -> bool:
    if not _valid_asset_name(c.name):
        return True
    if not is_literal(c.deliver_subject) or not is_valid_subject(c.deliver_subject):
        return True
    return bool(src.opt_start_seq or src.opt_start_time is not None or src.filter_subject)


def _mirror_exclusions(cfg: StreamConfig) -> JSError | None:
    checks = (
        (cfg.first_seq > 0, "JSMirrorWithFirstSeqErr"),
        (bool(cfg.subjects), "JSMirrorWithSubjectsErr"),
        (bool(cfg.sources), "JSMirrorWithSourcesErr"),
        (cfg.allow_msg_counter, "JSMirrorWithCountersErr"),
        (cfg.allow_atomic, "JSMirrorWithAtomicPublishErr"),
        (cfg.allow_batched, "JSMirrorWithBatchPublishErr"),
        (cfg.allow_msg_schedules, "JSMirrorWithMsgSchedulesErr"),
    )
    for failed, name in checks:
        if failed:
            return js_error(name)
    return None


def _mirror_transforms(mirror: StreamSource) -> JSError | None:
    transforms = mirror.subject_transforms or []
    for i, tr in enumerate(transforms):
        if tr.src and not is_valid_subject(tr.src):
            return js_error("JSMirrorInvalidSubjectFilter", err=f"{BAD_SUBJECT} {tr.src}")
        problem = validate_mapping(tr.src, tr.dest)
        if problem is not None:
            return js_error("JSMirrorInvalidTransformDestination", err=problem)
        for j, other in enumerate(transforms):
            if i != j and subjects_collide(tr.src, other.src):
                return js_error("JSMirrorOverlappingSubjectFilters")
    return None


def _check_mirror(
    cfg: StreamConfig, pedantic: bool, streams: Mapping[str, StreamConfig], seen: _Seen
) -> JSError | None:
    mirror = cfg.mirror
    if mirror is None:
        return None
    err = _mirror_exclusions(cfg)
    if err is not None:
        return err
    if mirror.consumer is not None and _bad_consumer(mirror, mirror.consumer):
        return js_error("JSMirrorDurableConsumerCfgInvalid")
    if mirror.filter_subject and mirror.subject_transforms:
        return js_error("JSMirrorMultipleFiltersNotAllowed")
    if cfg.subject_delete_marker_ttl > 0:
        return js_error("JSStreamInvalidConfigF", err="subject delete markers forbidden on mirrors")
    err = _mirror_transforms(mirror)
    if err is not None:
        return err
    if mirror.external is not None:
        seen.external(mirror)
        return None
    if not _valid_asset_name(mirror.name):
        return js_error("JSMirrorInvalidStreamName")
    origin = streams.get(mirror.name)
    if origin is None:
        return None
    seen.stream_subs.extend(origin.subjects or [])
    if 0 < cfg.max_msg_size < origin.max_msg_size:
        return js_error("JSMirrorMaxMessageSizeTooBigErr")
    if pedantic and cfg.mirror_direct != origin.allow_direct:
        return js_error("JSPedanticErrF", err="origin stream has direct get set, mirror has it disabled")
    cfg.mirror_direct = origin.allow_direct
    return None


def _iname(src: StreamSource) -> str:
    """What makes a source unique: stream, external API, and its filter/transform pairs."""
    name = src.name if src.external is None else f"{src.name}:{src.external.api}"
    if not src.subject_transforms:
        return f"{name} {src.filter_subject or '>'} >"
    sources = "\f".join(tr.src or ">" for tr in src.subject_transforms)
    dests = "\f".join(tr.dest or ">" for tr in src.subject_transforms)
    return f"{name} {sources} {dests}"


def _source_transforms(src: StreamSource) -> JSError | None:
    transforms = src.subject_transforms or []
    for tr in transforms:
        if tr.src and not is_valid_subject(tr.src):
            return js_error("JSSourceInvalidSubjectFilter", err=f"{BAD_SUBJECT} {tr.src}")
        problem = validate_mapping(tr.src, tr.dest)
        if problem is not None:
            return js_error("JSSourceInvalidTransformDestination", err=problem)
    for i, tr in enumerate(transforms):
        for j, other in enumerate(transforms):
            if i != j and subject_is_subset_match(tr.src, other.src):
                return js_error("JSSourceOverlappingSubjectFilters")
    return None


def _check_source(
    cfg: StreamConfig, src: StreamSource, streams: Mapping[str, StreamConfig], seen: _Seen, keys: set[str]
) -> JSError | None:
    if src.filter_subject and src.subject_transforms:
        return js_error("JSSourceMultipleFiltersNotAllowed")
    err = _source_transforms(src)
    if err is not None:
        return err
    if src.consumer is not None:
        if _bad_consumer(src, src.consumer):
            return js_error("JSSourceDurableConsumerCfgInvalid")
        api = src.external.api if src.external is not None else ""
        cname = f"\x00consumer {src.name} {api} {src.consumer.name}"
        if cname in keys:
            return js_error("JSSourceDurableConsumerDuplicateDetected")
        keys.add(cname)
    if src.external is not None:
        seen.external(src)
        return None
    origin = streams.get(src.name)
    if origin is not None:
        seen.stream_subs.extend(origin.subjects or [])
        if 0 < cfg.max_msg_size < origin.max_msg_size:
            return js_error("JSSourceMaxMessageSizeTooBigErr")
    return None


def _check_sources(cfg: StreamConfig, streams: Mapping[str, StreamConfig], seen: _Seen) -> JSError | None:
    if cfg.sources and cfg.allow_msg_schedules:
        return js_error("JSSourceWithMsgSchedulesErr")
    keys: set[str] = set()
    for src in cfg.sources or []:
        if src is None or not _valid_asset_name(src.name):
            return js_error("JSSourceInvalidStreamName")
        iname = _iname(src)
        if iname in keys:
            return js_error("JSSourceDuplicateDetected")
        keys.add(iname)
        err = _check_source(cfg, src, streams, seen, keys)
        if err is not None:
            return err
    return None


def _check_prefixes(seen: _Seen) -> JSError | None:
    for pfx in seen.deliver_prefixes:
        if not is_valid_publish_subject(pfx):
            return js_error("JSStreamInvalidExternalDeliverySubjErrF", prefix=pfx)
        for sub in seen.stream_subs:
            if subjects_collide(sub, f"{pfx}.{sub}"):
                return js_error("JSStreamExternalDelPrefixOverlapsErrF", prefix=pfx, subject=sub)
    for api in seen.api_prefixes:
        if not is_valid_publish_subject(api):
            text = f"stream external api prefix {go_quote(api)} must be a valid subject without wildcards"
            return js_error("JSStreamInvalidConfigF", err=text)
        if subjects_collide(api, _JS_API_PREFIX):
            return js_error("JSStreamExternalApiOverlapErrF", prefix=api, subject=_JS_API_PREFIX)
    return None


def check_origins(cfg: StreamConfig, pedantic: bool, streams: Mapping[str, StreamConfig]) -> JSError | None:
    """Check (and, for mirror_direct, adjust in place) the mirror and sources of `cfg`."""
    seen = _Seen()
    return (
        _check_mirror(cfg, pedantic, streams, seen)
        or _check_sources(cfg, streams, seen)
        or _check_prefixes(seen)
    )
