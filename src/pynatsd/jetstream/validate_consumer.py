# Consumer configuration rules: the create subject forms, defaults, validation, and what an update
# may change.
#
# Why: clients branch on the exact error a consumer create returns, and compare the config they get
# back with the one they sent. nats-server 2.15 checks a create in a fixed order, and the first error
# found is the one reported, so these functions keep that order:
#   1. the request itself (jsConsumerCreate): stream name in subject vs body (10056), path
#      separators in a subject name (10127), the durable forms (10018, 10017, 10020), the filter
#      embedded in `CONSUMER.CREATE.<stream>.<name>.<filter>` (10137, 10131);
#   2. the defaults (setConsumerConfigDefaults), whose pedantic mode refuses instead of fixing;
#   3. checkConsumerCfg: names, replicas, ack and replay, backoff, push/pull rules, server, account
#      and stream limits, filters, start position, sampling, flow control, metadata, priority groups;
#   4. against the stream's consumers (addConsumerWithAssignment): create vs update actions, update
#      rules (checkNewConsumerConfig), max consumers, then workqueue rules.
# They are pure: the caller passes the stream config and its consumers' configs, and gets a
# ConsumerConfig to store or a JSError.
#
# Metadata: `_nats.req.level` (the API level the config needs) is stored with the config; the
# responses of CREATE/INFO add `_nats.ver` and `_nats.level` (with_consumer_metadata).
from __future__ import annotations

import re
import secrets
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

import msgspec

from pynatsd.jetstream.errors import JSError, js_error
from pynatsd.jetstream.jsonutil import parse_go_time
from pynatsd.jetstream.types_consumer import ConsumerConfig, CreateConsumerRequest
from pynatsd.jetstream.types_stream import StreamConfig
from pynatsd.jetstream.validate import (
    API_LEVEL,
    MAX_DESCRIPTION_LEN,
    MAX_METADATA_LEN,
    MAX_NAME_LEN,
    SERVER_VERSION,
    is_valid_name,
)
from pynatsd.jetstream.validate_subjects import (
    BAD_SUBJECT,
    is_literal,
    is_valid_subject,
    subject_is_subset_match,
)

__all__ = [
    "ACK_WAIT_DEFAULT",
    "DEFAULT_MAX_ACK_PENDING",
    "INACTIVE_THRESHOLD_DEFAULT",
    "MAX_WAITING_DEFAULT",
    "PINNED_TTL_DEFAULT",
    "ConsumerLimits",
    "CreateTarget",
    "check_against_stream",
    "check_consumer_config",
    "check_consumer_update",
    "check_create_request",
    "consumer_required_level",
    "create_target",
    "new_consumer_name",
    "set_consumer_defaults",
    "set_consumer_static_metadata",
    "with_consumer_metadata",
]

_SECOND: Final = 1_000_000_000
ACK_WAIT_DEFAULT: Final = 30 * _SECOND
INACTIVE_THRESHOLD_DEFAULT: Final = 5 * _SECOND
PINNED_TTL_DEFAULT: Final = 120 * _SECOND
DEFAULT_MAX_ACK_PENDING: Final = 1000
MAX_WAITING_DEFAULT: Final = 512
_FLOW_ACK_HEARTBEAT: Final = _SECOND
_MIN_HEARTBEAT: Final = 100_000_000
_MIN_EXPIRES: Final = 1_000_000
_GROUP_NAME: Final = re.compile(r"[a-zA-Z0-9/_=-]{1,16}")
_NAME_CHARS: Final = string.ascii_letters + string.digits
_REQ_LEVEL_KEY: Final = "_nats.req.level"
_DYNAMIC_KEYS: Final = ("_nats.ver", "_nats.level")


@dataclass(frozen=True, slots=True)
class ConsumerLimits:
    """Server (`jetstream { limits {} }`) and account limits consulted on create (0 = none)."""

    max_ack_pending: int = 0
    max_request_batch: int = 0
    account_max_ack_pending: int = 0
    account_max_consumers: int = 0


