"""``trust up``, ``trust worker``, ``trust decide`` and ``trust dlq``: running the pipeline.

This module is part of the composition root: it may import ``workers`` and ``models``, but
only inside command bodies.
"""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from trust.cli.bench_commands import bench_app

dlq_app = typer.Typer(
    help="Dead-lettered batches: see why they failed, replay them after a fix.",
    no_args_is_help=True,
)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


def _read_event_input(path: str) -> bytes:
    """The bytes of ``path`` (or standard input for ``-``); decoding is validation's job.

    At most one byte more than a record may hold is read: a longer input is refused as too
    large without being loaded.
    """
    from trust.errors import InputFileError
    from trust.events.validation import MAX_RECORD_BYTES

    if path == "-":
        return sys.stdin.buffer.read(MAX_RECORD_BYTES + 1)
    try:
        with Path(path).open("rb") as handle:
            return handle.read(MAX_RECORD_BYTES + 1)
    except FileNotFoundError as exc:
        raise InputFileError(
            path, "no such file", "give a JSON file, or - for standard input"
        ) from exc
    except IsADirectoryError as exc:
        raise InputFileError(
            path, "is a folder", "give one JSON file, or - for standard input"
        ) from exc
    except OSError as exc:
        raise InputFileError(path, exc.strerror or str(exc)) from exc


def up(
    demo: bool = typer.Option(False, "--demo", help="Stream a simulated marketplace in."),
    processes: int | None = typer.Option(None, "--processes", min=1, help="Worker processes."),
    threads: int | None = typer.Option(None, "--threads", min=1, help="Threads per worker."),
    dashboard: bool = typer.Option(True, "--dashboard/--no-dashboard", help="Run Streamlit."),
    api: bool = typer.Option(True, "--api/--no-api", help="Run the HTTP API (trust serve)."),
    demo_accounts: int = typer.Option(2_000, "--demo-accounts", min=10, hidden=True),
) -> None:
    """Run everything on this machine (Redis, workers, dashboard, API) until Ctrl-C."""
    from trust.cli.context import console, settings
    from workers.logs import configure_logging
    from workers.up import UpOptions, run_up

    configure_logging("WARNING")
    current = settings()
    options = UpOptions(
        processes=processes or current.worker.processes,
        threads=threads or current.worker.threads,
        demo=demo,
        dashboard=dashboard,
        api=api,
        demo_accounts=demo_accounts,
    )
    code = run_up(current, options, lambda line: console.print(line, highlight=False))
    raise typer.Exit(code)


def worker(
    processes: int | None = typer.Option(None, "--processes", min=1, help="Worker processes."),
    threads: int | None = typer.Option(None, "--threads", min=1, help="Threads per worker."),
) -> None:
    """Run worker processes only (distributed mode: PostgreSQL store, external Redis)."""
    from trust.cli.context import console, settings
    from workers.logs import configure_logging
    from workers.up import run_workers

    configure_logging()
    current = settings()
    code = run_workers(
        current,
        processes or current.worker.processes,
        threads or current.worker.threads,
        lambda line: console.print(line, highlight=False),
    )
    raise typer.Exit(code)


def decide(
    path: str = typer.Argument(..., help="A JSON file with one event, or - for standard input."),
) -> None:
    """Decide one event now (synchronous path) and print the decision as JSON."""
    from models.active import active_model
    from trust.cli.context import open_store, settings
    from trust.composition import build_pipeline
    from trust.pipeline import decide_one

    raw = _read_event_input(path)
    current = settings()
    with open_store(current) as store:
        pipeline = build_pipeline(current, store, source="decide", model=active_model)
        result = decide_one(pipeline, raw)
    typer.echo(json.dumps(result.as_json(), default=_json_default, indent=2))
    if result.status == "quarantined":
        raise typer.Exit(1)


