"""A claiming process for the concurrency test: its own engine, claims until the queue is dry."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from trust.cases import claim_next
from trust.errors import TransientStoreError
from trust.staff import Role, StaffMember
from trust.store import Store, transaction

NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
CLAIM_PAUSE_S = 0.002


def claim_until_empty(url: str, username: str, start_line: Any = None) -> list[int]:
    """Claim one case per transaction until none is left; returns the ids this process got.

    ``start_line`` (a shared barrier) holds every claimer until all have started, so a slow
    process start on a loaded machine cannot let one claimer empty the queue alone.
    """
    store = Store.open(url, migrate=False)
    if start_line is not None:
        start_line.wait(timeout=120)
    staff = StaffMember(0, username, Role.ANALYST)
    got: list[int] = []
    retries = 0
    try:
        while True:
            try:
                with transaction(store.engine) as conn:
                    case = claim_next(conn, staff, None, NOW, timedelta(hours=2))
            except TransientStoreError:
                # A claim that failed was rolled back as a whole, so trying again is safe.
                retries += 1
                if retries > 20:
                    raise
                continue
            if case is None:
                return got
            got.append(case.id)
            # A reviewer looks at a case before claiming the next; without a pause SQLite's
            # lock goes to whoever just released it and one claimer can starve the others.
            time.sleep(CLAIM_PAUSE_S)
    finally:
        store.close()
