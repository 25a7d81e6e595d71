# JetStream advisories: the JSON events nats-server publishes in the account on
# `$JS.EVENT.ADVISORY.>` so that tools can follow what happens to streams and to the API.
#
# Shapes (checked against nats-server 2.15.1):
#   $JS.EVENT.ADVISORY.STREAM.CREATED|UPDATED|DELETED.<stream>
#     {"type":"io.nats.jetstream.advisory.v1.stream_action","id":"<nuid>","timestamp":"<RFC3339Nano>",
#      "stream":"S","action":"create"|"modify"|"delete"}           (+ "template", "domain" when set)
#   $JS.EVENT.ADVISORY.API
#     {"type":"io.nats.jetstream.advisory.v1.api_audit","id":...,"timestamp":...,"server":"<name>",
#      "client":{...},"subject":"$JS.API...","request":"<body>","response":"<body>"}
#   $JS.EVENT.ADVISORY.CONSUMER.CREATED|DELETED.<stream>.<consumer>       consumer_action
#   $JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.<stream>.<consumer>         max_deliver
#     {...,"stream","consumer","stream_seq","deliveries"}
#   $JS.EVENT.ADVISORY.CONSUMER.MSG_NAKED|MSG_TERMINATED.<stream>.<consumer>  nak / terminated
#     {...,"stream","consumer","consumer_seq","stream_seq","deliveries"[,"reason"]}
# An advisory nobody listens to is not even encoded: each function first asks the account's
# sublist whether the subject has a subscriber.
from __future__ import annotations

import asyncio
import secrets
import time
from typing import TYPE_CHECKING, Annotated, ClassVar, Final

from pynatsd.core.internal import publish_internal
from pynatsd.jetstream.jsonutil import Duration, GoTimeNs, GoTimeText, Omit, Uint64, encode, format_go_time
from pynatsd.jetstream.types_stream import GoStruct

if TYPE_CHECKING:
    from pynatsd.core.accounts import Account
    from pynatsd.jetstream.engine import JSAccount

__all__ = [
    "API_AUDIT_SUBJECT",
    "ClientInfo",
    "Nuid",
    "api_audit",
    "consumer_action",
    "consumer_event",
    "consumer_pause",
    "stream_action",
]

ADVISORY_PREFIX: Final = "io.nats.jetstream.advisory.v1."
API_AUDIT_SUBJECT: Final = "$JS.EVENT.ADVISORY.API"
_STREAM_SUBJECTS: Final = {
    "create": "$JS.EVENT.ADVISORY.STREAM.CREATED.",
    "modify": "$JS.EVENT.ADVISORY.STREAM.UPDATED.",
    "delete": "$JS.EVENT.ADVISORY.STREAM.DELETED.",
}
_DIGITS: Final = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_PRE_LEN: Final = 12
_SEQ_LEN: Final = 10
_MAX_SEQ: Final = 62**_SEQ_LEN


