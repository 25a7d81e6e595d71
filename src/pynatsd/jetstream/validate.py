# Stream configuration rules: names, defaults, validation, and what an update may change.
#
# Why: nats-server fills a stream config's defaults (-1 limits, a 2m duplicate window clamped to
# max_age, subjects = [name], file storage, R1...) and refuses bad configs with specific errors that
# clients show and branch on. These functions reproduce nats-server 2.15's checkStreamCfg,
# configUpdateCheck and the checks its STREAM.CREATE/UPDATE handlers do around them, in the same
# order, so the first error reported is the same one. They are pure: the caller passes the other
# streams of the account (`streams`, name -> stored config) and gets a StreamConfig or a JSError.
#
# The order of a create, as observed: name in subject (10056), path separators (10128), sealed,
# mirror_direct without mirror, checkStreamCfg, replicas > 1 without a cluster (10074), same name
# with a different config (10058, an identical one returns the existing config), overlapping
# subjects (10065). An update: checkStreamCfg, name in subject, stream exists (10059), then the
# update rules, then 10065. Resource limits (max streams, storage) are the engine's to check.
#
# Metadata: `_nats.req.level` (the API level the config needs) is stored; `_nats.ver` and
# `_nats.level` are only added to CREATE/INFO/UPDATE responses (`with_dynamic_metadata`), never
# stored (STREAM.LIST shows the stored form). The 128 KiB metadata limit counts the stored form.
from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, TypeVar

import msgspec

from pynatsd.jetstream.errors import JSError, invalid_json, js_error
from pynatsd.jetstream.jsonutil import GoJSONError, decode
from pynatsd.jetstream.types_stream import StreamConfig, StreamConfigRequest
from pynatsd.jetstream.validate_mirror import check_origins
from pynatsd.jetstream.validate_subjects import (
    BAD_SUBJECT,
    is_valid_subject,
    subject_is_subset_match,
    subjects_collide,
    transform_error,
    validate_mapping,
)

__all__ = [
    "API_LEVEL",
    "DEFAULT_DUPLICATE_WINDOW",
    "MAX_DESCRIPTION_LEN",
    "MAX_METADATA_LEN",
    "MAX_NAME_LEN",
    "MAX_REPLICAS",
    "SERVER_VERSION",
    "StreamLimits",
    "check_stream_config",
    "check_stream_create",
    "check_stream_update",
    "consumer_name_error",
    "decode_request",
    "decode_stream_request",
    "durable_name_error",
    "is_valid_name",
    "is_valid_stream_name",
    "required_api_level",
    "same_stream_config",
    "set_static_metadata",
    "stream_name_error",
    "subjects_overlap",
    "with_dynamic_metadata",
]

T = TypeVar("T", bound=msgspec.Struct)

MAX_NAME_LEN: Final = 255
MAX_DESCRIPTION_LEN: Final = 4096
MAX_METADATA_LEN: Final = 128 * 1024
MAX_REPLICAS: Final = 5
DEFAULT_DUPLICATE_WINDOW: Final = 120_000_000_000  # 2m in ns
_MIN_WINDOW: Final = 100_000_000  # 100ms
_SECOND: Final = 1_000_000_000
API_LEVEL: Final = 5
SERVER_VERSION: Final = "2.15.1"
REQ_LEVEL_KEY: Final = "_nats.req.level"
_DYNAMIC_KEYS: Final = ("_nats.ver", "_nats.level")
_NAME_FORBIDDEN: Final = frozenset(" \t\r\n\f.*>")
_NAME_RULE: Final = "stream name is required and can not contain '.', '*', '>', '\\', '/'"


@dataclass(frozen=True, slots=True)
class StreamLimits:
    """Server and account limits that checkStreamCfg consults (0 = no limit)."""

    duplicates: int = 0
    max_bytes_required: bool = False
    max_stream_bytes: int = 0


@dataclass(slots=True)
class _Ctx:
    cfg: StreamConfig
    pedantic: bool
    streams: Mapping[str, StreamConfig]
    limits: StreamLimits


# -- names --------------------------------------------------------------------------------------


