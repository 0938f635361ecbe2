"""Tables printed by ``trust rules backtest``: hits per rule, outcomes, precision and recall."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from trust.rules.backtest import BacktestResult, TruthRow, recall_by_pattern, score_against
from trust.rules.pack import RulePack


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def print_report(
    console: Console,
    pack: RulePack,
    result: BacktestResult,
    truth: dict[str, TruthRow] | None,
    labels: dict[str, bool],
    shown: list[str] | None,
    appeals: dict[str, bool] | None = None,
) -> None:
    """Print the backtest of ``pack``; ``shown`` limits the per-rule table to some rule ids.

    ``appeals`` (decision event id -> overturned) adds each rule's overturn rate on appeal.
    """
    appeals = appeals or {}
    judged: dict[str, bool] = (
        {e: row.is_fraud for e, row in truth.items()} if truth is not None else labels
    )
    source = "truth.csv" if truth is not None else f"staff labels ({len(labels)} events)"
    rules = Table(title=f"hits per rule, pack {pack.version[:12]}; precision against {source}")
    columns = ("rule", "state", "hits", "precision") + (
        ("overturned on appeal",) if appeals else ()
    )
    for column in columns:
        rules.add_column(column, justify="left" if column in {"rule", "state"} else "right")
    for rule in pack.rules:
        if shown is not None and rule.id not in shown:
            continue
        hit_ids = result.hit_events.get(rule.id, set())
        score = score_against(hit_ids, judged)
        appealed = [appeals[e] for e in hit_ids if e in appeals]
        overturned = (
            f"{sum(appealed)}/{len(appealed)} ({sum(appealed) / len(appealed):.0%})"
            if appealed
            else "-"
        )
        cells = [rule.id, rule.spec.state, str(len(hit_ids)), _fmt(score.precision)]
        rules.add_row(*cells, *([overturned] if appeals else []))
    console.print(rules)
    total = score_against(result.flagged, judged)
    console.print(
        f"{result.events:,} events in {result.seconds:.1f}s "
        f"({result.events / max(result.seconds, 1e-9):,.0f} events/s); outcomes: "
        + ", ".join(f"{k} {v:,}" for k, v in sorted(result.outcomes.items()))
    )
    if result.errors:
        console.print(
            "evaluation errors: " + ", ".join(f"{k} {v}" for k, v in result.errors.items())
        )
    console.print(
        f"at outcome review or block: precision {_fmt(total.precision)}, "
        f"recall {_fmt(total.recall)} ({total.true_positives} of {total.flagged} labelled flags)"
    )
    if truth is None:
        return
    patterns = Table(title="recall per planted pattern (outcome review or block)")
    for column in ("pattern", "events", "flagged", "recall"):
        patterns.add_column(column, justify="left" if column == "pattern" else "right")
    for pattern, score in recall_by_pattern(result.flagged, truth).items():
        patterns.add_row(
            pattern, str(score.positives), str(score.true_positives), _fmt(score.recall)
        )
    console.print(patterns)
