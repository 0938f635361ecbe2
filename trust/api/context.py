"""What the API runs on, built once per process by the composition root (``workers/serve.py``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from trust.api.auth import KeyRing, RateLimiter, Usage
from trust.api.batcher import DecisionBatcher
from trust.pipeline import Pipeline, decide_many
from trust.settings import Settings
from trust.store import Store
from trust.submission import EventSink

# A readiness check answers "ok" or raises (the API reports the error's type).
ReadyCheck = Callable[[], str]


class Telemetry(Protocol):
    """Where the API reports what it did (Prometheus metrics: ``workers/api_metrics.py``)."""

    def request(self, route: str, status: int, seconds: float) -> None:
        """One request answered: its route (``POST /v1/decisions``), status and time."""
        ...

    def decision_group(self, size: int, seconds: float) -> None:
        """One group of ``POST /v1/decisions`` requests decided (``trust.api.batcher``)."""
        ...

    def exposition(self) -> tuple[bytes, str]:
        """The metrics for ``GET /metrics``: the body and its content type."""
        ...


@dataclass
class ApiContext:
    """Store, pipeline and event sink of this API process, with its keys and limits."""

    settings: Settings
    store: Store
    pipeline: Pipeline
    sink: EventSink
    checks: dict[str, ReadyCheck] = field(default_factory=dict)
    telemetry: Telemetry | None = None
    keys: KeyRing = field(init=False)
    limiter: RateLimiter = field(init=False)
    usage: Usage = field(init=False)
    decisions: DecisionBatcher = field(init=False)

    def __post_init__(self) -> None:
        self.keys = KeyRing(self.store)
        self.limiter = RateLimiter(self.settings.api.rate_per_second, self.settings.api.burst)
        self.usage = Usage.on(self.store)
        self.decisions = DecisionBatcher(
            lambda raws: decide_many(self.pipeline, raws),
            self.settings.api.decision_batch,
            self.settings.api.decision_linger_ms / 1000,
            self.telemetry.decision_group if self.telemetry is not None else None,
        )
