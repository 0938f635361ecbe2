"""The case screen: evidence and reasons, claiming, resolving, four-eyes and masking."""

from __future__ import annotations

import json
from decimal import Decimal

from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from dashboard.components.text import plain
from tests.dashboard.conftest import app_as, first_case_of_kind, open_page, texts
from tests.dashboard.disputes import both_parties_accept, open_dispute
from trust.audit import AuditFilter, search_audit
from trust.store import transaction
from trust.store.tables import accounts, cases, events


def _case_row(store, case_id: int):
    with transaction(store.engine) as conn:
        return conn.execute(select(cases).where(cases.c.id == case_id)).one()


def _claimed(app: AppTest) -> AppTest:
    return app.button(key="claim").click().run()


def _decide(app: AppTest, action: str, reason: str, note: str = "") -> AppTest:
    app.selectbox(key="resolve-action").set_value(action).run()
    app.selectbox(key="resolve-reason").set_value(reason).run()
    if note:
        app.text_area(key="resolve-note").input(note)
    return app.button(key="resolve-submit").click().run()


def test_the_case_shows_every_rule_hit_with_its_reason(staff, seeded) -> None:
    seeded(8)
    case_id = 1
    app = open_page(app_as(staff("ana", "analyst")), "case", case=str(case_id))
    assert not app.exception
    said = texts(app)
    assert "**Rules that matched**" in said
    assert " · rule rv" in said and " · severity " in said
    assert "No anomaly model scored this event." in said
    assert "Claim the case to decide it." in said


def test_an_unknown_case_number_says_so(staff) -> None:
    app = open_page(app_as(staff("ana", "analyst")), "case", case="999")
    assert [e.value for e in app.error] == [
        "There is no case #999. Check the number, or open one from the Queue."
    ]


def test_an_analyst_claims_and_resolves_a_case(dashboard_store, staff, seeded) -> None:
    seeded(4)
    app = _claimed(open_page(app_as(staff("ana", "analyst")), "case", case="2"))
    assert "You hold this case" in texts(app)
    app = _decide(app, "dismiss", "false_positive", "Shared office network, checked.")
    assert not app.exception
    assert "Case #2 resolved" in texts(app)
    row = _case_row(dashboard_store, 2)
    assert (row.status, row.label, row.resolved_by) == ("resolved", "dismissed", "ana")
    with transaction(dashboard_store.engine) as conn:
        audit = search_audit(conn, AuditFilter(target_type="case", target_id="2"))
    assert [r["action"] for r in audit.rows][:2] == ["resolved", "note_added"]


def test_a_block_by_an_analyst_only_proposes_until_a_lead_approves(
    dashboard_store, staff, seeded
) -> None:
    seeded(4)
    analyst, lead = staff("ana", "analyst"), staff("lee", "lead")
    app = _claimed(open_page(app_as(analyst), "case", case="3"))
    app = _decide(app, "block_account", "ban_evasion", "Same passport as a blocked account.")
    assert "A lead other than you must approve it." in texts(app)
    assert _case_row(dashboard_store, 3).status == "awaiting_approval"
    assert "**ana** proposed: Block the account" in "\n".join(w.value for w in app.warning)
    assert not [b for b in app.button if b.key == "proposal-approve"]

    app = open_page(app_as(lead), "case", case="3")
    assert "**ana** proposed" in "\n".join(w.value for w in app.warning)
    app = app.button(key="proposal-approve").click().run()
    assert not app.exception
    row = _case_row(dashboard_store, 3)
    assert (row.status, row.label, row.resolved_by) == ("resolved", "confirmed", "lee")
    assert row.resolution["proposed_by"] == "ana"
    with transaction(dashboard_store.engine) as conn:
        status = conn.execute(
            select(accounts.c.status).where(accounts.c.account_id == row.subject_id)
        ).scalar()
    assert status == "blocked"


