# Sublist examples: matching with literals and wildcards, queue groups, the match cache and its
# invalidation, pruning of emptied trie nodes, and the counters.
#
# Results are compared as sets (plain subscribers) and as {queue: set(members)}, since the
# order inside a result is not part of the contract.
from __future__ import annotations

import pytest

from pynatsd.core.sublist import CACHE_MAX, EMPTY_RESULT, Sublist, SublistResult
from pynatsd.core.subscription import Subscription

_sid = 0


def sub(subject: bytes, queue: bytes = b"") -> Subscription:
    global _sid
    _sid += 1
    return Subscription(None, subject, queue, str(_sid).encode())


def plain(res: SublistResult) -> set[Subscription]:
    assert len(set(res[0])) == len(res[0]), "a subscriber appears twice"
    return set(res[0])


def groups(res: SublistResult) -> dict[bytes, set[Subscription]]:
    out: dict[bytes, set[Subscription]] = {}
    for group in res[1]:
        assert group, "empty queue group in a result"
        queue = group[0].queue
        assert all(s.queue == queue for s in group)
        assert queue not in out, "one queue name split over two groups"
        assert len(set(group)) == len(group)
        out[queue] = set(group)
    return out


def build(*subjects: bytes) -> tuple[Sublist, dict[bytes, Subscription]]:
    sl = Sublist()
    subs = {s: sub(s) for s in subjects}
    for s in subs.values():
        sl.insert(s)
    return sl, subs


def matched(sl: Sublist, subject: bytes) -> set[bytes]:
    return {s.subject for s in plain(sl.match(subject))}


def test_empty_sublist() -> None:
    sl = Sublist()
    assert sl.match(b"foo") == EMPTY_RESULT
    assert sl.count == 0
    assert not sl.has_interest(b"foo")


def test_literal() -> None:
    sl, subs = build(b"foo", b"foo.bar", b"bar")
    assert plain(sl.match(b"foo")) == {subs[b"foo"]}
    assert plain(sl.match(b"foo.bar")) == {subs[b"foo.bar"]}
    assert sl.match(b"foo.baz") == EMPTY_RESULT
    assert sl.match(b"Foo") == EMPTY_RESULT
    assert sl.match(b"foo.bar.baz") == EMPTY_RESULT


def test_star_matches_exactly_one_token() -> None:
    sl, _ = build(b"foo.*", b"*.bar", b"*", b"*.*.baz")
    assert matched(sl, b"foo.bar") == {b"foo.*", b"*.bar"}
    assert matched(sl, b"foo") == {b"*"}
    assert matched(sl, b"foo.x.baz") == {b"*.*.baz"}
    assert matched(sl, b"foo.bar.bax") == set()


def test_full_wildcard_matches_one_or_more_tokens() -> None:
    sl, _ = build(b"foo.>", b">", b"foo.*.>")
    assert matched(sl, b"foo") == {b">"}
    assert matched(sl, b"foo.bar") == {b"foo.>", b">"}
    assert matched(sl, b"foo.bar.baz") == {b"foo.>", b">", b"foo.*.>"}
    assert matched(sl, b"bar.baz") == {b">"}


def test_overlapping_subscriptions_each_match() -> None:
    sl, _ = build(b"foo.*", b"foo.>", b">", b"foo.bar", b"*.bar", b"*.*")
    assert matched(sl, b"foo.bar") == {b"foo.*", b"foo.>", b">", b"foo.bar", b"*.bar", b"*.*"}


def test_same_subject_several_subscriptions() -> None:
    sl = Sublist()
    a, b, c = sub(b"foo"), sub(b"foo"), sub(b"foo")
    for s in (a, b, c):
        sl.insert(s)
    assert plain(sl.match(b"foo")) == {a, b, c}
    assert sl.remove(b)
    assert plain(sl.match(b"foo")) == {a, c}


def test_wildcard_tokens_inside_words_are_literal() -> None:
    sl, _ = build(b"foo.b*", b"foo.>x")
    assert matched(sl, b"foo.b*") == {b"foo.b*"}
    assert matched(sl, b"foo.bx") == set()
    assert matched(sl, b"foo.>x") == {b"foo.>x"}
    assert matched(sl, b"foo.x") == set()


