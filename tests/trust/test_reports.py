"""Figures for the metrics and rules screens, on SQLite and PostgreSQL."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from trust import reports
from trust.cases.seed import seed_open_cases
from trust.store import transaction
from trust.store.tables import cases, decisions

NOW = datetime(2026, 6, 3, 12, 0, tzinfo=UTC)
WEEK_AGO = NOW - timedelta(days=7)


@pytest.fixture
def seeded(store, settings):
    """Twenty open cases seeded an hour before NOW; ids in order."""
    with transaction(store.engine) as conn:
        return seed_open_cases(conn, 20, NOW - timedelta(hours=1), settings, seed=3).case_ids


def _resolve(store, case_ids, label, *, by="ana", after=timedelta(hours=2)):
    with transaction(store.engine) as conn:
        conn.execute(
            update(cases)
            .where(cases.c.id.in_(case_ids))
            .values(status="resolved", label=label, resolved_by=by, resolved_at=NOW + after)
        )


def test_the_backlog_counts_open_cases_by_kind_and_status(store, seeded) -> None:
    _resolve(store, seeded[:5], "dismissed")
    with transaction(store.engine) as conn:
        rows = reports.backlog_by_kind(conn)
    assert sum(r["cases"] for r in rows) == 15
    assert {r["status"] for r in rows} == {"open"}


def test_breaches_count_open_cases_past_due_and_cases_resolved_late(store, seeded) -> None:
    _resolve(store, seeded[:2], "confirmed", after=timedelta(days=30))
    with transaction(store.engine) as conn:
        later = reports.sla_breaches(conn, NOW + timedelta(days=30), WEEK_AGO)
        now = reports.sla_breaches(conn, NOW, WEEK_AGO)
    assert sum(r["breached_open"] for r in later) == 18
    assert sum(r["resolved_late"] for r in later) == 2
    assert sum(r["breached_open"] for r in now) < 18


def test_resolution_times_give_median_and_95th_percentile_hours(store, seeded) -> None:
    _resolve(store, seeded, "dismissed")
    with transaction(store.engine) as conn:
        rows = reports.resolution_times(conn, WEEK_AGO)
    assert sum(r["resolved"] for r in rows) == 20
    for row in rows:
        assert 0 < row["p50_hours"] <= row["p95_hours"]


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        ([], 0.5, math.nan),
        ([4.0], 0.95, 4.0),
        ([1.0, 2.0, 3.0, 4.0], 0.5, 2.5),
        ([0.0, 10.0], 0.95, 9.5),
    ],
)
def test_percentiles_interpolate_between_neighbours(values, q, expected) -> None:
    got = reports.percentile(values, q)
    assert (math.isnan(got) and math.isnan(expected)) or got == pytest.approx(expected)


def test_decisions_are_counted_per_day_and_outcome(store, seeded) -> None:
    with transaction(store.engine) as conn:
        rows = reports.decisions_per_outcome(conn, WEEK_AGO)
        total = conn.execute(decisions.select()).all()
    assert sum(r["decisions"] for r in rows) == len(total)
    assert {r["outcome"] for r in rows} <= {"review", "block"}
    assert all(len(r["day"]) == 10 for r in rows)


def test_reviewer_throughput_counts_resolutions_per_person(store, seeded) -> None:
    _resolve(store, seeded[:3], "confirmed", by="ana")
    _resolve(store, seeded[3:4], "dismissed", by="lee")
    with transaction(store.engine) as conn:
        rows = reports.reviewer_throughput(conn, WEEK_AGO)
    assert {r["reviewer"]: r["resolved"] for r in rows} == {"ana": 3, "lee": 1}


def test_reviewer_throughput_credits_the_proposer_and_the_approver(store, seeded) -> None:
    with transaction(store.engine) as conn:
        conn.execute(
            update(cases)
            .where(cases.c.id == seeded[0])
            .values(
                status="resolved",
                label="confirmed",
                resolved_by="lee",
                resolved_at=NOW,
                resolution={
                    "action": "block_account",
                    "reason_code": "ban_evasion",
                    "proposed_by": "ana",
                    "approved_by": "lee",
                },
            )
        )
        rows = reports.reviewer_throughput(conn, WEEK_AGO)
    assert {r["reviewer"]: r["resolved"] for r in rows} == {"ana": 1, "lee": 1}


def test_rule_hits_are_unnested_per_rule_and_day(store, seeded) -> None:
    with transaction(store.engine) as conn:
        rows = reports.rule_hits_per_day(conn, WEEK_AGO)
        hits = sum(len(d.rule_hits) for d in conn.execute(decisions.select()))
    assert sum(r["hits"] for r in rows) == hits
    assert {r["state"] for r in rows} == {"live"}


def test_precision_is_confirmed_over_judged_per_rule(store, seeded) -> None:
    _resolve(store, seeded[:10], "confirmed")
    _resolve(store, seeded[10:15], "dismissed")
    with transaction(store.engine) as conn:
        rows = reports.rule_precision(conn, WEEK_AGO)
    assert rows
    for row in rows:
        judged = row["confirmed"] + row["dismissed"]
        assert row["precision"] == pytest.approx(row["confirmed"] / judged)
    assert sum(r["confirmed"] for r in rows) > sum(r["dismissed"] for r in rows)


def test_nothing_judged_means_no_precision_rows(store, seeded) -> None:
    with transaction(store.engine) as conn:
        assert reports.rule_precision(conn, WEEK_AGO) == []
