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


# Ack subjects ($JS.ACK.<stream>.<consumer>.<numbers>) are cached by shape; subscriptions that can
# match them, some with literal tokens past the fourth, check that the shape cache stays exact.
_ACK_SUB_TOKENS = [[b"$JS", b"*", b">", b"x"], [b"ACK", b"*", b">"], [b"s", b"*", b">"], [b"c", b"*", b">"]]
# Mostly five tokens or more, with few deep literals: the shape cache is used only without them.
_DEEP_TOKENS = [b"1", b"*", b"*", b"*", b">"]
ack_sub_subjects = (
    st.sampled_from([1, 2, 4, 5, 5, 6, 6, 7])
    .flatmap(
        lambda n: st.tuples(
            *[st.sampled_from(_ACK_SUB_TOKENS[i] if i < 4 else _DEEP_TOKENS) for i in range(n)]
        )
    )
    .map(list)
    .filter(_valid_sub)
    .map(b".".join)
)
ack_pub_subjects = st.tuples(
    st.sampled_from([b"s", b"t"]),
    st.sampled_from([b"c", b"d"]),
    st.lists(st.sampled_from([b"1", b"2", b""]), min_size=0, max_size=6),
).map(lambda t: b".".join([b"$JS", b"ACK", t[0], t[1], *t[2]]))
# Every shape, each twice with different numbers: a result cached for one must fit the other.
_ACK_PUBS = [
    b"$JS.ACK.%b.%b%b" % (stream, consumer, b"".join(b".%d" % ((i + k) % 3) for i in range(n)))
    for stream in (b"s", b"t")
    for consumer in (b"c", b"d")
    for n in range(7)
    for k in (0, 1)
]


class AckSublistMachine(RuleBasedStateMachine):
    subs = Bundle("subs")

    def __init__(self) -> None:
        super().__init__()
        self.cached = Sublist()
        self.live: list[Subscription] = []

    @rule(target=subs, subject=ack_sub_subjects, queue=queues)
    def insert(self, subject: bytes, queue: bytes) -> Subscription:
        s = Subscription(None, subject, queue, b"%d" % len(self.live))
        self.cached.insert(s)
        self.live.append(s)
        return s

    @rule(s=consumes(subs))
    def remove(self, s: Subscription) -> None:
        assert self.cached.remove(s)
        self.live.remove(s)

    @rule(subject=ack_pub_subjects)
    def match(self, subject: bytes) -> None:
        assert normalize(self.cached.match(subject)) == naive(self.live, subject)

    @rule()
    def match_all_shapes(self) -> None:
        for subject in _ACK_PUBS:
            assert normalize(self.cached.match(subject)) == naive(self.live, subject), subject

    @invariant()
    def deep_count(self) -> None:
        deep = [s for s in self.live if any(t not in (b"*", b">") for t in s.subject.split(b".")[4:])]
        capable = [s for s in deep if s.subject.split(b".")[0] in (b"$JS", b"*")]
        assert self.cached.ack_deep == len([s for s in capable if s.subject.split(b".")[1] in (b"ACK", b"*")])


AckSublistMachine.TestCase.settings = settings(max_examples=150, stateful_step_count=40, deadline=None)
test_ack_subjects_against_naive_matcher = AckSublistMachine.TestCase
