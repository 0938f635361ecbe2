"""``trust disputes``: run the dispute timer by hand (the workers run it every interval)."""

from __future__ import annotations

from datetime import datetime

import typer

disputes_app = typer.Typer(help="Escrow disputes: apply missed deadlines.", no_args_is_help=True)


@disputes_app.command("apply-deadlines")
def apply_deadlines_command(
    at: datetime | None = typer.Option(
        None,
        "--at",
        help="Apply what is due at this time (ISO 8601; default: now, UTC). "
        "A time without an offset is UTC.",
        formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"],
    ),
) -> None:
    """Hand opened disputes their held party events and apply every missed deadline's
    default outcome, once (safe to run while workers run the same timer)."""
    from datetime import UTC

    from trust.cases.sla import as_utc
    from trust.cli.context import console, open_store
    from trust.disputes.parties import take_held_events
    from trust.disputes.timers import apply_due_deadlines
    from trust.store import transaction

    now = as_utc(at) if at else datetime.now(UTC)
    with open_store() as store, transaction(store.engine) as conn:
        taken = take_held_events(conn, now)
        applied = apply_due_deadlines(conn, now)
    for item in applied:
        console.print(
            f"case {item.case_id}: {item.deadline} deadline of "
            f"{item.due_at:%Y-%m-%d %H:%M} UTC missed -> {item.stage.value}"
        )
    console.print(
        f"{len(applied)} missed deadlines applied, {len(taken)} held party events "
        f"taken, at {now:%Y-%m-%d %H:%M} UTC"
    )


def register(app: typer.Typer) -> None:
    """Add the disputes group."""
    app.add_typer(disputes_app, name="disputes")