@dataclass(frozen=True, slots=True)
class CreateTarget:
    """What a create subject names: `form` is "ephemeral" (CREATE.<stream>), "durable"
    (DURABLE.CREATE.<stream>.<durable>) or "named" (CREATE.<stream>.<name>[.<filter>])."""

    form: str
    stream: str
    name: str = ""
    filter: str = ""


def create_target(durable_verb: bool, args: list[str]) -> CreateTarget | None:
    """The create subject's parts after the verb, or None when it gets no reply at all."""
    if durable_verb:
        return CreateTarget("durable", args[0], args[1]) if len(args) == 2 else None
    if len(args) == 1:
        return CreateTarget("ephemeral", args[0])
    if len(args) >= 2:
        return CreateTarget("named", args[0], args[1], ".".join(args[2:]))
    return None


def _invalid(text: str) -> JSError:
    return js_error("JSStreamInvalidConfigF", err=text)


def _pedantic(text: str) -> JSError:
    return js_error("JSPedanticErrF", err=text)


# -- the request --------------------------------------------------------------------------------


def check_create_request(req: CreateConsumerRequest, target: CreateTarget) -> JSError | None:
    """The API handler's own checks; on success the config carries the subject's name (in place)."""
    cfg = target_cfg = req.config
    if req.stream_name != target.stream:
        return js_error("JSStreamMismatchErr")
    if target.name and ("/" in target.name or "\\" in target.name):
        return js_error("JSConsumerNameContainsPathSeparatorsErr")
    if target.form == "durable":
        if not cfg.durable_name:
            return js_error("JSConsumerDurableNameNotSetErr")
        if cfg.durable_name != target.name:
            return js_error("JSConsumerDurableNameNotMatchSubjectErr")
        target_cfg.name = target.name
    elif target.form == "named":
        if cfg.durable_name and cfg.durable_name != target.name:
            return js_error("JSConsumerDurableNameNotMatchSubjectErr")
        target_cfg.name = target.name
        if target.filter:
            if cfg.filter_subjects:
                return js_error("JSConsumerMultipleFiltersNotAllowed")
            if cfg.filter_subject != target.filter:
                return js_error("JSConsumerCreateFilterSubjectMismatchErr")
    elif cfg.durable_name:
        return js_error("JSConsumerEphemeralWithDurableNameErr")
    return None


# -- defaults -----------------------------------------------------------------------------------


def _clamp_negative(cfg: ConsumerConfig, pedantic: bool) -> JSError | None:
    if cfg.max_deliver == 0 or cfg.max_deliver < -1:
        if pedantic and cfg.max_deliver < -1:
            return _pedantic("max_deliver must be set to -1")
        cfg.max_deliver = -1
    if cfg.max_waiting < 0:
        if pedantic:
            return _pedantic("max_waiting must not be negative")
        cfg.max_waiting = 0
    if cfg.max_ack_pending < -1:
        if pedantic:
            return _pedantic("max_ack_pending must be set to -1")
        cfg.max_ack_pending = -1
    for field in (
        "max_batch",
        "max_expires",
        "max_bytes",
        "idle_heartbeat",
        "inactive_threshold",
        "priority_timeout",
    ):
        if getattr(cfg, field) < 0:
            if pedantic:
                return _pedantic(f"{field} must not be negative")
            setattr(cfg, field, 0)
    return None


def _ack_pending_default(limits: ConsumerLimits) -> int:
    pending = DEFAULT_MAX_ACK_PENDING
    if 0 < limits.max_ack_pending < pending:
        pending = limits.max_ack_pending
    if 0 < limits.account_max_ack_pending < pending:
        pending = limits.account_max_ack_pending
    return pending


