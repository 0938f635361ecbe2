"""Decisions made before their history arrived are re-scored and get a new version.

A simulated stream is decided in order (the reference), then again with four of its
batches held back to the end, as a store outage or a crashed worker could leave them.
Without the re-score, later events keep decisions made without their history; with it,
every outcome equals the in-order run, and each changed decision keeps its earlier
version with the reason naming the late events.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.conftest import TEST_SECRET
from trust.composition import build_pipeline
from trust.late_history import NAMED, decided_before_their_history, reason_for
from trust.settings import Settings
from trust.simulate import generate_events
from trust.store import Store
from trust.store.decision_versions import superseded_versions
from trust.store.events import load_events
from trust.store.tables import decisions

pytestmark = pytest.mark.slow

BATCH = 50
# A withdrawal's outcome also reads the account's withdrawal hold, which earlier decisions
# set; a revision re-scores history but does not replay enforcement (a known limit, in the
# README), so withdrawals are compared on their score only.
ENFORCEMENT_READ = "withdrawal_request"


def _run(
    folder: Path, records: list[dict[str, Any]], *, revise: bool
) -> tuple[dict[str, tuple[str, float]], Store, int]:
    settings = Settings(environment="test", data_dir=folder, secret_key=TEST_SECRET)
    pipeline = build_pipeline(settings, Store.from_settings(settings))
    assert pipeline.revise is not None, "the production pipeline re-scores late history"
    if not revise:
        pipeline.revise = None
    revised = 0
    for start in range(0, len(records), BATCH):
        revised += len(pipeline.process(records[start : start + BATCH]).revisions)
    with pipeline.store.engine.connect() as conn:
        rows = conn.execute(
            select(decisions.c.event_id, decisions.c.outcome, decisions.c.risk_score)
        ).all()
    return {e: (o, float(s)) for e, o, s in rows}, pipeline.store, revised


def test_late_history_re_scores_decisions_to_the_outcomes_of_an_in_order_run(
    tmp_path: Path,
) -> None:
    records = [record for record, _ in generate_events(300, 30, seed=13)]
    held_kind = {r["event_id"] for r in records if r["kind"] == ENFORCEMENT_READ}
    reference, store, revised = _run(tmp_path / "in-order", records, revise=True)
    store.close()
    assert revised == 0, "an in-order stream has no late history"
    held_back = records[250:450]
    late = records[:250] + records[450:] + held_back

    unrevised, store, _ = _run(tmp_path / "late-kept", late, revise=False)
    store.close()
    wrong = [k for k in reference if reference[k][0] != unrevised[k][0]]
    assert wrong, "holding batches back changed no outcome: the scenario proves nothing"

    final, store, revised = _run(tmp_path / "late-revised", late, revise=True)
    assert [k for k in reference if reference[k][0] != final[k][0] and k not in held_kind] == []
    assert revised >= len(wrong)
    same_score = sum(reference[k] == final[k] for k in reference)
    assert same_score >= 0.99 * len(reference)

    late_ids = {r["event_id"] for r in held_back}
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(
                decisions.c.event_id,
                decisions.c.version,
                decisions.c.version_reason,
                decisions.c.outcome,
            ).where(
                decisions.c.version > 1,
                # The look-backs' versions (a flagged complainant's earlier complaints, a
                # reported account's verifications, in both runs alike) are not late
                # history's.
                decisions.c.version_reason.not_like("complainant flagged later:%"),
                decisions.c.version_reason.not_like("account reported later:%"),
            )
        ).all()
        assert len(rows) >= len(wrong)
        for event_id, version, reason, _outcome in rows:
            assert reason.startswith("history arrived late: events ")
            named = reason.removeprefix("history arrived late: events ").split(" and ")[0]
            assert set(named.split(", ")) <= late_ids
            earlier = superseded_versions(conn, event_id)
            assert [v.version for v in earlier] == list(range(1, version))
            assert earlier[0].event_id == event_id
        assert {event_id for event_id, *_ in rows} >= set(wrong)
        assert all(final[e][0] == o for e, _v, _r, o in rows)
    store.close()


def test_a_reason_names_a_few_late_events_and_counts_the_rest() -> None:
    assert reason_for(["b", "a", "a"]) == "history arrived late: events a, b"
    many = [f"e{i:02d}" for i in range(NAMED + 3)]
    assert reason_for(many).endswith(f"e{NAMED - 1:02d} and 3 more")


def _verification_and_sign_in() -> tuple[dict[str, Any], dict[str, Any]]:
    """A verification, and an earlier sign-in of another account on the same device."""
    records = [record for record, _ in generate_events(50, 30, seed=3)]
    verification = next(r for r in records if r["kind"] == "profile_verification")
    sign_in = next(
        r
        for r in records
        if r["kind"] == "sign_in" and r["account_id"] != verification["account_id"]
    )
    later = {**verification, "occurred_at": "2026-02-05T12:00:00Z"}
    earlier = {
        **sign_in,
        "event_id": "late-sign-in",
        "network": {**sign_in["network"], "device_id": verification["network"]["device_id"]},
        "occurred_at": "2026-02-05T11:00:00Z",
    }
    return later, earlier


@pytest.mark.parametrize("linked", [True, False])
def test_a_late_event_of_an_account_sharing_a_device_is_found_before_identifiers_are_read(
    settings: Settings, store: Store, linked: bool
) -> None:
    """On both stores: the ids travel as one array parameter (``TextIn``)."""
    verification, sign_in = _verification_and_sign_in()
    if not linked:
        sign_in["network"] = {**sign_in["network"], "device_id": "dev-not-shared"}
    pipeline = build_pipeline(settings, store)
    pipeline.process([verification])
    pipeline.process([sign_in])
    with store.engine.connect() as conn:
        late = decided_before_their_history(conn, load_events(conn, ["late-sign-in"]))
    expected = {verification["event_id"]: ["late-sign-in"]} if linked else {}
    assert late == expected


def test_a_re_score_keeps_the_cluster_case_finding_made_after_the_decision(
    settings: Settings, sqlite_store: Store
) -> None:
    from datetime import UTC, datetime

    from tests.factories import review_payload
    from trust.cases.cluster_decisions import cluster_hit, revise_scheme_decisions
    from trust.decisions import CLUSTER_REASON
    from trust.graph.clusters import Cluster
    from trust.store import transaction
    from trust.store.decision_versions import latest_decisions

    later = review_payload(
        event_id="rv-later", occurred_at="2026-03-10T12:00:00Z", contract_id="ct-later"
    )
    earlier = review_payload(
        event_id="rv-earlier",
        occurred_at="2026-03-08T12:00:00Z",
        contract_id="ct-earlier",
        contract_ended_at="2026-03-07T17:00:00Z",
        reviewee_id="acct-carol",
    )
    pipeline = build_pipeline(settings, sqlite_store)
    pipeline.process([later])
    ring = Cluster("cluster-x", ("acct-alice", "acct-bob", "acct-dan"), {}, 3, 0.5, ("x",))
    now = datetime(2026, 3, 11, tzinfo=UTC)
    with transaction(sqlite_store.engine) as conn:
        [sent] = revise_scheme_decisions(conn, cluster_hit(ring, 7, 80.0, 3), 7, ["rv-later"], now)
    assert sent.decision.outcome == "review"

    pipeline.process([earlier])  # the reviewer's history grew under the later review

    with sqlite_store.engine.connect() as conn:
        kept = latest_decisions(conn, ["rv-later"])["rv-later"]
    assert kept.outcome == "review"
    assert [h.reason_code for h in kept.rule_hits].count(CLUSTER_REASON) == 1