def test_publish_to_literal_star() -> None:
    sl, _ = build(b"foo.*", b"foo.>", b">", b"foo.bar")
    assert matched(sl, b"foo.*") == {b"foo.*", b"foo.>", b">"}


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        (b"foo.*", {b"foo.*", b"foo.>", b">", b"*.*"}),
        (b"foo.>", {b"foo.*", b"foo.>", b">", b"*.*"}),
        (b"*", {b"*", b">"}),
        (b">", {b"*", b">"}),
        (b"*.bar", {b"*.bar", b">", b"*.*"}),
    ],
)
def test_publish_to_wildcard_subject_is_literal(subject: bytes, expected: set[bytes]) -> None:
    sl, _ = build(b"foo.*", b"foo.>", b">", b"foo.bar", b"foo.bar.baz", b"*", b"*.bar", b"*.*", b"x.bar")
    assert matched(sl, subject) == expected


@pytest.mark.parametrize("subject", [b"", b".", b"foo.", b".foo", b"foo..bar", b"..", b"foo.bar."])
def test_empty_tokens_match_nothing(subject: bytes) -> None:
    sl, _ = build(b">", b"*", b"foo.*", b"*.foo", b"foo.>", b"*.*", b"*.*.*", b"foo.*.bar")
    assert sl.match(subject) == EMPTY_RESULT
    assert not sl.has_interest(subject)


def test_queue_groups() -> None:
    sl = Sublist()
    q1a, q1b = sub(b"foo.bar", b"q1"), sub(b"foo.*", b"q1")
    q2 = sub(b"foo.>", b"q2")
    q3 = sub(b"baz", b"q1")
    p = sub(b"foo.bar")
    for s in (q1a, q1b, q2, q3, p):
        sl.insert(s)
    res = sl.match(b"foo.bar")
    assert plain(res) == {p}
    assert groups(res) == {b"q1": {q1a, q1b}, b"q2": {q2}}
    assert groups(sl.match(b"baz")) == {b"q1": {q3}}
    assert plain(sl.match(b"baz")) == set()

    assert sl.remove(q1a)
    assert groups(sl.match(b"foo.bar")) == {b"q1": {q1b}, b"q2": {q2}}
    assert sl.remove(q1b)
    assert groups(sl.match(b"foo.bar")) == {b"q2": {q2}}
    assert sl.remove(q2)
    res = sl.match(b"foo.bar")
    assert res[1] == ()
    assert plain(res) == {p}


def test_queue_and_plain_on_same_subject_are_separate() -> None:
    sl = Sublist()
    p, q = sub(b"foo"), sub(b"foo", b"g")
    sl.insert(p)
    sl.insert(q)
    res = sl.match(b"foo")
    assert plain(res) == {p}
    assert groups(res) == {b"g": {q}}
    assert sl.remove(p)
    res = sl.match(b"foo")
    assert plain(res) == set()
    assert groups(res) == {b"g": {q}}


def test_remove_absent() -> None:
    sl = Sublist()
    a = sub(b"foo.bar")
    sl.insert(a)
    assert not sl.remove(sub(b"foo.bar"))  # same subject, other object
    assert not sl.remove(sub(b"foo"))
    assert not sl.remove(sub(b"foo.bar.baz"))
    assert not sl.remove(sub(b"foo.*"))
    assert not sl.remove(sub(b"foo.bar", b"q"))
    assert sl.count == 1
    assert sl.removes == 0
    assert sl.remove(a)
    assert not sl.remove(a)
    assert sl.count == 0
    assert sl.removes == 1