def set_consumer_defaults(
    cfg: ConsumerConfig, stream: StreamConfig, *, pedantic: bool = False, limits: ConsumerLimits | None = None
) -> JSError | None:
    """setConsumerConfigDefaults, in place; pedantic mode refuses what it would otherwise fix."""
    lim = limits or ConsumerLimits()
    err = _clamp_negative(cfg, pedantic)
    if err is not None:
        return err
    if not cfg.deliver_subject and cfg.max_waiting == 0:
        cfg.max_waiting = MAX_WAITING_DEFAULT
    if cfg.ack_wait == 0 and cfg.ack_policy in ("explicit", "all"):
        cfg.ack_wait = ACK_WAIT_DEFAULT
    if cfg.backoff:
        if pedantic and cfg.ack_wait != cfg.backoff[0]:
            return _pedantic("first backoff value has to equal batch AckWait")
        cfg.ack_wait = cfg.backoff[0]
    climits = stream.consumer_limits
    if cfg.max_ack_pending == 0:
        if pedantic and climits.max_ack_pending > 0:
            return _pedantic("max_ack_pending must be set if it's configured in stream limits")
        cfg.max_ack_pending = climits.max_ack_pending
    if cfg.inactive_threshold == 0:
        if pedantic and climits.inactive_threshold > 0:
            return _pedantic("inactive_threshold must be set if it's configured in stream limits")
        cfg.inactive_threshold = climits.inactive_threshold
    if cfg.max_ack_pending == 0 and cfg.ack_policy != "none":
        cfg.max_ack_pending = _ack_pending_default(lim)
    if not cfg.deliver_subject and cfg.max_batch == 0 and lim.max_request_batch > 0:
        if pedantic:
            return _pedantic("max_request_batch must be set if it's JetStream limits are set")
        cfg.max_batch = lim.max_request_batch
    if cfg.priority_policy == "pinned_client" and cfg.priority_timeout == 0:
        cfg.priority_timeout = PINNED_TTL_DEFAULT
    if cfg.ack_policy == "flow_control" and not pedantic:
        cfg.flow_control = True
        cfg.idle_heartbeat = _FLOW_ACK_HEARTBEAT
    return None


# -- checkConsumerCfg ---------------------------------------------------------------------------


def _check_names_and_replicas(cfg: ConsumerConfig, stream: StreamConfig) -> JSError | None:
    if cfg.name and not is_valid_name(cfg.name):
        return _invalid("consumer name can not contain '.', '*', '>', '\\', '/'")
    if cfg.durable_name and not is_valid_name(cfg.durable_name):
        return _invalid("consumer durable name can not contain '.', '*', '>', '\\', '/'")
    if cfg.num_replicas > 0 and cfg.num_replicas > stream.num_replicas:
        return js_error("JSConsumerReplicasExceedsStream")
    if cfg.num_replicas < 0:
        return js_error("JSReplicasCountCannotBeNegative")
    if stream.retention != "limits" and cfg.num_replicas not in (0, stream.num_replicas):
        return js_error("JSConsumerReplicasShouldMatchStream")
    return None


def _check_acks(cfg: ConsumerConfig) -> JSError | None:
    if any(b < 0 for b in cfg.backoff or ()):
        return js_error("JSConsumerBackOffNegativeErr")
    if cfg.ack_wait < 0:
        return js_error("JSConsumerAckWaitNegativeErr")
    if cfg.ack_policy == "flow_control":
        if not cfg.deliver_subject:
            return js_error("JSConsumerAckFCRequiresPushErr")
        if not cfg.flow_control:
            return js_error("JSConsumerAckFCRequiresFCErr")
        if cfg.idle_heartbeat != _FLOW_ACK_HEARTBEAT:
            return _invalid("flow control ack policy heartbeat needs to be 1s")
        if cfg.max_ack_pending <= 0:
            return js_error("JSConsumerAckFCRequiresMaxAckPendingErr")
        if cfg.ack_wait != 0 or cfg.backoff:
            return js_error("JSConsumerAckFCRequiresNoAckWaitErr")
        if cfg.max_deliver > 0:
            return js_error("JSConsumerAckFCRequiresNoMaxDeliverErr")
    backoffs = len(cfg.backoff or ())
    if backoffs and cfg.max_deliver != -1 and backoffs > cfg.max_deliver:
        return js_error("JSConsumerMaxDeliverBackoffErr")
    if len(cfg.description.encode()) > MAX_DESCRIPTION_LEN:
        return js_error("JSConsumerDescriptionTooLongErrF", max=MAX_DESCRIPTION_LEN)
    return None


