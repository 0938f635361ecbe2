"""Acceptance of cluster cases on simulated data: is each planted ring one cluster?

A planted group is a connected set of accounts that reviewed one another within one planted
pattern (a review ring, a burst of puppets with their target). The account graph of the
store is clustered as ``trust graph clusters`` does; a group counts as caught when one
cluster holds at least ``CAUGHT_SHARE`` of its accounts. Precision is the share of clustered
accounts that took part in some planted fraud.

``pattern_recall`` replays history point-in-time: the clustering runs once a day on the links
that existed at the start of that day, and an event counts as caught by the graph when its
subject sat in a suspicious cluster then (and, separately, when a cluster found by the end of
the window holds it: the cluster case gathers its members' earlier events). Next to it, what
the pipeline decided (review or block) and the two together, per planted pattern, with the
precision of each queue; and the decisions once the clustering pass has sent the scheme
events of the clusters found by the end to review (``trust.cases.cluster_decisions``, the
same events ``trust graph watch`` revises).

"The pipeline decided" is the latest stored version: it holds what the pipeline itself
revised afterwards (late history, and the look-back that reopens a flagged complainant's
earlier complaints, ``trust.look_back``). ``at_arrival`` is each decision's first version,
so the two side by side show what those revisions added.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Connection, select

from trust.cases.clusters import scheme_events
from trust.events import EVENT_KINDS
from trust.graph.clusters import AccountGraph
from trust.graph.passes import deep_enough
from trust.graph.peeling import connected_groups
from trust.settings import Settings
from trust.signals.history import utc
from trust.store import Store, snapshot
from trust.store.graph import graph_links
from trust.store.tables import decision_versions, decisions, events

GROUP_PATTERNS = ("review_ring", "review_burst_new_accounts")
CAUGHT_SHARE = 0.8


@dataclass
class GroupCoverage:
    """One planted group and the share of it the best-matching cluster holds."""

    pattern: str
    accounts: int
    best_share: float
    cluster_id: str | None


@dataclass
class ClusterCoverage:
    """Planted groups against the clusters found, and how clean the clusters are."""

    clusters: int
    clustered_accounts: int
    fraud_share: float
    groups: list[GroupCoverage] = field(default_factory=list)

    def caught(self, pattern: str) -> tuple[int, int]:
        """(groups caught, groups planted) of a pattern."""
        mine = [g for g in self.groups if g.pattern == pattern]
        return sum(g.best_share >= CAUGHT_SHARE for g in mine), len(mine)

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return asdict(self)


def cluster_coverage(
    store: Store, truth_path: Path, as_of: datetime | None = None
) -> ClusterCoverage:
    """Cluster the stored graph (as of ``as_of``) and match planted groups to clusters."""
    truth = pd.read_csv(truth_path, index_col="event_id")
    with snapshot(store.engine) as conn:
        rows = conn.execute(
            select(events.c.event_id, events.c.kind, events.c.subject_id, events.c.counterparty_id)
        ).all()
        links = graph_links(conn, as_of)
    stored = pd.DataFrame(rows, columns=["event_id", "kind", "subject", "counterparty"])
    stored = stored.join(truth, on="event_id", how="inner")
    fraud = stored[stored["is_fraud"].astype(int) == 1]
    fraud_accounts = set(fraud["subject"]) | set(fraud["counterparty"].dropna())
    clusters = AccountGraph(links, as_of).clusters()
    clustered = {m for c in clusters for m in c.members}
    report = ClusterCoverage(
        clusters=len(clusters),
        clustered_accounts=len(clustered),
        fraud_share=len(clustered & fraud_accounts) / len(clustered) if clustered else 1.0,
    )
    for pattern in GROUP_PATTERNS:
        planted = fraud[(fraud["pattern"] == pattern) & (fraud["kind"] == "review")]
        for group in connected_groups(
            list(zip(planted["subject"], planted["counterparty"], strict=True))
        ):
            best = max(clusters, key=lambda c: len(group & set(c.members)), default=None)
            share = len(group & set(best.members)) / len(group) if best else 0.0
            report.groups.append(
                GroupCoverage(
                    pattern, len(group), share, best.cluster_id if best and share else None
                )
            )
    return report


@dataclass
class PatternRecall:
    """Share of one pattern's events sent to review or block by each route.

    ``events`` counts the scored events; ``requests`` the pattern's dispute and appeal
    submissions, which the pipeline takes into their own flow and never scores, so no
    route can send them to review and they are left out of the shares."""

    pattern: str
    events: int
    requests: int
    decisions: float
    graph: float
    either: float
    graph_by_end: float
    with_cluster_cases: float
    # The first version of each decision, before any revision by the pipeline.
    at_arrival: float = 0.0


@dataclass
class RecallReport:
    """Recall per planted pattern and the precision of each queue."""

    patterns: list[PatternRecall]
    precision: dict[str, float]
    # Per kind, of the events sent to review or block at arrival (first version), by the
    # latest stored decision, and with cluster cases.
    kind_precision: dict[str, dict[str, float]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return asdict(self)


def _daily_passes(
    conn: Connection, links: list[Any], moments: pd.Series, settings: Settings
) -> tuple[pd.Series, set[str]]:
    """A clustering pass at the start of each day of ``moments`` and one at the end.

    Returns, per event (index of ``moments``), whether its subject was clustered at the start
    of its day; and the events the passes sent to review (each pass those of the clusters it
    found for their reviews that had happened by then, as ``trust graph watch`` would)."""
    days = moments.dt.floor("D")
    members: dict[pd.Timestamp, set[str]] = {}
    revised: set[str] = set()
    for day in [*sorted(days.unique()), None]:
        as_of = None if day is None else utc(pd.Timestamp(day).to_pydatetime())
        graph = AccountGraph(links, as_of)
        found = graph.clusters()
        for cluster in found if deep_enough(graph, settings) else ():
            if cluster.found_for_reviews:
                revised.update(
                    scheme_events(conn, cluster.members, verifications=True, until=as_of)
                )
        if day is not None:
            members[day] = {m for c in found for m in c.members}
    return days.map(lambda d: members[d]), revised


def pattern_recall(
    store: Store, truth_path: Path, settings: Settings | None = None
) -> RecallReport:
    """Recall per pattern of the pipeline's decisions, of daily clusters, of both, and of
    the decisions once daily passes (under ``settings``) have revised them."""
    truth = pd.read_csv(truth_path, index_col="event_id")
    with snapshot(store.engine) as conn:
        rows = conn.execute(
            select(
                events.c.event_id,
                events.c.kind,
                events.c.subject_id,
                events.c.occurred_at,
                decisions.c.outcome,
            ).join(decisions, decisions.c.event_id == events.c.event_id, isouter=True)
        ).all()
        links = graph_links(conn)
        first = dict(
            conn.execute(
                select(decision_versions.c.event_id, decision_versions.c.outcome).where(
                    decision_versions.c.version == 1
                )
            ).all()
        )
    frame = pd.DataFrame(rows, columns=["event_id", "kind", "subject", "at", "outcome"]).join(
        truth, on="event_id", how="inner"
    )
    frame["first_outcome"] = [
        first.get(e, o) for e, o in zip(frame["event_id"], frame["outcome"], strict=True)
    ]
    requests = frame[~frame["kind"].isin(EVENT_KINDS)]
    requests_per_pattern = requests[requests["is_fraud"].astype(int) == 1]["pattern"].value_counts()
    frame = frame[frame["kind"].isin(EVENT_KINDS)]
    frame["at"] = pd.to_datetime(frame["at"], utc=True).dt.tz_localize(None)
    frame = frame.sort_values("at").reset_index(drop=True)
    with snapshot(store.engine) as conn:
        clustered, revised = _daily_passes(conn, links, frame["at"], settings or Settings())
    frame["graph"] = [s in m for s, m in zip(frame["subject"], clustered, strict=True)]
    frame["decisions"] = frame["outcome"].isin(["review", "block"])
    frame["at_arrival"] = frame["first_outcome"].isin(["review", "block"])
    frame["either"] = frame["graph"] | frame["decisions"]
    # A cluster case opened later still gathers its members' earlier events.
    final = {m for c in AccountGraph(links).clusters() for m in c.members}
    frame["graph_by_end"] = frame["subject"].isin(final)
    frame["with_cluster_cases"] = frame["decisions"] | frame["event_id"].isin(revised)
    fraud = frame["is_fraud"].astype(int) == 1
    patterns = [
        PatternRecall(
            str(pattern),
            len(group),
            int(requests_per_pattern.get(pattern, 0)),
            float(group["decisions"].mean()),
            float(group["graph"].mean()),
            float(group["either"].mean()),
            float(group["graph_by_end"].mean()),
            float(group["with_cluster_cases"].mean()),
            float(group["at_arrival"].mean()),
        )
        for pattern, group in frame[fraud].groupby("pattern")
    ]
    # Decisions are per event; the graph holds accounts, so its precision is per account (a
    # clustered account's own honest sign-ins are not a cluster's false positives).
    precision = {
        route: float(fraud[frame[route]].mean()) if frame[route].any() else 1.0
        for route in ("at_arrival", "decisions", "either", "with_cluster_cases")
    }
    fraud_accounts = set(frame.loc[fraud, "subject"])
    for route in ("graph", "graph_by_end"):
        held = set(frame.loc[frame[route], "subject"])
        precision[route] = len(held & fraud_accounts) / len(held) if held else 1.0
    kind_precision = {
        str(kind): {
            route: float(group.loc[group[route], "is_fraud"].astype(int).mean())
            for route in ("at_arrival", "decisions", "with_cluster_cases")
            if group[route].any()
        }
        for kind, group in frame.groupby("kind")
        if kind in ("review", "profile_verification", "complaint")
    }
    return RecallReport(patterns, precision, kind_precision)
