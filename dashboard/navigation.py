"""Which pages exist, in which menu section, and the permission each one needs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from trust.staff import Permission, StaffMember, has_permission

PAGES_DIR = Path(__file__).parent / "screens"


@dataclass(frozen=True, slots=True)
class PageSpec:
    """One screen: its file, menu title, icon name, URL path and the permission it needs."""

    file: str
    title: str
    icon: str
    url_path: str
    permission: Permission
    section: str


P = Permission
# Icons are Material Symbols names (Streamlit ships the font, so they render everywhere).
PAGES: tuple[PageSpec, ...] = (
    PageSpec("queue.py", "Queue", "inbox", "queue", P.VIEW_QUEUE, "Review"),
    PageSpec("case.py", "Case", "folder_open", "case", P.VIEW_QUEUE, "Review"),
    PageSpec(
        "approvals.py",
        "Awaiting my approval",
        "approval",
        "approvals",
        P.APPROVE_FOUR_EYES,
        "Review",
    ),
    PageSpec("accounts.py", "Accounts", "person_search", "accounts", P.VIEW_ACCOUNTS, "Review"),
    PageSpec("qa.py", "Quality review", "fact_check", "qa", P.RESOLVE, "Review"),
    PageSpec("rules.py", "Rules", "rule", "rules", P.VIEW_RULES, "Detection"),
    PageSpec("quarantine.py", "Refused input", "block", "refused", P.VIEW_QUARANTINE, "Detection"),
    PageSpec("metrics.py", "Metrics", "monitoring", "metrics", P.VIEW_METRICS, "Detection"),
    PageSpec("admin.py", "Admin", "admin_panel_settings", "admin", P.MANAGE_STAFF, "Admin"),
    PageSpec("webhooks.py", "Webhooks", "webhook", "webhooks", P.MANAGE_STAFF, "Admin"),
)


def allowed_specs(member: StaffMember) -> list[PageSpec]:
    """The pages ``member`` may open, in menu order."""
    return [spec for spec in PAGES if has_permission(member, spec.permission)]


def page(url_path: str, count: int | None = None) -> StreamlitPage:
    """The ``st.Page`` for ``url_path``, for ``st.switch_page`` and ``st.page_link``.

    ``count`` (things waiting there) is shown after the menu title when positive.
    """
    spec = next(s for s in PAGES if s.url_path == url_path)
    return st.Page(
        PAGES_DIR / spec.file,
        title=menu_title(spec, count),
        icon=f":material/{spec.icon}:",
        url_path=spec.url_path,
    )


def menu_title(spec: PageSpec, count: int | None) -> str:
    """'Awaiting my approval (3)': the menu title, with what waits there when positive."""
    return f"{spec.title} ({count})" if count else spec.title


def pages_for(
    member: StaffMember, counts: dict[str, int] | None = None
) -> dict[str, list[StreamlitPage]]:
    """The navigation menu of ``member``: sections of the pages their role allows.

    ``counts`` maps a page's URL path to how many things wait there for ``member``.
    """
    menu: dict[str, list[StreamlitPage]] = {}
    for spec in allowed_specs(member):
        menu.setdefault(spec.section, []).append(
            page(spec.url_path, (counts or {}).get(spec.url_path))
        )
    return menu
