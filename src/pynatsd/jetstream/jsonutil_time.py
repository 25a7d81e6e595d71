# Go's time.Time in JSON: RFC3339Nano out, strict RFC3339 in.
#
# Why: JetStream responses carry times such as `"created":"2026-11-27T19:28:11.142319Z"` (UTC, the
# fraction with trailing zeros trimmed, no fraction at all on a whole second) and the zero time as
# `0001-01-01T00:00:00Z`. Python's isoformat() differs on every one of those points, and datetime only
# keeps microseconds, so times here are integers of nanoseconds since the Unix epoch, with 0 standing
# for Go's zero time (no real message is stamped exactly at the epoch).
#
# Times a client sends (a source's opt_start_time) are echoed back by nats-server in the offset they
# were given in, with the fraction trimmed: "2024-01-01T01:00:00.000+01:00" comes back as
# "2024-01-01T01:00:00+01:00". `parse_go_time` therefore returns the canonical text as well as the
# instant, and fails with the messages of Go's time.Parse for the RFC3339 layout.
from __future__ import annotations

import re
from typing import Final, NamedTuple

from pynatsd.jetstream.jsonutil_scan import go_quote

__all__ = ["ZERO_TIME", "GoTime", "format_go_time", "parse_go_time"]

ZERO_TIME: Final = "0001-01-01T00:00:00Z"
RFC3339_LAYOUT: Final = "2006-01-02T15:04:05Z07:00"
_NS: Final = 1_000_000_000
_FRACTION: Final = re.compile(r"[.,]([0-9]+)")


class GoTime(NamedTuple):
    """A parsed time: nanoseconds since the epoch, the offset in seconds, and Go's rendering of it."""

    unix_ns: int
    offset: int
    text: str


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 in the proleptic Gregorian calendar (any year, year 0 included)."""
    year -= month <= 2
    era = year // 400
    yoe = year - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _civil_from_days(days: int) -> tuple[int, int, int]:
    days += 719468
    era = days // 146097
    doe = days - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + (3 if mp < 10 else -9)
    return yoe + era * 400 + (month <= 2), month, day


def _days_in(year: int, month: int) -> int:
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _civil(seconds: int) -> tuple[int, int, int, int, int, int]:
    days, rem = divmod(seconds, 86400)
    year, month, day = _civil_from_days(days)
    return year, month, day, rem // 3600, rem % 3600 // 60, rem % 60


def _render(seconds: int, nanos: int, offset: int) -> str:
    year, month, day, hh, mm, ss = _civil(seconds + offset)
    text = f"{year:04d}-{month:02d}-{day:02d}T{hh:02d}:{mm:02d}:{ss:02d}"
    if nanos:
        text += "." + f"{nanos:09d}".rstrip("0")
    if offset == 0:
        return text + "Z"
    sign = "+" if offset > 0 else "-"
    minutes = abs(offset) // 60
    return f"{text}{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def format_go_time(unix_ns: int, offset: int = 0) -> str:
    """RFC3339Nano as Go prints it; `unix_ns == 0` is Go's zero time."""
    if unix_ns == 0 and offset == 0:
        return ZERO_TIME
    seconds, nanos = divmod(unix_ns, _NS)
    return _render(seconds, nanos, offset)


class _ParseError(ValueError):
    pass


def _cannot(value: str, rest: str, elem: str) -> _ParseError:
    return _ParseError(
        f"parsing time {_q(value)} as {_q(RFC3339_LAYOUT)}: cannot parse {_q(rest)} as {_q(elem)}"
    )


def _out_of_range(value: str, what: str) -> _ParseError:
    return _ParseError(f"parsing time {_q(value)}: {what} out of range")


def _q(text: str) -> str:
    return go_quote(text)


def _digits(value: str, rest: str, width: int, elem: str) -> tuple[int, str]:
    head = rest[:width]
    if len(head) < width or not head.isascii() or not head.isdigit():
        raise _cannot(value, rest, elem)
    return int(head), rest[width:]


def _literal(value: str, rest: str, lit: str) -> str:
    if not rest.startswith(lit):
        raise _cannot(value, rest, lit)
    return rest[len(lit) :]


def _zone(value: str, rest: str) -> tuple[int, str]:
    if rest.startswith("Z"):
        return 0, rest[1:]
    m = re.match(r"([+-])([0-9]{2}):([0-9]{2})", rest)
    if m is None:
        raise _cannot(value, rest, "Z07:00")
    hours, minutes = int(m.group(2)), int(m.group(3))
    if hours > 24:
        raise _out_of_range(value, "time zone offset hour")
    sign = -1 if m.group(1) == "-" else 1
    return sign * (hours * 3600 + minutes * 60), rest[m.end() :]


def _clock(value: str, rest: str) -> tuple[tuple[int, int, int, int], str]:
    # Go reads the hour ("15") with one or two digits, minutes and seconds with exactly two.
    width = 2 if rest[1:2].isdigit() and rest[1:2].isascii() else 1
    hour, rest = _digits(value, rest, width, "15")
    if hour > 23:
        raise _out_of_range(value, "hour")
    rest = _literal(value, rest, ":")
    minute, rest = _digits(value, rest, 2, "04")
    if minute > 59:
        raise _out_of_range(value, "minute")
    rest = _literal(value, rest, ":")
    second, rest = _digits(value, rest, 2, "05")
    if second > 59:
        raise _out_of_range(value, "second")
    nanos = 0
    m = _FRACTION.match(rest)
    if m is not None:
        nanos = int(m.group(1)[:9].ljust(9, "0"))
        rest = rest[m.end() :]
    return (hour, minute, second, nanos), rest


def parse_go_time(value: str) -> GoTime:
    """Parse an RFC3339 time the way Go's time.Time JSON decoding does; raise ValueError with Go's text."""
    year, rest = _digits(value, value, 4, "2006")
    rest = _literal(value, rest, "-")
    month, rest = _digits(value, rest, 2, "01")
    if not 1 <= month <= 12:
        raise _out_of_range(value, "month")
    rest = _literal(value, rest, "-")
    day, rest = _digits(value, rest, 2, "02")
    if not 1 <= day <= 31:
        raise _out_of_range(value, "day")
    rest = _literal(value, rest, "T")
    (hour, minute, second, nanos), rest = _clock(value, rest)
    offset, rest = _zone(value, rest)
    if rest:
        raise _ParseError(f"parsing time {_q(value)}: extra text: {_q(rest)}")
    if day > _days_in(year, month):
        raise _out_of_range(value, "day")
    local = _days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second
    seconds = local - offset
    return GoTime(seconds * _NS + nanos, offset, _render(seconds, nanos, offset))
