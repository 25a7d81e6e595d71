# Model-based test of the sublist: random inserts and removes interleaved with match() calls, checked
# against a naive matcher over the list of live subscriptions.
#
# Subjects come from a tiny token alphabet (including `*` and `>`), so subscriptions overlap a lot
# and the same publish subjects recur, which keeps the match cache busy: a missed invalidation
# shows up as a stale result on a later match. Publish subjects may contain `*`, `>` (literal
# tokens on publish) and empty tokens (which match nothing). Queue groups are compared by name.
# A second sublist with the cache off runs the same steps.
from __future__ import annotations

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, invariant, rule

from pynatsd.core.sublist import Sublist, SublistResult
from pynatsd.core.subscription import Subscription
from pynatsd.protocol.subject import subject_matches

_TOKENS = [b"a", b"b", b"c", b"*", b">"]


def _valid_sub(toks: list[bytes]) -> bool:
    return b">" not in toks[:-1]


sub_subjects = st.lists(st.sampled_from(_TOKENS), min_size=1, max_size=4).filter(_valid_sub).map(b".".join)
pub_subjects = st.lists(st.sampled_from([*_TOKENS, b""]), min_size=1, max_size=4).map(b".".join)
queues = st.sampled_from([b"", b"", b"q1", b"q2"])


def naive(
    subs: list[Subscription], subject: bytes
) -> tuple[set[Subscription], dict[bytes, set[Subscription]]]:
    if b"" in subject.split(b"."):
        return set(), {}
    plain: set[Subscription] = set()
    groups: dict[bytes, set[Subscription]] = {}
    for s in subs:
        if subject_matches(s.subject, subject):
            if s.queue:
                groups.setdefault(s.queue, set()).add(s)
            else:
                plain.add(s)
    return plain, groups


def normalize(res: SublistResult) -> tuple[set[Subscription], dict[bytes, set[Subscription]]]:
    psubs, qgroups = res
    assert len(set(psubs)) == len(psubs), "duplicate plain subscriber"
    assert all(not s.queue for s in psubs)
    groups: dict[bytes, set[Subscription]] = {}
    for g in qgroups:
        assert g, "empty queue group"
        q = g[0].queue
        assert q, "queue group without a queue name"
        assert all(s.queue == q for s in g), "mixed queue group"
        assert q not in groups, "queue group split in two"
        assert len(set(g)) == len(g), "duplicate queue member"
        groups[q] = set(g)
    return set(psubs), groups


class SublistMachine(RuleBasedStateMachine):
    subs = Bundle("subs")

    def __init__(self) -> None:
        super().__init__()
        self.cached = Sublist()
        self.uncached = Sublist(cache=False)
        self.live: list[Subscription] = []
        self.gone: list[Subscription] = []
        self.next_sid = 0

    @rule(target=subs, subject=sub_subjects, queue=queues)
    def insert(self, subject: bytes, queue: bytes) -> Subscription:
        self.next_sid += 1
        s = Subscription(None, subject, queue, str(self.next_sid).encode())
        self.cached.insert(s)
        self.uncached.insert(s)
        self.live.append(s)
        return s

    @rule(s=consumes(subs))
    def remove(self, s: Subscription) -> None:
        assert self.cached.remove(s)
        assert self.uncached.remove(s)
        self.live.remove(s)
        self.gone.append(s)

    @rule(data=st.data())
    def remove_again(self, data: st.DataObject) -> None:
        if not self.gone:
            return
        s = data.draw(st.sampled_from(self.gone))
        assert not self.cached.remove(s)
        assert not self.uncached.remove(s)

    @rule(subject=sub_subjects, queue=queues)
    def remove_never_inserted(self, subject: bytes, queue: bytes) -> None:
        s = Subscription(None, subject, queue, b"x")
        assert not self.cached.remove(s)
        assert not self.uncached.remove(s)

    @rule(subject=pub_subjects)
    def match(self, subject: bytes) -> None:
        expected = naive(self.live, subject)
        assert normalize(self.cached.match(subject)) == expected
        assert normalize(self.uncached.match(subject)) == expected
        assert self.cached.has_interest(subject) == bool(expected[0] or expected[1])

    @rule(data=st.data())
    def match_subject_of_live_sub(self, data: st.DataObject) -> None:
        # Publishing to a subscription's own subject (wildcards as literal tokens) always reaches it.
        if not self.live:
            return
        s = data.draw(st.sampled_from(self.live))
        plain, groups = normalize(self.cached.match(s.subject))
        assert s in (groups.get(s.queue, set()) if s.queue else plain)
        assert (plain, groups) == naive(self.live, s.subject)

    @invariant()
    def counts(self) -> None:
        assert self.cached.count == len(self.live)
        assert self.uncached.count == len(self.live)
        assert sorted(map(id, self.cached.all_subscriptions())) == sorted(map(id, self.live))
        assert self.uncached.cache_size() == 0

    def teardown(self) -> None:
        for s in list(self.live):
            assert self.cached.remove(s)
        assert self.cached.count == 0
        assert self.cached._root.is_empty(), "emptied trie nodes were not pruned"


SublistMachine.TestCase.settings = settings(max_examples=120, stateful_step_count=40, deadline=None)
test_sublist_against_naive_matcher = SublistMachine.TestCase
