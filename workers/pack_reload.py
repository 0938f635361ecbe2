"""Rule pack hot reload in a worker: between batches, a changed rules folder is loaded.

A pack that is refused (``load_pack`` finds problems) is logged and counted, and the
running pack stays in force; the version in force is the ``trust_rule_pack_info`` metric.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from trust.errors import RulePackError
from trust.pipeline import Pipeline
from trust.rules.pack import RulePackHolder
from trust.scoring import Scorer
from trust.settings import Settings
from workers.metrics import pipeline_metrics


class ReloadingPipeline:
    """The process's pipeline, its rule pack refreshed each time a batch asks for it."""

    def __init__(
        self,
        pipeline: Callable[[], Pipeline],
        settings: Settings,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._pipeline = pipeline
        self._settings = settings
        self._clock = clock
        self._holder: RulePackHolder | None = None
        self._refused: RulePackError | None = None
        self._lock = threading.Lock()

    def get(self) -> Pipeline:
        """The pipeline, with the pack of a changed (and valid) rules folder swapped in."""
        pipeline = self._pipeline()
        scorer = pipeline.scorer
        interval = self._settings.worker.rules_reload_s
        if not isinstance(scorer, Scorer) or interval <= 0:
            return pipeline
        with self._lock:
            if self._holder is None:
                self._holder = RulePackHolder(
                    self._settings.rules_dir,
                    scorer.engine.pack,
                    interval_s=interval,
                    clock=self._clock,
                )
                pipeline_metrics().pack_in_force(scorer.pack_version)
            fresh = self._holder.refresh()
            if fresh is not None:
                scorer.use_pack(fresh)
                pipeline_metrics().pack_in_force(fresh.version)
            refused = self._holder.last_error
            if refused is not None and refused is not self._refused:
                pipeline_metrics().rule_pack_refused.inc()
            self._refused = refused
        return pipeline

    @property
    def holder(self) -> RulePackHolder | None:
        """The holder of the pack in force, once the first batch has asked for it."""
        return self._holder
