"""``trust bench validation``: every simulated kind is timed, and none of them is refused."""

from __future__ import annotations

from trust.intake.validation_bench import (
    ALL_KINDS,
    bench_validation,
    profile_validation,
    simulated_records,
)


def test_the_validation_bench_times_each_kind_and_the_mix_and_refuses_no_simulated_event() -> None:
    records = simulated_records(40, 5, 3)
    costs = bench_validation(records, repeat=1, batch_size=50)
    kinds = {r["kind"] for r in records}
    assert [c.kind for c in costs] == [*sorted(kinds), ALL_KINDS]
    assert costs[-1].events == len(records)
    assert sum(c.events for c in costs[:-1]) == len(records)
    assert all(c.refused == 0 and c.record_us > 0 and c.text_us > 0 for c in costs)


def test_the_validation_profile_names_the_validating_functions() -> None:
    report = profile_validation(simulated_records(20, 2, 3), top=40)
    assert "validate_record" in report
