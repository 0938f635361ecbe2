"""A real worker process that SIGKILLs itself when it starts deciding one chosen event.

``python -m tests.workers.crashing_worker`` runs ``workers.process`` unchanged, except that
``Pipeline.process`` first looks for the event named by ``CRASH_ON_ENV`` and, if it is
in the batch, kills its own process with SIGKILL: a batch that deterministically crashes
every worker that takes it, as a native segfault or the out-of-memory killer would.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from trust.pipeline import BatchResult, Pipeline
from trust.store.quarantine import QuarantinedRecord
from workers.process import main

CRASH_ON_ENV = "TRUST_TEST_CRASH_ON_EVENT"


def crash_on(event_id: str) -> None:
    """Make ``Pipeline.process`` SIGKILL this process when ``event_id`` is in its batch."""
    original = Pipeline.process

    def process(
        self: Pipeline,
        records: Iterable[Any],
        now: datetime | None = None,
        *,
        refused: Sequence[QuarantinedRecord] = (),
    ) -> BatchResult:
        records = list(records)
        if any(isinstance(r, dict) and r.get("event_id") == event_id for r in records):
            os.kill(os.getpid(), signal.SIGKILL)
        return original(self, records, now, refused=refused)

    Pipeline.process = process  # type: ignore[method-assign]


if __name__ == "__main__":
    crash_on(os.environ[CRASH_ON_ENV])
    main()
