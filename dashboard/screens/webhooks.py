"""Webhooks: where the marketplace is told about changes, the delivery log, and replays."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import session
from dashboard.components.actions import flash, show_flash
from trust.staff import Permission
from trust.store import snapshot, transaction
from trust.store import webhooks as outbox
from trust.webhooks import replay_deliveries

STATUSES = ["all", outbox.FAILED, outbox.PENDING, outbox.SENDING, outbox.DELIVERED]

member = session.current_staff()
if not session.may(Permission.MANAGE_STAFF):
    st.error("The webhooks page is for admins only.")
    st.stop()

st.title("Webhooks")
show_flash()
st.write(
    "Changes are sent to each subscription, signed, with retries; a subscription that "
    "keeps failing is disabled (`trust webhook enable ID` turns it back on). Add one "
    "with `trust webhook add URL`."
)
with snapshot(session.engine()) as conn:
    subs = outbox.subscriptions(conn)
if not subs:
    st.info("No webhook subscription yet.")
    st.stop()
st.dataframe(
    pd.DataFrame(
        [
            {
                "Id": s.id,
                "URL": s.url,
                "Events": ", ".join(s.event_types),
                "Active": "yes" if s.active else "no",
                "Failures in a row": s.consecutive_failures,
                "Disabled because": s.disabled_reason or "",
            }
            for s in subs
        ]
    ),
    hide_index=True,
    width="stretch",
)

st.subheader("Delivery log")
status = st.selectbox("Status", STATUSES, key="webhook-status")
with snapshot(session.engine()) as conn:
    rows = outbox.deliveries(conn, status=None if status == "all" else status, limit=100)
if not rows:
    st.success("No delivery with this status.")
    st.stop()
st.dataframe(
    pd.DataFrame(
        [
            {
                "Id": r.id,
                "Subscription": r.subscription_id,
                "Type": r.event_type,
                "Status": r.status,
                "Attempts": r.attempts,
                "Last answer": str(r.last_status_code or "") or (r.last_error or ""),
                "Created": r.created_at,
                "Message id": r.message_id,
            }
            for r in rows
        ]
    ),
    hide_index=True,
    width="stretch",
)
picked = st.multiselect(
    "Deliveries to send again (same webhook-id: receivers deduplicate)",
    [r.id for r in rows],
    key="webhook-replay-pick",
)
if st.button("Replay", key="webhook-replay", disabled=not picked):
    with transaction(session.engine()) as conn:
        count = replay_deliveries(conn, picked, actor=member.username, now=session.now())
    flash(f"{count} deliveries queued again; workers send them within seconds.")
    st.rerun()
