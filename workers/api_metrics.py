"""Prometheus metrics of the HTTP API: requests by route and status and how long they took,
and the groups ``POST /v1/decisions`` decides concurrent requests in (how many each held,
how long each took). A group size that falls while traffic holds means the requests are
paying a group's fixed cost for fewer events (see ``trust.api.batcher``).

Each API process writes them to prometheus_client's multiprocess folder when one is set
before it starts: ``trust up`` sets its own and serves it on its metrics port, a ``trust
serve`` of its own sets ``<data>/api-metrics`` (``api_metrics_folder``). ``GET /metrics``
(scope ``metrics:read``) answers the merged view of every process writing there.
"""

from __future__ import annotations

import os
from pathlib import Path

from workers.metrics import merged_registry, prepare_multiprocess

REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
GROUP_SIZE_BUCKETS = (1, 2, 4, 8, 12, 16, 24, 32, 48, 64, 128, 256, 512, 1000)
GROUP_SECONDS_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
GROUP_SIZE = "trust_api_decision_group_size"


def api_metrics_folder(data_dir: Path) -> Path:
    """Where a ``trust serve`` of its own keeps its processes' metrics."""
    return data_dir.resolve() / "api-metrics"


def own_metrics_folder(env: dict[str, str]) -> dict[str, str]:
    """``env`` without a multiprocess metrics folder: a ``trust serve`` started with it
    keeps its metrics in its own (``api_metrics_folder``)."""
    return {k: v for k, v in env.items() if "multiproc" not in k.lower()}


def share_api_metrics(folder: Path) -> None:
    """Before the API processes start: have them write their metrics to ``folder``
    (emptied: the processes of an earlier run are gone), unless a folder is already set
    (``trust up`` set its own, shared with the workers, and serves it)."""
    if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        prepare_multiprocess(folder, clear=True)


class ApiMetrics:
    """This process's API metrics (``trust.api.context.Telemetry``)."""

    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Histogram, values

        # A registry of its own: apps built side by side in one process do not collide.
        self._registry = CollectorRegistry()
        # What a scrape reads: every process's files when the folder was set before
        # prometheus_client was first imported; otherwise this process's memory (an app
        # built in a test).
        shared = values.ValueClass is not values.MutexValue
        self._scraped = merged_registry() if shared else self._registry
        self._requests = Counter(
            "trust_api_requests_total",
            "API requests answered, by route and status.",
            ["route", "status"],
            registry=self._registry,
        )
        self._request_seconds = Histogram(
            "trust_api_request_seconds",
            "Time from a request's arrival to its answer, by route.",
            ["route"],
            buckets=REQUEST_BUCKETS,
            registry=self._registry,
        )
        self._group_size = Histogram(
            GROUP_SIZE,
            "POST /v1/decisions requests decided together in one group.",
            buckets=GROUP_SIZE_BUCKETS,
            registry=self._registry,
        )
        self._group_seconds = Histogram(
            "trust_api_decision_group_seconds",
            "Time to decide one group of POST /v1/decisions requests.",
            buckets=GROUP_SECONDS_BUCKETS,
            registry=self._registry,
        )

    def request(self, route: str, status: int, seconds: float) -> None:
        """One request answered."""
        self._requests.labels(route, str(status)).inc()
        self._request_seconds.labels(route).observe(seconds)

    def decision_group(self, size: int, seconds: float) -> None:
        """One group of decisions answered."""
        self._group_size.observe(size)
        self._group_seconds.observe(seconds)

    def exposition(self) -> tuple[bytes, str]:
        """The metrics as Prometheus text: every process's, merged, when they share a folder."""
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        return generate_latest(self._scraped), CONTENT_TYPE_LATEST


def decision_groups(folder: Path) -> dict[int, tuple[float, float]]:
    """Per API process (pid) writing to ``folder``: the groups of decisions it has decided
    and the requests they held, so far (what ``trust bench api`` reports per process)."""
    from prometheus_client.multiprocess import MultiProcessCollector

    groups: dict[int, tuple[float, float]] = {}
    for path in sorted(folder.glob("histogram_*.db")):
        for family in MultiProcessCollector.merge([str(path)]):
            if family.name == GROUP_SIZE:
                values = {sample.name: sample.value for sample in family.samples}
                pid = int(path.stem.rsplit("_", 1)[-1])
                groups[pid] = (values[f"{GROUP_SIZE}_count"], values[f"{GROUP_SIZE}_sum"])
    return groups


def mean_group_sizes(
    before: dict[int, tuple[float, float]], after: dict[int, tuple[float, float]]
) -> list[float]:
    """Each process's mean group size between two ``decision_groups`` readings, largest
    first (a process whose groups were split runs smaller ones than its peers)."""
    means = []
    for pid, (groups, requests) in after.items():
        groups_then, requests_then = before.get(pid, (0.0, 0.0))
        if groups > groups_then:
            means.append((requests - requests_then) / (groups - groups_then))
    return sorted(means, reverse=True)
