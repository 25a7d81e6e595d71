# Subject, wildcard and queue-name validation, as nats-server applies it.
#
# A subject is `.`-separated non-empty tokens. `*` matches one token and `>` one or more, but only as
# whole tokens (`foo.b*` is literal). SUB checks full validity (no empty token, `>` last, no
# whitespace); PUB is checked only in pedantic mode, and then only for empty tokens and wildcards.
from __future__ import annotations

from typing import Final

__all__ = ["is_literal", "is_valid_literal_subject", "is_valid_subject", "subject_matches", "tokenize"]

PWC: Final = b"*"
FWC: Final = b">"
_WHITESPACE: Final = frozenset(b" \t\n\r\f")


def tokenize(subject: bytes) -> list[bytes]:
    return subject.split(b".")


def is_valid_subject(subject: bytes) -> bool:
    """Valid as a subscription subject: wildcards allowed, `>` only as the last token."""
    if not subject:
        return False
    saw_fwc = False
    for tok in subject.split(b"."):
        if not tok or saw_fwc:
            return False
        if len(tok) > 1:
            if not _WHITESPACE.isdisjoint(tok):
                return False
            continue
        c = tok[0]
        if c == 0x3E:  # '>'
            saw_fwc = True
        elif c in _WHITESPACE:
            return False
    return True


def is_valid_literal_subject(subject: bytes) -> bool:
    """The pedantic publish check: no empty tokens and no wildcard tokens."""
    for tok in subject.split(b"."):
        if not tok:
            return False
        if tok in (PWC, FWC):
            return False
    return True


def is_literal(subject: bytes) -> bool:
    """True when the subject has no wildcard token."""
    if b"*" not in subject and b">" not in subject:
        return True
    return all(tok != PWC and tok != FWC for tok in subject.split(b"."))


def subject_matches(filter_: bytes, subject: bytes) -> bool:
    """Does a (possibly wildcard) filter match a literal subject? Used off the hot path."""
    ftoks = filter_.split(b".")
    stoks = subject.split(b".")
    for i, ft in enumerate(ftoks):
        if ft == FWC:
            return len(stoks) > i
        if i >= len(stoks):
            return False
        if ft != PWC and ft != stoks[i]:
            return False
    return len(ftoks) == len(stoks)
