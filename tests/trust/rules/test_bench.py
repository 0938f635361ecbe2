"""``trust bench rules`` runs end to end on a tiny simulation and reports every figure."""

from __future__ import annotations

from tests.trust.rules.conftest import RULES_DIR
from trust.rules.bench import bench_rules


def test_the_rules_benchmark_measures_rules_alone_and_with_signals() -> None:
    report = bench_rules(RULES_DIR, accounts=30, days=3, seed=5, repeat=1, batch_size=50)
    assert report.events > 0
    assert report.rules_only.cpu > 0 and report.signals_and_rules.cpu > 0
    text = report.render()
    for label in ("(a) rules alone", "(a') rules alone", "(b) signals + rules", "events/s"):
        assert label in text
