"""An event payload as staff see it: masked, with an audited reveal for those permitted."""

from __future__ import annotations

from typing import Any

import streamlit as st

from dashboard import session
from trust.errors import PermissionDeniedError, TrustError
from trust.staff import Permission, StaffMember, has_permission, mask_payload, reveal
from trust.store import transaction

_REVEALED = "revealed_payloads"


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

