"""The queue page, the case screen, a subject's history and its linked accounts."""

from __future__ import annotations

from datetime import timedelta

from tests.factories import make_complaint, make_profile_verification, make_review
from tests.trust.cases.conftest import ANALYST, NOW, OpenCase
from trust.cases import (
    UNASSIGNED,
    Action,
    CaseStatus,
    QueueFilter,
    Resolution,
    SlaState,
    case_detail,
    claim,
    linked_accounts,
    my_cases,
    queue_page,
    resolve,
    subject_timeline,
)
from trust.cases.seed import seed_open_cases
from trust.events import event_adapter
from trust.identifiers import identifiers_of
from trust.pii import PiiHasher
from trust.settings import Settings
from trust.store import Store, transaction
from trust.store.accounts import record_identifiers

LEASE = timedelta(minutes=15)


def test_the_queue_is_paginated_by_priority(store: Store, settings: Settings) -> None:
    with transaction(store.engine) as conn:
        seed_open_cases(conn, 120, NOW, settings)
    with store.engine.connect() as conn:
        pages = [queue_page(conn, None, NOW, settings, page=p, page_size=50) for p in (1, 2, 3)]
    assert [len(p.items) for p in pages] == [50, 50, 20]
    assert pages[0].total == 120 and pages[0].pages == 3
    shown = [item.priority for page in pages for item in page.items]
    assert shown == sorted(shown, reverse=True)
    assert len({item.case.id for page in pages for item in page.items}) == 120


def test_the_store_orders_by_the_same_bounded_priority_staff_see(
    store: Store, settings: Settings
) -> None:
    """Seeded cases are due between days ago and days ahead: the order the database gives
    (``priority_sql``, both dialects) is the order of the priorities shown, all bounded."""
    with transaction(store.engine) as conn:
        seed_open_cases(conn, 80, NOW, settings)
    later = NOW + timedelta(days=6)
    with store.engine.connect() as conn:
        items = queue_page(conn, None, later, settings, page_size=100).items
    shown = [item.priority for item in items]
    assert shown == sorted(shown, reverse=True)
    assert all(-24 <= p <= 124 for p in shown)
    assert any(item.time_left is not None and item.time_left < -timedelta(days=2) for item in items)


def test_queue_filters_narrow_the_page(
    store: Store, settings: Settings, open_case: OpenCase
) -> None:
    open_case(make_review(reviewer_id="acct-r"), risk=90, codes=("REVIEW_RING",))
    verification = open_case(
        make_profile_verification(account_id="acct-v"), risk=50, codes=("DOCUMENT_TAMPERING",)
    )
    late = open_case(
        make_complaint(respondent_id="acct-late"), risk=70, now=NOW - timedelta(days=6)
    )
    with transaction(store.engine) as conn:
        claim(conn, verification, ANALYST, NOW, LEASE)

    def ids(f: QueueFilter) -> list[int]:
        with store.engine.connect() as conn:
            return [i.case.id for i in queue_page(conn, f, NOW, settings).items]

    assert ids(QueueFilter(kind="profile_verification")) == [verification]
    assert ids(QueueFilter(reason_code="DOCUMENT_TAMPERING")) == [verification]
    assert ids(QueueFilter(reason_code="DOCUMENT")) == []  # whole codes only
    assert ids(QueueFilter(min_score=60, max_score=80)) == [late]
    assert ids(QueueFilter(sla_state=SlaState.BREACHED)) == [late]
    assert ids(QueueFilter(assignee="ana")) == [verification]
    assert verification not in ids(QueueFilter(assignee=UNASSIGNED))
    assert ids(QueueFilter(statuses=(CaseStatus.IN_REVIEW,))) == [verification]


