"""The evidence viewer: an event's attachments, opened inline after an audited reveal."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import streamlit as st
from sqlalchemy import Connection

from dashboard import session
from dashboard.components.actions import perform
from dashboard.components.text import plain
from trust.attachments import Attachment, attachment_source, open_attachment
from trust.staff import Permission, StaffMember, has_permission

_OPENED = "opened_attachments"


def attachment_list(member: StaffMember, event_id: str, refs: Sequence[str]) -> None:
    """One line per reference; a permitted member opens it (audited) and sees it inline."""
    if not refs:
        return
    st.markdown("**Attachments**")
    opened: dict[str, Attachment] = st.session_state.setdefault(_OPENED, {})
    may = has_permission(member, Permission.REVEAL_PII)
    for ref in refs:
        key = f"{event_id}/{ref}"
        if key in opened:
            _show(opened[key])
            continue
        if not may:
            st.caption(
                f"{plain(ref)}: attachments are personal data; opening one needs the "
                "reveal permission."
            )
            continue
        if st.button(
            f"Open {ref}",
            key=f"attachment-{event_id}-{ref}",
            help="Shows the file; the opening is written to the audit log.",
        ):
            done = perform("Opening the attachment", _opener(member, event_id, ref))
            if done is not None:
                opened[key] = done.value
                st.rerun()


def _opener(member: StaffMember, event_id: str, ref: str) -> Callable[[Connection], Attachment]:
    return lambda conn: open_attachment(
        conn,
        attachment_source(session.settings()),
        member,
        ref,
        event_id=event_id,
        at=session.now(),
    )


def _show(found: Attachment) -> None:
    """An image or PDF inline, text as text, a marketplace address as a link."""
    st.caption(f"{plain(found.ref)} · opened (recorded in the audit log)")
    if found.problem:
        st.warning(f"{plain(found.ref)} cannot be shown: {plain(found.problem)}.")
    elif found.url is not None:
        if (found.media_type or "").startswith("image/"):
            st.image(found.url)
        st.link_button(f"Open {found.ref} at the marketplace", found.url)
    elif found.data is None:
        st.warning(f"{plain(found.ref)} has no content.")
    elif (found.media_type or "").startswith("image/"):
        st.image(found.data)
    elif found.media_type == "application/pdf":
        st.pdf(found.data, height=600)
    else:
        st.text(found.data.decode("utf-8", errors="replace")[:20_000])