def _delivery_forms_cycle(stream: StreamConfig, deliver: str) -> bool:
    return any(subject_is_subset_match(deliver, s) for s in stream.subjects or ())


def _check_push(cfg: ConsumerConfig, stream: StreamConfig) -> JSError | None:
    if not is_literal(cfg.deliver_subject):
        return js_error("JSConsumerDeliverToWildcardsErr")
    if not is_valid_subject(cfg.deliver_subject):
        return js_error("JSConsumerInvalidDeliverSubject")
    if _delivery_forms_cycle(stream, cfg.deliver_subject):
        return js_error("JSConsumerDeliverCycleErr")
    if cfg.max_waiting != 0:
        return js_error("JSConsumerPushMaxWaitingErr")
    if cfg.max_ack_pending > 0 and cfg.ack_policy == "none":
        return js_error("JSConsumerMaxPendingAckPolicyRequiredErr")
    if 0 < cfg.idle_heartbeat < _MIN_HEARTBEAT:
        return js_error("JSConsumerSmallHeartbeatErr")
    return None


def _check_pull(cfg: ConsumerConfig, stream: StreamConfig, lim: ConsumerLimits) -> JSError | None:
    if cfg.ack_policy == "none" and stream.retention == "workqueue":
        return js_error("JSConsumerPullRequiresAckErr")
    if cfg.rate_limit_bps > 0:
        return js_error("JSConsumerPullWithRateLimitErr")
    if cfg.max_waiting < 0:
        return js_error("JSConsumerMaxWaitingNegativeErr")
    if cfg.idle_heartbeat > 0:
        return js_error("JSConsumerHBRequiresPushErr")
    if cfg.flow_control:
        return js_error("JSConsumerFCRequiresPushErr")
    if cfg.max_batch < 0:
        return js_error("JSConsumerMaxRequestBatchNegativeErr")
    if cfg.max_expires != 0 and cfg.max_expires < _MIN_EXPIRES:
        return js_error("JSConsumerMaxRequestExpiresTooSmall")
    if lim.max_request_batch > 0 and cfg.max_batch > lim.max_request_batch:
        return js_error("JSConsumerMaxRequestBatchExceededF", limit=lim.max_request_batch)
    return None


def _check_limits(cfg: ConsumerConfig, stream: StreamConfig, lim: ConsumerLimits) -> JSError | None:
    for limit in (lim.max_ack_pending, lim.account_max_ack_pending, stream.consumer_limits.max_ack_pending):
        if limit > 0 and cfg.max_ack_pending > limit:
            return js_error("JSConsumerMaxPendingAckExcessErrF", limit=limit)
    threshold = stream.consumer_limits.inactive_threshold
    if threshold > 0 and cfg.inactive_threshold > threshold:
        return js_error("JSConsumerInactiveThresholdExcess", limit=_go_duration(threshold))
    if cfg.direct:
        if not cfg.deliver_subject:
            return js_error("JSConsumerDirectRequiresPushErr")
        if cfg.durable_name:
            return js_error("JSConsumerDirectRequiresEphemeralErr")
    return None


def _check_filters(cfg: ConsumerConfig) -> JSError | None:
    if cfg.filter_subject and cfg.filter_subjects:
        return js_error("JSConsumerDuplicateFilterSubjects")
    if cfg.filter_subject and not is_valid_subject(cfg.filter_subject):
        return _invalid(BAD_SUBJECT)
    if any(not f for f in cfg.filter_subjects or ()):
        return js_error("JSConsumerEmptyFilter")
    filters = filters_of(cfg)
    for i, subject in enumerate(filters):
        if not is_valid_subject(subject):
            return _invalid(BAD_SUBJECT)
        if any(j != i and subject_is_subset_match(subject, other) for j, other in enumerate(filters)):
            return js_error("JSConsumerOverlappingSubjectFilters")
    return None


