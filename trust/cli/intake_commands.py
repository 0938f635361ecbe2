"""``trust ingest`` and ``trust quarantine``: files in, refused records shown and replayed;
``trust bench validation``: what validating them costs."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from trust.cli.bench_commands import bench_app
from trust.intake import BatchOutcome, BatchSink, IngestBatch, IngestSummary
from trust.settings import Settings
from trust.store import Store, snapshot

# The source recorded with events that a quarantine replay decides here.
REPLAY_SOURCE = "quarantine replay"

quarantine_app = typer.Typer(
    help="Records refused at intake: list them, replay them after a fix.", no_args_is_help=True
)


def _ingest_with_progress(
    store: Store, path: Path, current: Settings, source: str | None, sink: BatchSink
) -> IngestSummary:
    """Run the ingest with a progress bar over the file's bytes."""
    from trust.cli.context import console
    from trust.intake import ingest_file

    with Progress(
        TextColumn("[bold]ingest[/] {task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task(path.name, total=path.stat().st_size)

        def advance(batch: IngestBatch, _outcome: BatchOutcome) -> None:
            progress.update(task, completed=batch.bytes_read)

        return ingest_file(store, path, current, source=source, sink=sink, on_batch=advance)


def ingest(
    path: Path = typer.Argument(
        ..., exists=True, dir_okay=False, readable=True, help="A .jsonl (or .csv) file."
    ),
    source: str | None = typer.Option(
        None, "--source", help="Name recorded with each event (default: the file name)."
    ),
    queue: bool | None = typer.Option(
        None,
        "--queue/--direct",
        help="Queue for the workers, or decide here (default: queue when workers are in use).",
    ),
    patience: float = typer.Option(
        60.0,
        "--queue-patience",
        min=0.0,
        help="Seconds to keep retrying an unreachable queue before stopping (with --queue).",
    ),
) -> None:
    """Validate a file of events, store the valid ones and quarantine the rest with reasons."""
    from trust.cli.boundary import ExitCode
    from trust.cli.context import console, err_console, open_store, settings
    from workers.intake_sinks import QueueSink, ingest_sink

    current = settings()
    with (
        open_store(current) as store,
        ingest_sink(
            current, store, use_queue=queue, source=source or path.name, patience_s=patience
        ) as sink,
    ):
        summary = _ingest_with_progress(store, path, current, source, sink)
        queued = isinstance(sink, QueueSink)
    table = Table(title=f"ingest of {summary.source}")
    columns = {
        "new, queued" if queued else "new, decided": summary.accepted,
        "already stored": summary.already_stored,
        "repeated in file": summary.duplicates,
        "quarantined": summary.quarantined,
        "already held": summary.already_held,
    }
    if queued:
        columns["not queued"] = summary.not_queued
    columns["lines"] = summary.lines_read
    for column in columns:
        table.add_column(column, justify="right")
    table.add_column("records/s", justify="right")
    table.add_row(*(str(n) for n in columns.values()), f"{summary.records_per_second:,.0f}")
    console.print(table)
    if summary.quarantined:
        console.print("see them with [bold]trust quarantine list[/]")
    if summary.stopped_at_line is not None:
        err_console.print(
            f"stopped at line {summary.stopped_at_line}: {summary.stop_reason}; "
            f"{summary.not_queued} records from there on were not queued. Run the same "
            "command again once the queue is back: what is stored or queued is not decided twice."
        )
        raise typer.Exit(ExitCode.UNAVAILABLE)


@quarantine_app.command("list")
def list_quarantine(
    limit: int = typer.Option(20, "--limit", min=1, help="How many records to show."),
    offset: int = typer.Option(0, "--offset", min=0, help="Skip this many (newest first)."),
) -> None:
    """Show held records, newest first: line, field-level reason, when they arrived."""
    from trust.cli.context import console, open_store
    from trust.store.quarantine import count_held, held_records

    with open_store() as store, snapshot(store.engine) as conn:
        rows = held_records(conn, limit=limit, offset=offset)
        total = count_held(conn)
    table = Table(title=f"quarantine: {total} held")
    for column in ("id", "source", "line", "reason", "received at"):
        table.add_column(column, overflow="fold")
    for row in rows:
        reasons = "\n".join(f"{e.get('field', '?')}: {e.get('message', '')}" for e in row.errors)
        table.add_row(
            str(row.id),
            row.source,
            "" if row.line_number is None else str(row.line_number),
            reasons or row.reason,
            row.received_at.strftime("%Y-%m-%d %H:%M:%S"),
        )
    console.print(table)


@quarantine_app.command("replay")
def replay(
    ids: list[int] | None = typer.Option(None, "--id", help="A held record's id (repeatable)."),
    replay_all: bool = typer.Option(False, "--all", help="Replay every held record."),
    queue: bool | None = typer.Option(
        None,
        "--queue/--direct",
        help="Queue for the workers, or decide here (default: queue when workers are in use).",
    ),
) -> None:
    """Re-validate held records against the current schema and decide those that now pass."""
    from trust.cli.context import console, err_console, open_store, settings
    from trust.intake import replay_quarantine
    from workers.intake_sinks import ingest_sink

    if bool(ids) == replay_all:
        err_console.print("give either --id (one or more) or --all")
        raise typer.Exit(2)
    current = settings()
    with (
        open_store(current) as store,
        ingest_sink(current, store, use_queue=queue, source=REPLAY_SOURCE) as sink,
    ):
        summary = replay_quarantine(store, sink, ids=None if replay_all else ids)
    table = Table(title="quarantine replay")
    for column in ("examined", "accepted", "already stored", "still held", "not held"):
        table.add_column(column, justify="right")
    table.add_row(
        *(
            str(n)
            for n in (
                summary.examined,
                summary.accepted,
                summary.already_stored,
                summary.still_held,
                summary.not_held,
            )
        )
    )
    console.print(table)


@bench_app.command("validation")
def bench_validation_command(
    accounts: int = typer.Option(2000, "--accounts", min=10, help="Simulated honest accounts."),
    days: int = typer.Option(30, "--days", min=1, help="Simulated days."),
    seed: int = typer.Option(17, "--seed", help="Simulation seed."),
    repeat: int = typer.Option(3, "--repeat", min=1, help="Passes; the fastest counts."),
    batch_size: int = typer.Option(250, "--batch-size", min=1, help="Records per batch."),
    profile: int = typer.Option(
        0, "--profile", min=0, help="Also print cProfile's top N functions (by own time)."
    ),
) -> None:
    """CPU microseconds per event to validate each kind of simulated event (screen())."""
    from trust.cli.context import console
    from trust.intake.validation_bench import (
        bench_validation,
        profile_validation,
        simulated_records,
    )

    with console.status("simulating and validating..."):
        records = simulated_records(accounts, days, seed)
        costs = bench_validation(records, repeat=repeat, batch_size=batch_size)
    table = Table(title="Validating records (screen()): CPU time per event, one core")
    for column in ("kind", "events", "decoded µs", "JSON text µs", "refused"):
        table.add_column(column, justify="right" if column != "kind" else "left")
    for cost in costs:
        table.add_row(
            cost.kind,
            f"{cost.events:,}",
            f"{cost.record_us:.1f}",
            f"{cost.text_us:.1f}",
            f"{cost.refused:,}",
        )
    console.print(table)
    console.print(
        "decoded: records as the queue and the pipeline get them; "
        "JSON text: as files and the API send them."
    )
    if profile:
        typer.echo(profile_validation(records, top=profile, batch_size=batch_size))


def register(app: typer.Typer) -> None:
    """Add ``ingest`` and the ``quarantine`` group."""
    app.command("ingest")(ingest)
    app.add_typer(quarantine_app, name="quarantine")
