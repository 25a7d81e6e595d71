# Subject rules used by stream validation: validity, overlap ("collide"), subset matching, and the
# checks nats-server runs on subject-mapping destinations (stream/source/mirror transforms, republish).
#
# Why here and not protocol/subject.py: these work on str (JSON gives str), need overlap between two
# wildcard subjects rather than matching a literal, and must report mapping errors in nats-server's
# words, e.g. `invalid mapping destination: wildcard index out of range in {{wildcard(2)}}: [2]`.
# They mirror nats-server's SubjectsCollide, isSubsetMatch, ValidateMapping and
# NewSubjectTransform (validation only; applying a transform to a message is the stream's job).
from __future__ import annotations

import re
from typing import Final

__all__ = [
    "BAD_SUBJECT",
    "is_literal",
    "is_valid_publish_subject",
    "is_valid_subject",
    "subject_is_subset_match",
    "subjects_collide",
    "transform_error",
    "validate_mapping",
]

BAD_SUBJECT: Final = "invalid subject"
_WHITESPACE: Final = frozenset(" \t\n\r\f")
_BAD_DEST: Final = "invalid mapping destination"
_INVALID_TRANSFORM: Final = f"{_BAD_DEST}: invalid transform"
_UNKNOWN_FUNCTION: Final = f"{_BAD_DEST}: unknown function"
_OUT_OF_RANGE: Final = f"{_BAD_DEST}: wildcard index out of range"
_NOT_ENOUGH_ARGS: Final = f"{_BAD_DEST}: not enough arguments passed to the function"
_INVALID_ARG: Final = f"{_BAD_DEST}: function argument is invalid or in the wrong format"
_TOO_MANY_ARGS: Final = f"{_BAD_DEST}: too many arguments passed to the function"


def _fn(name: str) -> re.Pattern[str]:
    pattern = "".join(f"[{c.lower()}{c.upper()}]" if c.isupper() or i == 0 else c for i, c in enumerate(name))
    return re.compile(r"{{\s*" + pattern + r"\s*\((.*)\)\s*}}")


_WILDCARD: Final = _fn("wildcard")
_PARTITION: Final = _fn("partition")
_INDEX_INT_FUNCTIONS: Final = tuple(
    _fn(name)
    for name in ("splitFromLeft", "splitFromRight", "sliceFromLeft", "sliceFromRight", "right", "left")
)
_SPLIT: Final = _fn("split")
_RANDOM: Final = _fn("random")
_ALL_FUNCTIONS: Final = (_WILDCARD, _PARTITION, *_INDEX_INT_FUNCTIONS, _SPLIT, _RANDOM)
_COMMA: Final = re.compile(r",\s*")


def is_valid_subject(subject: str) -> bool:
    """nats-server's IsValidSubject: non-empty tokens without whitespace, `>` only last."""
    if not subject:
        return False
    saw_fwc = False
    for tok in subject.split("."):
        if not tok or saw_fwc:
            return False
        if len(tok) > 1:
            if not _WHITESPACE.isdisjoint(tok):
                return False
        elif tok == ">":
            saw_fwc = True
        elif tok in _WHITESPACE:
            return False
    return True


def is_literal(subject: str) -> bool:
    return all(tok not in ("*", ">") for tok in subject.split("."))


def is_valid_publish_subject(subject: str) -> bool:
    return is_valid_subject(subject) and is_literal(subject)


def _is_subset_match(tokens: list[str], test: str) -> bool:
    """nats-server's isSubsetMatchTokenized: is every subject matched by `tokens` matched by `test`?"""
    ttoks = test.split(".")
    for i, t2 in enumerate(ttoks):
        if i >= len(tokens) or not t2:
            return False
        if t2 == ">":
            return True
        t1 = tokens[i]
        if not t1 or t1 == ">":
            return False
        if t1 == "*":
            if t2 != "*":
                return False
            continue
        if t2 != "*" and t1 != t2:
            return False
    return len(tokens) == len(ttoks)


def subject_is_subset_match(subject: str, test: str) -> bool:
    return _is_subset_match(subject.split("."), test)


def _wildcards(tokens: list[str]) -> tuple[bool, bool]:
    return "*" in tokens, ">" in tokens


def subjects_collide(subj1: str, subj2: str) -> bool:
    """Could one literal subject match both? (nats-server's SubjectsCollide)"""
    if subj1 == subj2:
        return True
    toks1, toks2 = subj1.split("."), subj2.split(".")
    pwc1, fwc1 = _wildcards(toks1)
    pwc2, fwc2 = _wildcards(toks2)
    lit1, lit2 = not (pwc1 or fwc1), not (pwc2 or fwc2)
    if lit1 and lit2:
        return False
    if lit1:
        return _is_subset_match(toks1, subj2)
    if lit2:
        return _is_subset_match(toks2, subj1)
    if not fwc1 and not fwc2 and len(toks1) != len(toks2):
        return False
    if (len(toks1) < len(toks2) and not fwc1) or (len(toks2) < len(toks1) and not fwc2):
        return False
    for t1, t2 in zip(toks1, toks2, strict=False):
        if not t1 or not t2:
            return False
        if t1[0] not in "*>" and t2[0] not in "*>" and t1 != t2:
            return False
    return True


_INT32_MAX: Final = (1 << 31) - 1


