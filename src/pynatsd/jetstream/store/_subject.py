# Subject-filter matching for the store indexes, on str subjects.
#
# Filters are matched against the literal subjects a stream holds, many times per query, so the
# filter is split once (`Filter`) and each answer is cached per subject. The cache is bounded: when
# it grows past its limit it is simply dropped, which keeps it correct without bookkeeping.
from __future__ import annotations

from typing import Final

__all__ = ["Filter", "is_all", "is_literal"]

_CACHE_LIMIT: Final = 65_536


def is_all(subject_filter: str) -> bool:
    """ "" and ">" both select every subject."""
    return subject_filter == "" or subject_filter == ">"


def is_literal(subject_filter: str) -> bool:
    """True when the filter has no `*` or `>` token."""
    if "*" not in subject_filter and ">" not in subject_filter:
        return True
    return all(tok != "*" and tok != ">" for tok in subject_filter.split("."))


class Filter:
    """A parsed subject filter with a per-subject answer cache."""

    __slots__ = ("_cache", "_tokens", "all", "literal", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.all = is_all(text)
        self.literal = not self.all and is_literal(text)
        self._tokens = text.split(".")
        self._cache: dict[str, bool] = {}

    def matches(self, subject: str) -> bool:
        """Does `subject` (literal) match this filter?"""
        if self.all:
            return True
        if self.literal:
            return subject == self.text
        hit = self._cache.get(subject)
        if hit is None:
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            hit = self._cache[subject] = self._match(subject.split("."))
        return hit

    def _match(self, stoks: list[str]) -> bool:
        ftoks = self._tokens
        for i, ft in enumerate(ftoks):
            if ft == ">":
                return len(stoks) > i
            if i >= len(stoks) or (ft != "*" and ft != stoks[i]):
                return False
        return len(ftoks) == len(stoks)
