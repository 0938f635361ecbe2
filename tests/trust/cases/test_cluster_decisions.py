"""A cluster found for its reviews sends its members' still-allowed scheme events to review."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.factories import make_profile_verification, make_review
from tests.trust.cases.conftest import NOW, decision_for, store_decisions
from tests.trust.cases.test_clusters import RING, ring_reviews
from trust.decisions import CLUSTER_REASON, Decision
from trust.events import Event
from trust.graph.passes import cluster_pass
from trust.pii import PiiHasher
from trust.settings import Settings
from trust.store import Store, transaction
from trust.store.accounts import record_batch_identifiers
from trust.store.decision_versions import latest_decisions, superseded_versions
from trust.store.tables import case_evidence, webhook_deliveries
from trust.store.webhooks import add_subscription


def _verification(account: str, number: int, document: str) -> Event:
    """A verification on the account's own device, address, phone, e-mail and card, with
    ``document``."""
    return make_profile_verification(
        account_id=account,
        profile={"email": f"{account}@example.com", "phone": f"+1555000{number:04d}"},
        payment_fingerprint=f"pm-{account}",
        network={
            "ip": f"198.51.100.{number}",
            "ip_country": "US",
            "device_id": f"dev-{account}",
        },
        occurred_at=(NOW - timedelta(days=20)).isoformat().replace("+00:00", "Z"),
        document={
            "type": "passport",
            "number": document,
            "issuing_country": "US",
            "name_on_document": "Sam Doe",
            "date_of_birth": "1990-01-01",
            "expires_on": "2030-01-01",
        },
    )


def _store(store: Store, settings: Settings, pairs: list[tuple[Event, Decision]]) -> None:
    with transaction(store.engine) as conn:
        store_decisions(conn, pairs)
        record_batch_identifiers(
            conn, [e for e, _ in pairs], PiiHasher(settings.resolved_secret_key())
        )


def _allowed(event: Event) -> Decision:
    return decision_for(event, outcome="allow", risk=5.0, codes=())


def _deep(settings: Settings, days: float = 0.0) -> Settings:
    """``settings`` with passes revising decisions after ``days`` of history."""
    graph = settings.graph.model_copy(update={"revise_after_days": days})
    return settings.model_copy(update={"graph": graph})


def test_a_ring_found_later_sends_its_allowed_reviews_and_verifications_to_review(
    store: Store, settings: Settings
) -> None:
    settings = _deep(settings)
    reviews = ring_reviews(RING)
    flagged_already = reviews[0]
    verifications = [_verification(a, i, f"P{i:07d}") for i, a in enumerate(RING)]
    outsider = _verification("acct-outsider", 99, "P9999999")
    pairs = [
        (e, decision_for(e) if e is flagged_already else _allowed(e))
        for e in [*reviews, *verifications, outsider]
    ]
    _store(store, settings, pairs)
    with transaction(store.engine) as conn:
        add_subscription(conn, "http://127.0.0.1:9/hook", ["decision.created"], NOW)

    done = cluster_pass(store, settings)

    [case_id] = done.cases.values()
    scheme = [e.event_id for e in [*reviews[1:], *verifications]]
    assert done.decisions_revised == len(scheme)
    with store.engine.connect() as conn:
        now = latest_decisions(conn, [e.event_id for e, _ in pairs])
        history = superseded_versions(conn, scheme[0])
        evidence = set(
            conn.execute(
                select(case_evidence.c.event_id).where(case_evidence.c.case_id == case_id)
            ).scalars()
        )
        notified = conn.execute(select(webhook_deliveries.c.message_id)).scalars().all()
    for event_id in scheme:
        decision = now[event_id]
        [hit] = [h for h in decision.rule_hits if h.reason_code == CLUSTER_REASON]
        assert decision.outcome == "review" and hit.forced_outcome == "review"
        assert decision.case_id == case_id and decision.risk_score > 5.0
        assert f"one of {len(RING)} accounts acting together" in hit.reason
        assert hit.reason in decision.statement_of_reasons
    assert [v.outcome for v in history] == ["allow"]
    assert evidence == {e.event_id for e in [*reviews, *verifications]}
    assert len(notified) == len(scheme)
    # The review already flagged keeps its decision; the outsider is no member.
    assert now[flagged_already.event_id].rule_hits == pairs[0][1].rule_hits
    assert now[outsider.event_id].outcome == "allow"
    assert cluster_pass(store, settings).decisions_revised == 0


def _review(reviewer: str, reviewee: str, number: int) -> Event:
    """A top-marked review written on the reviewer's own device, a week ago."""
    return make_review(
        reviewer_id=reviewer,
        reviewee_id=reviewee,
        contract_id=f"ct-{reviewer}-{reviewee}",
        occurred_at=(NOW - timedelta(days=7)).isoformat().replace("+00:00", "Z"),
        network={"ip": f"192.0.2.{number}", "ip_country": "US", "device_id": f"dev-{reviewer}"},
    )