def is_valid_name(name: str) -> bool:
    """A stream or consumer name: not empty, no whitespace, `.`, `*` or `>`."""
    return bool(name) and _NAME_FORBIDDEN.isdisjoint(name)


def is_valid_stream_name(name: str) -> bool:
    """A valid name that is also safe as a directory name (no `/` or `\\`), at most 255 bytes."""
    return is_valid_name(name) and "/" not in name and "\\" not in name and len(name.encode()) <= MAX_NAME_LEN


def stream_name_error(name: str) -> JSError | None:
    """What checkStreamCfg says about a stream name, or None."""
    if not is_valid_name(name) or "/" in name or "\\" in name:
        return _invalid(_NAME_RULE)
    if len(name.encode()) > MAX_NAME_LEN:
        return _invalid(f"stream name is too long, maximum allowed is {MAX_NAME_LEN}")
    return None


def consumer_name_error(name: str, *, durable: bool = False) -> JSError | None:
    """What consumer create says about a consumer (or durable) name given in the request body."""
    if "/" in name or "\\" in name:
        return js_error("JSConsumerNameContainsPathSeparatorsErr")
    if not is_valid_name(name):
        what = "consumer durable name" if durable else "consumer name"
        return _invalid(f"{what} can not contain '.', '*', '>', '\\', '/'")
    if len(name.encode()) > MAX_NAME_LEN:
        return js_error("JSConsumerNameTooLongErrF", max=MAX_NAME_LEN)
    return None


def durable_name_error(name: str) -> JSError | None:
    """The legacy CONSUMER.DURABLE.CREATE check on the durable name in the subject (10103)."""
    if not is_valid_name(name):
        return js_error("JSConsumerBadDurableNameErr")
    return None


def _invalid(text: str) -> JSError:
    return js_error("JSStreamInvalidConfigF", err=text)


def _pedantic(text: str) -> JSError:
    return js_error("JSPedanticErrF", err=text)


# -- decoding -----------------------------------------------------------------------------------


def decode_request(data: bytes | bytearray | memoryview, cls: type[T], *, strict: bool = True) -> T | JSError:
    """Decode an API request body; a body the decoder refuses is 10025 `invalid JSON: ...`."""
    try:
        return decode(data, cls, strict=strict)
    except GoJSONError as exc:
        return invalid_json(exc)


def decode_stream_request(data: bytes | bytearray | memoryview) -> tuple[StreamConfig, bool] | JSError:
    """The body of STREAM.CREATE/UPDATE: (config, pedantic) or 10025."""
    req = decode_request(data, StreamConfigRequest)
    if isinstance(req, JSError):
        return req
    return req.config(), req.pedantic


# -- metadata -----------------------------------------------------------------------------------


def required_api_level(cfg: StreamConfig) -> int:
    """The JetStream API level a stream config needs (stored as `_nats.req.level`)."""
    level = 0
    if cfg.allow_msg_ttl or cfg.subject_delete_marker_ttl > 0:
        level = 1
    if cfg.allow_msg_counter or cfg.allow_atomic or cfg.allow_msg_schedules or cfg.persist_mode == "async":
        level = 2
    if cfg.allow_batched:
        level = 4
    return level


def set_static_metadata(cfg: StreamConfig) -> None:
    """Drop the response-only keys and store `_nats.req.level` (in place)."""
    meta = dict(cfg.metadata or {})
    for key in _DYNAMIC_KEYS:
        meta.pop(key, None)
    meta[REQ_LEVEL_KEY] = str(required_api_level(cfg))
    cfg.metadata = meta


def with_dynamic_metadata(
    cfg: StreamConfig, *, version: str = SERVER_VERSION, api_level: int = API_LEVEL
) -> StreamConfig:
    """A copy for CREATE/INFO/UPDATE responses, with `_nats.ver` and `_nats.level` added."""
    meta = dict(cfg.metadata or {})
    meta["_nats.ver"] = version
    meta["_nats.level"] = str(api_level)
    return msgspec.structs.replace(cfg, metadata=meta)


def _metadata_len(cfg: StreamConfig) -> int:
    return sum(len(k.encode()) + len(v.encode()) for k, v in (cfg.metadata or {}).items())