def test_queue_items_carry_the_sla_and_the_holder(
    store: Store, settings: Settings, open_case: OpenCase
) -> None:
    case_id = open_case(make_review())
    with transaction(store.engine) as conn:
        claim(conn, case_id, ANALYST, NOW, LEASE)
        item = queue_page(conn, None, NOW, settings).items[0]
        mine = my_cases(conn, ANALYST, NOW, settings)
    assert item.holder == "ana" and item.sla_state is SlaState.ON_TRACK
    assert item.time_left == timedelta(hours=72)
    assert [m.case.id for m in mine] == [case_id]


def test_resolved_cases_leave_the_default_queue(
    store: Store, settings: Settings, open_case: OpenCase
) -> None:
    case_id = open_case(make_review())
    with transaction(store.engine) as conn:
        claim(conn, case_id, ANALYST, NOW, LEASE)
        resolve(conn, case_id, ANALYST, Resolution(Action.DISMISS, "false_positive"), NOW)
        assert queue_page(conn, None, NOW, settings).total == 0
        done = queue_page(conn, QueueFilter(statuses=(CaseStatus.RESOLVED,)), NOW, settings)
    assert [i.case.id for i in done.items] == [case_id]
    assert done.items[0].sla_state is SlaState.MET


def test_case_detail_gathers_evidence_decisions_notes_and_audit(
    store: Store, open_case: OpenCase
) -> None:
    events = [make_review(reviewer_id="acct-d") for _ in range(3)]
    case_id = open_case(*events, codes=("SELF_DEALING", "REVIEW_BURST"))
    with transaction(store.engine) as conn:
        claim(conn, case_id, ANALYST, NOW, LEASE)
        resolve(conn, case_id, ANALYST, Resolution(Action.DISMISS, "false_positive", "fine"), NOW)
        detail = case_detail(conn, case_id, evidence_limit=2)
    assert detail.case.reason_codes == ["SELF_DEALING", "REVIEW_BURST"]
    assert len(detail.evidence) == 2
    first = detail.evidence[0]
    assert first["decision"]["rule_hits"][0]["reason_code"] == "SELF_DEALING"
    event_adapter.validate_python(first["payload"])
    assert [n["body"] for n in detail.notes] == ["fine"]
    assert [a["action"] for a in detail.audit] == [
        "case_opened",
        "claimed",
        "note_added",
        "resolved",
    ]
    assert detail.account is not None and detail.account["account_id"] == "acct-d"


def test_subject_timeline_lists_events_both_ways_and_cases(
    store: Store, open_case: OpenCase
) -> None:
    as_reviewer = make_review(reviewer_id="acct-t", reviewee_id="acct-o")
    as_reviewee = make_review(reviewer_id="acct-o2", reviewee_id="acct-t")
    open_case(as_reviewer)
    open_case(as_reviewee)
    with store.engine.connect() as conn:
        timeline = subject_timeline(conn, "acct-t")
    assert {e["event_id"] for e in timeline["events"]} == {
        as_reviewer.event_id,
        as_reviewee.event_id,
    }
    assert len(timeline["cases"]) == 1
    assert all(e["outcome"] == "review" for e in timeline["events"])


def test_linked_accounts_share_identifiers_and_show_masked_values(
    store: Store, settings: Settings
) -> None:
    hasher = PiiHasher(settings.resolved_secret_key())
    alice = make_profile_verification(account_id="acct-alice")
    twin = make_profile_verification(account_id="acct-twin")  # same document, phone, device
    stranger = make_profile_verification(
        account_id="acct-stranger",
        payment_fingerprint="pm-other",
        network={"ip": "192.0.2.200", "device_id": "dev-other"},
        profile={"email": "someone@example.org", "phone": "+15550000000"},
        document={"number": "ZZ9999999"},
    )
    with transaction(store.engine) as conn:
        for event in (alice, twin, stranger):
            record_identifiers(
                conn, identifiers_of(event, hasher), seen_at=NOW, event_id=event.event_id
            )
        links = linked_accounts(conn, "acct-alice")
    assert {row.account_id for row in links} == {"acct-twin"}
    document = next(row for row in links if row.kind == "document")
    assert "GB1234567" not in document.masked