def test_counts() -> None:
    sl = Sublist()
    subs = [sub(b"a"), sub(b"a.b"), sub(b"a.*", b"q"), sub(b">")]
    for s in subs:
        sl.insert(s)
    assert (sl.count, sl.inserts, sl.removes) == (4, 4, 0)
    sl.remove(subs[0])
    sl.remove(subs[0])
    assert (sl.count, sl.inserts, sl.removes) == (3, 4, 1)
    assert set(sl.all_subscriptions()) == set(subs[1:])
    sl.match(b"a.b")
    sl.match(b"a.b")
    sl.match(b"x")
    assert (sl.matches, sl.hits) == (3, 1)


def _trie_is_empty(sl: Sublist) -> bool:
    return sl._root.is_empty()


def test_prune_removes_emptied_nodes() -> None:
    sl = Sublist()
    subs = [
        sub(b"a.b.c.d"),
        sub(b"a.b.*"),
        sub(b"a.>"),
        sub(b"*.*.c", b"q"),
        sub(b">"),
        sub(b"x"),
        sub(b"a.b.c.d"),
    ]
    for s in subs:
        sl.insert(s)
    for s in subs:
        assert sl.remove(s)
    assert _trie_is_empty(sl)
    assert sl.count == 0
    assert sl.all_subscriptions() == []
    assert sl.match(b"a.b.c.d") == EMPTY_RESULT


def test_prune_keeps_shared_prefix() -> None:
    sl = Sublist()
    deep, shallow = sub(b"a.b.c"), sub(b"a")
    sl.insert(deep)
    sl.insert(shallow)
    assert sl.remove(deep)
    root = sl._root
    assert list(root.literal) == [b"a"]
    assert root.literal[b"a"].literal == {}
    assert plain(sl.match(b"a")) == {shallow}
    sl.insert(deep)
    assert plain(sl.match(b"a.b.c")) == {deep}
    assert sl.remove(shallow)
    assert plain(sl.match(b"a.b.c")) == {deep}
    assert sl.match(b"a") == EMPTY_RESULT


def test_prune_wildcard_nodes() -> None:
    sl = Sublist()
    a, b = sub(b"*.x"), sub(b"a.>")
    sl.insert(a)
    sl.insert(b)
    sl.remove(a)
    assert sl._root.pwc is None
    sl.remove(b)
    assert _trie_is_empty(sl)


def test_cache_hit_and_invalidation_on_literal_insert_remove() -> None:
    sl = Sublist()
    assert sl.match(b"foo.bar") == EMPTY_RESULT  # an empty result is cached too
    assert sl.cache_size() == 1
    a = sub(b"foo.bar")
    sl.insert(a)
    assert plain(sl.match(b"foo.bar")) == {a}
    hits = sl.hits
    assert plain(sl.match(b"foo.bar")) == {a}
    assert sl.hits == hits + 1
    sl.remove(a)
    assert sl.match(b"foo.bar") == EMPTY_RESULT


def test_match_once_leaves_the_cache_alone() -> None:
    sl, subs = build(b"_INBOX.a.*", b"_INBOX.a.7", b"other")
    q = sub(b"_INBOX.>", b"q")
    sl.insert(q)
    cached = sl.match(b"other")
    subjects = (b"_INBOX.a.7", b"_INBOX.a.8", b"_INBOX.b", b"none", b"_INBOX..a")
    once = [sl.match_once(subject) for subject in subjects]
    assert sl.cache_size() == 1
    for subject, res in zip(subjects, once, strict=True):
        assert plain(res) == plain(sl.match(subject))
        assert groups(res) == groups(sl.match(subject))
    assert plain(once[0]) == {subs[b"_INBOX.a.*"], subs[b"_INBOX.a.7"]}
    assert groups(once[0]) == {b"q": {q}}
    assert once[3] == EMPTY_RESULT
    hits = sl.hits
    assert sl.match_once(b"other") == cached
    assert sl.hits == hits + 1