# -- checkStreamCfg -----------------------------------------------------------------------------


def _check_identity(cfg: StreamConfig) -> JSError | None:
    err = stream_name_error(cfg.name)
    if err is not None:
        return err
    if len(cfg.description.encode()) > MAX_DESCRIPTION_LEN:
        return _invalid(f"stream description is too long, maximum allowed is {MAX_DESCRIPTION_LEN}")
    set_static_metadata(cfg)
    if _metadata_len(cfg) > MAX_METADATA_LEN:
        return _invalid(f"stream metadata exceeds maximum size of {MAX_METADATA_LEN} bytes")
    return None


def _default_limits(ctx: _Ctx) -> JSError | None:
    cfg = ctx.cfg
    if cfg.num_replicas == 0:
        cfg.num_replicas = 1
    if cfg.num_replicas > MAX_REPLICAS:
        return _invalid(f"maximum replicas is {MAX_REPLICAS}")
    if cfg.num_replicas < 0:
        return js_error("JSReplicasCountCannotBeNegative")
    for name in ("max_msgs", "max_msgs_per_subject", "max_bytes", "max_msg_size", "max_consumers"):
        value = getattr(cfg, name)
        if value == 0 or value < -1:
            if ctx.pedantic and value < -1:
                return _pedantic(f"{name} must be set to -1")
            setattr(cfg, name, -1)
    if cfg.max_age < 0:
        return _invalid("max age can not be negative")
    if 0 < cfg.max_age < _MIN_WINDOW:
        return _invalid("max age needs to be >= 100ms")
    return None


def _default_duplicates(ctx: _Ctx) -> JSError | None:
    cfg, lim = ctx.cfg, ctx.limits.duplicates
    if cfg.duplicate_window == 0 and cfg.mirror is None and not cfg.sources:
        window = DEFAULT_DUPLICATE_WINDOW
        if 0 < lim < window:
            if ctx.pedantic:
                return _pedantic("duplicate window limits are higher than current limits")
            window = lim
        if cfg.max_age != 0 and cfg.max_age < window:
            if ctx.pedantic:
                return _pedantic("duplicate window cannot be bigger than max age")
            window = cfg.max_age
        cfg.duplicate_window = window
    if cfg.duplicate_window < 0:
        return _invalid("duplicates window can not be negative")
    if cfg.max_age != 0 and cfg.duplicate_window > cfg.max_age:
        return _invalid("duplicates window can not be larger then max age")
    if lim > 0 and cfg.duplicate_window > lim:
        return _invalid(f"duplicates window can not be larger then server limit of {_go_duration(lim)}")
    if 0 < cfg.duplicate_window < _MIN_WINDOW:
        return _invalid("duplicates window needs to be >= 100ms")
    return None


def _check_counter_and_discard(cfg: StreamConfig) -> JSError | None:
    if cfg.deny_purge and cfg.allow_rollup_hdrs:
        return _invalid("roll-ups require the purge permission")
    if cfg.allow_msg_counter:
        if cfg.discard == "new":
            return _invalid("counter stream cannot use discard new")
        if cfg.allow_msg_ttl:
            return _invalid("counter stream cannot use message TTLs")
        if cfg.allow_msg_schedules:
            return _invalid("counter stream cannot use message schedules")
        if cfg.retention != "limits":
            return _invalid("counter stream can only use limits retention")
    return _check_discard_new_per(cfg)


def _check_discard_new_per(cfg: StreamConfig) -> JSError | None:
    if cfg.discard_new_per_subject:
        if cfg.discard != "new":
            return _invalid("discard new per subject requires discard new policy to be set")
        if cfg.max_msgs_per_subject <= 0:
            return _invalid("discard new per subject requires max msgs per subject > 0")
    return None