def test_a_lead_who_proposed_is_offered_neither_claim_nor_approval(
    dashboard_store, staff, seeded
) -> None:
    seeded(4)
    lead = staff("lee", "lead")
    app = _claimed(open_page(app_as(lead), "case", case="2"))
    app = _decide(app, "block_account", "ban_evasion")
    app = open_page(app_as(lead), "case", case="2")
    assert _case_row(dashboard_store, 2).status == "awaiting_approval"
    assert not [b for b in app.button if b.key in ("claim", "proposal-approve")]
    assert "You proposed this decision" in texts(app)


def test_a_lead_can_reject_a_proposal_and_the_case_returns_to_the_queue(
    dashboard_store, staff, seeded
) -> None:
    seeded(4)
    app = _claimed(open_page(app_as(staff("ana", "analyst")), "case", case="1"))
    _decide(app, "block_account", "fake_review")
    app = open_page(app_as(staff("lee", "lead")), "case", case="1")
    app = app.button(key="proposal-reject").click().run()
    assert "back in the queue" in texts(app)
    assert _case_row(dashboard_store, 1).status == "open"


def test_an_analyst_sees_personal_data_masked_and_cannot_reveal_it(
    dashboard_store, staff, seeded
) -> None:
    seeded(30)
    case_id = first_case_of_kind(dashboard_store, "profile_verification")
    app = open_page(app_as(staff("ana", "analyst")), "case", case=str(case_id))
    payload = app.json[0].value
    clear = _clear_payload(dashboard_store, payload)
    assert clear["profile"]["email"] not in payload
    assert clear["document"]["number"] not in payload
    assert clear["document"]["number"][-4:] in payload
    assert not [b for b in app.button if (b.key or "").startswith("reveal-")]
    assert "Revealing them needs the reveal permission" in texts(app)


def test_revealing_personal_data_needs_the_permission_and_is_audited(
    dashboard_store, staff, seeded
) -> None:
    seeded(30)
    case_id = first_case_of_kind(dashboard_store, "profile_verification")
    app = open_page(app_as(staff("lee", "lead")), "case", case=str(case_id))
    reveal = next(b for b in app.button if (b.key or "").startswith("reveal-"))
    app = reveal.click().run()
    clear = _clear_payload(dashboard_store, app.json[0].value)
    assert clear["profile"]["email"] in app.json[0].value
    with transaction(dashboard_store.engine) as conn:
        audit = search_audit(conn, AuditFilter(action="pii_revealed"))
    assert [(r["actor"], r["target_type"]) for r in audit.rows] == [("lee", "event")]


def test_an_analyst_with_a_personal_reveal_grant_may_reveal(dashboard_store, staff, seeded) -> None:
    seeded(30)
    case_id = first_case_of_kind(dashboard_store, "profile_verification")
    app = open_page(app_as(staff("ana", "analyst", reveal=True)), "case", case=str(case_id))
    assert [b for b in app.button if (b.key or "").startswith("reveal-")]


def test_a_note_is_saved_and_shown(staff, seeded) -> None:
    seeded(2)
    app = open_page(app_as(staff("ana", "analyst")), "case", case="1")
    app.text_area(key="note-body").input("Asked the platform for contract logs.").run()
    app = app.button(key="note-save").click().run()
    assert "Note saved." in texts(app)
    assert plain("Asked the platform for contract logs.") in texts(app)


def _clear_payload(store, shown: str) -> dict:
    """The stored payload of the event whose (masked or clear) JSON the screen shows."""
    event_id = json.loads(shown)["event_id"]
    with transaction(store.engine) as conn:
        return conn.execute(
            select(events.c.payload).where(events.c.event_id == event_id)
        ).scalar_one()


