"""An account several people reported has its allowed profile verifications sent to review."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from tests.factories import (
    complaint_payload,
    make_complaint,
    make_profile_verification,
    profile_verification_payload,
)
from tests.trust.cases.conftest import NOW, decision_for, store_decisions
from trust.cases import open_or_join
from trust.composition import build_pipeline
from trust.decisions import REPORTED_LOOK_BACK_REASON, Decision
from trust.events import Event
from trust.pii import hasher_for
from trust.reported_look_back import ReportedAccountLookBack
from trust.rules.backtest import run_backtest
from trust.rules.pack import load_pack
from trust.settings import Settings
from trust.store import Store, transaction
from trust.store.decision_versions import latest_decisions, superseded_versions
from trust.store.tables import case_evidence, webhook_deliveries
from trust.store.webhooks import add_subscription


def _at(days_before: float) -> str:
    return (NOW - timedelta(days=days_before)).isoformat().replace("+00:00", "Z")


def _verification(name: str, days_before: float, account: str = "acct-sam") -> Event:
    return make_profile_verification(
        event_id=name, occurred_at=_at(days_before), account_id=account
    )


def _complaint(name: str, days_before: float, complainant: str, respondent: str = "acct-sam"):
    return make_complaint(
        event_id=name,
        occurred_at=_at(days_before),
        complainant_id=complainant,
        respondent_id=respondent,
        contract_id=f"ct-{name}",
    )


def _allowed(event: Event) -> Decision:
    return decision_for(event, outcome="allow", risk=5.0, codes=())


def _scam_report(event: Event, *codes: str) -> Decision:
    return decision_for(event, codes=("scam_report", *codes))


def _run(store: Store, settings: Settings, fresh: list[Event]) -> list[str]:
    with transaction(store.engine) as conn:
        revisions = ReportedAccountLookBack(settings, open_or_join)(conn, fresh, [], NOW)
    return sorted(r.decision.event_id for r in revisions)


def _reported(
    store: Store,
    *,
    complainants: tuple[str, str] = ("acct-ann", "acct-ben"),
    second: tuple[str, ...] = ("scam_report",),
) -> dict[str, tuple[Event, Decision]]:
    """Sam verified, then two people reported Sam as a scammer; around them what the
    look-back weighs. ``second``: the reason codes of the second complaint's decision."""
    events = {
        "pv-sam": (_verification("pv-sam", 20), _allowed),
        "pv-sam-retry": (_verification("pv-sam-retry", 19), decision_for),  # flagged already
        "pv-dora": (_verification("pv-dora", 20, account="acct-dora"), _allowed),
        "cp-1": (_complaint("cp-1", 5, complainants[0]), _scam_report),
        "cp-2": (
            _complaint("cp-2", 3, complainants[1]),
            lambda e: decision_for(e, codes=second),
        ),
        # One scam report about Dora, and a complaint of another kind: no report.
        "cp-dora": (_complaint("cp-dora", 3, "acct-ann", respondent="acct-dora"), _scam_report),
        "cp-dora-2": (
            _complaint("cp-dora-2", 2, "acct-ben", respondent="acct-dora"),
            lambda e: decision_for(e, codes=("unfunded_milestone",)),
        ),
    }
    pairs = {name: (event, decide(event)) for name, (event, decide) in events.items()}
    with transaction(store.engine) as conn:
        store_decisions(conn, list(pairs.values()))
        add_subscription(conn, "http://127.0.0.1:9/hook", ["decision.created"], NOW)
    return pairs


def test_a_reported_accounts_allowed_verification_goes_to_review(
    store: Store, settings: Settings
) -> None:
    pairs = _reported(store)

    assert _run(store, settings, [pairs["cp-2"][0]]) == ["pv-sam"]

    with store.engine.connect() as conn:
        now = latest_decisions(conn, list(pairs))
        history = superseded_versions(conn, "pv-sam")
        notified = conn.execute(select(webhook_deliveries.c.message_id)).scalars().all()
    decision = now["pv-sam"]
    [hit] = [h for h in decision.rule_hits if h.reason_code == REPORTED_LOOK_BACK_REASON]
    assert decision.outcome == "review" and hit.forced_outcome == "review"
    assert hit.reason in decision.statement_of_reasons and "scammed" in hit.reason
    assert decision.case_id is not None
    assert [v.outcome for v in history] == ["allow"]
    assert len(notified) == 1
    # Already in review: kept as it was. Dora, reported as a scammer by one person and in
    # a payment dispute by another: still allowed.
    assert now["pv-sam-retry"].rule_hits == pairs["pv-sam-retry"][1].rule_hits
    assert now["pv-dora"].outcome == "allow"


def test_one_person_complaining_twice_is_no_report(store: Store, settings: Settings) -> None:
    pairs = _reported(store, complainants=("acct-ann", "acct-ann"))

    assert _run(store, settings, [pairs["cp-2"][0]]) == []


def test_a_scam_report_flagged_as_complaint_abuse_is_no_report(
    store: Store, settings: Settings
) -> None:
    pairs = _reported(store, second=("scam_report", "serial_complainer"))

    assert _run(store, settings, [pairs["cp-2"][0]]) == []