def _check_markers_and_schedules(ctx: _Ctx) -> JSError | None:
    cfg = ctx.cfg
    if cfg.subject_delete_marker_ttl > 0:
        if cfg.subject_delete_marker_ttl < _SECOND:
            return _invalid("subject delete marker TTL must be at least 1 second")
        if not cfg.allow_msg_ttl:
            if ctx.pedantic:
                return _invalid("subject delete marker cannot be set if message TTLs are disabled")
            cfg.allow_msg_ttl = True
        if not cfg.allow_rollup_hdrs:
            if ctx.pedantic:
                return _invalid("subject delete marker cannot be set if roll-ups are disabled")
            cfg.allow_rollup_hdrs, cfg.deny_purge = True, False
    elif cfg.subject_delete_marker_ttl < 0:
        return _invalid("subject delete marker TTL must not be negative")
    if cfg.allow_msg_schedules:
        if cfg.discard == "new":
            return _invalid("message scheduling cannot use discard new")
        if not cfg.allow_rollup_hdrs:
            if ctx.pedantic:
                return _invalid("message scheduling cannot be set if roll-ups are disabled")
            cfg.allow_rollup_hdrs, cfg.deny_purge = True, False
    if cfg.persist_mode == "async":
        if cfg.storage != "file":
            return _invalid("async persist mode is only supported on file storage")
        if cfg.num_replicas > 1:
            return _invalid("async persist mode is not supported on replicated streams")
        if cfg.allow_atomic:
            return _invalid("async persist mode is not supported with atomic batch publish")
    return None


def _check_cycles(ctx: _Ctx) -> JSError | None:
    """Sources and mirrors must not lead back to a stream already on the path."""
    to_visit = [ctx.cfg]
    visited: set[str] = set()
    while to_visit:
        cfg = to_visit.pop(0)
        visited.add(cfg.name)
        for src in cfg.sources or []:
            if src is None or src.external is not None:
                continue
            if src.name in visited:
                if not src.filter_subject or any(
                    subjects_collide(s, src.filter_subject) for s in cfg.subjects or []
                ):
                    return _invalid("detected cycle")
            elif src.name in ctx.streams:
                to_visit.append(ctx.streams[src.name])
        mirror = cfg.mirror
        if mirror is not None and mirror.external is None:
            if mirror.name in visited:
                return _invalid("detected cycle")
            if mirror.name in ctx.streams:
                to_visit.append(ctx.streams[mirror.name])
    return None


def _check_subjects(cfg: StreamConfig) -> JSError | None:
    if not cfg.subjects:
        if cfg.mirror is None and not cfg.sources:
            cfg.subjects = [cfg.name]
        return None
    if cfg.mirror is not None:
        return js_error("JSMirrorWithSubjectsErr")
    seen: set[str] = set()
    for i, subj in enumerate(cfg.subjects):
        if not is_valid_subject(subj):
            return _invalid(BAD_SUBJECT)
        if subj in seen:
            return _invalid("duplicate subjects detected")
        err = _check_reserved_subject(cfg, subj)
        if err is not None:
            return err
        for other in cfg.subjects[i + 1 :]:
            if subjects_collide(other, subj):
                return _invalid(f'subject "{subj}" overlaps with "{other}"')
        seen.add(subj)
    return None


def _check_reserved_subject(cfg: StreamConfig, subj: str) -> JSError | None:
    if subj == ">":
        if not cfg.no_ack:
            return _invalid("capturing all subjects requires no-ack to be true")
        if cfg.num_replicas != 1:
            return _invalid("capturing all subjects requires replicas of 1")
    if cfg.no_ack:
        return None
    for space in ("$JS.>", "$JSC.>", "$NRG.>"):
        if subjects_collide(subj, space) and not subject_is_subset_match(subj, "$JS.EVENT.>"):
            return _invalid("subjects that overlap with jetstream api require no-ack to be true")
    if subjects_collide(subj, "$SYS.>") and not subject_is_subset_match(subj, "$SYS.ACCOUNT.>"):
        return _invalid("subjects that overlap with system api require no-ack to be true")
    return None


def _check_account_limits(ctx: _Ctx) -> JSError | None:
    cfg, lim = ctx.cfg, ctx.limits
    if lim.max_bytes_required and cfg.max_bytes <= 0:
        return js_error("JSStreamMaxBytesRequired")
    if lim.max_stream_bytes > 0 and cfg.max_bytes > lim.max_stream_bytes:
        return js_error("JSStreamMaxStreamBytesExceeded")
    return None


