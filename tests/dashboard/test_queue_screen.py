"""The queue screen: my cases, the open queue by priority, filters, claim next, bulk resolve."""

from __future__ import annotations

import sqlite3
import time

import pandas as pd
import streamlit as st
from sqlalchemy import select

from tests.dashboard.conftest import app_as, texts
from trust.store import transaction
from trust.store.enforcements import current_enforcements
from trust.store.tables import cases


def test_an_empty_queue_says_what_to_do(staff) -> None:
    app = app_as(staff("ana", "analyst"))
    assert "You hold no cases" in texts(app)
    assert "No open case matches the filters" in texts(app)


def test_the_queue_lists_open_cases_highest_priority_first(staff, seeded) -> None:
    seeded(12)
    app = app_as(staff("ana", "analyst"))
    table = app.dataframe[-1].value
    assert len(table) == 12
    totals = [int(p.split(" · ")[1]) for p in table["Priority"]]
    assert totals == sorted(totals, reverse=True)
    assert {p.split(" · ")[0] for p in table["Priority"]} <= {"P1", "P2", "P3", "P4"}
    assert "12 cases match" in texts(app)


def test_the_queue_opens_while_the_workers_hold_the_store(dashboard_store, staff, seeded) -> None:
    # Page reads began as writes do on SQLite (the writers' turn, then BEGIN IMMEDIATE), so
    # a page opened while the workers stored a batch waited for it: out to the 30 s busy
    # timeout, then an error. They run in read-only snapshots now.
    seeded(4)
    app = app_as(staff("ana", "analyst"))  # opens (and migrates) the store once
    st.cache_data.clear()  # the reads below go to the store, not to the page cache
    database = dashboard_store.engine.url.database
    assert database is not None
    writer = sqlite3.connect(database, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")  # the write lock, held throughout
        began = time.monotonic()
        app = app.run()
        took = time.monotonic() - began
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert not app.exception and not app.error
    assert len(app.dataframe[-1].value) == 4
    assert took < 20  # a read waiting for the lock would wait out the 30 s busy timeout


def test_filtering_by_kind_shows_only_that_kind(staff, seeded) -> None:
    seeded(20)
    app = app_as(staff("ana", "analyst"))
    app = app.selectbox(key="filter-kind").set_value("complaint").run()
    kinds = set(app.dataframe[-1].value["Kind"])
    assert kinds == {"Complaint"}


def test_claim_next_takes_the_top_case_and_opens_it(dashboard_store, staff, seeded) -> None:
    seeded(5)
    app = app_as(staff("ana", "analyst"))
    top = app.dataframe[-1].value.iloc[0]["Case"]
    app = app.button(key="claim-next").click().run()
    assert not app.exception
    case_id = int(top.rsplit("=", 1)[1])
    assert any(t.value.startswith(f"Case #{case_id}:") for t in app.title)
    assert f"You claimed case #{case_id}" in texts(app)
    with transaction(dashboard_store.engine) as conn:
        holder = conn.execute(select(cases.c.claimed_by).where(cases.c.id == case_id)).scalar()
    assert holder == "ana"


def test_claim_next_on_an_empty_queue_says_there_is_nothing(staff) -> None:
    app = app_as(staff("ana", "analyst"))
    app = app.button(key="claim-next").click().run()
    assert "Nothing to claim" in texts(app)


def test_a_claimed_case_shows_under_my_cases(staff, seeded) -> None:
    seeded(3)
    member = staff("ana", "analyst")
    app = app_as(member).button(key="claim-next").click().run()
    app.switch_page("screens/queue.py").run()
    assert len(app.dataframe[0].value) == 1
    assert app.dataframe[0].value.iloc[0]["Held by"] == "ana"


def test_analysts_have_no_bulk_resolution(staff, seeded) -> None:
    seeded(3)
    app = app_as(staff("ana", "analyst"))
    assert not [m for m in app.multiselect if m.key == "bulk-cases"]


def test_a_lead_resolves_several_cases_with_one_reason(dashboard_store, staff, seeded) -> None:
    ids = seeded(6)
    app = app_as(staff("lee", "lead"))
    app.multiselect(key="bulk-cases").set_value(ids[:3]).run()
    app.selectbox(key="bulk-action").set_value("dismiss").run()
    app.selectbox(key="bulk-reason").set_value("false_positive").run()
    app = app.button(key="bulk-submit").click().run()
    assert "Dismiss as a false positive** on **3 cases**" in texts(app)
    app = app.button(key="bulk-confirm").click().run()
    assert not app.exception
    assert "Resolved 3 cases." in texts(app)
    with transaction(dashboard_store.engine) as conn:
        rows = conn.execute(
            select(cases.c.id, cases.c.status, cases.c.label, cases.c.resolved_by).where(
                cases.c.id.in_(ids[:3])
            )
        ).all()
    assert {(r.status, r.label, r.resolved_by) for r in rows} == {("resolved", "dismissed", "lee")}
    assert "3 cases match" in texts(app)


def test_a_lead_undoes_a_bulk_resolution_within_the_window(dashboard_store, staff, seeded) -> None:
    ids = seeded(4)
    app = app_as(staff("lee", "lead"))
    app.multiselect(key="bulk-cases").set_value(ids[:2]).run()
    app.selectbox(key="bulk-action").set_value("hold_account").run()
    app.selectbox(key="bulk-reason").set_value("ban_evasion").run()
    app = app.button(key="bulk-submit").click().run()
    app = app.button(key="bulk-confirm").click().run()
    assert "You can undo it until" in texts(app)
    [undo] = [b for b in app.button if str(b.key).startswith("bulk-undo-")]
    app = undo.click().run()
    assert not app.exception
    assert "Reopened 2 cases." in texts(app)
    assert not [b for b in app.button if str(b.key).startswith("bulk-undo-")]
    with transaction(dashboard_store.engine) as conn:
        rows = conn.execute(
            select(cases.c.status, cases.c.label).where(cases.c.id.in_(ids[:2]))
        ).all()
        subjects = conn.execute(select(cases.c.subject_id).where(cases.c.id.in_(ids[:2])))
        held = current_enforcements(conn, subjects.scalars())
    assert {(r.status, r.label) for r in rows} == {("open", None)}
    assert {e.state.value for e in held.values()} == {"none"}


def test_bulk_resolution_preselects_nothing_and_waits_for_a_confirmation(
    dashboard_store, staff, seeded
) -> None:
    ids = seeded(4)
    app = app_as(staff("lee", "lead"))
    assert app.selectbox(key="bulk-action").value is None
    assert app.selectbox(key="bulk-reason").value is None
    app.multiselect(key="bulk-cases").set_value(ids).run()
    assert app.button(key="bulk-submit").disabled
    app.selectbox(key="bulk-action").set_value("approve").run()
    app.selectbox(key="bulk-reason").set_value("false_positive").run()
    app = app.button(key="bulk-submit").click().run()
    assert "on **4 cases**" in texts(app)
    app = app.button(key="bulk-cancel").click().run()
    assert not [b for b in app.button if b.key == "bulk-confirm"]
    with transaction(dashboard_store.engine) as conn:
        statuses = set(conn.execute(select(cases.c.status).where(cases.c.id.in_(ids))).scalars())
    assert statuses == {"open"}


def test_bulk_resolution_over_the_cap_cannot_be_submitted(staff, seeded) -> None:
    ids = seeded(12)
    app = app_as(staff("lee", "lead"))
    app.multiselect(key="bulk-cases").set_value(ids[:11]).run()
    app.selectbox(key="bulk-action").set_value("hold_account").run()
    app.selectbox(key="bulk-reason").set_value("ban_evasion").run()
    assert "at most 10 cases" in texts(app)
    assert app.button(key="bulk-submit").disabled


def test_a_lead_finds_proposals_waiting_for_approval(dashboard_store, staff, seeded) -> None:
    from trust.cases import claim
    from trust.cases.resolution import Action, Resolution, resolve

    ids = seeded(5)
    analyst = staff("ana", "analyst")
    with transaction(dashboard_store.engine) as conn:
        claim(conn, ids[2], analyst)
        resolve(conn, ids[2], analyst, Resolution(Action.BLOCK_ACCOUNT, "ban_evasion"))
    app = app_as(staff("lee", "lead"))
    app = app.selectbox(key="filter-status").set_value("awaiting_approval").run()
    table = app.dataframe[-1].value
    assert list(table["Case"]) == [f"case?case={ids[2]}"]
    assert list(table["Status"]) == ["Awaiting approval"]


def test_a_lead_has_an_inbox_of_proposals_by_others_with_a_count(
    dashboard_store, staff, seeded
) -> None:
    from dashboard.components.approvals import waiting_for
    from dashboard.navigation import PAGES, menu_title
    from tests.dashboard.conftest import open_page
    from trust.cases import claim
    from trust.cases.resolution import Action, Resolution, resolve

    ids = seeded(4)
    analyst, lead = staff("ana", "analyst"), staff("lee", "lead")
    with transaction(dashboard_store.engine) as conn:
        claim(conn, ids[1], analyst)
        resolve(conn, ids[1], analyst, Resolution(Action.BLOCK_ACCOUNT, "ban_evasion"))
    app = open_page(app_as(lead), "approvals")
    assert not app.exception
    assert list(app.dataframe[0].value["Case"]) == [f"case?case={ids[1]}"]
    assert waiting_for(lead) == 1
    spec = next(s for s in PAGES if s.url_path == "approvals")
    assert menu_title(spec, 1) == "Awaiting my approval (1)"
    assert menu_title(spec, 0) == "Awaiting my approval"


def test_p_confirm_is_a_column_only_where_a_learned_model_scored(
    dashboard_store, staff, seeded
) -> None:
    from datetime import UTC, datetime

    from dashboard.components.case_table import case_frame
    from trust.cases.case import Case
    from trust.cases.queries import queue_item
    from trust.settings import Settings

    ids = seeded(3)
    app = app_as(staff("ana", "analyst"))
    assert "P(confirm)" not in app.dataframe[-1].value.columns  # no learned model here
    now = datetime.now(UTC)
    with transaction(dashboard_store.engine) as conn:
        rows = conn.execute(select(cases).where(cases.c.id.in_(ids))).all()
    items = [queue_item(Case.from_row(r), now, Settings()) for r in rows]
    frame = case_frame(items, now, {ids[0]: 0.834})
    assert list(frame.columns[:3]) == ["Case", "Priority", "P(confirm)"]
    shown = frame.set_index("Case")["P(confirm)"].to_dict()
    assert shown[f"case?case={ids[0]}"] == 83
    assert pd.isna(shown[f"case?case={ids[1]}"])


def test_a_lead_approves_a_linked_block_another_lead_proposed(
    dashboard_store, staff, seeded
) -> None:
    from datetime import UTC, datetime

    from dashboard.components.approvals import waiting_for
    from tests.dashboard.conftest import open_page
    from trust.enforcement import EnforcementState
    from trust.enforcement_actions import act_on_linked

    seeded(1)
    kim, lee = staff("kim", "lead"), staff("lee", "lead")
    with transaction(dashboard_store.engine) as conn:
        proposal = act_on_linked(
            conn, kim, ["acct-x2", "acct-x1"], EnforcementState.BLOCK, "one ring", datetime.now(UTC)
        )
    assert waiting_for(kim) == 0 and waiting_for(lee) == 1
    app = open_page(app_as(lee), "approvals")
    said = f"#{proposal} · acct\\-x1, acct\\-x2 · proposed by kim: one ring"  # markdown-escaped
    assert said in texts(app)
    app = app.button(key=f"proposal-approve-{proposal}").click().run()
    assert not app.exception
    with transaction(dashboard_store.engine) as conn:
        blocked = current_enforcements(conn, ["acct-x1", "acct-x2"])
    assert {e.state for e in blocked.values()} == {EnforcementState.BLOCK} and len(blocked) == 2
