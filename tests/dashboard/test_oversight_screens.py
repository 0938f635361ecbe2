"""Appeals on the case screen, enforcement on Accounts, blind re-reviews, reviewer quality."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.dashboard.conftest import app_as, open_page, texts
from trust.cases import Action, Resolution, claim, resolve
from trust.enforcement import EnforcementState
from trust.settings import QaSettings
from trust.staff import get_staff
from trust.store import transaction
from trust.store.enforcements import current_enforcement


def test_the_original_decider_is_told_to_leave_the_appeal_to_someone_else(
    dashboard_store, staff, appealed
) -> None:
    case_id = appealed()
    said = texts(open_page(app_as(staff("second-lead", "lead")), "case", case=str(case_id)))
    assert "Enforcement in force on the account: **block**" in said
    assert "may not review the appeal): first-lead" in said
    with transaction(dashboard_store.engine) as conn:
        first = get_staff(conn, "first-lead")
    app = open_page(app_as(first), "case", case=str(case_id)).button(key="claim").click().run()
    assert "You took part in the original decision" in texts(app)
    assert not [b for b in app.button if b.key == "appeal-submit"]


def test_a_lead_overturns_an_appeal_and_the_account_is_free_again(
    dashboard_store, staff, appealed
) -> None:
    case_id = appealed()
    app = open_page(app_as(staff("appeal-lead", "lead")), "case", case=str(case_id))
    app = app.button(key="claim").click().run()
    app.radio(key="appeal-outcome").set_value(app.radio(key="appeal-outcome").options[1]).run()
    app.selectbox(key="appeal-ground").set_value("new_information").run()
    app.text_area(key="appeal-note").input("The renewed passport is genuine.")
    app = app.button(key="appeal-submit").click().run()
    assert not app.exception
    said = texts(app)
    assert "overturned; the account is now none" in said
    assert any("Your account now: no restriction." in t.value for t in app.text)
    with transaction(dashboard_store.engine) as conn:
        enforcement = current_enforcement(conn, "acct-appellant")
    assert enforcement is not None and enforcement.state is EnforcementState.NONE
    original = texts(open_page(app, "case", case="1"))
    assert f"(case?case={case_id})): **overturned** by appeal-lead (new_information)" in original


def test_accounts_show_the_enforcement_and_its_history(staff, appealed) -> None:
    appealed("acct-shown")
    app = open_page(app_as(staff("ana", "analyst")), "accounts", account="acct-shown")
    assert not app.exception
    said = texts(app)
    assert ":red-badge[Enforcement: block]" in said
    assert "Acting on linked accounts together is for leads." in said
    [history] = [d for d in app.dataframe if "Source" in d.value.columns]
    assert list(history.value["To"]) == ["block"]


def test_a_lead_holds_an_account_from_the_accounts_screen(staff, appealed) -> None:
    appealed("acct-ring")
    app = open_page(app_as(staff("ring-lead", "lead")), "accounts", account="acct-ring")
    assert app.button(key="linked-submit").disabled  # nothing is chosen for the lead
    app.multiselect(key="linked-accounts").set_value(["acct-ring"]).run()
    app.radio(key="linked-state").set_value("hold").run()
    app.text_input(key="linked-reason").input("one ring").run()
    app = app.button(key="linked-submit").click().run()
    assert not app.exception
    # Already blocked: a hold is weaker and changes nothing.
    assert "Held 0 account(s)." in texts(app)


def test_a_blind_re_review_hides_the_first_decision_and_a_lead_rules(
    dashboard_store, staff, seeded
) -> None:
    ana = staff("ana", "analyst")
    [case_id] = seeded(1)
    now = datetime.now(UTC)
    with transaction(dashboard_store.engine) as conn:
        claim(conn, case_id, ana, now)
        resolve(
            conn,
            case_id,
            ana,
            Resolution(Action.DISMISS, "false_positive"),
            now,
            QaSettings(sample_rate=1.0),
        )
    mine = texts(open_page(app_as(ana), "qa"))
    assert "No resolved case is waiting for your blind re-review." in mine
    app = open_page(app_as(staff("bea", "analyst")), "qa")
    said = texts(app)
    assert f"Case #{case_id}" in said and "false_positive" not in said
    app.selectbox(key="qa-action").set_value(Action.HOLD_ACCOUNT).run()
    app.selectbox(key="qa-reason").set_value("account_takeover").run()
    app = app.button(key="qa-submit").click().run()
    assert not app.exception
    assert "you disagree; a lead will rule on it." in texts(app)
    lead = open_page(app_as(staff("lee", "lead")), "qa")
    assert "Disagreements for a lead" in texts(lead)
    lead = lead.button(key="qa-rule-1-second").click().run()
    assert "Ruled on case" in texts(lead)
    metrics = texts(open_page(app_as(staff("mo", "lead")), "metrics"))
    assert "Reviewer quality" in metrics
    assert "**Agreement of blind re-reviews per reviewer (Cohen's kappa)**" in metrics


def test_a_lead_opens_a_case_on_a_linked_account_from_the_hub(dashboard_store, staff) -> None:
    from sqlalchemy import select

    from tests.conftest import TEST_SECRET
    from tests.factories import make_profile_verification
    from trust.identifiers import identifiers_of
    from trust.pii import PiiHasher
    from trust.store.accounts import record_accounts, record_identifiers
    from trust.store.clusters import members_of
    from trust.store.tables import audit_log

    pair = [make_profile_verification(account_id=a) for a in ("acct-one", "acct-two")]
    with transaction(dashboard_store.engine) as conn:
        record_accounts(conn, pair)
        for event in pair:
            record_identifiers(
                conn,
                identifiers_of(event, PiiHasher(TEST_SECRET.encode())),
                seen_at=datetime.now(UTC),
                event_id=event.event_id,
            )
    app = open_page(app_as(staff("hub-lead", "lead")), "accounts", account="acct-one")
    app.multiselect(key="linked-accounts").set_value(["acct-two"]).run()
    app.radio(key="linked-state").set_value("open_case").run()
    app.text_input(key="linked-reason").input("same person, two accounts").run()
    app = app.button(key="linked-submit").click().run()
    assert not app.exception
    with transaction(dashboard_store.engine) as conn:
        [case_id] = conn.execute(
            select(audit_log.c.target_id).where(audit_log.c.action == "linked_case_opened")
        ).scalars()
        members = [m.account_id for m in members_of(conn, int(case_id))]
    assert members == ["acct-one", "acct-two"]
    assert any(t.value.startswith(f"Case #{case_id}:") for t in app.title)
