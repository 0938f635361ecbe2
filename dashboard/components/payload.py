"""Payloads and refused records as staff see them: masked, with an audited reveal if permitted."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from dashboard import session
from trust.errors import PermissionDeniedError, TrustError
from trust.refused import DISPLAY_LIMIT, head, masked_preview, masked_raw, reveal_refused
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
    if st.button(
        "Reveal personal data",
        key=f"reveal-{event_id}",
        help="Shows the clear values; the reveal is written to the audit log.",
    ):
        try:
            with transaction(session.engine()) as conn:
                revealed[event_id] = reveal(conn, member, event_id, session.now())
        except PermissionDeniedError as exc:
            st.error(f"Not revealed: {exc}.")
        except TrustError as exc:
            st.error(f"The payload could not be revealed: {exc}")
        else:
            st.rerun()


def _capped(shown: str, size: int, whole: Callable[[], str], name: str) -> None:
    """``shown`` as code; when it is only the head of ``size`` characters, a download of all."""
    st.code(shown, language="json")
    if size > len(shown):
        st.caption(f"Showing the first {len(shown):,} of {size:,} characters.")
        # A callable is only run when the button is pressed, so a 50 MB record costs
        # nothing on the page until someone asks for it.
        st.download_button(
            "Download the whole record",
            data=lambda: whole().encode(),
            file_name=f"{name}.txt",
            mime="text/plain",
            key=f"download-{name}",
            on_click="ignore",
        )


def masked_refused(member: StaffMember, record_id: int, raw: str) -> None:
    """Show a refused record masked; a permitted member may reveal the clear text (audited)."""
    revealed: dict[str, str] = st.session_state.setdefault(_REVEALED_RAW, {})
    key = str(record_id)
    if key in revealed:
        st.warning("Personal data revealed. Your reveal is recorded in the audit log.")
        clear = revealed[key]
        _capped(head(clear, DISPLAY_LIMIT), len(clear), lambda: clear, f"refused-{key}-clear")
        return
    preview = masked_preview(raw)
    _capped(preview.text, preview.size, lambda: masked_raw(raw), f"refused-{key}-masked")
    if not has_permission(member, Permission.REVEAL_PII):
        st.caption("Personal values are masked. Revealing them needs the reveal permission.")
        return
    if st.button(
        "Reveal the record as received",
        key=f"reveal-refused-{record_id}",
        help="Shows the clear text; the reveal is written to the audit log.",
    ):
        try:
            with transaction(session.engine()) as conn:
                revealed[key] = reveal_refused(conn, member, record_id, session.now())
        except TrustError as exc:
            st.error(f"The record could not be revealed: {exc}")
        else:
            st.rerun()
