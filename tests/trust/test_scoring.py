"""The Scorer: signals, rules, model and decision for a stored batch; decisions stored once."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from sqlalchemy import func, insert, select

from tests.factories import make_profile_verification, make_review
from tests.trust.rules.conftest import RULES_DIR
from tests.trust.signals.conftest import HASHER
from trust.decisions import WORDING_REASON, ModelAssessment, SignalValue, WordingAssessment
from trust.events import Event
from trust.rules.pack import load_pack
from trust.scoring import Scorer
from trust.settings import Settings
from trust.store import Store
from trust.store.accounts import record_accounts, record_batch_identifiers
from trust.store.decisions import insert_decisions, staff_labels, stored_decision
from trust.store.events import insert_events
from trust.store.tables import case_evidence, cases
from trust.store.tables import decisions as decisions_table

NOW = datetime(2026, 3, 20, tzinfo=UTC)
PACK = load_pack(RULES_DIR)


class ExplodingModel:
    """A model whose every call fails."""

    def assess(
        self, kind: str, events: Sequence[Event], signals: Sequence[Mapping[str, SignalValue]]
    ) -> list[ModelAssessment | None]:
        raise RuntimeError("artefact missing")


class AlarmedModel:
    """A model that finds every review extremely unusual and ignores other kinds."""

    def assess(
        self, kind: str, events: Sequence[Event], signals: Sequence[Mapping[str, SignalValue]]
    ) -> list[ModelAssessment | None]:
        if kind != "review":
            return [None] * len(events)
        return [ModelAssessment(score=0.999, version="m-test") for _ in events]


class WordyModel(AlarmedModel):
    """An anomaly model that also reads texts: sure of every review's, failing on others."""

    def read_wording(self, kind: str, events: Sequence[Event]) -> list[WordingAssessment | None]:
        if kind != "review":
            raise RuntimeError("vocabulary missing")
        return [WordingAssessment(1.0, "t-test", ("refun",)) for _ in events]


def _score(store: Store, scorer: Scorer, batch: list[Event]) -> list:  # type: ignore[type-arg]
    with store.engine.begin() as conn:
        insert_events(conn, batch, source="test", received_at=NOW)
        record_accounts(conn, batch)
        record_batch_identifiers(conn, batch, HASHER)
        decisions = scorer.score_batch(conn, batch, HASHER, NOW)
        insert_decisions(conn, decisions)
    return decisions


def _same_document_other_account() -> Event:
    return make_profile_verification(
        account_id="acct-two",
        occurred_at="2026-03-02T10:00:00Z",
        network={"device_id": "dev-two", "ip": "192.0.2.2"},
        profile={"phone": "+447700900222"},
        payment_fingerprint="pm-two",
    )


def test_a_duplicate_document_is_sent_to_review_with_the_pack_version(
    sqlite_store: Store, settings: Settings
) -> None:
    scorer = Scorer(PACK, settings)
    _score(sqlite_store, scorer, [make_profile_verification(account_id="acct-one")])
    (decision,) = _score(
        sqlite_store,
        scorer,
        [_same_document_other_account()],
    )
    assert decision.outcome == "review"
    assert "pv_shared_document_v1" in [h.rule_id for h in decision.rule_hits]
    assert decision.pack_version == PACK.version


def test_a_failing_model_is_an_error_on_the_decision_not_a_lost_batch(
    sqlite_store: Store, settings: Settings
) -> None:
    (decision,) = _score(sqlite_store, Scorer(PACK, settings, ExplodingModel()), [make_review()])
    assert decision.outcome == "allow"
    assert decision.errors == ["model: RuntimeError: artefact missing"]


def test_the_model_is_asked_per_kind_and_its_view_reaches_the_decision(
    sqlite_store: Store, settings: Settings
) -> None:
    batch = [make_review(), make_profile_verification()]
    review, verification = _score(sqlite_store, Scorer(PACK, settings, AlarmedModel()), batch)
    assert (review.model_version, review.outcome) == ("m-test", "review")
    assert verification.model_score is None


def test_a_text_reading_model_adds_its_hit_and_its_failure_is_an_error_not_a_lost_batch(
    sqlite_store: Store, settings: Settings
) -> None:
    batch = [make_review(), make_profile_verification()]
    review, verification = _score(sqlite_store, Scorer(PACK, settings, WordyModel()), batch)
    assert WORDING_REASON in review.reason_codes
    assert [h.rule_id for h in review.rule_hits if h.reason_code == WORDING_REASON] == ["t-test"]
    assert verification.errors == ["text model: RuntimeError: vocabulary missing"]
    assert verification.model_score is None


def test_decisions_are_stored_once_per_event_and_read_back_with_their_event(
    store: Store, settings: Settings
) -> None:
    scorer = Scorer(PACK, settings)
    event = make_review(event_id="rv-stored-once")
    (decision,) = _score(store, scorer, [event])
    with store.engine.begin() as conn:
        assert insert_decisions(conn, [decision]) == 0
        row = stored_decision(conn, "rv-stored-once")
        count = conn.execute(select(func.count()).select_from(decisions_table)).scalar_one()
    assert count == 1
    assert row is not None
    assert (row["event_id"], row["pack_version"]) == ("rv-stored-once", PACK.version)


def test_staff_labels_come_from_resolved_cases(sqlite_store: Store) -> None:
    with sqlite_store.engine.begin() as conn:
        for case_id, label, event_id in (
            (1, "confirmed", "ev-a"),
            (2, "dismissed", "ev-b"),
            (3, None, "ev-c"),
        ):
            conn.execute(
                insert(cases).values(
                    id=case_id,
                    subject_id=f"acct-{case_id}",
                    kind="review",
                    status="resolved" if label else "open",
                    reason_codes=[],
                    opened_at=NOW,
                    updated_at=NOW,
                    label=label,
                )
            )
            conn.execute(
                insert(case_evidence).values(case_id=case_id, event_id=event_id, added_at=NOW)
            )
        assert staff_labels(conn) == {"ev-a": True, "ev-b": False}


def test_a_rule_over_the_budget_is_a_rule_error_on_the_decision_not_a_hit(
    sqlite_store: Store, settings: Settings
) -> None:
    scorer = Scorer(PACK, settings)
    _score(sqlite_store, scorer, [make_profile_verification(account_id="acct-one")])
    starved = Scorer(PACK, settings.model_copy(update={"rule_budget_ms": 1e-9}))
    (decision,) = _score(
        sqlite_store,
        starved,
        [_same_document_other_account()],
    )
    assert decision.rule_hits == []
    assert "pv_shared_document_v1: over its evaluation budget (" in "\n".join(decision.errors)
