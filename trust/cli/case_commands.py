"""``trust cases``: the case queue for scripts and data teams."""

from __future__ import annotations

import json

import typer

cases_app = typer.Typer(help="Cases: export the queue as data.", no_args_is_help=True)


@cases_app.command("export")
def export_command(
    status: str | None = typer.Option(
        None,
        "--status",
        help="Only cases in this status (open, in_review, escalated, awaiting_approval, ...).",
    ),
    kind: str | None = typer.Option(
        None, "--kind", help="Only cases of this kind (dispute, complaint, review, ...)."
    ),
    output_format: str = typer.Option("jsonl", "--format", help="Output format: jsonl."),
) -> None:
    """Print one JSON object per case (disputes with their contract, currency and money)."""
    from trust.cases.export import export_cases
    from trust.cases.lifecycle import CaseStatus
    from trust.cli.context import open_store
    from trust.store import snapshot

    if output_format != "jsonl":
        raise typer.BadParameter(
            f"unknown format {output_format!r}; use jsonl", param_hint="--format"
        )
    if status is not None and status not in {s.value for s in CaseStatus}:
        raise typer.BadParameter(
            f"unknown status {status!r}; use one of {', '.join(s.value for s in CaseStatus)}",
            param_hint="--status",
        )
    with open_store() as store, snapshot(store.engine) as conn:
        for case in export_cases(conn, status=status, kind=kind):
            typer.echo(json.dumps(case.as_json(), sort_keys=True))


def register(app: typer.Typer) -> None:
    """Add the cases group."""
    app.add_typer(cases_app, name="cases")