_BAD_START: Final = "consumer delivery policy is deliver {}, but optional start {} is also set"
_NOT_SET: Final = "consumer delivery policy is deliver {}, but optional {} is not set"


def _check_start(cfg: ConsumerConfig) -> JSError | None:
    policy, seq, start = cfg.deliver_policy, cfg.opt_start_seq, cfg.opt_start_time is not None
    text = ""
    if policy in ("all", "last", "new", "last_per_subject"):
        label = "last per subject" if policy == "last_per_subject" else policy
        if seq > 0:
            text = _BAD_START.format(label, "sequence")
        elif start:
            text = _BAD_START.format(label, "time")
        elif policy == "last_per_subject" and not filters_of(cfg):
            text = _NOT_SET.format(label, "filter subject")
    elif policy == "by_start_sequence":
        if seq == 0:
            text = _NOT_SET.format("by start sequence", "start sequence")
        elif start:
            text = _BAD_START.format("by start sequence", "time")
    elif not start:
        text = _NOT_SET.format("by start time", "start time")
    elif seq != 0:
        text = _BAD_START.format("by start time", "start sequence")
    return js_error("JSConsumerInvalidPolicyErrF", err=text) if text else None


def _sampling_error(freq: str) -> JSError | None:
    if not freq:
        return None
    text = freq.removesuffix("%")
    digits = text[1:] if text[:1] in "+-" else text
    if digits and digits.isascii() and digits.isdigit():
        if int(text) >= 0:
            return None
        return js_error("JSConsumerInvalidSamplingErrF", err="<nil>")
    return js_error("JSConsumerInvalidSamplingErrF", err=f'strconv.Atoi: parsing "{text}": invalid syntax')


def _check_rest(cfg: ConsumerConfig, stream: StreamConfig) -> JSError | None:
    err = _sampling_error(cfg.sample_freq)
    if err is not None:
        return err
    if cfg.flow_control and cfg.idle_heartbeat == 0:
        return js_error("JSConsumerWithFlowControlNeedsHeartbeats")
    if cfg.durable_name and cfg.name and cfg.name != cfg.durable_name:
        return js_error("JSConsumerCreateDurableAndNameMismatch")
    if sum(len(k.encode()) + len(v.encode()) for k, v in (cfg.metadata or {}).items()) > MAX_METADATA_LEN:
        return js_error("JSConsumerMetadataLengthErrF", limit=f"{MAX_METADATA_LEN // 1024}KB")
    if cfg.priority_policy != "none":
        if cfg.deliver_subject:
            return js_error("JSConsumerPushWithPriorityGroupErr")
        if not cfg.priority_groups:
            return js_error("JSConsumerPriorityPolicyWithoutGroup")
        for group in cfg.priority_groups:
            if not group:
                return js_error("JSConsumerEmptyGroupName")
            if not _GROUP_NAME.fullmatch(group):
                return js_error("JSConsumerInvalidGroupNameErr")
    elif cfg.priority_groups:
        return js_error("JSConsumerPriorityGroupWithPolicyNone")
    elif cfg.priority_timeout > 0:
        return js_error("JSConsumerPinnedTTLWithoutPriorityPolicyNone")
    if stream.placement is not None and stream.placement.preferred:
        return _invalid("preferred server not permitted in placement")
    return None


