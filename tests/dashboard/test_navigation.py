"""Each page renders for the roles allowed to see it, and the menu hides the others."""

from __future__ import annotations

import pytest

from dashboard.navigation import allowed_specs
from tests.dashboard.conftest import app_as, open_page
from trust.staff import Role, StaffMember

TITLES = {
    "queue": "Queue",
    "case": "Case #1: ",
    "accounts": "Accounts",
    "rules": "Rules",
    "quarantine": "Refused input",
    "metrics": "Metrics",
    "admin": "Admin",
    "qa": "Quality review",
    "webhooks": "Webhooks",
    "approvals": "Awaiting my approval",
}


ALLOWED = [
    (role.value, spec.file.removesuffix(".py"))
    for role in Role
    for spec in allowed_specs(StaffMember(1, "someone", role))
]


@pytest.mark.parametrize(("role", "page"), ALLOWED)
def test_every_page_renders_for_every_role_that_may_open_it(staff, seeded, role, page) -> None:
    member = staff("someone", role)
    seeded(5)
    app = open_page(app_as(member), page, case="1")
    assert not app.exception, app.exception
    assert any(t.value.startswith(TITLES[page]) for t in app.title)


def test_an_analyst_cannot_reach_the_admin_page(staff) -> None:
    app = app_as(staff("ana", "analyst"))
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app.switch_page("screens/admin.py")
    assert "Admin" not in [t.value for t in app.title]


def test_only_admins_see_the_admin_page_in_the_menu() -> None:
    def titles(role: Role) -> list[str]:
        return [s.title for s in allowed_specs(StaffMember(1, "x", role))]

    assert "Admin" not in titles(Role.ANALYST)
    assert "Admin" not in titles(Role.LEAD)
    assert "Admin" in titles(Role.ADMIN)


def test_the_admin_page_refuses_a_non_admin_even_if_opened_directly(staff) -> None:
    from streamlit.testing.v1 import AppTest

    from tests.dashboard.conftest import APP

    app = AppTest.from_file(str(APP.parent / "screens" / "admin.py"), default_timeout=30)
    app.session_state["staff"] = staff("ana", "analyst")
    app.run()
    assert [e.value for e in app.error] == ["The admin page is for admins only."]
