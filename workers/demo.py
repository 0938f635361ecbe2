"""The demo stream of ``trust up --demo``: a simulated marketplace, queued like real traffic."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from trust.graph.passes import cluster_pass
from trust.pipeline import Pipeline
from trust.settings import Settings
from trust.simulate import generate_events
from trust.store import Store, snapshot
from trust.store.tables import cases, decisions
from trust.submission import submit
from workers.actors import LazyPipeline, declare_actors
from workers.broker import TrustRedisBroker

if TYPE_CHECKING:
    from workers.up import UpOptions

DRAIN_TIMEOUT_S = 600.0


class DemoFeed:
    """Streams simulated events into the queue, then reports when all are decided."""

    def __init__(
        self,
        settings: Settings,
        broker: TrustRedisBroker,
        options: UpOptions,
        say: Callable[[str], None],
    ) -> None:
        self.settings = settings
        self.broker = broker
        self.options = options
        self.say = say
        self.store = Store.from_settings(settings, migrate=False)
        # This process only enqueues; the pipeline factory is never called here.
        self.actors = declare_actors(broker, settings, LazyPipeline(_no_pipeline).get)
        self._stop = threading.Event()

    def stop(self) -> None:
        """Stop streaming (events already queued stay queued)."""
        self._stop.set()

    def _records(self) -> Iterator[dict[str, Any]]:
        # The simulated days end now, so SLAs and dispute deadlines run as they would on a
        # live marketplace instead of all being long past.
        end = datetime.now(UTC).replace(second=0, microsecond=0)
        for record, _truth in generate_events(
            self.options.demo_accounts, self.options.demo_days, self.options.demo_seed, end
        ):
            if self._stop.is_set():
                return
            yield record

    def _decided(self) -> tuple[int, int]:
        with snapshot(self.store.engine) as conn:
            decided = conn.execute(select(func.count()).select_from(decisions)).scalar_one()
            open_cases = conn.execute(
                select(func.count()).select_from(cases).where(cases.c.status != "resolved")
            ).scalar_one()
        return int(decided), int(open_cases)

    def _cluster(self) -> None:
        """One clustering pass over the decided demo, so its rings are cluster cases now
        rather than at the watcher's next pass."""
        done = cluster_pass(self.store, self.settings)
        self.say(
            f"demo       {len(done.cases):,} cluster cases, {done.decisions_revised:,} "
            "decisions of their members sent to review"
        )

    def run(self) -> None:
        """Queue the whole simulated stream, then wait until the workers have decided it."""
        began = time.monotonic()
        result = submit(
            self._records(),
            sink=self.actors,
            store=self.store,
            settings=self.settings,
            source="demo",
        )
        self.say(
            f"demo       {result.queued:,} simulated events queued in {result.batches} batches"
            f" ({result.quarantined} refused)"
        )
        deadline = time.monotonic() + DRAIN_TIMEOUT_S
        while not self._stop.wait(1.0) and time.monotonic() < deadline:
            # qsize counts every message not yet acknowledged, in flight or waiting.
            if self.broker.do_qsize(self.settings.worker.queue_name) == 0:
                decided, open_cases = self._decided()
                took = time.monotonic() - began
                self.say(
                    f"demo       all decided in {took:.1f}s: {decided:,} decisions,"
                    f" {open_cases:,} open cases waiting in the review queue"
                )
                self._cluster()
                break
        self.store.close()


def _no_pipeline() -> Pipeline:
    raise RuntimeError("the demo feed only enqueues; workers run the pipeline")