def _check_transforms(ctx: _Ctx) -> JSError | None:
    cfg = ctx.cfg
    tr = cfg.subject_transform
    if tr is not None:
        if tr.src and not is_valid_subject(tr.src):
            return js_error("JSStreamTransformInvalidSource", err=f"{BAD_SUBJECT} {tr.src}")
        problem = validate_mapping(tr.src, tr.dest)
        if problem is not None:
            return js_error("JSStreamTransformInvalidDestination", err=problem)
    rp = cfg.republish
    if rp is None:
        return None
    if not rp.src:
        if ctx.pedantic:
            return _pedantic("republish source can not be empty")
        rp.src = ">"
    if rp.dest == ">" and rp.src == ">" and tr is not None and cfg.subjects == [tr.src]:
        if ctx.pedantic:
            return _pedantic("implicit republish based on subject transform")
        rp.src = rp.dest = tr.dest
    if any(subjects_collide(rp.dest, subj) for subj in cfg.subjects or []):
        return _invalid("stream configuration for republish destination forms a cycle")
    if transform_error(rp.src, rp.dest) is not None:
        return _invalid(
            f"stream configuration for republish with transform from '{rp.src}' to '{rp.dest}' not valid"
        )
    return None


def _check_placement(cfg: StreamConfig) -> JSError | None:
    p = cfg.placement
    if p is not None and not p.cluster and p.tags is None and not p.preferred:
        cfg.placement = None
    elif p is not None and p.preferred:
        return _invalid("preferred server not permitted in placement")
    return None


def check_stream_config(
    cfg: StreamConfig,
    *,
    pedantic: bool = False,
    streams: Mapping[str, StreamConfig] | None = None,
    limits: StreamLimits | None = None,
) -> StreamConfig | JSError:
    """nats-server's checkStreamCfg: the config with defaults filled in, or the first error.

    `streams` are the account's other streams (name -> stored config); mirrors and sources look up
    their origin there (max_msg_size, mirror_direct, cycles). The input is not modified.
    """
    ctx = _Ctx(copy.deepcopy(cfg), pedantic, streams or {}, limits or StreamLimits())
    err = _check_identity(ctx.cfg) or _default_limits(ctx) or _default_duplicates(ctx)
    err = err or _check_counter_and_discard(ctx.cfg) or _check_markers_and_schedules(ctx)
    err = err or check_origins(ctx.cfg, ctx.pedantic, ctx.streams) or _check_cycles(ctx)
    err = err or _check_subjects(ctx.cfg) or _check_account_limits(ctx) or _check_transforms(ctx)
    err = err or _check_placement(ctx.cfg)
    if err is not None:
        return err
    set_static_metadata(ctx.cfg)
    return ctx.cfg


def _go_duration(ns: int) -> str:
    """time.Duration.String() for the whole-unit values a server limit takes."""
    if ns % _SECOND:
        return f"{ns / 1_000_000:g}ms"
    seconds = ns // _SECOND
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes}m{secs}s"
    return f"{minutes}m{secs}s" if minutes else f"{secs}s"


# -- create and update --------------------------------------------------------------------------


def subjects_overlap(cfg: StreamConfig, streams: Mapping[str, StreamConfig]) -> bool:
    """Do `cfg`'s subjects collide with any other stream's (10065)?"""
    mine = cfg.subjects or []
    for name, other in streams.items():
        if name == cfg.name:
            continue
        if any(subjects_collide(a, b) for a in mine for b in other.subjects or []):
            return True
    return False


def same_stream_config(existing: StreamConfig, candidate: StreamConfig) -> bool:
    """Is a repeated create identical to the stored config (after defaults)? Otherwise 10058."""
    return existing == candidate


