"""``trust schema``: the JSON Schema a platform team integrates against."""

from __future__ import annotations

import json

import typer

from trust.events import INTAKE_KINDS, INTAKE_TYPES, event_adapter


def schema(
    kind: str | None = typer.Argument(None, help=f"One of: {', '.join(INTAKE_KINDS)}."),
) -> None:
    """Print the JSON Schema of one event kind, or of the union of all kinds."""
    if kind is None:
        document = event_adapter.json_schema()
    elif kind in INTAKE_TYPES:
        document = INTAKE_TYPES[kind].model_json_schema()
    else:
        raise typer.BadParameter(
            f"unknown kind {kind!r}; expected one of {', '.join(INTAKE_KINDS)}"
        )
    typer.echo(json.dumps(document, indent=2, sort_keys=True))


def register(app: typer.Typer) -> None:
    """Add the schema command."""
    app.command("schema")(schema)
