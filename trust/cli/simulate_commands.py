"""``trust simulate``: synthetic marketplace events with planted fraud, for demos and tests."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table


def simulate_command(
    accounts: int = typer.Option(
        2000,
        "--accounts",
        min=10,
        help="Honest accounts in the marketplace; planted fraud schemes add their own.",
    ),
    days: int = typer.Option(30, "--days", min=1, help="Length of the simulated window."),
    seed: int = typer.Option(1, "--seed", help="Random seed: same arguments, same bytes."),
    out: Path = typer.Option(..., "--out", help="Folder for events.jsonl and truth.csv."),
    adversarial: bool = typer.Option(
        False,
        "--adversarial",
        help="Plant evasive rings, bursts and coercion: own devices and clean IPs, aged "
        "accounts, roles split between accounts, paraphrased texts, slow drips.",
    ),
) -> None:
    """Simulate a freelance marketplace: honest activity plus every fraud pattern, with truth."""
    from trust.cli.context import console
    from trust.simulate import PATTERN_RATES, simulate

    with console.status("simulating the marketplace..."):
        summary = simulate(accounts, days, seed, out, adversarial=adversarial)
    kinds = Table(title=f"{summary.events:,} events")
    for column in ("kind", "events", "planted fraud"):
        kinds.add_column(column, justify="right" if column != "kind" else "left")
    for kind, count in summary.by_kind.items():
        kinds.add_row(kind, f"{count:,}", f"{summary.fraud_by_kind.get(kind, 0):,}")
    patterns = Table(
        title="planted fraud", caption="rate: incidents per 1,000 accounts per 30 days"
    )
    for column in ("pattern", "rate", "incidents", "events"):
        patterns.add_column(column, justify="right" if column != "pattern" else "left")
    for pattern, rate in PATTERN_RATES.items():
        patterns.add_row(
            pattern,
            f"{rate:g}",
            str(summary.incidents[pattern]),
            f"{summary.by_pattern.get(pattern, 0):,}",
        )
    console.print(kinds, patterns)
    console.print(
        f"window {summary.window_start} .. {summary.window_end}; "
        f"{summary.accounts:,} accounts; {summary.fraud_events:,} fraud events "
        f"({summary.fraud_events / max(summary.events, 1):.1%}); "
        f"{summary.events_per_second:,.0f} events/s\n"
        f"wrote {summary.events_path} and {summary.truth_path}"
    )


def register(app: typer.Typer) -> None:
    """Add the simulate command."""
    app.command("simulate")(simulate_command)
