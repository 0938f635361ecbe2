"""A complainant flagged for abusing complaints has its earlier allowed ones sent to review."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from tests.factories import complaint_payload, make_complaint, make_review
from tests.trust.cases.conftest import NOW, decision_for, store_decisions
from trust.cases import open_or_join
from trust.composition import build_pipeline
from trust.decisions import LOOK_BACK_REASON, Decision
from trust.events import Event
from trust.look_back import ComplainantLookBack
from trust.pii import hasher_for
from trust.rules.backtest import run_backtest
from trust.rules.pack import load_pack
from trust.settings import Settings
from trust.store import Store, transaction
from trust.store.decision_versions import latest_decisions, superseded_versions
from trust.store.tables import case_evidence, webhook_deliveries
from trust.store.webhooks import add_subscription

SPREE = "complaint_spree"


def _at(days_before: float) -> str:
    return (NOW - timedelta(days=days_before)).isoformat().replace("+00:00", "Z")


def _complaint(name: str, days_before: float, complainant: str = "acct-carl", **more: Any) -> Event:
    return make_complaint(
        event_id=name,
        occurred_at=_at(days_before),
        complainant_id=complainant,
        respondent_id=f"acct-{name}",
        contract_id=f"ct-{name}",
        **more,
    )


def _allowed(event: Event) -> Decision:
    return decision_for(event, outcome="allow", risk=5.0, codes=())


def _run(store: Store, settings: Settings, fresh: list[Event]) -> list[str]:
    with transaction(store.engine) as conn:
        revisions = ComplainantLookBack(settings, open_or_join)(conn, fresh, [], NOW)
    return [r.decision.event_id for r in revisions]


def _spree(store: Store) -> dict[str, tuple[Event, Decision]]:
    """Carl's third complaint this week is flagged; around it, what the look-back weighs
    (a 1-star review of an account he complained about is left to the review rules)."""
    flagged = _complaint("third", 0)
    events = {
        "first": (_complaint("first", 5), "allow"),
        "second": (_complaint("second", 3), "review"),  # flagged already, for another reason
        "older": (_complaint("older", 9), "allow"),  # before the spree's week
        "other": (_complaint("other", 2, complainant="acct-dora"), "allow"),
        "low-review": (
            make_review(
                event_id="low-review",
                occurred_at=_at(4),
                reviewer_id="acct-carl",
                reviewee_id="acct-first",
                rating=1,
            ),
            "allow",
        ),
        "kind-review": (
            make_review(
                event_id="kind-review",
                occurred_at=_at(4),
                reviewer_id="acct-carl",
                reviewee_id="acct-first",
                contract_id="ct-kind",
                rating=5,
            ),
            "allow",
        ),
    }
    pairs = {
        name: (event, _allowed(event) if outcome == "allow" else decision_for(event))
        for name, (event, outcome) in events.items()
    }
    pairs["third"] = (flagged, decision_for(flagged, codes=(SPREE,)))
    with transaction(store.engine) as conn:
        store_decisions(conn, list(pairs.values()))
        add_subscription(conn, "http://127.0.0.1:9/hook", ["decision.created"], NOW)
    return pairs


def test_a_flagged_spree_sends_the_complainants_earlier_allowed_complaints_to_review(
    store: Store, settings: Settings
) -> None:
    pairs = _spree(store)

    revised = _run(store, settings, [pairs["third"][0]])

    assert revised == ["first"]
    with store.engine.connect() as conn:
        now = latest_decisions(conn, list(pairs))
        history = superseded_versions(conn, "first")
        notified = conn.execute(select(webhook_deliveries.c.message_id)).scalars().all()
    for event_id in revised:
        decision = now[event_id]
        [hit] = [h for h in decision.rule_hits if h.reason_code == LOOK_BACK_REASON]
        assert decision.outcome == "review" and hit.forced_outcome == "review"
        assert hit.reason in decision.statement_of_reasons
        assert "run of complaints" in hit.reason and decision.case_id is not None
    assert [v.outcome for v in history] == ["allow"]
    assert len(notified) == len(revised)
    # Already in review: kept as it was. Another complainant, a complaint before the
    # spree's week and the complainant's reviews: still allowed.
    assert now["second"].rule_hits == pairs["second"][1].rule_hits
    assert {now[n].outcome for n in ("older", "other", "low-review", "kind-review")} == {"allow"}


def test_the_look_back_changes_nothing_when_run_again(store: Store, settings: Settings) -> None:
    pairs = _spree(store)
    assert _run(store, settings, [pairs["third"][0]])

    assert _run(store, settings, [pairs["third"][0]]) == []
    with store.engine.connect() as conn:
        assert len(superseded_versions(conn, "first")) == 1


def test_an_earlier_complaint_arriving_after_the_flag_is_reopened_too(
    store: Store, settings: Settings
) -> None:
    pairs = _spree(store)

    # The batch holds only the first complaint, stored after the third was flagged.
    assert _run(store, settings, [pairs["first"][0]]) == ["first"]


def test_a_complaint_flagged_for_something_else_reopens_nothing(
    store: Store, settings: Settings
) -> None:
    first, third = _complaint("first", 5), _complaint("third", 0)
    with transaction(store.engine) as conn:
        store_decisions(
            conn, [(first, _allowed(first)), (third, decision_for(third, codes=("scam_report",)))]
        )

    assert _run(store, settings, [third]) == []


def test_a_reopened_complaint_joins_the_flagging_complaints_case(
    store: Store, settings: Settings
) -> None:
    first, third = _complaint("first", 5), _complaint("third", 0)
    flag = decision_for(third, codes=(SPREE,))
    with transaction(store.engine) as conn:
        store_decisions(conn, [(first, _allowed(first)), (third, flag)])
        [case_id] = open_or_join(conn, [flag], settings, NOW).values()

    assert _run(store, settings, [third]) == ["first"]

    with store.engine.connect() as conn:
        assert latest_decisions(conn, ["first"])["first"].case_id == case_id
        evidence = conn.execute(
            select(case_evidence.c.event_id).where(case_evidence.c.case_id == case_id)
        ).scalars()
        assert set(evidence) == {"first", "third"}


def _quality_complaint(name: str, at: datetime) -> dict[str, Any]:
    """A client's quality complaint about an unfunded contract (no dispute opens)."""
    return complaint_payload(
        event_id=name,
        occurred_at=at.isoformat().replace("+00:00", "Z"),
        complainant_id="acct-carl",
        respondent_id=f"acct-{name}",
        complainant_role="client",
        respondent_role="freelancer",
        category="quality",
        contract_id=f"ct-{name}",
        escrow_state="unfunded",
        description="The delivered work did not match what was agreed.",
    )


