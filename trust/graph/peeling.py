"""Dense blocks of reviews: peeling the review graph down to its triangle-rich core (k-truss).

Ordinary trade is close to bipartite (clients review freelancers and back, on their own
contracts), so two accounts that reviewed each other rarely share a third partner who
reviewed both. A review farm, whose members hire and review one another, is the opposite:
nearly every pair of members traded, and every pair has partners in common. Peeling repeatedly
removes each pair of accounts that traded (in either direction) unless it closes at least
``min_triangles`` triangles with pairs still in the graph; what survives, split into
connected groups, are the dense blocks (Cohen, "Trusses: cohesive subgraphs for social
network analysis", 2008). Farms that split each person into a client and a freelancer
account trade as a dense bipartite block instead, without triangles: the same peeling on
four-cycles (a bitruss, Zou, "Bitruss decomposition of bipartite graphs", 2016) finds them.
A farm that trades only with itself, however sparsely, is a small closed community apart
from the one large market honest trade forms: its 2-core is a block too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass

from trust.graph.links import pair


@dataclass(frozen=True, slots=True)
class ReviewBlock:
    """A dense block: its accounts and the trading pairs inside it."""

    accounts: frozenset[str]
    pairs: int


def connected_groups(pairs: Iterable[tuple[str, str]]) -> list[set[str]]:
    """The accounts of ``pairs`` grouped by connected component (union-find, path halving)."""
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        parent[root(a)] = root(b)
    groups: dict[str, set[str]] = defaultdict(set)
    for account in parent:
        groups[root(account)].add(account)
    return list(groups.values())


def _truss(pairs: set[tuple[str, str]], min_triangles: int) -> set[tuple[str, str]]:
    adjacent: dict[str, set[str]] = defaultdict(set)
    for a, b in pairs:
        adjacent[a].add(b)
        adjacent[b].add(a)
    alive = set(pairs)
    doubtful = set(alive)
    while doubtful:
        a, b = doubtful.pop()
        if (a, b) not in alive:
            continue
        common = adjacent[a] & adjacent[b]
        if len(common) >= min_triangles:
            continue
        alive.discard((a, b))
        adjacent[a].discard(b)
        adjacent[b].discard(a)
        # Pairs that closed a triangle with this one may now fall below the bar.
        for c in common:
            doubtful.add(pair(a, c))
            doubtful.add(pair(b, c))
    return alive


def _squares(adjacent: dict[str, set[str]], a: str, b: str) -> int:
    """Four-cycles a-b-c-d-a through the pair (a, b)."""
    return sum(len((adjacent[a] & adjacent[c]) - {b}) for c in adjacent[b] if c != a)


def _bitruss(
    pairs: set[tuple[str, str]], min_squares: int, min_share: float
) -> set[tuple[str, str]]:
    """Peel in rounds: every doubtful pair below the bar in a round goes at once.

    Removing a pair can raise a neighbour's share of four-cycles as well as lower its count,
    so peeling one pair at a time would find a different block depending on the order the
    pairs came in (set order, which changes from run to run); judging a round's pairs all on
    the same graph makes the result one."""
    adjacent: dict[str, set[str]] = defaultdict(set)
    for a, b in pairs:
        adjacent[a].add(b)
        adjacent[b].add(a)
    alive = set(pairs)
    doubtful = set(alive)
    while doubtful:
        failing = set()
        for a, b in doubtful & alive:
            squares = _squares(adjacent, a, b)
            possible = (len(adjacent[a]) - 1) * (len(adjacent[b]) - 1)
            if squares < min_squares or squares < min_share * possible:
                failing.add((a, b))
        alive -= failing
        for a, b in failing:
            adjacent[a].discard(b)
            adjacent[b].discard(a)
        # Every pair at either end may have lost squares (or gained share): look again.
        doubtful = {pair(x, c) for a, b in failing for x in (a, b) for c in adjacent[x]}
    return alive


# A trading community cut off from the rest of the marketplace counts up to this many accounts.
MAX_CLOSED_COMMUNITY = 60
# A loop-free island is a ring's when this many of its accounts each traded with two others on
# it or more (several clients who each hired several freelancers, not one freelancer's
# clients), over this many reviews, every one of them a top mark. Honest islands of that
# breadth are rare and carry the mix of marks honest trade does (on the tuning worlds about
# 40% of honest reviews are below the top mark, so ten top marks in a row come by chance
# about once in two hundred islands); a ring is there to hand out top marks.
MIN_ISLAND_TRADERS = 4
MIN_ISLAND_REVIEWS = 10


def _adjacency(pairs: Iterable[tuple[str, str]]) -> dict[str, set[str]]:
    adjacent: dict[str, set[str]] = defaultdict(set)
    for a, b in pairs:
        adjacent[a].add(b)
        adjacent[b].add(a)
    return adjacent


def _islands(adjacent: dict[str, set[str]], max_size: int) -> Iterator[set[str]]:
    """The connected components of at most ``max_size`` accounts (the market left out)."""
    seen: set[str] = set()
    for start in adjacent:
        if start in seen:
            continue
        component, stack = set(), [start]
        while stack:
            node = stack.pop()
            if node not in component:
                component.add(node)
                stack.extend(adjacent[node] - component)
        seen |= component
        if len(component) <= max_size:
            yield component


def _closed_communities(pairs: set[tuple[str, str]], max_size: int) -> set[tuple[str, str]]:
    """Pairs of the small connected components of the trade graph that close a cycle.

    Honest trade forms one large connected market around popular freelancers; accounts that
    trade only among themselves in a loop (a non-empty 2-core: members with two partners or
    more) are a closed community however sparse their block is (every member on its own
    device, no triangles), and so is everyone else on that island (hanging off the loop, they
    trade with nobody outside it either); a component without a loop (a chain, or one
    freelancer's one-off clients) is left alone."""
    adjacent = _adjacency(pairs)
    cores: set[str] = set()
    for component in _islands(adjacent, max_size):
        core = set(component)
        while weak := {n for n in core if len(adjacent[n] & core) < 2}:
            core -= weak
        if core:
            # Everyone on the island trades only on it: the accounts hanging off the loop
            # (one partner, or a short chain) are the same farm's.
            cores |= component
    return {p for p in pairs if p[0] in cores and p[1] in cores}


def top_marked_islands(
    reviews: Iterable[tuple[str, str]], marked_down: Collection[str], max_size: int
) -> set[tuple[str, str]]:
    """Pairs of the small trade islands, loop or not, where at least ``MIN_ISLAND_TRADERS``
    accounts traded with two others or more, with at least ``MIN_ISLAND_REVIEWS`` reviews
    (one per reviewer and reviewee: a repeat contract counts once), and no account in
    ``marked_down`` (one that gave or got less than a top mark).

    A sparse ring whose people split into a client and a freelancer account each can trade
    as a tree (each client hired a few of the others' freelancer accounts, no loop closed):
    by its shape alone it is an honest corner of a young marketplace, which in its first
    weeks is many such islands. What it trades is not: its members only ever hand out top
    marks."""
    pairs = {pair(r, e) for r, e in reviews if r != e}
    adjacent = _adjacency(pairs)
    written: dict[str, int] = defaultdict(int)
    for reviewer, reviewee in set(reviews):
        if reviewer != reviewee:
            written[reviewer] += 1
    down = set(marked_down)
    kept: set[str] = set()
    for island in _islands(adjacent, max_size):
        traders = sum(len(adjacent[a]) >= 2 for a in island)
        if (
            traders >= MIN_ISLAND_TRADERS
            and sum(written[a] for a in island) >= MIN_ISLAND_REVIEWS
            and not island & down
        ):
            kept |= island
    return {p for p in pairs if p[0] in kept}


def dense_blocks(
    reviews: Iterable[tuple[str, str]],
    *,
    marked_down: Collection[str] | None = None,
    min_triangles: int = 1,
    min_squares: int = 2,
    min_square_share: float = 0.3,
    min_accounts: int = 3,
) -> list[ReviewBlock]:
    """Blocks of accounts whose trading pairs each close ``min_triangles`` triangles, or —
    for farms whose client and freelancer accounts are kept apart, which trade as a dense
    bipartite block without triangles — ``min_squares`` four-cycles that are at least
    ``min_square_share`` of the four-cycles the two accounts' partners could close (so a
    popular freelancer's many clients do not make a block); or a small closed community
    (see ``_closed_communities``); and, when ``marked_down`` says which accounts gave or got
    less than a top mark, a small island of broad trade with top marks only (see
    ``top_marked_islands``)."""
    reviews = list(reviews)
    pairs = {pair(r, e) for r, e in reviews if r != e}
    core = (
        _truss(pairs, min_triangles)
        | _bitruss(pairs, min_squares, min_square_share)
        | _closed_communities(pairs, MAX_CLOSED_COMMUNITY)
    )
    if marked_down is not None:
        core |= top_marked_islands(reviews, marked_down, MAX_CLOSED_COMMUNITY)
    blocks = []
    for members in connected_groups(core):
        if len(members) >= min_accounts:
            inside = sum(1 for a, b in core if a in members)
            blocks.append(ReviewBlock(frozenset(members), inside))
    return sorted(blocks, key=lambda b: min(b.accounts))