def check_stream_create(
    subject_name: str,
    cfg: StreamConfig,
    *,
    pedantic: bool = False,
    streams: Mapping[str, StreamConfig] | None = None,
    limits: StreamLimits | None = None,
    clustered: bool = False,
) -> StreamConfig | JSError:
    """STREAM.CREATE.<subject_name>: the config to store, or the first error nats-server gives.

    When a stream of that name exists with the same config, that stored config is returned (the
    create is idempotent); the caller tells the two apart by looking the name up itself.
    """
    streams = streams or {}
    if cfg.name != subject_name:
        return js_error("JSStreamMismatchErr")
    if "/" in subject_name or "\\" in subject_name:
        return js_error("JSStreamNameContainsPathSeparatorsErr")
    if cfg.sealed:
        return _invalid("stream configuration for create can not be sealed")
    if cfg.mirror_direct and cfg.mirror is None:
        return _invalid("stream has no mirror but does have mirror direct")
    out = check_stream_config(cfg, pedantic=pedantic, streams=streams, limits=limits)
    if isinstance(out, JSError):
        return out
    if not clustered and out.num_replicas > 1:
        return js_error("JSStreamReplicasNotSupportedErr")
    existing = streams.get(out.name)
    if existing is not None:
        return existing if same_stream_config(existing, out) else js_error("JSStreamNameExistErr")
    if subjects_overlap(out, streams):
        return js_error("JSStreamSubjectOverlapErr")
    return out


def _update_rules(old: StreamConfig, cfg: StreamConfig, clustered: bool) -> JSError | None:
    if cfg.name != old.name:
        return _invalid("stream configuration name must match original")
    if not clustered and cfg.num_replicas > 1:
        return js_error("JSStreamReplicasNotSupportedErr")
    if cfg.storage != old.storage:
        return _invalid("stream configuration update can not change storage type")
    if cfg.retention != old.retention and "workqueue" in (cfg.retention, old.retention):
        return _invalid("stream configuration update can not change retention policy to/from workqueue")
    if old.sealed and not cfg.sealed:
        return _invalid("stream configuration update can not unseal a sealed stream")
    if old.deny_delete and not cfg.deny_delete:
        return _invalid("stream configuration update can not cancel deny message deletes")
    if old.deny_purge and not cfg.deny_purge:
        return _invalid("stream configuration update can not cancel deny purge")
    if cfg.mirror is not None and cfg.mirror != old.mirror:
        return js_error("JSStreamMirrorNotUpdatableErr")
    err = _check_discard_new_per(cfg)
    if err is not None:
        return err
    if old.allow_msg_ttl and not cfg.allow_msg_ttl:
        return _invalid("message TTL status can not be disabled")
    if cfg.allow_msg_counter != old.allow_msg_counter:
        return _invalid("stream configuration update can not change message counter setting")
    if old.allow_msg_schedules and not cfg.allow_msg_schedules:
        return _invalid("message schedules can not be disabled")
    if old.persist_mode != cfg.persist_mode:
        return _invalid("stream configuration update can not change persist mode")
    return None


def check_stream_update(
    old: StreamConfig | None,
    new: StreamConfig,
    *,
    subject_name: str | None = None,
    pedantic: bool = False,
    streams: Mapping[str, StreamConfig] | None = None,
    limits: StreamLimits | None = None,
    clustered: bool = False,
) -> StreamConfig | JSError:
    """STREAM.UPDATE: the config to store, or the first error nats-server gives.

    `old` is the stored config (None when the stream does not exist: 10059, reported after the new
    config itself was checked). `subject_name` is the name from the request subject, if any.
    """
    streams = streams or {}
    cfg = check_stream_config(new, pedantic=pedantic, streams=streams, limits=limits)
    if isinstance(cfg, JSError):
        return cfg
    if subject_name is not None and cfg.name != subject_name:
        return js_error("JSStreamMismatchErr")
    if old is None:
        return js_error("JSStreamNotFoundErr")
    err = _update_rules(old, cfg, clustered)
    if err is not None:
        return err
    if cfg.sealed:
        # Sealing pins these, as nats-server does, even in pedantic mode.
        cfg.max_age, cfg.discard = 0, "new"
        cfg.deny_delete, cfg.deny_purge, cfg.allow_rollup_hdrs = True, True, False
    if subjects_overlap(cfg, streams):
        return js_error("JSStreamSubjectOverlapErr")
    return cfg
