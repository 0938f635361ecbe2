"""One clustering pass over the store: read the links, find clusters, open cluster cases.

Run on demand (``trust graph clusters``) or every ``TRUST_GRAPH__INTERVAL_S`` seconds by
``trust graph watch`` (which ``trust up`` starts), so cluster cases follow the events as they
arrive while each event's own decision stays on the cheap per-batch path. A pass sends the
scheme events of clusters found for their reviews to review (``trust.cases.cluster_decisions``)
once the graph holds ``TRUST_GRAPH__REVISE_AFTER_DAYS`` of history.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from trust.cases.clusters import record_clusters
from trust.graph.clusters import AccountGraph, Cluster
from trust.settings import Settings
from trust.store import Store, snapshot, transaction
from trust.store.graph import graph_links


@dataclass
class ClusterPass:
    """What one pass found and did, and how long reading and clustering took."""

    links: int
    clusters: list[Cluster]
    cases: dict[str, int] = field(default_factory=dict)
    decisions_revised: int = 0
    read_s: float = 0.0
    cluster_s: float = 0.0


def deep_enough(graph: AccountGraph, settings: Settings) -> bool:
    """Whether the graph has seen enough history for a pass to revise members' decisions
    (``TRUST_GRAPH__REVISE_AFTER_DAYS``)."""
    return graph.history >= timedelta(days=settings.graph.revise_after_days)


def cluster_pass(
    store: Store, settings: Settings, *, as_of: datetime | None = None, open_cases: bool = True
) -> ClusterPass:
    """Cluster the graph as of ``as_of`` (all links when None); open or join cluster cases
    and send the allowed events of their schemes to review (``record_clusters``)."""
    started = time.perf_counter()
    with snapshot(store.engine) as conn:
        links = graph_links(conn, as_of)
    read = time.perf_counter()
    graph = AccountGraph(links, as_of)
    found = graph.clusters()
    result = ClusterPass(
        len(links), found, read_s=read - started, cluster_s=time.perf_counter() - read
    )
    if open_cases and found:
        with transaction(store.engine) as conn:
            revise = deep_enough(graph, settings)
            report = record_clusters(
                conn, found, settings, datetime.now(UTC), revise_decisions=revise
            )
        result.cases = report.cluster_cases
        result.decisions_revised = report.decisions_revised
    return result
