"""Entry point of the ``trust`` command: one sub-command group per area."""

from __future__ import annotations

import typer

from trust.cli.boundary import GuardedGroup

app = typer.Typer(
    name="trust",
    help="Trust pipeline: moderation of verifications, reviews, references and complaints.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    cls=GuardedGroup,
)


@app.callback()
def main_options(
    debug: bool = typer.Option(
        False, "--debug", help="Show the traceback of an error instead of one line."
    ),
) -> None:
    """Trust pipeline: moderation of verifications, reviews, references and complaints.

    Exit codes: 0 done, 1 refused, 2 usage or unreadable input, 3 configuration refused,
    4 a service unreachable, 70 internal error.
    """


@app.command("migrate")
def migrate_command() -> None:
    """Create or upgrade the store's schema (SQLite file or PostgreSQL)."""
    from trust.cli.context import console, open_store, settings

    with open_store():
        console.print(f"[green]store is up to date[/] ({settings().resolved_database_url})")


def _register() -> None:
    # Each area owns one module exposing ``register(app)``; the list is the CLI's table of contents.
    from trust.cli import (
        account_commands,
        api_commands,
        bench_commands,
        case_commands,
        dashboard_commands,
        dispute_commands,
        graph_commands,
        intake_commands,
        model_commands,
        pipeline_commands,
        privacy_commands,
        rules_commands,
        schema_commands,
        simulate_commands,
        staff_commands,
    )

    for module in (
        schema_commands,
        simulate_commands,
        intake_commands,
        pipeline_commands,
        rules_commands,
        bench_commands,
        model_commands,
        staff_commands,
        dashboard_commands,
        privacy_commands,
        case_commands,
        dispute_commands,
        api_commands,
        account_commands,
        graph_commands,
    ):
        module.register(app)


_register()

if __name__ == "__main__":
    app()
