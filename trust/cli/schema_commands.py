"""``trust schema``: the JSON Schema a platform team integrates against."""

from __future__ import annotations

import json

import typer

from trust.events import ALL_EVENT_TYPES, ALL_KINDS, event_adapter


def schema(
    kind: str | None = typer.Argument(None, help=f"One of: {', '.join(ALL_KINDS)}."),
) -> None:
    """Print the JSON Schema of one event kind, or of the union of all kinds."""
    if kind is None:
        document = event_adapter.json_schema()
    elif kind in ALL_EVENT_TYPES:
        document = ALL_EVENT_TYPES[kind].model_json_schema()
    else:
        raise typer.BadParameter(f"unknown kind {kind!r}; expected one of {', '.join(ALL_KINDS)}")
    typer.echo(json.dumps(document, indent=2, sort_keys=True))


def register(app: typer.Typer) -> None:
    """Add the schema command."""
    app.command("schema")(schema)