def test_the_account_a_ring_reviewed_keeps_its_verification_until_it_reviews_one_of_them(
    store: Store, settings: Settings
) -> None:
    settings = _deep(settings)
    star = "acct-star"
    reviews = ring_reviews(RING)
    for_star = [_review(a, star, i) for i, a in enumerate(RING[:3])]
    members = [_verification(a, i, f"P{i:07d}") for i, a in enumerate(RING)]
    own = _verification(star, 50, "P0000050")
    pairs = [(e, _allowed(e)) for e in [*reviews, *for_star, *members, own]]
    _store(store, settings, pairs)

    done = cluster_pass(store, settings)

    [cluster] = done.clusters
    assert star in cluster.members and cluster.found_for_reviews
    scheme = [e.event_id for e in [*reviews, *for_star, *members]]
    assert done.decisions_revised == len(scheme)
    with store.engine.connect() as conn:
        now = latest_decisions(conn, [e.event_id for e, _ in pairs])
        evidence = set(conn.execute(select(case_evidence.c.event_id)).scalars())
    assert {now[e].outcome for e in scheme} == {"review"}
    # The reviews it got are in the case; who it is, is the identity rules' to say.
    assert now[own.event_id].outcome == "allow" and own.event_id not in evidence

    # Once it reviews one of them it trades inside the ring: a member like the others.
    back = _review(star, RING[0], 60)
    _store(store, settings, [(back, _allowed(back))])
    again = cluster_pass(store, settings)

    assert again.decisions_revised == 2
    with store.engine.connect() as conn:
        now = latest_decisions(conn, [own.event_id, back.event_id])
    assert {d.outcome for d in now.values()} == {"review"}


def test_a_cluster_found_only_for_a_shared_document_revises_no_decision(
    store: Store, settings: Settings
) -> None:
    settings = _deep(settings)
    accounts = ["acct-doc1", "acct-doc2", "acct-doc3"]
    pairs = [
        (e, _allowed(e)) for e in (_verification(a, i, "P1234567") for i, a in enumerate(accounts))
    ]
    _store(store, settings, pairs)

    done = cluster_pass(store, settings)

    assert [c.reasons for c in done.clusters] == [("shared_identity",)]
    assert done.decisions_revised == 0
    with store.engine.connect() as conn:
        assert {
            d.outcome for d in latest_decisions(conn, [e.event_id for e, _ in pairs]).values()
        } == {"allow"}


def test_before_the_graph_holds_enough_history_a_ring_opens_a_case_and_revises_nothing(
    store: Store, settings: Settings
) -> None:
    reviews = ring_reviews(RING)  # four days of history: ten to six days ago
    _store(store, settings, [(e, _allowed(e)) for e in reviews])

    early = cluster_pass(store, _deep(settings, days=6))

    assert len(early.cases) == 1 and early.decisions_revised == 0
    assert cluster_pass(store, _deep(settings, days=4)).decisions_revised == len(reviews)
