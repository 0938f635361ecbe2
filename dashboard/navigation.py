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
    PageSpec("accounts.py", "Accounts", "person_search", "accounts", P.VIEW_ACCOUNTS, "Review"),
    PageSpec("qa.py", "Quality review", "fact_check", "qa", P.RESOLVE, "Review"),
    PageSpec("rules.py", "Rules", "rule", "rules", P.VIEW_RULES, "Detection"),
    PageSpec("quarantine.py", "Refused input", "block", "refused", P.VIEW_QUARANTINE,
             "Detection"),
    PageSpec("metrics.py", "Metrics", "monitoring", "metrics", P.VIEW_METRICS, "Detection"),
    PageSpec("admin.py", "Admin", "admin_panel_settings", "admin", P.MANAGE_STAFF, "Admin"),
    PageSpec("webhooks.py", "Webhooks", "webhook", "webhooks", P.MANAGE_STAFF, "Admin"),
)


def allowed_specs(member: StaffMember) -> list[PageSpec]:
    """The pages ``member`` may open, in menu order."""
    return [spec for spec in PAGES if has_permission(member, spec.permission)]


def page(url_path: str) -> StreamlitPage:
    """The ``st.Page`` for ``url_path``, for ``st.switch_page`` and ``st.page_link``."""
    spec = next(s for s in PAGES if s.url_path == url_path)
    return st.Page(PAGES_DIR / spec.file, title=spec.title, icon=f":material/{spec.icon}:",
                   url_path=spec.url_path)


def pages_for(member: StaffMember) -> dict[str, list[StreamlitPage]]:
    """The navigation menu of ``member``: sections of the pages their role allows."""
    menu: dict[str, list[StreamlitPage]] = {}
    for spec in allowed_specs(member):
        menu.setdefault(spec.section, []).append(page(spec.url_path))
    return menu
