"""``trust encryption``: personal data at rest after a key rotation."""

from __future__ import annotations

import typer

from trust.cli.bench_commands import bench_app

encryption_app = typer.Typer(
    help="Personal data sealed at rest: re-encrypt after rotating the key.",
    no_args_is_help=True,
)


@encryption_app.command("reseal")
def reseal_command() -> None:
    """Re-encrypt stored events and quarantined records with the current key.

    Run it after setting a new TRUST_ENCRYPTION__KEY (the old one moved to
    TRUST_ENCRYPTION__PREVIOUS_KEYS), or once after upgrading a store written before
    personal data was sealed. Rows already sealed with the current key are skipped, so it
    can be interrupted and run again. Afterwards the previous keys can be removed.
    """
    from trust.cli.context import console, open_store, settings
    from trust.pii import hasher_for
    from trust.store.reseal import reseal_store

    current = settings()
    with open_store(current) as store, console.status("re-encrypting..."):
        report = reseal_store(store.engine, hasher_for(current))
    console.print(
        f"re-encrypted {report.events:,} events, {report.quarantined:,} quarantined records "
        f"and {report.accounts:,} display names; {report.already_current:,} were already "
        "sealed with the current key"
    )


def register(app: typer.Typer) -> None:
    """Add ``trust encryption``."""
    app.add_typer(encryption_app, name="encryption")


@bench_app.command("encryption")
def bench_encryption_command(
    accounts: int = typer.Option(1000, "--accounts", min=10, help="Simulated honest accounts."),
    days: int = typer.Option(30, "--days", min=1, help="Simulated days."),
    repeat: int = typer.Option(3, "--repeat", min=1, help="Passes over the events."),
) -> None:
    """Microseconds per event to seal personal fields (enqueue, store) and to open them."""
    from rich.table import Table

    from trust.cli.context import console
    from trust.store.seal_bench import bench_sealing

    with console.status("simulating and sealing..."):
        costs = bench_sealing(accounts, days, 7, repeat)
    table = Table(title="AES-256-GCM sealing of personal fields, per event, one core")
    for column in ("kind", "events", "seal µs", "open µs"):
        table.add_column(column, justify="right" if column != "kind" else "left")
    for cost in costs:
        table.add_row(cost.kind, f"{cost.events:,}", f"{cost.seal_us:.1f}", f"{cost.open_us:.1f}")
    console.print(table)
    console.print(
        "A queued event is sealed once when enqueued and once when stored, and "
        "opened once by the worker (plus once per later read of its history)."
    )


@bench_app.command("masking")
def bench_masking_command(
    size_kb: int = typer.Option(120, "--size-kb", min=1, help="Size of the largest record."),
) -> None:
    """Seconds to mask refused records of hostile shapes at 1x, 10x and 100x a size."""
    from rich.table import Table

    from trust.cli.context import console
    from trust.refused_bench import bench_masking

    table = Table(title="Masking a refused record (trust.refused.masked_raw), one core")
    for column in ("shape", "size", "seconds", "MB/s"):
        table.add_column(column, justify="left" if column == "shape" else "right")
    for timing in bench_masking(size_kb * 1000):
        table.add_row(
            timing.shape,
            f"{timing.size / 1e6:.2f} MB",
            f"{timing.seconds:.3f}",
            f"{timing.size / 1e6 / max(timing.seconds, 1e-9):.1f}",
        )
    console.print(table)
