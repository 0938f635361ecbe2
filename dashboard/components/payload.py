"""Payloads and refused records as staff see them: masked, with an audited reveal if permitted."""

from __future__ import annotations

from typing import Any

import streamlit as st

from dashboard import session
from trust.errors import PermissionDeniedError, TrustError
from trust.refused import masked_raw, reveal_refused
from trust.staff import Permission, StaffMember, has_permission, mask_payload, reveal
from trust.store import transaction

_REVEALED = "revealed_payloads"
_REVEALED_RAW = "revealed_refused"


def masked_payload(member: StaffMember, event_id: str, kind: str, payload: dict[str, Any]) -> None:
    """Show ``payload`` masked; a permitted member may reveal it once per session (audited)."""
    revealed: dict[str, dict[str, Any]] = st.session_state.setdefault(_REVEALED, {})
    if event_id in revealed:
        st.warning("Personal data revealed. Your reveal is recorded in the audit log.")
        st.json(revealed[event_id], expanded=True)
        return
    st.json(mask_payload(kind, payload), expanded=2)
    if not has_permission(member, Permission.REVEAL_PII):
        st.caption(
            "E-mails, phone numbers, documents, IPs and devices are masked. Revealing them "
            "needs the reveal permission; ask a lead or an admin."
        )
        return
    if st.button("Reveal personal data", key=f"reveal-{event_id}",
                 help="Shows the clear values; the reveal is written to the audit log."):
        try:
            with transaction(session.engine()) as conn:
                revealed[event_id] = reveal(conn, member, event_id, session.now())
        except PermissionDeniedError as exc:
            st.error(f"Not revealed: {exc}.")
        except TrustError as exc:
            st.error(f"The payload could not be revealed: {exc}")
        else:
            st.rerun()



def masked_refused(member: StaffMember, record_id: int, raw: str) -> None:
    """Show a refused record masked; a permitted member may reveal the clear text (audited)."""
    revealed: dict[str, str] = st.session_state.setdefault(_REVEALED_RAW, {})
    key = str(record_id)
    if key in revealed:
        st.warning("Personal data revealed. Your reveal is recorded in the audit log.")
        st.code(revealed[key][:20_000], language="json")
        return
    st.code(masked_raw(raw)[:20_000], language="json")
    if not has_permission(member, Permission.REVEAL_PII):
        st.caption("Personal values are masked. Revealing them needs the reveal permission.")
        return
    if st.button("Reveal the record as received", key=f"reveal-refused-{record_id}",
                 help="Shows the clear text; the reveal is written to the audit log."):
        try:
            with transaction(session.engine()) as conn:
                revealed[key] = reveal_refused(conn, member, record_id, session.now())
        except TrustError as exc:
            st.error(f"The record could not be revealed: {exc}")
        else:
            st.rerun()