def _atoi(text: str) -> int | None:
    """Go's strconv.Atoi after trimming spaces, as the mapping functions parse their arguments."""
    text = text.strip(" ")
    return int(text) if re.fullmatch(r"[+-]?[0-9]+", text) else None


def _err(base: str, token: str) -> ValueError:
    # nats-server's mappingDestinationErr: "<err> in <token>", or just "<err>" for an empty token.
    return ValueError(f"{base} in {token}" if token else base)


def _placeholder(token: str) -> tuple[str, list[int]]:
    """Classify a destination token as none/wildcard/partition/random/function, with the source
    wildcard indexes it uses; raise ValueError with nats-server's text when it is malformed."""
    n = len(token)
    if n <= 1:
        return "none", []
    if token[0] == "$":
        if re.fullmatch(r"[+-]?[0-9]+", token[1:]):
            return "wildcard", [int(token[1:])]
        return "none", []
    if n <= 4 or not (token.startswith("{{") and token.endswith("}}")):
        return "none", []
    args = _args(_WILDCARD, token)
    if args is not None:
        if args == [""]:
            raise _err(_NOT_ENOUGH_ARGS, token)
        if len(args) > 1:
            raise _err(_TOO_MANY_ARGS, token)
        return "wildcard", [_int_arg(args[0], token)]
    args = _args(_PARTITION, token)
    if args is not None:
        if _int_arg(args[0], token) > _INT32_MAX:
            raise _err(_INVALID_ARG, token)
        return "partition", [_int_arg(a, token) for a in args[1:]]
    for pattern in _INDEX_INT_FUNCTIONS:
        args = _args(pattern, token)
        if args is not None:
            return "function", [_index_int_args(args, token)]
    return _split_or_random(token)


def _split_or_random(token: str) -> tuple[str, list[int]]:
    args = _args(_SPLIT, token)
    if args is not None:
        index = _index_int_args(args, token, second_int=False)
        if " " in args[1] or "." in args[1]:
            raise _err(_INVALID_ARG, token)
        return "function", [index]
    args = _args(_RANDOM, token)
    if args is not None:
        if len(args) != 1:
            raise _err(_NOT_ENOUGH_ARGS, token)
        if _int_arg(args[0], token) > _INT32_MAX:
            raise _err(_INVALID_ARG, token)
        return "random", []
    raise _err(_UNKNOWN_FUNCTION, token)


def _args(pattern: re.Pattern[str], token: str) -> list[str] | None:
    m = pattern.search(token)
    return None if m is None else _COMMA.split(m.group(1))


def _int_arg(text: str, token: str) -> int:
    value = _atoi(text)
    if value is None:
        raise _err(_INVALID_ARG, token)
    return value


def _index_int_args(args: list[str], token: str, *, second_int: bool = True) -> int:
    if len(args) < 2:
        raise _err(_NOT_ENOUGH_ARGS, token)
    if len(args) > 2:
        raise _err(_TOO_MANY_ARGS, token)
    index = _int_arg(args[0], token)
    if second_int and not -(1 << 31) <= _int_arg(args[1], token) <= _INT32_MAX:
        raise _err(_INVALID_ARG, token)
    return index


def _subject_info(subject: str) -> tuple[bool, list[str], int, bool]:
    """nats-server's subjectInfo: valid (non-empty tokens, `>` last; whitespace allowed), tokens,
    number of `*`, and whether it ends in `>`."""
    tokens = subject.split(".")
    if not subject or any(not t for t in tokens) or ">" in tokens[:-1]:
        return False, tokens, 0, False
    return True, tokens, tokens.count("*"), tokens[-1] == ">"


def transform_error(src: str, dest: str) -> str | None:
    """Why NewSubjectTransform(src, dest) fails, or None when it would succeed."""
    if not dest:
        return None
    s_ok, _, npwcs, s_fwc = _subject_info(src or ">")
    d_ok, d_toks, d_pwcs, d_fwc = _subject_info(dest)
    if not s_ok or not d_ok or d_pwcs > 0 or s_fwc != d_fwc:
        return BAD_SUBJECT
    try:
        for token in d_toks:
            kind, indexes = _placeholder(token)
            if kind in ("none", "random"):
                continue
            if npwcs == 0 and not s_fwc:
                if kind != "partition":
                    return str(_err(_OUT_OF_RANGE, token))
                continue
            for index in indexes:
                if index > npwcs:
                    return str(_err(_OUT_OF_RANGE, f"{token}: [{index}]"))
    except ValueError as exc:
        return str(exc)
    return None


def validate_mapping(src: str, dest: str) -> str | None:
    """nats-server's ValidateMapping: the error text for a bad destination, or None."""
    if not dest:
        return None
    saw_fwc = False
    for tok in dest.split("."):
        if not tok or saw_fwc:
            return str(_err(_INVALID_TRANSFORM, tok))
        if len(tok) > 4 and tok.startswith("{{") and tok.endswith("}}"):
            if not any(p.search(tok) for p in _ALL_FUNCTIONS):
                return str(_err(_UNKNOWN_FUNCTION, tok))
            continue
        if tok == ">":
            saw_fwc = True
        elif not _WHITESPACE.isdisjoint(tok):
            return _INVALID_TRANSFORM
    return transform_error(src, dest)
