"""An account's enforcement: the state in force, its history, and leads' linked actions."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd
import streamlit as st
from sqlalchemy import Connection

from dashboard import cached, session
from dashboard.components.actions import Done, flash, perform
from dashboard.components.text import plain
from dashboard.navigation import page
from trust.enforcement import STATE_WORDS, Enforcement, EnforcementChange, EnforcementState
from trust.enforcement_actions import act_on_linked, approve_linked, reject_linked
from trust.linked_accounts import LinkedAccount, open_linked_case
from trust.staff import Permission, StaffMember, has_permission

STATE_BADGES = {
    EnforcementState.NONE: "green",
    EnforcementState.HOLD: "orange",
    EnforcementState.BLOCK: "red",
}


def enforcement_state(current: Enforcement | None) -> None:
    """The state in force as a badge, with where it came from."""
    state = current.state if current else EnforcementState.NONE
    st.badge(f"Enforcement: {state.value}", color=STATE_BADGES[state])  # type: ignore[arg-type]
    st.caption(
        STATE_WORDS[state].capitalize()
        + (
            f" · since {current.since:%Y-%m-%d %H:%M} UTC, by {plain(current.source.value)} "
            f"{plain(current.source_id)} ({plain(current.actor)}): {plain(current.reason)}"
            if current
            else ""
        )
    )


def enforcement_history(changes: Sequence[EnforcementChange]) -> None:
    """Every enforcement change on the account, newest first."""
    if not changes:
        st.info("No enforcement was ever applied to this account.")
        return
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "When": c.at,
                    "From": c.previous_state.value,
                    "To": c.state.value,
                    "Source": c.source.value,
                    "Source id": c.source_id,
                    "By": c.actor,
                    "Reason": c.reason,
                }
                for c in changes
            ]
        ),
        hide_index=True,
        width="stretch",
    )


OPEN_CASE = "open_case"
ACTION_WORDS = {
    EnforcementState.HOLD: "Hold now",
    EnforcementState.BLOCK: "Block (a second lead must approve)",
    OPEN_CASE: "Open a case on them (with this account)",
}


def linked_actions(
    member: StaffMember,
    account_id: str,
    groups: Sequence[LinkedAccount],
    cases: Sequence[Mapping[str, Any]] = (),
) -> None:
    """Leads hold chosen linked accounts (and this one) now, propose blocking them, or open
    one case on them citing the ties and, if chosen, the case they came from (``cases``:
    this account's cases)."""
    if not has_permission(member, Permission.ACT_ON_LINKED):
        st.caption("Acting on linked accounts together is for leads.")
        return
    words = {g.account_id: f"{g.account_id} · {g.reason_words()}" for g in groups}
    words.setdefault(account_id, f"{account_id} (this account)")
    chosen = st.multiselect(
        "Accounts to act on",
        [*(g.account_id for g in groups), account_id],
        format_func=words.__getitem__,
        key="linked-accounts",
        placeholder="Choose linked accounts (or this one)",
    )
    action = st.radio(
        "Action",
        list(ACTION_WORDS),
        format_func=ACTION_WORDS.__getitem__,
        key="linked-state",
        horizontal=True,
        index=None,
    )
    source: int | None = None
    if action == OPEN_CASE:
        source = st.selectbox(
            "Source case to cite (optional)",
            [int(c["id"]) for c in cases],
            format_func=lambda i: f"#{i}",
            index=None,
            key="linked-source-case",
            placeholder="No source case",
        )
    reason = st.text_input(
        "Reason", key="linked-reason", placeholder="e.g. one ring: shared device and payment method"
    )
    if (
        not st.button(
            "Apply to the chosen accounts",
            key="linked-submit",
            disabled=not chosen or action is None or not reason.strip(),
        )
        or action is None
    ):
        return
    if action == OPEN_CASE:
        _open_case(member, account_id, chosen, reason, source)
        return
    state = EnforcementState(action)
    done = perform(
        "Acting on linked accounts",
        lambda conn: act_on_linked(conn, member, chosen, state, reason, session.now()),
    )
    announce_group_action(done, state)


def _open_case(
    member: StaffMember, account_id: str, chosen: list[str], reason: str, source: int | None
) -> None:
    done = perform(
        "Opening a case on linked accounts",
        lambda conn: open_linked_case(
            conn,
            member,
            account_id,
            chosen,
            reason,
            session.settings(),
            session.now(),
            source_case_id=source,
        ),
    )
    if done is None:
        return
    flash(f"Case #{done.value} is open on the chosen accounts.")
    st.switch_page(page("case"), query_params={"case": str(done.value)})


def announce_group_action(done: Done[int] | None, state: EnforcementState) -> None:
    """Say what a hold or block proposal on several accounts did, then rerun the screen."""
    if done is None:
        return
    if state == EnforcementState.HOLD:
        flash(f"Held {done.value} account(s).")
    else:
        flash(f"Block proposal #{done.value} waits for a second lead.", "info")
    st.rerun()


def pending_blocks(member: StaffMember) -> None:
    """Linked-account blocks waiting for a second lead: approve or reject."""
    pending = cached.enforcement_proposals(session.database_key())
    if not pending:
        return
    st.markdown("**Linked-account blocks waiting for approval**")
    may_approve = has_permission(member, Permission.APPROVE_FOUR_EYES)
    for row in pending:
        st.markdown(
            f"#{row.id} · {plain(', '.join(row.account_ids))} · proposed by "
            f"{plain(row.proposed_by)}: {plain(row.reason)}"
        )
        if not may_approve or row.proposed_by == member.username:
            continue
        proposal = row.id
        approve, reject = st.columns(2)
        if approve.button("Approve block", key=f"proposal-approve-{proposal}") and perform(
            "Approving", _approving(member, proposal)
        ):
            flash(f"Blocked the accounts of proposal #{proposal}.")
            st.rerun()
        if reject.button("Reject", key=f"proposal-reject-{proposal}") and perform(
            "Rejecting", _rejecting(member, proposal)
        ):
            flash(f"Rejected proposal #{proposal}.", "info")
            st.rerun()


def _approving(member: StaffMember, proposal: int) -> Callable[[Connection], int]:
    return lambda conn: approve_linked(conn, proposal, member, session.now())


def _rejecting(member: StaffMember, proposal: int) -> Callable[[Connection], None]:
    return lambda conn: reject_linked(conn, proposal, member, session.now())