@dlq_app.command("list")
def dlq_list(
    limit: int = typer.Option(50, "--limit", min=1, help="How many to show (oldest first)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Show dead-lettered batches with their error."""
    from trust.cli.context import console, settings
    from workers.dlq import dead_letters

    letters = dead_letters(settings())
    found = letters.list(limit)
    if as_json:
        typer.echo(json.dumps([d.as_dict() for d in found], indent=2))
        return
    table = Table(title=f"dead letters: {letters.count()}")
    for column in ("id", "failed at", "events", "retries", "error"):
        table.add_column(column, overflow="fold")
    for letter in found:
        ids = ", ".join(str(r.get("event_id")) for r in letter.records[:3])
        table.add_row(
            letter.id,
            datetime.fromtimestamp(letter.failed_at).strftime("%Y-%m-%d %H:%M:%S"),
            f"{len(letter.records)} ({ids})",
            str(letter.retries),
            letter.error,
        )
    console.print(table)


@dlq_app.command("replay")
def dlq_replay(
    ids: list[str] | None = typer.Option(None, "--id", help="A dead letter's id (repeatable)."),
    replay_all: bool = typer.Option(False, "--all", help="Replay every dead letter."),
) -> None:
    """Send dead-lettered batches back to the queue (after fixing the cause)."""
    from trust.cli.context import console, err_console, settings
    from workers.dlq import replay_dead_letters

    if bool(ids) == replay_all:
        err_console.print("give either --id (one or more) or --all")
        raise typer.Exit(2)
    replayed = replay_dead_letters(settings(), None if replay_all else ids)
    console.print(f"replayed {replayed} dead-lettered batch(es)")


@bench_app.command("pipeline")
def bench_pipeline(
    events: int = typer.Option(10_000, "--events", min=1_000, help="Events per scenario."),
    processes: int = typer.Option(2, "--processes", min=1, help="Worker processes."),
    threads: int = typer.Option(1, "--threads", min=1, help="Threads per worker."),
    batch_size: int = typer.Option(250, "--batch-size", min=1, help="Events per message."),
    latency_seconds: float = typer.Option(
        10.0, "--latency-seconds", min=1.0, help="Length of the steady 2,000 events/s run."
    ),
    postgres_url: str | None = typer.Option(
        "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
        "--postgres-url",
        help="Admin URL; a scratch database is created and dropped. Empty to skip.",
    ),
    prior_events: int = typer.Option(
        100_000,
        "--prior-events",
        min=0,
        help="Events stored as history before each scenario (the stream's simulated past).",
    ),
    model: bool = typer.Option(
        True, "--model/--no-model", help="Train and use the anomaly model (as `trust up --demo`)."
    ),
    scaling: str = typer.Option(
        "",
        "--scaling",
        help="Worker process counts for a Redis + PostgreSQL scaling curve, e.g. 1,2,4.",
    ),
    as_json: bool = typer.Option(
        False, "--json", help="Print one JSON object only (progress goes to standard error)."
    ),
) -> None:
    """End-to-end throughput (Redis+SQLite, Redis+PostgreSQL), ceiling, latency, decide."""
    from trust.cli.context import console, settings
    from trust.cli.pipeline_report import render
    from workers.bench import BenchOptions, run_pipeline_bench

    try:
        counts = tuple(int(part) for part in scaling.split(",") if part.strip())
    except ValueError as exc:
        raise typer.BadParameter(
            f"{scaling!r} is not a list of process counts like 1,2,4", param_hint="--scaling"
        ) from exc
    if any(count < 1 for count in counts):
        raise typer.BadParameter(f"{scaling!r} holds a count below 1", param_hint="--scaling")
    if counts and not postgres_url:
        raise typer.BadParameter(
            "the scaling curve is measured on Redis + PostgreSQL: give --postgres-url too",
            param_hint="--scaling",
        )
    options = BenchOptions(
        events=events,
        processes=processes,
        threads=threads,
        batch_size=batch_size,
        latency_seconds=latency_seconds,
        postgres_url=postgres_url or None,
        prior_events=prior_events,
        model=model,
        scaling=counts,
    )
    say = (lambda line: typer.echo(line, err=True)) if as_json else console.print
    report = run_pipeline_bench(settings(), options, say)
    if not as_json:
        console.print(render(report))
    typer.echo(json.dumps(report, indent=None if as_json else 2, default=_json_default))


def register(app: typer.Typer) -> None:
    """Add ``up``, ``worker``, ``decide`` and the ``dlq`` group."""
    app.command("up")(up)
    app.command("worker")(worker)
    app.command("decide")(decide)
    app.add_typer(dlq_app, name="dlq")