def check_consumer_config(
    cfg: ConsumerConfig, stream: StreamConfig, limits: ConsumerLimits | None = None
) -> JSError | None:
    """checkConsumerCfg on a defaulted config, in nats-server's order."""
    lim = limits or ConsumerLimits()
    err = _check_names_and_replicas(cfg, stream) or _check_acks(cfg)
    if err is None:
        err = _check_push(cfg, stream) if cfg.deliver_subject else _check_pull(cfg, stream, lim)
    return (
        err
        or _check_limits(cfg, stream, lim)
        or _check_filters(cfg)
        or _check_start(cfg)
        or _check_rest(cfg, stream)
    )


def filters_of(cfg: ConsumerConfig) -> list[str]:
    """The consumer's subject filters, from either field."""
    if cfg.filter_subject:
        return [cfg.filter_subject]
    return list(cfg.filter_subjects or ())


def _go_duration(ns: int) -> str:
    """Go's time.Duration String() (1h2m3.5s, 1.5s, 250ms...)."""
    if ns == 0:
        return "0s"
    if ns < _SECOND:
        for unit, size in (("ms", 1_000_000), ("µs", 1_000), ("ns", 1)):
            if ns >= size or size == 1:
                whole, part = divmod(ns, size)
                frac = f".{part:0{len(str(size)) - 1}d}".rstrip("0") if part else ""
                return f"{whole}{frac}{unit}"
    seconds, rem = divmod(ns, _SECOND)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    text = f"{seconds}" + (f".{rem:09d}".rstrip("0") if rem else "") + "s"
    if hours or minutes:
        text = f"{minutes}m{text}"
    return f"{hours}h{text}" if hours else text


# -- updates and the stream's other consumers --------------------------------------------------


def check_consumer_update(old: ConsumerConfig, new: ConsumerConfig, *, bound: bool = False) -> JSError | None:
    """checkNewConsumerConfig: what an existing consumer may not change (10012); `bound` says that
    the old deliver subject has subscribers, so a push consumer may not move (10013)."""
    if old == new:
        return None
    pairs = (
        ("deliver_policy", "deliver policy can not be updated"),
        ("opt_start_seq", "start sequence can not be updated"),
        ("opt_start_time", "start time can not be updated"),
        ("ack_policy", "ack policy can not be updated"),
        ("replay_policy", "replay policy can not be updated"),
        ("idle_heartbeat", "heart beats can not be updated"),
        ("flow_control", "flow control can not be updated"),
    )
    for field, text in pairs:
        if _differs(field, getattr(old, field), getattr(new, field)):
            return _cannot(text)
    if old.deliver_subject != new.deliver_subject:
        if not old.deliver_subject:
            return _cannot("can not update pull consumer to push based")
        if not new.deliver_subject:
            return _cannot("can not update push consumer to pull based")
        if bound:
            return js_error("JSConsumerNameExistErr")
    if old.max_waiting != new.max_waiting:
        return _cannot("max waiting can not be updated")
    if old.mem_storage != new.mem_storage:
        return _cannot("storage type can not be updated")
    return None


def _cannot(text: str) -> JSError:
    return js_error("JSConsumerCreateErrF", err=text)


def _differs(field: str, old: object, new: object) -> bool:
    if field == "opt_start_time" and isinstance(old, str) and isinstance(new, str):
        return parse_go_time(old).unix_ns != parse_go_time(new).unix_ns
    return old != new


def _same_create(old: ConsumerConfig, new: ConsumerConfig) -> bool:
    return msgspec.structs.replace(old, metadata=new.metadata) == new


def _partition_unique(name: str, filters: list[str], others: Mapping[str, ConsumerConfig]) -> bool:
    for other_name, other in others.items():
        if other_name == name:
            continue
        theirs = filters_of(other)
        if not theirs:
            return False
        for mine in filters:
            if any(subject_is_subset_match(mine, t) or subject_is_subset_match(t, mine) for t in theirs):
                return False
    return True