def test_the_reported_look_back_changes_nothing_when_run_again(
    store: Store, settings: Settings
) -> None:
    pairs = _reported(store)
    assert _run(store, settings, [pairs["cp-2"][0]]) == ["pv-sam"]

    assert _run(store, settings, [pairs["cp-2"][0]]) == []
    with store.engine.connect() as conn:
        assert len(superseded_versions(conn, "pv-sam")) == 1


def test_a_verification_arriving_after_the_reports_is_reopened_too(
    store: Store, settings: Settings
) -> None:
    pairs = _reported(store)

    # The batch holds only the verification, stored after both complaints.
    assert _run(store, settings, [pairs["pv-sam"][0]]) == ["pv-sam"]


def test_a_reopened_verification_joins_the_reporting_complaints_case(
    store: Store, settings: Settings
) -> None:
    pairs = _reported(store)
    flag = pairs["cp-2"][1]
    with transaction(store.engine) as conn:
        [case_id] = open_or_join(conn, [flag], settings, NOW).values()

    assert _run(store, settings, [pairs["cp-2"][0]]) == ["pv-sam"]

    with store.engine.connect() as conn:
        assert latest_decisions(conn, ["pv-sam"])["pv-sam"].case_id == case_id
        evidence = conn.execute(
            select(case_evidence.c.event_id).where(case_evidence.c.case_id == case_id)
        ).scalars()
        assert set(evidence) == {"cp-2", "pv-sam"}


def _sign_up(name: str, days_before: float, **more: Any) -> dict[str, Any]:
    """Sam's clean sign-up verification."""
    return profile_verification_payload(
        event_id=name, occurred_at=_at(days_before), account_id="acct-sam", **more
    )


def _scam_complaint(name: str, days_before: float, complainant: str) -> dict[str, Any]:
    """A client reports Sam as a scammer, about an unfunded contract (no dispute opens)."""
    return complaint_payload(
        event_id=name,
        occurred_at=_at(days_before),
        complainant_id=complainant,
        respondent_id="acct-sam",
        complainant_role="client",
        respondent_role="freelancer",
        category="fraud_scam",
        contract_id=f"ct-{name}",
        escrow_state="unfunded",
        amount_in_dispute=None,
        milestone_id=None,
        description="He took the job, asked for a deposit elsewhere and disappeared.",
    )


def _decide(settings: Settings, store: Store, batches: list[list[dict[str, Any]]]) -> Decision:
    pipeline = build_pipeline(settings, store)
    for batch in batches:
        pipeline.process(batch, now=NOW)
    with store.engine.connect() as conn:
        return latest_decisions(conn, ["pv-sam"])["pv-sam"]


def _carries_the_hit(decision: Decision) -> bool:
    codes = [h.reason_code for h in decision.rule_hits]
    return decision.outcome == "review" and codes.count(REPORTED_LOOK_BACK_REASON) == 1


@pytest.mark.parametrize(
    "order", [(0, 1, 2), (1, 2, 0), (1, 0, 2)], ids=["sign-up first", "last", "between"]
)
def test_the_pipeline_reopens_the_verification_whichever_order_it_arrives_in(
    settings: Settings, sqlite_store: Store, order: tuple[int, int, int]
) -> None:
    events = [
        _sign_up("pv-sam", 20),
        _scam_complaint("cp-1", 5, "acct-ann"),
        _scam_complaint("cp-2", 3, "acct-ben"),
    ]

    assert _carries_the_hit(_decide(settings, sqlite_store, [[events[i]] for i in order]))
    # The pack in force replayed over the store flags it too: the hit rides along.
    with sqlite_store.engine.connect() as conn:
        replay = run_backtest(conn, load_pack(settings.rules_dir), settings, hasher_for(settings))
    assert "pv-sam" in replay.flagged


def test_a_re_score_of_late_history_keeps_the_reported_finding(
    settings: Settings, sqlite_store: Store
) -> None:
    reports = [_scam_complaint("cp-1", 5, "acct-ann"), _scam_complaint("cp-2", 3, "acct-ben")]
    before = _decide(settings, sqlite_store, [[_sign_up("pv-sam", 20)], reports])
    assert _carries_the_hit(before)

    # An earlier sign-up on Sam's laptop arrives late: Sam's verification is re-scored.
    other = profile_verification_payload(
        event_id="pv-kim",
        occurred_at=_at(25),
        account_id="acct-kim",
        profile={
            "legal_name": "Kim Park",
            "display_name": "Kim P.",
            "email": "kim@example.org",
            "phone": "+447700900999",
        },
        document={"name_on_document": "Kim Park", "number": "GB7654321"},
        payment_fingerprint="pm-kim-1",
    )
    after = _decide(settings, sqlite_store, [[other]])

    with sqlite_store.engine.connect() as conn:
        versions = superseded_versions(conn, "pv-sam")
    # Allowed at arrival, reopened, then re-scored with the shared device.
    assert len(versions) == 2 and after.signals["accounts_sharing_device"] == 1
    assert _carries_the_hit(after)
