# Subject validity and matching rules, as nats-server applies them (IsValidSubject for SUB,
# IsValidLiteralSubject for the pedantic publish check, token-wise wildcard matching).
from __future__ import annotations

import pytest

from pynatsd.protocol.subject import (
    is_literal,
    is_valid_literal_subject,
    is_valid_subject,
    subject_matches,
    tokenize,
)


@pytest.mark.parametrize(
    "subject",
    [
        b"foo",
        b"foo.bar",
        b"foo.bar.baz",
        b"*",
        b">",
        b"foo.*",
        b"*.bar",
        b"*.*",
        b"foo.>",
        b"foo.*.>",
        b"foo.b*",
        b"foo.>bar",
        b"foo.*bar.b>",
        b"$SYS.>",
        b"_INBOX.abc123",
        b"F\xc3\xb6\xc3\xb6.bar",
        b"foo-bar_baz:1/2",
        b"\x7f.\x01",
    ],
)
def test_valid_subscription_subjects(subject: bytes) -> None:
    assert is_valid_subject(subject)


@pytest.mark.parametrize(
    "subject",
    [
        b"",
        b".",
        b".foo",
        b"foo.",
        b"foo..bar",
        b"foo.>.bar",
        b">.foo",
        b">.>",
        b"foo bar",
        b"foo\tbar",
        b"foo\rbar",
        b"foo\nbar",
        b"foo\x0cbar",
        b" ",
        b"foo. ",
        b"foo.\t",
        b"foo.\r",
        b"foo.\n",
        b"foo.\x0c",
        b"foo.bar ",
    ],
)
def test_invalid_subscription_subjects(subject: bytes) -> None:
    assert not is_valid_subject(subject)


@pytest.mark.parametrize(
    ("subject", "valid"),
    [
        (b"foo", True),
        (b"foo.bar", True),
        (b"foo.b*", True),
        (b"foo.>bar", True),
        (b"*foo", True),
        (b"foo.*", False),
        (b"foo.>", False),
        (b"*", False),
        (b">", False),
        (b"*.foo", False),
        (b"foo..bar", False),
        (b".foo", False),
        (b"foo.", False),
        (b"", False),
        # the pedantic publish check does not look at whitespace (nats-server doesn't either)
        (b"foo bar", True),
    ],
)
def test_valid_literal_subject(subject: bytes, valid: bool) -> None:
    assert is_valid_literal_subject(subject) is valid


@pytest.mark.parametrize(
    ("subject", "literal"),
    [
        (b"foo", True),
        (b"foo.bar", True),
        (b"foo.b*", True),
        (b"foo.>bar", True),
        (b"**", True),
        (b"foo.*", False),
        (b"foo.>", False),
        (b"*", False),
        (b">", False),
        (b"*.bar", False),
        (b"a.*.c", False),
    ],
)
def test_is_literal(subject: bytes, literal: bool) -> None:
    assert is_literal(subject) is literal


@pytest.mark.parametrize(
    ("filter_", "subject", "matches"),
    [
        (b"foo", b"foo", True),
        (b"foo", b"Foo", False),
        (b"foo", b"foo.bar", False),
        (b"foo.bar", b"foo", False),
        (b"foo.*", b"foo.bar", True),
        (b"foo.*", b"foo", False),
        (b"foo.*", b"foo.bar.baz", False),
        (b"*.bar", b"foo.bar", True),
        (b"*.*", b"a.b", True),
        (b"*.*", b"a", False),
        (b"foo.>", b"foo.bar", True),
        (b"foo.>", b"foo.bar.baz", True),
        (b"foo.>", b"foo", False),
        (b"foo.*.>", b"foo.a.b", True),
        (b"foo.*.>", b"foo.a", False),
        (b">", b"foo", True),
        (b">", b"a.b.c.d", True),
        (b"*", b"foo", True),
        (b"*", b"foo.bar", False),
        # wildcard-looking publish subjects are literal tokens
        (b"foo.*", b"foo.*", True),
        (b"foo.>", b"foo.*", True),
        (b">", b"foo.*", True),
        (b"foo.bar", b"foo.*", False),
        (b"foo.b*", b"foo.b*", True),
        (b"foo.b*", b"foo.bx", False),
    ],
)
def test_subject_matches(filter_: bytes, subject: bytes, matches: bool) -> None:
    assert subject_matches(filter_, subject) is matches


def test_tokenize() -> None:
    assert tokenize(b"foo.bar.>") == [b"foo", b"bar", b">"]
    assert tokenize(b"foo") == [b"foo"]
    assert tokenize(b"foo..") == [b"foo", b"", b""]
