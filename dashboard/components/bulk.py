"""Resolving many cases with one action and one reason (leads), e.g. a wave of false positives.

Nothing is preselected, and nothing is resolved until the lead confirms a second prompt that
names the action and the number of cases; each action has a cap (``BULK_CAPS``). For
``TRUST_SLA__BULK_UNDO_MINUTES`` afterwards the lead's bulk resolutions are listed with an
"Undo" button that reopens their cases as they were (``trust.cases.undo``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import streamlit as st

from dashboard import session
from dashboard.components.actions import flash, perform
from dashboard.components.case_table import case_label
from dashboard.components.resolution import ACTION_WORDS, reason_words
from trust.cases.queries import QueueItem
from trust.cases.reasons import RESOLUTION_REASONS, SUGGESTED
from trust.cases.resolution import BULK_CAPS, Action, BulkResult, Resolution, bulk_resolve
from trust.cases.undo import undo_bulk, undoable_batches
from trust.staff import StaffMember
from trust.store import snapshot

BULK_ACTIONS = list(BULK_CAPS)
PENDING = "bulk-pending"


def bulk_resolve_form(member: StaffMember, items: Sequence[QueueItem]) -> None:
    """Pick cases on this page, one action and one reason, then confirm; skipped cases say why."""
    labels = {item.case.id: case_label(item) for item in items}
    _undo_offers(member)
    with st.expander("Resolve several cases at once"):
        st.caption(
            "Blocks, escrow outcomes, escalations and document requests are decided "
            "one case at a time. At most: "
            + ", ".join(
                f"{ACTION_WORDS[a].split(' (')[0].lower()} {n}" for a, n in BULK_CAPS.items()
            )
            + " cases at once."
        )
        chosen = st.multiselect(
            "Cases", list(labels), format_func=lambda i: labels[i], key="bulk-cases"
        )
        action = st.selectbox(
            "Action",
            BULK_ACTIONS,
            index=None,
            format_func=lambda a: ACTION_WORDS[a],
            key="bulk-action",
            placeholder="Choose an action",
        )
        reasons = list(SUGGESTED.get(action.value, ())) if action else []
        reason = st.selectbox(
            "Reason",
            reasons or list(RESOLUTION_REASONS),
            index=None,
            format_func=reason_words,
            key="bulk-reason",
            placeholder="Choose a reason",
        )
        note = st.text_input("Note for every case (optional)", key="bulk-note")
        over = action is not None and len(chosen) > BULK_CAPS[action]
        if over and action is not None:
            st.warning(
                f"{ACTION_WORDS[action]} applies to at most {BULK_CAPS[action]} cases "
                "at once: remove some from the selection."
            )
        if st.button(
            f"Resolve {len(chosen)} cases…",
            key="bulk-submit",
            disabled=not chosen or action is None or reason is None or over,
        ):
            st.session_state[PENDING] = (tuple(chosen), action, reason, note)
        pending = st.session_state.get(PENDING)
        if pending is not None:
            _confirm(member, *pending)


def _confirm(
    member: StaffMember, chosen: tuple[int, ...], action: Action, reason: str, note: str
) -> None:
    """The second step: say exactly what will happen, and act only on an explicit yes."""
    count = "1 case" if len(chosen) == 1 else f"{len(chosen)} cases"
    st.warning(
        f"**{ACTION_WORDS[action]}** on **{count}** "
        f"({', '.join(f'#{i}' for i in chosen)}) with the reason "
        f"{reason_words(reason)}? Resolved cases leave the queue."
    )
    yes, cancel = st.columns(2)
    if cancel.button("Cancel", key="bulk-cancel"):
        del st.session_state[PENDING]
        st.rerun()
    if not yes.button(f"Yes, resolve {count}", type="primary", key="bulk-confirm"):
        return
    del st.session_state[PENDING]
    decision = Resolution(action, reason, note)
    done = perform(
        "Bulk resolution",
        lambda conn: bulk_resolve(
            conn, list(chosen), member, decision, session.now(), session.settings().qa
        ),
    )
    if done is None:
        return
    _report("Resolved", done.value)
    st.rerun()


def _report(verb: str, result: BulkResult) -> None:
    skipped = "; ".join(f"#{i}: {why}" for i, why in result.skipped.items())
    flash(
        f"{verb} {len(result.resolved)} cases." + (f" Skipped {skipped}." if skipped else ""),
        "warning" if skipped else "success",
    )


def _undo_offers(member: StaffMember) -> None:
    """The member's bulk resolutions still inside the undo window, each with an Undo button."""
    window = timedelta(minutes=session.settings().sla.bulk_undo_minutes)
    if window <= timedelta(0):
        return
    now = session.now()
    with snapshot(session.engine()) as conn:
        batches = undoable_batches(conn, now, window, resolved_by=member.username)
    for batch in batches:
        text, button = st.columns([4, 1])
        text.info(
            f"You resolved {len(batch.case_ids)} cases with "
            f"**{ACTION_WORDS[Action(batch.action)]}** at {batch.resolved_at:%H:%M} UTC "
            f"({', '.join(f'#{i}' for i in batch.case_ids)}). You can undo it until "
            f"{batch.until(window):%H:%M} UTC: the cases reopen as they were and any hold or "
            "lift it caused is reversed."
        )
        if button.button("Undo", key=f"bulk-undo-{batch.batch}"):
            _undo(member, batch.batch, window)


def _undo(member: StaffMember, batch: str, window: timedelta) -> None:
    now = session.now()
    done = perform(
        "Undoing the bulk resolution", lambda conn: undo_bulk(conn, batch, member, window, now)
    )
    if done is not None:
        _report("Reopened", done.value)
        st.rerun()
