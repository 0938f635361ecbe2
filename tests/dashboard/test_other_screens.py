"""Accounts, rules, refused input, metrics and admin screens, each with data and empty."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import streamlit as st
from sqlalchemy import select, update

from tests.dashboard.conftest import PASSWORD, app_as, open_page, texts
from trust.refused import DISPLAY_LIMIT
from trust.staff import login
from trust.store import transaction
from trust.store.quarantine import QuarantinedRecord, quarantine_records
from trust.store.tables import cases, staff_users


def _search(app, query: str, kind: str | None = None):
    app.text_input(key="account-query").input(query)
    if kind:
        app.selectbox(key="account-query-kind").set_value(kind)
    return app.button(key="account-query-submit").click().run()


def test_an_account_search_finds_the_account_and_its_cases(dashboard_store, staff, seeded) -> None:
    seeded(3)
    with transaction(dashboard_store.engine) as conn:
        subject = conn.execute(select(cases.c.subject_id).where(cases.c.id == 1)).scalar_one()
    app = open_page(app_as(staff("ana", "analyst")), "accounts")
    assert "Every search is recorded in the audit log" in texts(app)
    app = _search(app, subject)
    assert not app.exception
    assert app.selectbox(key="account-pick").value == subject
    assert "**Cases about this account**" in texts(app)


def test_an_account_search_without_match_says_so(staff) -> None:
    app = open_page(app_as(staff("ana", "analyst")), "accounts")
    app = _search(app, "nobody-here")
    assert "No account matches that search" in texts(app)


def test_an_account_is_found_by_a_planted_email_and_the_search_audited(
    dashboard_store, staff
) -> None:
    from tests.conftest import TEST_SECRET
    from tests.factories import make_profile_verification
    from trust.identifiers import identifiers_of
    from trust.pii import PiiHasher
    from trust.store.accounts import record_accounts, record_identifiers
    from trust.store.tables import audit_log

    planted = make_profile_verification(
        account_id="acct-planted", profile={"email": "planted.one@example.org"}
    )
    with transaction(dashboard_store.engine) as conn:
        record_accounts(conn, [planted])
        record_identifiers(
            conn,
            identifiers_of(planted, PiiHasher(TEST_SECRET.encode())),
            seen_at=datetime.now(UTC),
            event_id=planted.event_id,
        )
    app = open_page(app_as(staff("ana", "analyst")), "accounts")
    app = _search(app, "Planted.One@example.org")
    assert app.selectbox(key="account-pick").value == "acct-planted"
    assert list(app.dataframe[0].value["Matched by"]) == ["email"]
    app = _search(app, "pm-alice-1", "payment")
    assert list(app.dataframe[0].value["Matched by"]) == ["payment"]
    with transaction(dashboard_store.engine) as conn:
        audits = conn.execute(
            select(audit_log.c.actor, audit_log.c.after).where(
                audit_log.c.action == "account_search"
            )
        ).all()
    assert [(a.actor, a.after["kinds"]) for a in audits] == [
        ("ana", ["email"]),
        ("ana", ["payment"]),
    ]
    assert "planted" not in str([a.after for a in audits])


def test_the_rules_screen_shows_the_pack_version_and_live_rules(staff) -> None:
    app = open_page(app_as(staff("ana", "analyst")), "rules")
    assert "Pack version `" in texts(app)
    assert set(app.dataframe[0].value["state"]) <= {"live", "shadow"}
    assert "No rule matched an event in this period." in texts(app)


def test_the_refused_input_screen_shows_why_a_record_was_refused(dashboard_store, staff) -> None:
    record = QuarantinedRecord(
        source="upload.jsonl",
        line_number=7,
        raw='{"kind": "review", "email": "x.y@mail.com"}',
        errors=[{"field": "rating", "message": "field required"}],
        reason="rating: field required",
    )
    with transaction(dashboard_store.engine) as conn:
        quarantine_records(conn, [record], received_at=datetime.now(UTC))
    app = open_page(app_as(staff("ana", "analyst")), "quarantine")
    assert not app.exception
    assert app.dataframe[0].value.iloc[0]["Why it was refused"] == "rating: field required"
    assert "- rating: field required" in texts(app)
    assert "x.y@mail.com" not in app.code[0].value
    assert not [b for b in app.button if (b.key or "").startswith("reveal-refused-")]
    assert "TRUST_REDIS_URL is unset" in texts(app)

    app = open_page(app_as(staff("lee", "lead")), "quarantine")
    app = next(b for b in app.button if (b.key or "").startswith("reveal-refused-")).click().run()
    assert "x.y@mail.com" in app.code[0].value


def test_a_huge_refused_record_shows_its_masked_head_and_offers_the_rest_as_a_download(
    dashboard_store, staff
) -> None:
    # `trust decide` keeps the whole input: the screen must not mask or render megabytes.
    raw = json.dumps({"profile": {"email": "x.y@mail.com"}, "pad": "word " * 400_000})
    record = QuarantinedRecord(
        source="decide", line_number=1, raw=raw, errors=[], reason="(record): record is too large"
    )
    with transaction(dashboard_store.engine) as conn:
        quarantine_records(conn, [record], received_at=datetime.now(UTC))
    app = open_page(app_as(staff("ana", "analyst")), "quarantine")
    assert not app.exception
    shown = app.code[0].value
    assert len(shown) <= DISPLAY_LIMIT and "x.y@mail.com" not in shown
    assert f"of {len(raw):,} characters" in texts(app)
    assert app.get("download_button")


def test_the_refused_input_screen_lists_dead_letters_from_the_queue(
    staff, redis_url, monkeypatch
) -> None:
    import redis

    from trust.dead_letters import bodies_key, index_key

    client = redis.Redis.from_url(redis_url)
    body = {
        "actor_name": "decide_batch",
        "queue_name": "trust-events",
        "error": "boom",
        "records": [{"event_id": "rv-1"}],
        "failed_at": 1_700_000_000.0,
        "retries": 8,
    }
    client.hset(bodies_key("trust"), "m-1", json.dumps(body))
    client.zadd(index_key("trust"), {"m-1": body["failed_at"]})
    monkeypatch.setenv("TRUST_REDIS_URL", redis_url)
    app = open_page(app_as(staff("ana", "analyst")), "quarantine")
    assert "Dead-lettered batches: 1" in texts(app)
    assert app.dataframe[-1].value.iloc[0]["Error"] == "boom"


def test_the_metrics_screen_charts_what_there_is_and_says_what_is_missing(
    dashboard_store, staff, seeded
) -> None:
    ids = seeded(10)
    app = open_page(app_as(staff("ana", "analyst")), "metrics")
    assert not app.exception
    assert app.metric[0].value == "10"
    # Backlog, SLA breaches and decisions per day have data; nothing is resolved yet.
    assert len(app.get("vega_lite_chart")) == 3
    assert "No case was resolved in this period." in texts(app)

    with transaction(dashboard_store.engine) as conn:
        conn.execute(
            update(cases)
            .where(cases.c.id.in_(ids[:4]))
            .values(
                status="resolved",
                label="confirmed",
                resolved_by="ana",
                resolved_at=datetime.now(UTC),
            )
        )
    st.cache_data.clear()  # as if the figures' time-to-live had run out
    app = open_page(app_as(staff("bo", "analyst")), "metrics")
    assert len(app.get("vega_lite_chart")) == 6
    assert app.metric[2].value == "4"


def test_an_admin_adds_staff_and_sees_the_password_once(dashboard_store, staff) -> None:
    app = open_page(app_as(staff("root", "admin")), "admin")
    app.text_input(key="new-username").input("newbie")
    app.selectbox(key="new-role").set_value("analyst")
    app = next(b for b in app.button if b.label == "Add staff member").click().run()
    password = app.code[0].value
    assert login(dashboard_store.engine, "newbie", password).role.value == "analyst"
    app = app.run()
    assert not [c for c in app.code if c.value == password]


def test_an_admin_changes_a_role_and_the_change_is_audited(dashboard_store, staff) -> None:
    staff("ana", "analyst")
    app = open_page(app_as(staff("root", "admin")), "admin")
    app.selectbox(key="change-who").set_value("ana").run()
    app.selectbox(key="change-role").set_value("lead").run()
    app = app.button(key="change-apply").click().run()
    with transaction(dashboard_store.engine) as conn:
        role = conn.execute(
            select(staff_users.c.role).where(staff_users.c.username == "ana")
        ).scalar_one()
    assert role == "lead"
    app.text_input(key="audit-action").input("staff_role_changed").run()
    assert list(app.table[-1].value["Who"]) == ["root"]


def test_the_audit_search_finds_a_resolution(staff, seeded) -> None:
    seeded(2)
    admin = staff("root", "admin")
    app = open_page(app_as(admin), "case", case="1")
    app = app.button(key="claim").click().run()
    app = open_page(app, "admin")
    app = app.text_input(key="audit-target").input("case 1").run()
    assert "claimed" in list(app.table[-1].value["What"])
    assert PASSWORD not in texts(app)


def test_the_staff_table_says_who_may_reveal_and_why(staff) -> None:
    staff("ana", "analyst")
    staff("gia", "analyst", reveal=True)
    staff("lee", "lead")
    app = open_page(app_as(staff("root", "admin")), "admin")
    table = app.dataframe[0].value.set_index("Username")["May reveal personal data"]
    assert table.to_dict() == {
        "ana": "no",
        "gia": "yes (granted)",
        "lee": "yes (lead role)",
        "root": "yes (admin role)",
    }


def test_an_account_shows_its_takeover_chain_like_the_case_screen(staff, taken_over) -> None:
    taken_over()
    app = open_page(app_as(staff("ana", "analyst")), "accounts", account="acct-alice")
    assert not app.exception
    assert "**Sign-ins, credential and payout changes, withdrawals** (newest first)" in texts(app)
    [chain] = [d.value for d in app.dataframe if "Device" in d.value.columns]
    assert list(chain["Kind"])[:2] == ["Withdrawal", "Payout change"]
    assert set(chain["Country"]) == {"VN", "GB"}
