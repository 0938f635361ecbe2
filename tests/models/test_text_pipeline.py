"""The pipeline with an active text model: wording like confirmed cases tips a review."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from models.active import active_model_loaded
from models.registry import ModelRegistry
from models.text_learning import TEXT_ROLE
from tests.conftest import TEST_SECRET
from tests.factories import review_payload
from tests.models.helpers import trained_text_model
from trust.composition import build_pipeline
from trust.decisions import WORDING_REASON, Decision
from trust.pii import hasher_for
from trust.rules.backtest import run_backtest
from trust.rules.pack import load_pack
from trust.settings import Settings
from trust.store import Store

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
# Worded like the confirmed trades the model learned from, with the money and the rating in
# two sentences, which the coercion vocabulary (one sentence naming both) does not catch.
TRADE = "Send back part of the invoice fee. Then I raise the rating."
PRAISE = "Delivered the landing page early, clear communication."


def _settings(data_dir: Path) -> Settings:
    # 40 points at certainty: the dozen-text model of the helpers is never very sure.
    return Settings(
        environment="test",
        data_dir=data_dir,
        secret_key=TEST_SECRET,
        decision={"text_model_weight": 40.0},
    )


def _decide(settings: Settings, store: Store) -> dict[str, Decision]:
    # Five stars on a twelve-dollar job from a reviewer with no other counterparty: one rule,
    # 30 points, short of review's 40.
    tiny = {"amount_paid": {"amount": "12.00", "currency": "USD"}, "rating": 5}
    records = [
        review_payload(event_id="rv-trade", text=TRADE, **tiny),
        review_payload(event_id="rv-praise", text=PRAISE, **tiny),
        review_payload(event_id="rv-silent", text="", **tiny),
    ]
    pipeline = build_pipeline(settings, store, model=active_model_loaded)
    return {d.event_id: d for d in pipeline.process(records, NOW).decisions}


def _with_text_model(data: Path) -> Settings:
    """Settings whose registry holds an active review text model."""
    settings = _settings(data)
    registry = ModelRegistry.from_settings(settings)
    registry.activate(
        registry.register("review", TEXT_ROLE, trained_text_model().to_artefact(), {})["version"]
    )
    return settings


def test_an_active_text_model_sends_a_trade_worded_review_to_review_with_its_terms(
    tmp_path: Path, sqlite_store: Store
) -> None:
    settings = _with_text_model(tmp_path / "data")

    decided = _decide(settings, sqlite_store)

    trade = decided["rv-trade"]
    assert trade.outcome == "review"
    [wording] = [h for h in trade.rule_hits if h.reason_code == WORDING_REASON]
    assert wording.rule_id.startswith("review-text-")
    assert "wording like 'rati'" in wording.reason
    assert wording.reason in trade.statement_of_reasons
    assert decided["rv-praise"].outcome == decided["rv-silent"].outcome == "allow"
    for quiet in ("rv-praise", "rv-silent"):
        assert WORDING_REASON not in decided[quiet].reason_codes


def test_a_backtest_of_the_pack_in_force_keeps_what_the_text_model_tipped(
    tmp_path: Path, sqlite_store: Store
) -> None:
    settings = _with_text_model(tmp_path / "data")
    decided = _decide(settings, sqlite_store)

    with sqlite_store.engine.connect() as conn:
        result = run_backtest(conn, load_pack(settings.rules_dir), settings, hasher_for(settings))

    assert result.flagged == {e for e, d in decided.items() if d.flagged} == {"rv-trade"}


def test_without_a_text_model_the_same_reviews_are_decided_by_the_rules_alone(
    tmp_path: Path, sqlite_store: Store
) -> None:
    decided = _decide(_settings(tmp_path / "data"), sqlite_store)

    assert {d.outcome for d in decided.values()} == {"allow"}
    assert {d.risk_score for d in decided.values()} == {30.0}
    assert all(d.reason_codes == ["sole_counterparty_micro_job"] for d in decided.values())
