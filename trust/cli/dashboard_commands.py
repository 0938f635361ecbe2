"""``trust bench dashboard``: how fast the queue and case screens load over a big queue."""

from __future__ import annotations

import typer

from trust.cli.bench_commands import bench_app


@bench_app.command("dashboard")
def bench_dashboard_command(
    cases: int = typer.Option(100_000, "--cases", min=100, help="Open cases to seed."),
    repeat: int = typer.Option(5, "--repeat", min=1, help="Warm repeats per read."),
    render: bool = typer.Option(
        True, "--render/--no-render", help="Also render the screens headlessly (AppTest)."
    ),
    database_url: str = typer.Option(
        "", "--database-url", help="Seed this (empty) database instead of a temp SQLite file."
    ),
) -> None:
    """Seed open cases into a scratch store; print the time to load the queue and a case."""
    import tempfile
    from datetime import UTC, datetime
    from pathlib import Path

    from trust.cli.context import console, settings
    from trust.dashboard_bench import (
        DashboardBenchReport,
        bench_member,
        ensure_scratch,
        seed_queue,
        time_reads,
        top_case_id,
    )
    from trust.encryption import Keyring
    from trust.errors import ConfigurationError
    from trust.store import Store

    with tempfile.TemporaryDirectory(prefix="trust-bench-dashboard-") as scratch:
        url = database_url or f"sqlite:///{Path(scratch) / 'trust.db'}"
        current = settings().model_copy(update={"database_url": url})
        with Store.open(url, keyring=Keyring.from_settings(current)) as store:
            try:
                ensure_scratch(store)
            except ConfigurationError as exc:
                raise typer.BadParameter(str(exc), param_hint="--database-url") from None
            with console.status(f"seeding {cases:,} open cases...") as status:
                seconds = seed_queue(
                    store,
                    cases,
                    current,
                    datetime.now(UTC),
                    progress=lambda n: status.update(f"seeded {n:,} cases..."),
                )
            report = DashboardBenchReport(cases, seconds, store.dialect)
            member = bench_member(store)
            report.timings.extend(time_reads(store, current, member, repeat=repeat))
            if render:
                from dashboard.bench import render_timings

                with console.status("rendering the screens headlessly..."):
                    report.timings.extend(render_timings(url, member, top_case_id(store, current)))
    typer.echo(report.render())


def register(app: typer.Typer) -> None:
    """Nothing to add at the top level: the command hangs off the shared ``bench`` group."""
