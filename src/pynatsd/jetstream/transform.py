# Subject transforms: rewriting a literal subject by a {src, dest} mapping, as nats-server's
# subject_transform.go does for stream subject_transform, republish, and source/mirror transforms.
#
# Why here: validate_subjects.py only decides whether a mapping is acceptable (with nats-server's
# error texts); this module applies an accepted one to messages, on the publish path, so the work
# is split into a compile step (done once per stream config) and a cheap per-message step.
#
# How: the destination is compiled into one step per token. A literal token is copied; `$N` and
# `{{wildcard(N)}}` copy the source's N-th `*` token; partition(n, i...) hashes the chosen tokens
# (FNV-1a, or the whole subject when none are given) into 0..n-1; splitFromLeft/Right, sliceFrom-
# Left/Right, split, left and right cut one source token; random(n) picks 0..n-1. A trailing `>`
# copies the rest of the subject. Results match nats-server 2.15 (checked against the binary).
from __future__ import annotations

import random
import re
from collections.abc import Callable
from typing import Final

from pynatsd.jetstream.validate_subjects import subject_is_subset_match, transform_error

__all__ = ["SubjectTransform", "compile_transform"]

_FNV_OFFSET: Final = 0x811C9DC5
_FNV_PRIME: Final = 0x01000193

# A compiled destination token: (tokens, subject) -> the text for that position.
Step = Callable[[list[str], str], str]


def _fn(name: str) -> re.Pattern[str]:
    pattern = "".join(f"[{c.lower()}{c.upper()}]" if c.isupper() or i == 0 else c for i, c in enumerate(name))
    return re.compile(r"{{\s*" + pattern + r"\s*\((.*)\)\s*}}")


_WILDCARD: Final = _fn("wildcard")
_PARTITION: Final = _fn("partition")
_SPLIT: Final = _fn("split")
_RANDOM: Final = _fn("random")
_COMMA: Final = re.compile(r",\s*")


def fnv32a(data: bytes) -> int:
    h = _FNV_OFFSET
    for byte in data:
        h = ((h ^ byte) * _FNV_PRIME) & 0xFFFFFFFF
    return h


def _args(pattern: re.Pattern[str], token: str) -> list[str] | None:
    m = pattern.search(token)
    return None if m is None else [a.strip(" ") for a in _COMMA.split(m.group(1))]


# -- the per-token functions ------------------------------------------------------------------


def _split_from_left(tok: str, n: int) -> str:
    return f"{tok[:n]}.{tok[n:]}" if 0 < n < len(tok) else tok


def _split_from_right(tok: str, n: int) -> str:
    return f"{tok[: len(tok) - n]}.{tok[len(tok) - n :]}" if 0 < n < len(tok) else tok


def _slice_from_left(tok: str, n: int) -> str:
    if not 0 < n < len(tok):
        return tok
    parts = [tok[i : i + n] for i in range(0, len(tok), n)]
    return ".".join(parts)


def _slice_from_right(tok: str, n: int) -> str:
    if not 0 < n < len(tok):
        return tok
    rem = len(tok) % n
    parts = [tok[:rem]] if rem else []
    parts += [tok[i : i + n] for i in range(rem, len(tok), n)]
    return ".".join(parts)


def _left(tok: str, n: int) -> str:
    return tok[:n] if 0 < n < len(tok) else tok


def _right(tok: str, n: int) -> str:
    return tok[len(tok) - n :] if 0 < n < len(tok) else tok


def _split(tok: str, sep: str) -> str:
    return ".".join(part for part in tok.split(sep) if part)


_INDEX_INT: Final[tuple[tuple[re.Pattern[str], Callable[[str, int], str]], ...]] = (
    (_fn("splitFromLeft"), _split_from_left),
    (_fn("splitFromRight"), _split_from_right),
    (_fn("sliceFromLeft"), _slice_from_left),
    (_fn("sliceFromRight"), _slice_from_right),
    (_fn("right"), _right),
    (_fn("left"), _left),
)


# -- compiling ---------------------------------------------------------------------------------


def _literal(text: str) -> Step:
    return lambda tokens, subject: text


def _wildcard(pos: int) -> Step:
    return lambda tokens, subject: tokens[pos] if pos < len(tokens) else ""


def _partition(n: int, positions: list[int]) -> Step:
    def step(tokens: list[str], subject: str) -> str:
        key = "".join(tokens[p] for p in positions) if positions else subject
        return str(fnv32a(key.encode()) % n) if n > 0 else "0"

    return step


def _token_fn(fn: Callable[[str, int], str], pos: int, n: int) -> Step:
    return lambda tokens, subject: fn(tokens[pos], n)


def _split_step(pos: int, sep: str) -> Step:
    return lambda tokens, subject: _split(tokens[pos], sep)


def _random_step(n: int) -> Step:
    return lambda tokens, subject: str(random.randrange(n)) if n > 0 else "0"


def _compile_token(token: str, wildcards: list[int]) -> Step:
    """One destination token; `wildcards[i-1]` is the position of the source's i-th `*`."""

    def pos(index: str) -> int:
        # nats-server maps an index with no such wildcard ($0) to the first token.
        i = int(index)
        return wildcards[i - 1] if 1 <= i <= len(wildcards) else 0

    if len(token) > 1 and token[0] == "$" and re.fullmatch(r"[+-]?[0-9]+", token[1:]):
        return _wildcard(pos(token[1:]))
    if not (len(token) > 4 and token.startswith("{{") and token.endswith("}}")):
        return _literal(token)
    args = _args(_WILDCARD, token)
    if args is not None:
        return _wildcard(pos(args[0]))
    args = _args(_PARTITION, token)
    if args is not None:
        return _partition(int(args[0]), [pos(a) for a in args[1:]])
    for pattern, fn in _INDEX_INT:
        args = _args(pattern, token)
        if args is not None:
            return _token_fn(fn, pos(args[0]), int(args[1]))
    args = _args(_SPLIT, token)
    if args is not None:
        return _split_step(pos(args[0]), args[1])
    args = _args(_RANDOM, token)
    if args is not None:
        return _random_step(int(args[0]))
    return _literal(token)


class SubjectTransform:
    """A compiled {src, dest} mapping; `match` rewrites a literal subject or returns None."""

    __slots__ = ("_fwc", "_identity", "_nsrc", "_steps", "dest", "src")

    def __init__(self, src: str, dest: str) -> None:
        self.src = src or ">"
        self.dest = dest or ">"
        self._identity = self.src == ">" and self.dest == ">"
        stoks = self.src.split(".")
        wildcards = [i for i, t in enumerate(stoks) if t == "*"]
        dtoks = self.dest.split(".")
        self._fwc = dtoks[-1] == ">"
        if self._fwc:
            dtoks = dtoks[:-1]
        self._nsrc = len(stoks)
        self._steps = [_compile_token(t, wildcards) for t in dtoks]

    def match(self, subject: str) -> str | None:
        """The transformed subject, or None when `subject` does not match `src`."""
        if self._identity:
            return subject
        if self.src != ">" and not subject_is_subset_match(subject, self.src):
            return None
        return self.transform(subject)

    def transform(self, subject: str) -> str:
        """Rewrite a subject already known to match `src`."""
        tokens = subject.split(".")
        out = [step(tokens, subject) for step in self._steps]
        if self._fwc:
            out.extend(tokens[self._nsrc - 1 :])
        return ".".join(out)


def compile_transform(src: str, dest: str) -> SubjectTransform | None:
    """A transform for a configured mapping; None when there is nothing to do or it is invalid."""
    if not dest or transform_error(src, dest) is not None:
        return None
    return SubjectTransform(src, dest)