def test_a_dispute_split_names_both_amounts_and_needs_approval(dashboard_store, staff) -> None:
    case_id = open_dispute(dashboard_store, stage="arbitration")
    stake = _case_row(dashboard_store, case_id).money_at_stake
    app = _claimed(open_page(app_as(staff("lou", "lead")), "case", case=str(case_id)))
    app.selectbox(key="resolve-action").set_value("split").run()
    app.number_input(key="split-release").set_value(float(stake) / 4).run()
    app = _decide(app, "split", "partial_delivery")
    proposal = _case_row(dashboard_store, case_id).proposed_action
    assert proposal["action"] == "split" and proposal["contract_id"] == "ct-web"
    assert Decimal(proposal["release_amount"]) + Decimal(proposal["refund_amount"]) == stake
    app = open_page(app_as(staff("lee", "lead")), "case", case=str(case_id))
    app = app.button(key="proposal-approve").click().run()
    assert _case_row(dashboard_store, case_id).status == "resolved"
    assert "approved by lee" in texts(app)


def test_a_dispute_shows_its_contract_money_timeline_and_attachments(
    dashboard_store, staff
) -> None:
    case_id = open_dispute(dashboard_store, stage="mediation")
    app = open_page(app_as(staff("ana", "analyst")), "case", case=str(case_id))
    shown = texts(app)
    assert {"ct-web", "800.00 USD"} <= {str(m.value) for m in app.metric}
    assert "Mediation: a settlement is to be proposed" in shown
    assert "delivery.pdf" in shown and "https://files.example.com/att/delivery.pdf" in shown


def test_the_mediator_proposes_a_split_the_parties_answer_as_events(dashboard_store, staff) -> None:
    case_id = open_dispute(dashboard_store, stage="mediation")
    app = _claimed(open_page(app_as(staff("mia", "lead")), "case", case=str(case_id)))
    app.number_input(key="mediation-release").set_value(600.0).run()
    app = app.button(key="mediation-send").click().run()
    assert "Proposal sent: 600.00 released, 200.00 refunded USD." in texts(app)
    both_parties_accept(dashboard_store)
    row = _case_row(dashboard_store, case_id)
    assert row.status == "awaiting_approval" and row.proposed_by == "mia"


def test_an_escalated_case_waits_for_a_lead(dashboard_store, staff, seeded) -> None:
    seeded(3)
    app = _claimed(open_page(app_as(staff("ana", "analyst")), "case", case="1"))
    _decide(app, "escalate", "needs_senior_review")
    assert _case_row(dashboard_store, 1).status == "escalated"
    app = open_page(app_as(staff("bo", "analyst")), "case", case="1")
    assert "only leads can take it" in texts(app)
    app = open_page(app_as(staff("lee", "lead")), "case", case="1")
    assert [b for b in app.button if b.key == "claim"]


def test_a_document_request_pauses_the_case_until_the_user_answers(
    dashboard_store, staff, seeded
) -> None:
    seeded(3)
    app = _claimed(open_page(app_as(staff("ana", "analyst")), "case", case="2"))
    app = _decide(app, "request_documents", "needs_documents")
    assert _case_row(dashboard_store, 2).status == "waiting_on_user"
    assert "the SLA clock is paused" in texts(app)
    app = app.button(key="resume").click().run()
    assert _case_row(dashboard_store, 2).status == "open"
    assert "back in the queue" in texts(app)


def test_a_lead_moves_the_sla_with_a_reason(dashboard_store, staff, seeded) -> None:
    from datetime import date, time

    seeded(2)
    app = open_page(app_as(staff("lee", "lead")), "case", case="1")
    app.date_input(key="sla-day").set_value(date(2030, 1, 2)).run()
    app.time_input(key="sla-time").set_value(time(9, 30)).run()
    app.text_input(key="sla-reason").input("Waiting for the bank's report").run()
    app = app.button(key="sla-apply").click().run()
    assert not app.exception
    assert str(_case_row(dashboard_store, 1).sla_due_at).startswith("2030-01-02 09:30")


def test_analysts_cannot_move_the_sla(staff, seeded) -> None:
    seeded(1)
    app = open_page(app_as(staff("ana", "analyst")), "case", case="1")
    assert not [b for b in app.button if b.key == "sla-apply"]


