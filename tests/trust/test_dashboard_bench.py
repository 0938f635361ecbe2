"""The dashboard benchmark seeds a queue and reports one figure per screen read."""

from __future__ import annotations

from trust.dashboard_bench import DashboardBenchReport, bench_member, seed_queue, time_reads


def test_the_benchmark_times_every_read_of_the_queue_and_case_screens(
    sqlite_store, settings
) -> None:
    from datetime import UTC, datetime

    seconds = seed_queue(sqlite_store, 250, settings, datetime.now(UTC))
    timings = time_reads(sqlite_store, settings, bench_member(sqlite_store), repeat=1)
    report = DashboardBenchReport(250, seconds, sqlite_store.dialect, timings)
    assert [t.name.split(":")[0] for t in timings] == ["queue"] * 4 + ["case"] * 4 + [
        "accounts"
    ] * 2
    assert all(t.cold > 0 and t.warm > 0 for t in timings)
    assert "250 open cases seeded into sqlite" in report.render()
    assert len(report.render().splitlines()) == 3 + len(timings) + 2