def _decide(
    settings: Settings, store: Store, batches: list[list[dict[str, Any]]]
) -> dict[str, Decision]:
    pipeline = build_pipeline(settings, store)
    for batch in batches:
        pipeline.process(batch, now=NOW)
    with store.engine.connect() as conn:
        return latest_decisions(conn, ["cp-1", "cp-2", "cp-3"])


def test_the_pipeline_reopens_a_spree_whichever_order_it_arrives_in(
    settings: Settings, sqlite_store: Store
) -> None:
    start = NOW - timedelta(days=6)
    spree = [_quality_complaint(f"cp-{i}", start + timedelta(days=i)) for i in (1, 2, 3)]

    in_order = _decide(settings, sqlite_store, [[c] for c in spree])

    assert [h.reason_code for h in in_order["cp-3"].rule_hits].count(SPREE) == 1
    for event_id in ("cp-1", "cp-2"):
        assert in_order[event_id].outcome == "review"
        assert LOOK_BACK_REASON in {h.reason_code for h in in_order[event_id].rule_hits}
    # The pack in force replayed over the store gives the same queue: the hit rides along.
    with sqlite_store.engine.connect() as conn:
        replay = run_backtest(conn, load_pack(settings.rules_dir), settings, hasher_for(settings))
    assert replay.flagged == {"cp-1", "cp-2", "cp-3"}


def test_a_re_score_of_late_history_keeps_the_look_back_finding(
    settings: Settings, sqlite_store: Store
) -> None:
    start = NOW - timedelta(days=6)
    spree = [_quality_complaint(f"cp-{i}", start + timedelta(days=i)) for i in (0, 1, 2, 3)]

    # The spree's first complaint arrives last: the others' history grew under them.
    decided = _decide(settings, sqlite_store, [[c] for c in [*spree[1:], spree[0]]])

    with sqlite_store.engine.connect() as conn:
        cp0 = latest_decisions(conn, ["cp-0"])["cp-0"]
    for decision in [cp0, decided["cp-1"], decided["cp-2"]]:
        assert decision.outcome == "review"
        assert [h.reason_code for h in decision.rule_hits].count(LOOK_BACK_REASON) == 1


def test_the_pipeline_reopens_a_spree_that_arrives_backwards(
    settings: Settings, sqlite_store: Store
) -> None:
    start = NOW - timedelta(days=6)
    spree = [_quality_complaint(f"cp-{i}", start + timedelta(days=i)) for i in (1, 2, 3)]

    backwards = _decide(settings, sqlite_store, [[c] for c in reversed(spree)])

    # The third is flagged once its history arrives (late history), and the look-back runs
    # after that re-score.
    assert {d.outcome for d in backwards.values()} == {"review"}
    assert {
        event_id
        for event_id, d in backwards.items()
        if LOOK_BACK_REASON in {h.reason_code for h in d.rule_hits}
    } == {"cp-1", "cp-2"}
