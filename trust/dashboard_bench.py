"""``trust bench dashboard``: the reads behind the queue and case screens over a big queue.

Seeds a store with many open cases (``trust.cases.seed``, in chunks so memory stays flat),
then times the very functions the screens call: a queue page (first, filtered and deep),
"my cases", a case with its evidence, the subject's timeline and linked accounts, and the
account search (an identifier through its keyed hash, a fuzzy name over every account).
Each figure is the median of a few warm repeats, with the first (cold) call shown too.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from trust.account_search import find_accounts
from trust.cases import QueueFilter, SlaState
from trust.cases.queries import (
    case_detail,
    linked_accounts,
    my_cases,
    queue_page,
    subject_timeline,
)
from trust.cases.seed import seed_open_cases
from trust.errors import ConfigurationError
from trust.linked_accounts import linked_groups
from trust.pii import hasher_for
from trust.settings import Settings
from trust.staff import StaffMember, add_staff, get_staff
from trust.store import Store, transaction
from trust.store.tables import cases

SEED_CHUNK = 10_000
TARGET_SECONDS = 1.0
BENCH_USER = "bench-lead"


@dataclass(frozen=True, slots=True)
class Timing:
    """One measured read: the first call in this process and the median of the repeats (s).

    The first call pays one-off costs (imports, an empty page cache, compiling the rule
    pack); the median is what a member of staff waits on a running dashboard.
    """

    name: str
    cold: float
    warm: float


@dataclass(slots=True)
class DashboardBenchReport:
    """What was seeded and how long each read took; ``render()`` is what the command prints."""

    open_cases: int
    seed_seconds: float
    dialect: str
    timings: list[Timing] = field(default_factory=list)

    def render(self) -> str:
        """A plain table with a verdict against the 1-second target per screen."""
        lines = [
            f"{self.open_cases:,} open cases seeded into {self.dialect} in "
            f"{self.seed_seconds:.1f} s",
            "",
            f"{'what':<48} {'first ms':>9} {'median ms':>10}  median < {TARGET_SECONDS:g} s",
        ]
        for t in self.timings:
            verdict = "ok" if t.warm < TARGET_SECONDS else "SLOW"
            lines.append(f"{t.name:<48} {t.cold * 1000:>9.1f} {t.warm * 1000:>10.1f}  {verdict}")
        lines += [
            "",
            "first = first call in this process (imports, cold page cache); "
            "median = later calls, as on a running dashboard.",
        ]
        return "\n".join(lines)


def ensure_scratch(store: Store) -> None:
    """Refuse a store that already holds cases: the benchmark's fakes must not mix with them."""
    with transaction(store.engine) as conn:
        if conn.execute(select(cases.c.id).limit(1)).first() is not None:
            raise ConfigurationError(
                "the benchmark seeds fake cases; point --database-url at an empty database"
            )


def seed_queue(
    store: Store,
    open_cases: int,
    settings: Settings,
    now: datetime,
    progress: Callable[[int], None] | None = None,
) -> float:
    """Fill ``store`` with ``open_cases`` open cases; returns the seconds it took."""
    started = time.perf_counter()
    done = 0
    while done < open_cases:
        n = min(SEED_CHUNK, open_cases - done)
        with transaction(store.engine) as conn:
            seed_open_cases(conn, n, now, settings, seed=done)
        done += n
        if progress:
            progress(done)
    # Fresh statistics, as autovacuum would have them on a long-lived queue (both databases
    # take ANALYZE inside a transaction).
    with transaction(store.engine) as conn:
        conn.exec_driver_sql("ANALYZE")
    return time.perf_counter() - started


def bench_member(store: Store) -> StaffMember:
    """The lead the benchmark reads as (created once per store)."""
    with transaction(store.engine) as conn:
        member = get_staff(conn, BENCH_USER)
        if member is None:
            add_staff(conn, BENCH_USER, "lead")
            member = get_staff(conn, BENCH_USER)
    assert member is not None
    return member


def _time(name: str, read: Callable[[], Any], repeat: int) -> Timing:
    samples = []
    for _ in range(repeat + 1):
        started = time.perf_counter()
        read()
        samples.append(time.perf_counter() - started)
    return Timing(name, samples[0], statistics.median(samples[1:]))


def time_reads(
    store: Store, settings: Settings, member: StaffMember, *, repeat: int = 5
) -> list[Timing]:
    """Time the reads of the queue and case screens, each in its own transaction."""
    now = datetime.now(UTC)
    hasher = hasher_for(settings)

    def read(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Callable[[], Any]:
        def run() -> Any:
            with transaction(store.engine) as conn:
                return fn(conn, *args, **kwargs)

        return run

    first = read(queue_page, QueueFilter(), now, settings)()
    top = first.items[0].case
    total_pages = first.pages
    filtered = QueueFilter(kind="review", sla_state=SlaState.DUE_SOON, min_score=60)
    return [
        _time(
            "queue: first page (50 by priority, total)",
            read(queue_page, QueueFilter(), now, settings),
            repeat,
        ),
        _time(
            "queue: filtered (review, due soon, score>=60)",
            read(queue_page, filtered, now, settings),
            repeat,
        ),
        _time(
            f"queue: deep page ({min(100, total_pages)} of {total_pages})",
            read(queue_page, QueueFilter(), now, settings, page=min(100, total_pages)),
            repeat,
        ),
        _time("queue: my cases", read(my_cases, member, now, settings), repeat),
        _time(
            "case: detail (evidence, decisions, notes, audit)", read(case_detail, top.id), repeat
        ),
        _time("case: subject timeline", read(subject_timeline, top.subject_id), repeat),
        _time("case: linked accounts", read(linked_accounts, top.subject_id), repeat),
        _time(
            "case: linked accounts grouped per account", read(linked_groups, top.subject_id), repeat
        ),
        _time(
            "accounts: find by e-mail (keyed hash, audited)",
            read(find_accounts, "someone@example.org", hasher, actor=BENCH_USER, at=now),
            repeat,
        ),
        _time(
            "accounts: find by name (fuzzy over every account)",
            read(find_accounts, "Sam Parkr", hasher, actor=BENCH_USER, at=now),
            repeat,
        ),
    ]


def top_case_id(store: Store, settings: Settings) -> int:
    """The id of the case at the head of the queue."""
    with transaction(store.engine) as conn:
        page = queue_page(conn, QueueFilter(), datetime.now(UTC), settings, page_size=1)
    return page.items[0].case.id