class Nuid:
    """NATS unique ids: 22 base62 characters, a random prefix and a sequence with a random step."""

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self._pre = "".join(secrets.choice(_DIGITS) for _ in range(_PRE_LEN))
        self._seq = secrets.randbelow(_MAX_SEQ // 2)
        self._inc = 33 + secrets.randbelow(300)

    def next(self) -> str:
        self._seq += self._inc
        if self._seq >= _MAX_SEQ:
            self._reset()
        n = self._seq
        out = []
        for _ in range(_SEQ_LEN):
            n, r = divmod(n, 62)
            out.append(_DIGITS[r])
        return self._pre + "".join(reversed(out))


_nuid: Final = Nuid()


class StreamActionAdvisory(GoStruct):
    go_type: ClassVar[str] = "server.JSStreamActionAdvisory"

    type: str = ADVISORY_PREFIX + "stream_action"
    id: str = ""
    timestamp: GoTimeNs = 0
    stream: str = ""
    action: str = ""
    template: Annotated[str, Omit] = ""
    domain: Annotated[str, Omit] = ""


class ClientInfo(GoStruct):
    """The requesting client as an API audit names it (nats-server's ClientInfo, common fields)."""

    go_type: ClassVar[str] = "server.ClientInfo"

    start: Annotated[GoTimeText | None, Omit] = None
    host: Annotated[str, Omit] = ""
    id: Annotated[Uint64, Omit] = 0
    acc: str = ""
    user: Annotated[str, Omit] = ""
    name: Annotated[str, Omit] = ""
    lang: Annotated[str, Omit] = ""
    ver: Annotated[str, Omit] = ""
    rtt: Annotated[Duration, Omit] = 0
    server: Annotated[str, Omit] = ""
    kind: Annotated[str, Omit] = ""
    client_type: Annotated[str, Omit] = ""


class APIAudit(GoStruct):
    go_type: ClassVar[str] = "server.JSAPIAudit"

    type: str = ADVISORY_PREFIX + "api_audit"
    id: str = ""
    timestamp: GoTimeNs = 0
    server: str = ""
    client: ClientInfo | None = None
    subject: str = ""
    request: Annotated[str, Omit] = ""
    response: str = ""
    domain: Annotated[str, Omit] = ""


def _wanted(account: Account, subject: str) -> bytes | None:
    """The subject as bytes when someone subscribes to it, else None."""
    raw = subject.encode()
    return raw if account.sublist.has_interest(raw) else None


def stream_action(jsa: JSAccount, stream: str, action: str) -> None:
    """Announce that `stream` was created ("create"), updated ("modify") or deleted ("delete").

    Sent on the next loop pass, as nats-server queues its advisories: the API response is built
    first, so a stream that captures advisories does not show its own in that response."""
    subject = _wanted(jsa.account, _STREAM_SUBJECTS[action] + stream)
    if subject is None:
        return
    adv = StreamActionAdvisory(
        id=_nuid.next(), timestamp=time.time_ns(), stream=stream, action=action, domain=jsa.domain
    )
    _send_soon(jsa.account, subject, encode(adv))


def _send_soon(account: Account, subject: bytes, body: bytes) -> None:
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        publish_internal(account, subject, b"", body)
        return
    loop.call_soon(publish_internal, account, subject, b"", body)


def api_audit(
    jsa: JSAccount, subject: str, request: bytes, response: bytes, client: ClientInfo | None = None
) -> None:
    """Audit one JetStream API call: its subject, request body and response body."""
    adv_subject = _wanted(jsa.account, API_AUDIT_SUBJECT)
    if adv_subject is None:
        return
    adv = APIAudit(
        id=_nuid.next(),
        timestamp=time.time_ns(),
        server=jsa.js.server.name,
        client=client,
        subject=subject,
        request=request.decode(errors="replace"),
        response=response.decode(errors="replace"),
        domain=jsa.domain,
    )
    _send_soon(jsa.account, adv_subject, encode(adv))


_CONSUMER_SUBJECTS: Final = {
    "create": "CREATED",
    "delete": "DELETED",
}


class ConsumerActionAdvisory(GoStruct):
    go_type: ClassVar[str] = "server.JSConsumerActionAdvisory"

    type: str = ADVISORY_PREFIX + "consumer_action"
    id: str = ""
    timestamp: GoTimeNs = 0
    stream: str = ""
    consumer: str = ""
    action: str = ""
    domain: Annotated[str, Omit] = ""


def consumer_action(jsa: JSAccount, stream: str, consumer: str, action: str) -> None:
    """Announce that a consumer was created ("create") or deleted ("delete")."""
    kind = _CONSUMER_SUBJECTS[action]
    subject = _wanted(jsa.account, f"$JS.EVENT.ADVISORY.CONSUMER.{kind}.{stream}.{consumer}")
    if subject is None:
        return
    adv = ConsumerActionAdvisory(
        id=_nuid.next(),
        timestamp=time.time_ns(),
        stream=stream,
        consumer=consumer,
        action=action,
        domain=jsa.domain,
    )
    _send_soon(jsa.account, subject, encode(adv))


# event -> (subject token, advisory type)
_EVENTS: Final = {
    "max_deliver": ("MAX_DELIVERIES", "max_deliver"),
    "nak": ("MSG_NAKED", "nak"),
    "term": ("MSG_TERMINATED", "terminated"),
}


def consumer_event(
    jsa: JSAccount,
    event: str,
    stream: str,
    consumer: str,
    sseq: int,
    deliveries: int,
    cseq: int = 0,
    reason: str = "",
) -> None:
    """A delivery event of one message: max deliveries reached, NAKed or terminated."""
    token, kind = _EVENTS[event]
    subject = _wanted(jsa.account, f"$JS.EVENT.ADVISORY.CONSUMER.{token}.{stream}.{consumer}")
    if subject is None:
        return
    body: dict[str, object] = {
        "type": ADVISORY_PREFIX + kind,
        "id": _nuid.next(),
        "timestamp": format_go_time(time.time_ns()),
        "stream": stream,
        "consumer": consumer,
    }
    if event != "max_deliver":
        body["consumer_seq"] = cseq
    body["stream_seq"] = sseq
    body["deliveries"] = deliveries
    if event == "term":
        body["reason"] = reason
    if jsa.domain:
        body["domain"] = jsa.domain
    _send_soon(jsa.account, subject, encode(body))


def consumer_pause(jsa: JSAccount, stream: str, consumer: str, until_ns: int) -> None:
    """A consumer was paused until `until_ns`, or resumed (0)."""
    subject = _wanted(jsa.account, f"$JS.EVENT.ADVISORY.CONSUMER.PAUSE.{stream}.{consumer}")
    if subject is None:
        return
    body: dict[str, object] = {
        "type": ADVISORY_PREFIX + "consumer_pause",
        "id": _nuid.next(),
        "timestamp": format_go_time(time.time_ns()),
        "stream": stream,
        "consumer": consumer,
        "paused": until_ns > 0,
        "pause_until": format_go_time(until_ns) if until_ns > 0 else "0001-01-01T00:00:00Z",
    }
    if jsa.domain:
        body["domain"] = jsa.domain
    _send_soon(jsa.account, subject, encode(body))
