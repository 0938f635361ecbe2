"""Backtests: replay stored events, count hits, measure precision and recall, try drafts."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.factories import make_complaint, make_profile_verification, make_review
from tests.trust.rules.conftest import RULES_DIR, valid_rule
from tests.trust.signals.conftest import HASHER, store_and_compute
from trust.errors import RulePackError
from trust.rules.backtest import (
    TruthRow,
    pack_with_draft,
    read_truth,
    recall_by_pattern,
    run_backtest,
    score_against,
)
from trust.rules.pack import load_pack
from trust.settings import Settings
from trust.store import Store


def _history(store: Store) -> None:
    store_and_compute(store, [make_profile_verification(account_id="acct-one", event_id="pv-1")])
    store_and_compute(
        store,
        [
            make_profile_verification(
                account_id="acct-two", event_id="pv-2", occurred_at="2026-03-02T10:00:00Z"
            ),
            make_review(event_id="rv-1"),
            make_complaint(event_id="cp-1", description="Pay me on PayPal instead."),
        ],
    )


def test_a_backtest_replays_every_stored_event_and_counts_hits_per_rule(
    sqlite_store: Store, settings: Settings
) -> None:
    _history(sqlite_store)
    with sqlite_store.engine.connect() as conn:
        result = run_backtest(conn, load_pack(RULES_DIR), settings, HASHER)
    assert result.events == 4
    assert result.flagged == {"pv-2", "cp-1"}
    assert result.hit_events["pv_shared_document_v1"] == {"pv-2"}
    assert result.hits["cp_off_platform_contact_v1"] == 1
    assert sum(result.outcomes.values()) == 4


def test_since_limits_the_replay_to_recent_events(sqlite_store: Store, settings: Settings) -> None:
    from datetime import UTC, datetime

    _history(sqlite_store)
    with sqlite_store.engine.connect() as conn:
        result = run_backtest(
            conn, load_pack(RULES_DIR), settings, HASHER, since=datetime(2026, 3, 12, tzinfo=UTC)
        )
    assert result.events == 1


def test_precision_and_recall_against_truth() -> None:
    truth = {"a": True, "b": True, "c": False, "d": False}
    score = score_against({"a", "c", "unlabelled"}, truth)
    assert (score.precision, score.recall) == (0.5, 0.5)
    assert score_against(set(), truth).precision is None


def test_recall_is_reported_per_planted_pattern(tmp_path: Path) -> None:
    path = tmp_path / "truth.csv"
    path.write_text("event_id,is_fraud,pattern\na,true,ring\nb,True,ring\nc,false,honest\n")
    truth = read_truth(path)
    assert truth["a"] == TruthRow(True, "ring")
    recall = recall_by_pattern({"a"}, truth)
    assert list(recall) == ["ring"] and recall["ring"].recall == 0.5


def test_a_draft_rule_is_validated_with_the_pack_and_identified(tmp_path: Path) -> None:
    draft = tmp_path / "my_idea.yaml"
    draft.write_text(yaml.safe_dump({"rules": [valid_rule(id="rv_draft_idea_v1")]}))
    pack, ids = pack_with_draft(RULES_DIR, draft)
    assert ids == ["rv_draft_idea_v1"]
    assert len(pack.rules) == len(load_pack(RULES_DIR).rules) + 1


def test_a_broken_draft_is_refused_with_its_problems(tmp_path: Path) -> None:
    draft = tmp_path / "bad.yaml"
    draft.write_text(yaml.safe_dump({"rules": [valid_rule(id="rv_draft_v1", when="signals.x")]}))
    with pytest.raises(RulePackError, match="unknown signal"):
        pack_with_draft(RULES_DIR, draft)
    mixed = tmp_path / "mixed.yaml"
    mixed.write_text(yaml.safe_dump({"rules": [valid_rule(), valid_rule(kind="complaint")]}))
    with pytest.raises(RulePackError, match="exactly one kind"):
        pack_with_draft(RULES_DIR, mixed)


def test_a_backtest_of_the_pack_in_force_reproduces_the_stored_decisions(
    store: Store, settings: Settings
) -> None:
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import select

    from trust.composition import build_pipeline
    from trust.graph.passes import cluster_pass
    from trust.pii import hasher_for
    from trust.simulate import generate_events
    from trust.store.tables import decisions, enforcement_history

    # Big enough to hold the later facts a replay reading the present trips on: accounts that
    # verify after their first reviews, automated blocks, batches of different sizes.
    records = [record for record, _ in generate_events(800, 30, seed=11)]
    pipeline = build_pipeline(settings, store)
    start = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
    for number, first in enumerate(range(0, len(records), 200)):
        pipeline.process(records[first : first + 200], start + timedelta(minutes=number))
    # Cluster cases found afterwards send their schemes' allowed events to review: a later
    # finding the stored decisions carry, and so does their replay.
    assert cluster_pass(store, settings).decisions_revised > 0
    with store.engine.connect() as conn:
        query = select(decisions.c.event_id, decisions.c.outcome)
        stored = dict(conn.execute(query).tuples().all())
        blocks = conn.execute(select(enforcement_history.c.id)).all()
        result = run_backtest(conn, load_pack(settings.rules_dir), settings, hasher_for(settings))
    # The history holds later facts a naive replay would read: automated blocks.
    assert blocks
    assert result.flagged == {e for e, outcome in stored.items() if outcome != "allow"}
