"""``trust bench graph``: what a clustering pass costs, per link and per event.

Simulates a marketplace, ingests it into a scratch SQLite store (deciding every event, as
the workers do), then times a clustering pass: reading the links, clustering, and opening
the cluster cases. The per-event figure is the pass's cost spread over the events it
covered; the pass runs beside the per-event path, not inside it.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from trust.graph.passes import cluster_pass
from trust.intake import ingest_file
from trust.settings import Settings
from trust.simulate import simulate
from trust.store import Store


@dataclass(frozen=True)
class GraphBench:
    """Figures of one clustering pass over a simulated store."""

    events: int
    links: int
    clusters: int
    ingest_s: float
    read_s: float
    cluster_s: float
    cases_s: float

    def render(self) -> str:
        """Human-readable figures."""
        total = self.read_s + self.cluster_s + self.cases_s
        return "\n".join(
            [
                f"events {self.events:,} (ingested and decided in {self.ingest_s:.1f} s, "
                f"{self.events / self.ingest_s:,.0f} events/s)",
                f"links {self.links:,}; suspicious clusters {self.clusters}",
                f"pass: read {self.read_s:.2f} s, cluster {self.cluster_s:.2f} s, "
                f"cases {self.cases_s:.2f} s, total {total:.2f} s",
                f"pass cost per event covered: {total / max(self.events, 1) * 1e6:,.0f} µs; "
                f"per link: {total / max(self.links, 1) * 1e6:,.1f} µs",
            ]
        )


def bench_graph(settings: Settings, accounts: int, days: int, seed: int) -> GraphBench:
    """Simulate, ingest into a scratch store and time one clustering pass."""
    with tempfile.TemporaryDirectory(prefix="trust-bench-graph-") as folder:
        root = Path(folder)
        summary = simulate(accounts, days, seed, root / "world")
        url = f"sqlite:///{root / 'trust.db'}"
        scratch = settings.model_copy(update={"data_dir": root, "database_url": url})
        store = Store.open(url)
        try:
            began = time.perf_counter()
            ingest_file(store, summary.events_path, scratch)
            ingested = time.perf_counter() - began
            began = time.perf_counter()
            done = cluster_pass(store, scratch)
            total = time.perf_counter() - began
        finally:
            store.close()
    return GraphBench(
        summary.events,
        done.links,
        len(done.clusters),
        ingested,
        done.read_s,
        done.cluster_s,
        total - done.read_s - done.cluster_s,
    )
