"""``trust schema``: the JSON Schema a platform team integrates against."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from trust.cli.main import app
from trust.events import INTAKE_KINDS

runner = CliRunner()


@pytest.mark.parametrize("kind", INTAKE_KINDS)
def test_schema_of_one_kind_is_a_json_schema_refusing_unknown_fields(kind: str) -> None:
    result = runner.invoke(app, ["schema", kind])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["properties"]["kind"]["const"] == kind
    assert document["additionalProperties"] is False
    assert "event_id" in document["required"]


def test_schema_without_a_kind_is_the_union_discriminated_on_kind() -> None:
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["discriminator"]["propertyName"] == "kind"
    assert set(document["discriminator"]["mapping"]) == set(INTAKE_KINDS)


def test_schema_of_an_unknown_kind_is_a_usage_error() -> None:
    result = runner.invoke(app, ["schema", "payout"])
    assert result.exit_code == 2
