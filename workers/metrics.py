"""Prometheus metrics: dramatiq's own plus events by kind and outcome, rule hits, queue depth.

Worker processes write to prometheus_client's multiprocess folder; the supervisor serves
the merged view on 127.0.0.1 only. ``PROMETHEUS_MULTIPROC_DIR`` must be set before
prometheus_client is first imported, so ``prepare_multiprocess`` runs at process start.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


def prepare_multiprocess(folder: Path, *, clear: bool = False) -> None:
    """Point prometheus_client (and dramatiq's middleware) at a shared metrics folder."""
    if clear and folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)
    # Lower-case names are what older prometheus_client and dramatiq's middleware read.
    os.environ["prometheus_multiproc_dir"] = str(folder)  # noqa: SIM112
    os.environ["dramatiq_prom_db"] = str(folder)  # noqa: SIM112
    # dramatiq's exposition server listens on every interface by default; we never run it,
    # but pin it to loopback in case a dramatiq CLI worker is started with our module.
    os.environ["dramatiq_prom_host"] = "127.0.0.1"  # noqa: SIM112


class PipelineMetrics:
    """Our counters and histograms, created once per process."""

    def __init__(self) -> None:
        from prometheus_client import Counter, Gauge, Histogram

        self.events = Counter(
            "trust_events_total", "Events decided, by kind and outcome.", ["kind", "outcome"]
        )
        self.duplicates = Counter(
            "trust_duplicate_events_total", "Events skipped because already stored."
        )
        self.quarantined = Counter(
            "trust_quarantined_records_total", "Records refused and quarantined."
        )
        self.rule_hits = Counter(
            "trust_rule_hits_total", "Live rule hits, by rule.", ["rule_id", "kind"]
        )
        self.cases = Counter("trust_case_links_total", "Flagged events opened or joined a case.")
        self.latency = Histogram(
            "trust_decision_latency_seconds",
            "Time from enqueue to decision committed.",
            buckets=LATENCY_BUCKETS,
        )
        self.batch_seconds = Histogram(
            "trust_batch_seconds", "Time to process one batch.", buckets=LATENCY_BUCKETS
        )
        self.splits = Counter("trust_batch_splits_total", "Failing batches split in halves.")
        self.rule_pack = Gauge(
            "trust_rule_pack_info",
            "Worker processes running each rule pack version (first 12 hex digits).",
            ["version"],
            multiprocess_mode="livesum",
        )
        self.rule_pack_refused = Counter(
            "trust_rule_pack_reload_failures_total",
            "Changed rule folders refused; the running pack stayed in force.",
        )
        # workers/breaker.py: the worst state among live worker processes.
        self.revisions = Counter(
            "trust_decisions_revised_total",
            "Stored decisions re-scored into a new version because their history arrived late.",
        )
        self.reopened = Counter(
            "trust_decisions_reopened_total",
            "Allowed decisions sent to review because their actor was flagged later "
            "(trust/look_back.py, trust/reported_look_back.py).",
        )
        self.breaker_state = Gauge(
            "trust_store_breaker_state",
            "Store circuit breaker: 0 closed, 1 half-open (trying), 2 open (holding batches).",
            multiprocess_mode="livemax",
        )
        self.breaker_trips = Counter(
            "trust_store_breaker_trips_total",
            "Times the store was found unreachable and workers stopped taking batches.",
        )
        self.breaker_held_seconds = Counter(
            "trust_store_breaker_held_seconds_total",
            "Seconds batches were held in place waiting for the store.",
        )
        self._pack_version: str | None = None

    def pack_in_force(self, version: str) -> None:
        """Count this process under ``version`` (and no longer under the one before)."""
        short = version[:12]
        if short == self._pack_version:
            return
        if self._pack_version is not None:
            self.rule_pack.labels(self._pack_version).set(0)
        self.rule_pack.labels(short).set(1)
        self._pack_version = short

    def observe_batch(self, result: Any, *, enqueued_at: float | None, took: float) -> None:
        """Count one processed ``trust.pipeline.BatchResult``."""
        for (kind, outcome), n in result.outcomes.items():
            self.events.labels(kind, outcome).inc(n)
        for decision in result.decisions:
            for hit in decision.rule_hits:
                self.rule_hits.labels(hit.rule_id, decision.kind).inc()
        self.duplicates.inc(result.duplicates)
        self.quarantined.inc(result.quarantined)
        self.cases.inc(len(result.case_ids))
        self.revisions.inc(len(result.revisions))
        self.reopened.inc(len(result.reopened))
        self.batch_seconds.observe(took)
        if enqueued_at is not None and result.decisions:
            self.latency.observe(max(0.0, time.time() - enqueued_at))


_metrics: PipelineMetrics | None = None
_lock = threading.Lock()


def pipeline_metrics() -> PipelineMetrics:
    """This process's metrics (created on first use)."""
    global _metrics
    with _lock:
        if _metrics is None:
            _metrics = PipelineMetrics()
        return _metrics


class QueueDepthCollector:
    """Reads queue and dead-letter depths from Redis at scrape time."""

    def __init__(self, depths: Callable[[], dict[str, int]]) -> None:
        self.depths = depths

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        gauge = GaugeMetricFamily(
            "trust_queue_depth", "Messages waiting, by queue.", labels=["queue"]
        )
        try:
            for queue, depth in self.depths().items():
                gauge.add_metric([queue], depth)
        except Exception:  # Redis down: report no sample rather than failing the scrape
            return
        yield gauge


def merged_registry(folder: str | None = None) -> Any:
    """A registry that reads every process's metrics from the multiprocess folder
    (``folder``, else the one ``prepare_multiprocess`` set) at each collection."""
    from prometheus_client import CollectorRegistry, multiprocess

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=folder)
    return registry


def serve_metrics(
    host: str, port: int, depths: Callable[[], dict[str, int]] | None = None
) -> ThreadingHTTPServer:
    """Serve the merged multiprocess metrics on ``host:port`` from a daemon thread."""
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    registry = merged_registry()
    if depths is not None:
        registry.register(QueueDepthCollector(depths))  # type: ignore[arg-type]

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = generate_latest(registry)
            self.send_response(200)
            self.send_header("Content-Type", CONTENT_TYPE_LATEST)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer((host, port), Handler)
    threading.Thread(target=server.serve_forever, name="trust-metrics", daemon=True).start()
    return server
