"""A cluster case on the case screen: its members with their evidence, held together by a lead."""

from __future__ import annotations

from tests.conftest import TEST_SECRET
from tests.dashboard.conftest import app_as, open_page, texts
from tests.trust.cases.test_clusters import RING, find_and_record, ring_reviews, store_events
from trust.settings import Settings
from trust.store import transaction
from trust.store.accounts import account_statuses


def _ring_case(store) -> int:
    settings = Settings(environment="test", secret_key=TEST_SECRET)
    store_events(store, settings, ring_reviews(RING))
    [case_id] = find_and_record(store, settings).values()
    return case_id


def test_an_analyst_sees_every_member_and_its_evidence(dashboard_store, staff) -> None:
    case_id = _ring_case(dashboard_store)
    app = open_page(app_as(staff("ana", "analyst")), "case", case=str(case_id))
    assert not app.exception
    said = texts(app)
    assert f"Case #{case_id}: Cluster" in said
    assert "**4 accounts act together in this cluster.**" in said
    [table] = [d.value for d in app.dataframe if "Account" in d.value.columns]
    assert sorted(table["Account"]) == sorted(RING)
    assert all("review " in evidence for evidence in table["Evidence tying it to the others"])
    assert "Acting on a cluster's members together is for leads." in said


def test_a_lead_holds_every_member_at_once(dashboard_store, staff) -> None:
    case_id = _ring_case(dashboard_store)
    app = open_page(app_as(staff("lee", "lead")), "case", case=str(case_id))
    app = app.text_input(key="cluster-reason").input("ring: members rate one another").run()
    app = app.button(key="cluster-submit").click().run()
    assert not app.exception
    with transaction(dashboard_store.engine) as conn:
        assert set(account_statuses(conn, RING).values()) == {"held"}
