"""``trust decide`` and ``trust dlq``: the synchronous path and the dead-letter tools."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.factories import profile_verification_payload, review_payload
from trust.cli.main import app
from trust.settings import get_settings

runner = CliRunner()


def test_decide_reads_one_event_from_stdin_and_prints_its_decision(trust_env: Path) -> None:
    event = profile_verification_payload(document_check={"tamper_score": 0.95})

    result = runner.invoke(app, ["decide", "-"], input=json.dumps(event))

    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert answer["status"] == "decided"
    assert answer["decision"]["outcome"] in {"review", "block"}
    assert any(h["reason_code"] == "document_tampered" for h in answer["decision"]["rule_hits"])
    assert answer["decision"]["case_id"] is not None


def test_decide_of_a_file_twice_returns_the_stored_decision(trust_env: Path) -> None:
    path = trust_env / "event.json"
    path.write_text(json.dumps(review_payload()))

    first = json.loads(runner.invoke(app, ["decide", str(path)]).output)
    second = json.loads(runner.invoke(app, ["decide", str(path)]).output)

    assert (first["status"], second["status"]) == ("decided", "already_decided")
    assert second["decision"]["outcome"] == first["decision"]["outcome"]


def test_decide_refuses_an_invalid_event_with_the_field_and_exit_code_1(trust_env: Path) -> None:
    result = runner.invoke(app, ["decide", "-"], input=json.dumps(review_payload(rating=0)))

    assert result.exit_code == 1
    answer = json.loads(result.output)
    assert answer["status"] == "quarantined"
    assert "rating" in answer["reason"]


def test_dlq_replay_needs_ids_or_all(trust_env: Path) -> None:
    result = runner.invoke(app, ["dlq", "replay"])

    assert result.exit_code == 2


@pytest.mark.redis
def test_dlq_list_shows_an_empty_queue_as_json(
    trust_env: Path, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRUST_REDIS_URL", redis_url)
    get_settings.cache_clear()

    result = runner.invoke(app, ["dlq", "list", "--json"])

    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == []
