"""Cluster cases: a ring in the store becomes one case listing every member, acted on together."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from itertools import permutations

import pytest
from sqlalchemy import select

from tests.factories import make_review
from tests.trust.cases.conftest import LEAD, LEAD_2, NOW
from trust.cases.clusters import act_on_cluster, record_clusters
from trust.enforcement import EnforcementState
from trust.enforcement_actions import approve_linked
from trust.errors import CaseError, FourEyesError, PermissionDeniedError
from trust.events import Event
from trust.graph.clusters import AccountGraph
from trust.pii import PiiHasher
from trust.settings import Settings
from trust.staff import Role, StaffMember
from trust.store import Store, transaction
from trust.store.accounts import account_statuses, record_accounts, record_batch_identifiers
from trust.store.clusters import RING_KIND, members_of
from trust.store.enforcements import current_enforcement
from trust.store.events import insert_events
from trust.store.graph import graph_links, review_links
from trust.store.tables import audit_log, case_evidence, cases

RING = [f"acct-ring{i}" for i in range(4)]
ANALYST = StaffMember(1, "ana", Role.ANALYST)


def ring_reviews(members: list[str], start: int = 0) -> list[Event]:
    out: list[Event] = []
    for i, (a, b) in enumerate(permutations(members, 2)):
        out.append(
            make_review(
                reviewer_id=a,
                reviewee_id=b,
                contract_id=f"ct-{a}-{b}",
                occurred_at=(NOW - timedelta(days=10 - i % 5)).isoformat().replace("+00:00", "Z"),
                network={
                    "ip": f"203.0.113.{start + i}",
                    "ip_country": "US",
                    "device_id": f"dev-{a}",
                },
            )
        )
    return out


def store_events(store: Store, settings: Settings, batch: Sequence[Event]) -> None:
    with transaction(store.engine) as conn:
        insert_events(conn, batch, source="test", received_at=NOW)
        record_accounts(conn, batch)
        record_batch_identifiers(conn, batch, PiiHasher(settings.resolved_secret_key()))


def find_and_record(store: Store, settings: Settings) -> dict[str, int]:
    with store.engine.connect() as conn:
        found = AccountGraph(graph_links(conn, NOW), NOW).clusters()
    with transaction(store.engine) as conn:
        return record_clusters(conn, found, settings, NOW).cluster_cases


def test_a_ring_is_one_case_with_every_member_and_their_reviews(
    store: Store, settings: Settings
) -> None:
    batch = ring_reviews(RING)
    store_events(store, settings, batch)
    [(cluster_id, case_id)] = find_and_record(store, settings).items()
    with store.engine.connect() as conn:
        case = conn.execute(select(cases).where(cases.c.id == case_id)).one()
        members = members_of(conn, case_id)
        evidence = {
            e
            for (e,) in conn.execute(
                select(case_evidence.c.event_id).where(case_evidence.c.case_id == case_id)
            )
        }
        actions = [
            a
            for (a,) in conn.execute(
                select(audit_log.c.action).where(
                    audit_log.c.target_type == "case", audit_log.c.target_id == str(case_id)
                )
            )
        ]
    assert (case.kind, case.subject_id) == (RING_KIND, cluster_id)
    assert "dense_review_block" in case.reason_codes and case.evidence_count == len(batch)
    assert [m.account_id for m in members] == sorted(RING)
    assert all(any(line.startswith("review ") for line in m.evidence) for m in members)
    assert evidence == {e.event_id for e in batch}
    assert actions == ["cluster_case_opened"]


def test_finding_the_ring_again_joins_its_case_and_adds_new_members(
    store: Store, settings: Settings
) -> None:
    store_events(store, settings, ring_reviews(RING))
    [first] = find_and_record(store, settings).values()
    grown = [*RING, "acct-ring-new"]
    store_events(
        store,
        settings,
        [e for e in ring_reviews(grown, start=100) if "acct-ring-new" in e.account_ids],
    )
    assert list(find_and_record(store, settings).values()) == [first]
    assert list(find_and_record(store, settings).values()) == [first]  # nothing new this time
    with store.engine.connect() as conn:
        actions = [
            a
            for (a,) in conn.execute(
                select(audit_log.c.action)
                .where(audit_log.c.target_type == "case", audit_log.c.target_id == str(first))
                .order_by(audit_log.c.id)
            )
        ]
        assert actions == ["cluster_case_opened", "cluster_members_added"]
        assert [m.account_id for m in members_of(conn, first)] == sorted(grown)
        assert conn.execute(select(cases.c.id).where(cases.c.kind == RING_KIND)).all() == [(first,)]


def test_members_are_held_together_and_blocked_only_with_a_second_lead(
    store: Store, settings: Settings
) -> None:
    store_events(store, settings, ring_reviews(RING))
    [case_id] = find_and_record(store, settings).values()
    with transaction(store.engine) as conn, pytest.raises(PermissionDeniedError):
        act_on_cluster(conn, ANALYST, case_id, EnforcementState.HOLD, "ring", NOW)
    with transaction(store.engine) as conn:
        assert act_on_cluster(conn, LEAD, case_id, EnforcementState.HOLD, "ring", NOW) == 4
        proposal = act_on_cluster(conn, LEAD, case_id, EnforcementState.BLOCK, "ring", NOW)
    with transaction(store.engine) as conn, pytest.raises(FourEyesError):
        approve_linked(conn, proposal, LEAD, NOW)
    with transaction(store.engine) as conn:
        assert approve_linked(conn, proposal, LEAD_2, NOW) == 4
        assert set(account_statuses(conn, RING).values()) == {"blocked"}


def test_a_case_without_members_is_not_a_cluster_case(store: Store) -> None:
    with transaction(store.engine) as conn, pytest.raises(CaseError, match="not a cluster"):
        act_on_cluster(conn, LEAD, 999, EnforcementState.HOLD, "ring", NOW)


def test_resolving_a_cluster_case_with_a_block_blocks_every_member_after_approval(
    store: Store, settings: Settings
) -> None:
    from trust.cases import Action, Resolution, approve_proposal, claim, resolve

    store_events(store, settings, ring_reviews(RING))
    [case_id] = find_and_record(store, settings).values()
    with transaction(store.engine) as conn:
        claim(conn, case_id, ANALYST, NOW, timedelta(minutes=15))
        resolve(conn, case_id, ANALYST, Resolution(Action.BLOCK_ACCOUNT, "fake_review"), NOW)
        assert set(account_statuses(conn, RING).values()) == {"active"}
        approve_proposal(conn, case_id, LEAD, NOW)
        assert set(account_statuses(conn, RING).values()) == {"blocked"}
        # The cluster id the case is keyed by is not an account: nothing is enforced on it.
        cluster_id = conn.execute(
            select(cases.c.subject_id).where(cases.c.id == case_id)
        ).scalar_one()
        assert current_enforcement(conn, cluster_id) is None


def test_review_links_carry_each_reviews_mark(store: Store, settings: Settings) -> None:
    batch = [
        make_review(reviewer_id="acct-a", reviewee_id="acct-b", contract_id="ct-ab", rating=5),
        make_review(reviewer_id="acct-b", reviewee_id="acct-a", contract_id="ct-ab", rating=2),
    ]
    store_events(store, settings, batch)
    with store.engine.connect() as conn:
        marks = {(link.a, link.b): link.rating for link in review_links(conn)}
    assert marks == {("acct-a", "acct-b"): 5, ("acct-b", "acct-a"): 2}
