"""Clusters of accounts acting together, found in the account graph as of a moment.

Two accounts are *strongly* tied when they share an identifier of a strong kind (document,
card, device, phone, e-mail), or when they share an IP address and one reviewed the other
or both reviewed one account. Clusters are the connected components of strong ties
(``scipy.sparse.csgraph``), merged with the dense review blocks of ``trust.graph.peeling`` (a
small island of broad trade whose reviews are all top marks among them) and
with each account whose reviewers are mostly single-purpose accounts (they traded with
nobody else and it never reviewed them back: a bought burst, however slowly dripped and
whatever devices it used).
A cluster is suspicious when it has at least ``MIN_MEMBERS`` accounts and a dense review block,
a reviewee with its single-purpose reviewers,
an account its members reviewed together (the beneficiary, who joins the cluster), members
tied by shared networks who reviewed one another (at least one review per member), or one
document, card or phone across its members; every member comes with the evidence tying it
to the others.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from trust.graph.links import REVIEW, STRONG_KINDS, TOP_RATING, WEAK_KINDS, Link, pair
from trust.graph.peeling import dense_blocks
from trust.store.database import naive_utc as utc

MIN_MEMBERS = 3
# One document, card or phone on three accounts or more is one person with many accounts.
IDENTITY_KINDS = frozenset({"document", "payment", "phone"})
# A new freelancer's first handful of clients are often one-off; this many reviewers who
# traded with nobody else and were not reviewed back, making most of an account's reviewers,
# are a bought burst. (On four simulated worlds no honest freelancer with five single-purpose
# reviewers or more had over 38% of its reviewers single-purpose, and none with eight over 15%;
# a burst bought for an established freelancer with real clients makes 60-80%. Once answered
# reviewers no longer count, no honest freelancer kept more than three unanswered ones past
# the graph's first week, so six puppets, a burst seen on an untuned world, are enough.)
MIN_SINGLE_PURPOSE = 6
SINGLE_PURPOSE_SHARE = 0.6
# "Traded with nobody else" means nothing on a graph that has seen only a few days of trade:
# every client then has had one trade, and a new freelancer has not yet rated its clients
# back. Stars wait until the graph holds this much history (on the tuning worlds honest
# freelancers with five or six unanswered one-off clients showed up only in the first four
# days, and every bought burst after the tenth).
SINGLE_PURPOSE_HISTORY = timedelta(days=7)
# Reasons that say a cluster was found for how its members reviewed, not only for what
# identifiers they share.
REVIEW_REASONS = frozenset(
    {
        "dense_review_block",
        "single_purpose_reviewers",
        "reviews_one_account_together",
        "members_review_one_another",
    }
)


@dataclass(frozen=True, slots=True)
class Tie:
    """What ties one member to another member of its cluster."""

    other: str
    kinds: tuple[str, ...]
    details: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Cluster:
    """Accounts acting together: members, the ties between them, and how dense they are."""

    cluster_id: str
    members: tuple[str, ...]
    ties: dict[str, tuple[Tie, ...]] = field(hash=False)
    reviews_inside: int
    density: float
    reasons: tuple[str, ...] = ()

    @property
    def found_for_reviews(self) -> bool:
        """Whether how its members reviewed (not only shared identifiers) made it suspicious."""
        return bool(REVIEW_REASONS.intersection(self.reasons))

    def evidence(self, member: str) -> list[str]:
        """One line per tie, for staff: 'device dev-…3f, ip 10.0.…: u123'."""
        return [
            f"{', '.join(f'{k} {d}' for k, d in zip(t.kinds, t.details, strict=True))}: {t.other}"
            for t in self.ties.get(member, ())
        ]


def scheme_beneficiaries(reviews: Iterable[tuple[str, str, str]]) -> set[str]:
    """Of the reviews inside a cluster, (event id, reviewer, reviewee): the members that
    ``MIN_MEMBERS`` others or more reviewed and that reviewed none of them. That is the
    scheme's beneficiary (the freelancer a burst was bought for, the account a group
    reviewed together): the reviews it got are in doubt, its identity is not."""
    reviewers: dict[str, set[str]] = defaultdict(set)
    wrote: set[str] = set()
    for _, reviewer, reviewee in reviews:
        reviewers[reviewee].add(reviewer)
        wrote.add(reviewer)
    return {a for a, theirs in reviewers.items() if len(theirs) >= MIN_MEMBERS} - wrote


def cluster_id_of(members: Iterable[str]) -> str:
    """A stable name for a set of accounts (its smallest member's hash)."""
    first = min(members)
    return "cluster-" + hashlib.sha256(first.encode()).hexdigest()[:12]


class AccountGraph:
    """The links between accounts that existed at ``as_of`` (all of them when None)."""

    def __init__(self, links: Iterable[Link], as_of: datetime | None = None) -> None:
        self.kinds: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
        self.reviews: set[tuple[str, str]] = set()
        self.reviewed: dict[str, set[str]] = defaultdict(set)
        # Accounts that gave or got a review below the top mark (or of unknown mark).
        self.marked_down: set[str] = set()
        limit = utc(as_of) if as_of is not None else None
        first: datetime | None = None
        last: datetime | None = None
        for link in links:
            if limit is not None and link.since > limit:
                continue
            first = link.since if first is None else min(first, link.since)
            last = link.since if last is None else max(last, link.since)
            if link.a == link.b:
                continue
            if link.kind == REVIEW:
                self.reviews.add((link.a, link.b))
                self.reviewed[link.a].add(link.b)
                if link.rating is None or link.rating < TOP_RATING:
                    self.marked_down |= {link.a, link.b}
            self.kinds[pair(link.a, link.b)].setdefault(link.kind, link.detail)
        # From the first link to the last: how much history the graph has seen.
        self.history = last - first if first is not None and last is not None else timedelta(0)
        self.accounts = sorted({a for p in self.kinds for a in p})
        self.index = {a: i for i, a in enumerate(self.accounts)}
        self.partners: dict[str, set[str]] = defaultdict(set)
        for a, b in self.kinds:
            self.partners[a].add(b)
            self.partners[b].add(a)

    def strong(self, a: str, b: str) -> bool:
        """Whether the pair is tied strongly enough to put both in one cluster: a strong
        identifier; or any shared identifier together with a review between them or a
        reviewee in common (co-reviewers on one network)."""
        kinds = self.kinds.get(pair(a, b), {})
        if kinds.keys() & STRONG_KINDS:
            return True
        if not kinds.keys() & WEAK_KINDS:
            return False
        return REVIEW in kinds or bool(self.reviewed.get(a, set()) & self.reviewed.get(b, set()))

    def neighbours(self) -> dict[str, set[str]]:
        """Every account's linked accounts (any kind of link)."""
        return self.partners

    def _pairs_inside(self, members: set[str]) -> list[tuple[str, str]]:
        """The linked pairs with both accounts in ``members`` (each once)."""
        return [(a, b) for a in members for b in self.partners.get(a, ()) if a < b and b in members]

    def components(self, extra_groups: Sequence[Iterable[str]] = ()) -> np.ndarray:
        """Component label of each account (``self.accounts`` order) over strong ties."""
        rows, cols = [], []
        for a, b in self.kinds:
            if self.strong(a, b):
                rows.append(self.index[a])
                cols.append(self.index[b])
        for group in extra_groups:
            ids = [self.index[a] for a in group if a in self.index]
            rows += ids[:1] * (len(ids) - 1)
            cols += ids[1:]
        n = len(self.accounts)
        matrix = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
        _, labels = connected_components(matrix, directed=False)
        return labels

    def single_purpose_stars(self) -> list[set[str]]:
        """Each reviewee with its reviewers who traded with nobody else and whom it did not
        review back, when they are at least ``MIN_SINGLE_PURPOSE`` and
        ``SINGLE_PURPOSE_SHARE`` of its reviewers.

        A freelancer rating its clients back is ordinary two-sided feedback (about two
        thirds of honest reviews on the simulated worlds are answered), so a new freelancer's
        one-off clients it reviewed are its trade, not bought reviews: on the four tuning
        worlds no beneficiary of a bought burst reviewed any of its reviewers, and each
        honest freelancer with eight one-off reviewers or more had reviewed 64-73% of them.
        None while the graph holds less than ``SINGLE_PURPOSE_HISTORY``.
        """
        if self.history < SINGLE_PURPOSE_HISTORY:
            return []
        traded: dict[str, set[str]] = defaultdict(set)
        reviewers: dict[str, set[str]] = defaultdict(set)
        for reviewer, reviewee in self.reviews:
            traded[reviewer].add(reviewee)
            traded[reviewee].add(reviewer)
            reviewers[reviewee].add(reviewer)
        stars = []
        for reviewee, theirs in reviewers.items():
            single = {
                r for r in theirs if traded[r] == {reviewee} and (reviewee, r) not in self.reviews
            }
            if len(single) >= MIN_SINGLE_PURPOSE and len(single) >= SINGLE_PURPOSE_SHARE * len(
                theirs
            ):
                stars.append(single | {reviewee})
        return stars

    def _labelled(self) -> tuple[set[str], set[str], np.ndarray]:
        blocks = dense_blocks(sorted(self.reviews), marked_down=self.marked_down)
        stars = self.single_purpose_stars()
        groups: list[Iterable[str]] = [b.accounts for b in blocks]
        groups += stars
        return (
            {a for b in blocks for a in b.accounts},
            {a for star in stars for a in star},
            self.components(groups),
        )

    def cluster_labels(self) -> tuple[set[str], np.ndarray]:
        """Accounts in dense review blocks, and each account's label over strong ties, those
        blocks and single-purpose reviewers with their reviewee (``self.accounts`` order)."""
        in_block, _, labels = self._labelled()
        return in_block, labels

    def _reviews_inside(self, members: set[str]) -> int:
        return sum(1 for m in members for e in self.reviewed.get(m, ()) if e in members)

    def _beneficiaries(self, members: set[str]) -> set[str]:
        """Outside accounts reviewed by at least ``MIN_MEMBERS`` members of a group."""
        counts: dict[str, int] = defaultdict(int)
        for member in members:
            for reviewee in self.reviewed.get(member, ()):
                if reviewee not in members:
                    counts[reviewee] += 1
        return {a for a, n in counts.items() if n >= MIN_MEMBERS}

    def clusters(
        self, min_members: int = MIN_MEMBERS, *, suspicious_only: bool = True
    ) -> list[Cluster]:
        """Clusters of strong ties merged with dense review blocks, with the accounts their
        members reviewed together; by default only suspicious ones (see ``Cluster.reasons``)."""
        in_block, in_star, labels = self._labelled()
        groups: dict[int, set[str]] = defaultdict(set)
        for account, label in zip(self.accounts, labels, strict=True):
            groups[int(label)].add(account)
        found = []
        for members in groups.values():
            if len(members) < 2:
                continue
            helped = self._beneficiaries(members)
            reasons = []
            if members & in_block:
                reasons.append("dense_review_block")
            if members & in_star:
                reasons.append("single_purpose_reviewers")
            if helped:
                reasons.append("reviews_one_account_together")
            if self._reviews_inside(members) >= len(members) - 1:
                reasons.append("members_review_one_another")
            shared = {
                k for p in self._pairs_inside(members) for k in self.kinds[p]
            } & IDENTITY_KINDS
            if shared and len(members) >= min_members:
                reasons.append("shared_identity")
            everyone = members | helped
            if len(everyone) >= min_members and (reasons or not suspicious_only):
                found.append(self._cluster(everyone, tuple(reasons)))
        return sorted(found, key=lambda c: c.cluster_id)

    def _cluster(self, members: set[str], reasons: tuple[str, ...]) -> Cluster:
        ties: dict[str, list[Tie]] = defaultdict(list)
        for a, b in sorted(self._pairs_inside(members)):
            kinds = self.kinds[(a, b)]
            names = tuple(sorted(kinds))
            details = tuple(kinds[k] for k in names)
            ties[a].append(Tie(b, names, details))
            ties[b].append(Tie(a, names, details))
        reviews = self._reviews_inside(members)
        size = len(members)
        return Cluster(
            cluster_id_of(members),
            tuple(sorted(members)),
            {m: tuple(t) for m, t in ties.items()},
            reviews,
            reviews / (size * (size - 1)),
            reasons,
        )


@dataclass(frozen=True, slots=True)
class GraphFeatures:
    """What the graph says about one account, for rules and the model."""

    component_size: int
    degree: int
    neighbour_risk: float
    blocked_neighbour_share: float
    ring_density: float


NO_GRAPH = GraphFeatures(1, 0, 0.0, 0.0, 0.0)


def graph_features(
    graph: AccountGraph, risk: dict[str, float], blocked: set[str]
) -> dict[str, GraphFeatures]:
    """Per account: component size, degree, neighbours' mean risk, share of blocked
    neighbours, and the review density of its component (0 outside clusters)."""
    _, labels = graph.cluster_labels()
    sizes = np.bincount(labels) if len(labels) else np.array([], dtype=np.int64)
    density: dict[str, float] = {}
    for cluster in graph.clusters(min_members=2, suspicious_only=False):
        for member in cluster.members:
            density[member] = cluster.density
    out = {}
    for account, others in graph.neighbours().items():
        label = labels[graph.index[account]]
        out[account] = GraphFeatures(
            component_size=int(sizes[label]),
            degree=len(others),
            neighbour_risk=float(np.mean([risk.get(o, 0.0) for o in others])),
            blocked_neighbour_share=sum(o in blocked for o in others) / len(others),
            ring_density=density.get(account, 0.0),
        )
    return out