def test_markup_in_a_note_is_shown_as_text(staff, seeded) -> None:
    seeded(1)
    hostile = "![seen](https://tracker.example/p.png)"
    app = open_page(app_as(staff("ana", "analyst")), "case", case="1")
    app.text_area(key="note-body").input(hostile).run()
    app = app.button(key="note-save").click().run()
    assert hostile not in texts(app)
    assert plain(hostile) in texts(app)


def test_a_lead_opens_an_attachment_inline_and_the_opening_is_audited(
    dashboard_store, staff, seeded, tmp_path
) -> None:
    from tests.dashboard.conftest import first_case_of_kind
    from trust.store.tables import audit_log, case_evidence

    seeded(12)
    case_id = first_case_of_kind(dashboard_store, "complaint")
    with transaction(dashboard_store.engine) as conn:
        event_id = (
            conn.execute(select(case_evidence.c.event_id).where(case_evidence.c.case_id == case_id))
            .scalars()
            .first()
        )
    folder = tmp_path / "data" / "attachments"
    folder.mkdir(parents=True)
    (folder / f"att-{event_id}.png").write_bytes(_PNG)
    app = open_page(app_as(staff("ana", "analyst")), "case", case=str(case_id))
    assert "opening one needs the reveal permission" in texts(app)
    app = open_page(app_as(staff("lee", "lead")), "case", case=str(case_id))
    app = app.button(key=f"attachment-{event_id}-att-{event_id}").click().run()
    assert not app.exception
    assert "· opened (recorded in the audit log)" in texts(app)
    assert app.get("image")
    with transaction(dashboard_store.engine) as conn:
        opened = (
            conn.execute(select(audit_log.c.actor).where(audit_log.c.action == "attachment_opened"))
            .scalars()
            .all()
        )
    assert opened == ["lee"]


# A 1x1 transparent PNG.
_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d4944415478da63f8ffff3f0005fe02fea7d6a4bd0000000049454e44ae426082"
)


def test_the_case_names_its_linked_accounts_with_their_ties(dashboard_store, staff, seeded) -> None:
    from datetime import UTC, datetime

    from tests.conftest import TEST_SECRET
    from tests.factories import make_profile_verification
    from trust.identifiers import identifiers_of
    from trust.pii import PiiHasher
    from trust.store.accounts import record_identifiers

    seeded(2)
    subject = _case_row(dashboard_store, 1).subject_id
    hasher = PiiHasher(TEST_SECRET.encode())
    with transaction(dashboard_store.engine) as conn:
        for account in (subject, "acct-other"):
            event = make_profile_verification(account_id=account)
            record_identifiers(
                conn,
                identifiers_of(event, hasher),
                seen_at=datetime.now(UTC),
                event_id=event.event_id,
            )
    app = open_page(app_as(staff("ana", "analyst")), "case", case="1")
    assert "Linked: device, payment method, document" in texts(app)
    assert "also on acct\\-other" in texts(app)
    [linked] = [d for d in app.dataframe if "Why linked" in d.value.columns]
    assert len(linked.value) == 1


def test_a_takeover_case_shows_the_chain_with_devices_and_countries_masked(
    staff, taken_over
) -> None:
    case_id = taken_over()
    app = open_page(app_as(staff("ana", "analyst")), "case", case=str(case_id))
    assert not app.exception
    [chain] = [d.value for d in app.dataframe if "Device" in d.value.columns]
    assert list(chain["Kind"]) == [
        "Withdrawal",
        "Payout change",
        "Credential change",
        "Sign-in",
        "Sign-in",
    ]
    assert set(chain["Country"]) == {"VN", "GB"}
    assert "dev-intruder" not in set(chain["Device"]) and "dev-…" in set(chain["Device"])
    assert "198.51.100.*" in set(chain["IP"])
    assert "holder Victor Nguyen, in VN" in chain["What"][1]
