"""Managing staff: add someone (the password is shown once), change a role, lock someone out."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import session
from dashboard.components.actions import flash, perform
from dashboard.components.text import safe_frame
from trust.staff import (
    Role,
    StaffListing,
    StaffMember,
    add_staff,
    disable_staff,
    enable_staff,
    list_staff,
    set_reveal_grant,
    set_role,
)
from trust.staff.roles import ROLE_PERMISSIONS, Permission
from trust.store import snapshot

_NEW_PASSWORD = "new-staff-password"


def staff_table() -> list[str]:
    """Every staff user with role and status; returns the usernames."""
    with snapshot(session.engine()) as conn:
        people = list_staff(conn)
    st.dataframe(
        safe_frame(
            pd.DataFrame(
                [
                    {
                        "Username": p.username,
                        "Role": p.role,
                        "May reveal personal data": _reveal_words(p),
                        "Active": bool(p.active),
                        "Failed sign-ins": p.failed_logins,
                        "Last login": p.last_login_at,
                        "Created": p.created_at,
                    }
                    for p in people
                ]
            )
        ),
        hide_index=True,
        width="stretch",
    )
    return [p.username for p in people]


def _reveal_words(person: StaffListing) -> str:
    """'yes (lead role)', 'yes (granted)' or 'no': what the reveal checks actually allow."""
    if Permission.REVEAL_PII in ROLE_PERMISSIONS[Role(person.role)]:
        return f"yes ({person.role} role)"
    return "yes (granted)" if person.can_reveal_pii else "no"


def add_staff_form(member: StaffMember) -> None:
    """Create a staff user with a generated password, shown once to the admin."""
    shown = st.session_state.pop(_NEW_PASSWORD, None)
    if shown:
        st.success(
            f"Created **{shown[0]}**. Give them this password now; it is not shown "
            "again and cannot be recovered (only replaced):"
        )
        st.code(shown[1], language=None)
    with st.form("add-staff", clear_on_submit=True):
        username = st.text_input(
            "Username", key="new-username", help="2-64 characters: a-z, 0-9, '.', '_' or '-'"
        )
        role = (
            st.selectbox("Role", list(Role), key="new-role", format_func=lambda r: r.value)
            or Role.ANALYST
        )
        if not st.form_submit_button("Add staff member"):
            return
    done = perform(
        "Adding the staff member",
        lambda conn: add_staff(conn, username, role, actor=member.username, now=session.now()),
    )
    if done is not None:
        st.session_state[_NEW_PASSWORD] = (username.strip().lower(), done.value)
        st.rerun()


def change_staff_form(member: StaffMember, usernames: list[str]) -> None:
    """Change someone's role, reveal grant or whether they may sign in (all audited)."""
    who = st.selectbox("Staff member", usernames, key="change-who")
    change = st.selectbox(
        "Change",
        [
            "Set role",
            "Allow revealing personal data",
            "Withdraw revealing personal data",
            "Disable sign-in",
            "Enable sign-in (also unlocks)",
        ],
        key="change-what",
    )
    role = (
        st.selectbox(
            "New role",
            list(Role),
            key="change-role",
            format_func=lambda r: r.value,
            disabled=change != "Set role",
        )
        or Role.ANALYST
    )
    if not who or not st.button("Apply", key="change-apply"):
        return
    if who == member.username and change in ("Disable sign-in", "Set role"):
        st.error("You cannot disable yourself or change your own role; ask another admin.")
        return
    actions = {
        "Set role": lambda conn: set_role(conn, who, role, actor=member.username),
        "Allow revealing personal data": lambda conn: set_reveal_grant(
            conn, who, True, actor=member.username
        ),
        "Withdraw revealing personal data": lambda conn: set_reveal_grant(
            conn, who, False, actor=member.username
        ),
        "Disable sign-in": lambda conn: disable_staff(conn, who, actor=member.username),
        "Enable sign-in (also unlocks)": lambda conn: enable_staff(
            conn, who, actor=member.username
        ),
    }
    if perform(change, actions[change]) is not None:
        flash(f"{change}: done for {who}.")
        st.rerun()