def check_against_stream(
    cfg: ConsumerConfig,
    action: str,
    stream: StreamConfig,
    consumers: Mapping[str, ConsumerConfig],
    limits: ConsumerLimits | None = None,
    *,
    bound: Callable[[str], bool] | None = None,
) -> JSError | None:
    """The create/update checks that need the stream's other consumers, after check_consumer_config.

    `bound(subject)` says whether a deliver subject has subscribers."""
    lim = limits or ConsumerLimits()
    name = cfg.durable_name or cfg.name
    existing = consumers.get(name) if name else None
    if existing is not None:
        if action == "create" and not _same_create(existing, cfg):
            return js_error("JSConsumerAlreadyExists")
        if stream.retention == "workqueue" and not _partition_unique(name, filters_of(cfg), consumers):
            return js_error("JSConsumerWQConsumerNotUniqueErr")
        if not existing.durable_name and cfg.inactive_threshold == 0:
            cfg.inactive_threshold = INACTIVE_THRESHOLD_DEFAULT
        moved = bool(existing.deliver_subject) and existing.deliver_subject != cfg.deliver_subject
        in_use = moved and bound is not None and bound(existing.deliver_subject)
        return check_consumer_update(existing, cfg, bound=in_use)
    if action == "update":
        return js_error("JSConsumerDoesNotExist")
    most = stream.max_consumers
    if most <= 0 or 0 < lim.account_max_consumers < most:
        most = lim.account_max_consumers
    if most > 0 and len(consumers) >= most:
        return js_error("JSMaximumConsumersLimitErr")
    if stream.retention == "workqueue" and not cfg.direct and not cfg.sourcing:
        if cfg.ack_policy not in ("explicit", "flow_control"):
            return js_error("JSConsumerWQRequiresExplicitAckErr")
        if cfg.deliver_policy != "all":
            return js_error("JSConsumerWQConsumerNotDeliverAllErr")
        if consumers:
            filters = filters_of(cfg)
            if not filters:
                return js_error("JSConsumerWQMultipleUnfilteredErr")
            if not _partition_unique(name, filters, consumers):
                return js_error("JSConsumerWQConsumerNotUniqueErr")
    if cfg.durable_name and len(cfg.durable_name.encode()) > MAX_NAME_LEN + 1:
        return js_error("JSConsumerNameTooLongErrF", max=MAX_NAME_LEN + 1)
    if len(name.encode()) > MAX_NAME_LEN and stream.storage == "file" and not cfg.mem_storage:
        return _cannot("error creating store for consumer")
    if not cfg.durable_name and cfg.inactive_threshold == 0:
        cfg.inactive_threshold = INACTIVE_THRESHOLD_DEFAULT
    return None


def new_consumer_name(taken: Mapping[str, object]) -> str:
    """A random 8-character ephemeral name not yet used on the stream."""
    while True:
        name = "".join(secrets.choice(_NAME_CHARS) for _ in range(8))
        if name not in taken:
            return name


# -- metadata -----------------------------------------------------------------------------------


def consumer_required_level(cfg: ConsumerConfig) -> int:
    """The JetStream API level a consumer config needs (stored as `_nats.req.level`)."""
    level = 0
    if cfg.pause_until is not None:
        level = 1
    if cfg.priority_policy != "none" or cfg.priority_timeout != 0 or cfg.priority_groups:
        level = 1
    if cfg.ack_policy == "flow_control":
        level = 4
    return level


def set_consumer_static_metadata(cfg: ConsumerConfig) -> None:
    """Drop the response-only keys and store `_nats.req.level` (in place)."""
    meta = dict(cfg.metadata or {})
    for key in _DYNAMIC_KEYS:
        meta.pop(key, None)
    meta[_REQ_LEVEL_KEY] = str(consumer_required_level(cfg))
    cfg.metadata = meta


def with_consumer_metadata(cfg: ConsumerConfig) -> ConsumerConfig:
    """A copy for CREATE/INFO responses, with `_nats.ver` and `_nats.level` added."""
    meta = dict(cfg.metadata or {})
    meta["_nats.ver"] = SERVER_VERSION
    meta["_nats.level"] = str(API_LEVEL)
    return msgspec.structs.replace(cfg, metadata=meta)