def test_cache_invalidation_on_wildcard_insert_remove() -> None:
    sl = Sublist()
    for subject in (b"foo.bar", b"foo.baz", b"foo.bar.baz", b"other", b"foo.*"):
        assert sl.match(subject) == EMPTY_RESULT
    star, fwc, full = sub(b"foo.*"), sub(b"foo.>"), sub(b">")
    sl.insert(star)
    assert matched(sl, b"foo.bar") == {b"foo.*"}
    assert matched(sl, b"foo.baz") == {b"foo.*"}
    assert matched(sl, b"foo.*") == {b"foo.*"}
    assert matched(sl, b"foo.bar.baz") == set()
    sl.insert(fwc)
    assert matched(sl, b"foo.bar.baz") == {b"foo.>"}
    assert matched(sl, b"foo.bar") == {b"foo.*", b"foo.>"}
    sl.insert(full)
    assert matched(sl, b"other") == {b">"}
    assert matched(sl, b"foo.*") == {b"foo.*", b"foo.>", b">"}
    sl.remove(star)
    assert matched(sl, b"foo.bar") == {b"foo.>", b">"}
    assert matched(sl, b"foo.*") == {b"foo.>", b">"}
    sl.remove(full)
    assert matched(sl, b"other") == set()
    assert matched(sl, b"foo.baz") == {b"foo.>"}
    sl.remove(fwc)
    for subject in (b"foo.bar", b"foo.baz", b"foo.bar.baz", b"other", b"foo.*"):
        assert sl.match(subject) == EMPTY_RESULT


def test_invalidation_keeps_unaffected_entries() -> None:
    sl = Sublist()
    sl.match(b"foo.bar")
    sl.match(b"baz.bar")
    sl.insert(sub(b"foo.*"))
    sl.insert(sub(b"qux"))
    hits = sl.hits
    sl.match(b"baz.bar")
    assert sl.hits == hits + 1
    sl.match(b"foo.bar")
    assert sl.hits == hits + 1


def test_cache_invalidation_for_queue_subscriptions() -> None:
    sl = Sublist()
    sl.match(b"foo.bar")
    q = sub(b"foo.*", b"g")
    sl.insert(q)
    assert groups(sl.match(b"foo.bar")) == {b"g": {q}}
    q2 = sub(b"foo.bar", b"g")
    sl.insert(q2)
    assert groups(sl.match(b"foo.bar")) == {b"g": {q, q2}}
    sl.remove(q)
    assert groups(sl.match(b"foo.bar")) == {b"g": {q2}}
    sl.remove(q2)
    assert sl.match(b"foo.bar") == EMPTY_RESULT


def test_cache_disabled() -> None:
    sl = Sublist(cache=False)
    a = sub(b"foo")
    sl.insert(a)
    assert plain(sl.match(b"foo")) == {a}
    assert plain(sl.match(b"foo")) == {a}
    assert sl.cache_size() == 0
    assert sl.hits == 0


def test_cache_is_bounded_and_stays_correct() -> None:
    sl = Sublist()
    wild = sub(b"s.*")
    sl.insert(wild)
    for i in range(CACHE_MAX * 3):
        assert plain(sl.match(b"s.%d" % i)) == {wild}
        assert sl.cache_size() <= CACHE_MAX
    lit = sub(b"s.5")
    sl.insert(lit)
    assert plain(sl.match(b"s.5")) == {wild, lit}
    sl.remove(wild)
    for i in range(CACHE_MAX * 3):
        assert plain(sl.match(b"s.%d" % i)) == ({lit} if i == 5 else set())


def test_held_result_is_not_changed_by_later_updates() -> None:
    sl = Sublist()
    a, q = sub(b"foo"), sub(b"foo", b"g")
    sl.insert(a)
    sl.insert(q)
    held = sl.match(b"foo")
    snapshot = (tuple(held[0]), tuple(tuple(g) for g in held[1]))
    sl.insert(sub(b"foo"))
    sl.insert(sub(b"foo", b"g"))
    sl.remove(a)
    sl.remove(q)
    assert held == snapshot
    assert isinstance(held[0], tuple)
    assert all(isinstance(g, tuple) for g in held[1])


def test_has_interest() -> None:
    sl = Sublist()
    q = sub(b"a.>", b"g")
    sl.insert(q)
    assert sl.has_interest(b"a.b")
    assert not sl.has_interest(b"a")
    sl.remove(q)
    assert not sl.has_interest(b"a.b")
