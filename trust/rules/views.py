"""What a rule sees of an event: the known field paths, and the CEL-ready view of the event."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from enum import Enum
from functools import cache
from ipaddress import IPv4Address, IPv6Address
from typing import Any

from pydantic import BaseModel

from trust.events import EVENT_TYPES


def _walk(schema: dict[str, Any], defs: dict[str, Any], prefix: str, out: set[str]) -> None:
    if "$ref" in schema:
        schema = defs[schema["$ref"].rsplit("/", 1)[-1]]
    for option in schema.get("anyOf", ()):
        _walk(option, defs, prefix, out)
    for name, child in schema.get("properties", {}).items():
        path = f"{prefix}.{name}" if prefix else name
        out.add(path)
        _walk(child, defs, path, out)


@cache
def event_fields(kind: str) -> frozenset[str]:
    """Every dotted field path of ``kind`` a rule may name ('profile.email', 'network.ip' …)."""
    schema = EVENT_TYPES[kind].model_json_schema()
    out: set[str] = set()
    _walk(schema, schema.get("$defs", {}), "", out)
    return frozenset(out)


def to_cel(value: Any) -> Any:
    """A value CEL accepts: money as double, days as midnight-UTC timestamps, enums as text."""
    if value is None or isinstance(value, bool | int | float | str):
        return value.value if isinstance(value, Enum) else value
    if isinstance(value, BaseModel):
        return {name: to_cel(getattr(value, name)) for name in type(value).model_fields}
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time(), tzinfo=UTC)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, IPv4Address | IPv6Address):
        return str(value)
    if isinstance(value, list | tuple):
        return [to_cel(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_cel(v) for k, v in value.items()}
    return str(value)


def event_view(event: BaseModel, fields: frozenset[str] | None = None) -> dict[str, Any]:
    """The event as CEL sees it; only the top-level ``fields`` rules read, when given."""
    names = type(event).model_fields if fields is None else fields
    return {name: to_cel(getattr(event, name)) for name in names}
