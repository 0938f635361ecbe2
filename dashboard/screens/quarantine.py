"""Refused input: records quarantined at intake and batches the workers gave up on, with why."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import cached, session
from dashboard.components.payload import masked_refused
from dashboard.components.text import plain, safe_frame
from trust.errors import QueueUnavailableError

PAGE_SIZE = 50
db = session.database_key()
settings = session.settings()
member = session.current_staff()

st.title("Refused input")
st.write(
    "Nothing is dropped: every refused record waits here until it is fixed and replayed "
    "with `trust quarantine replay` or `trust dlq replay`."
)

st.subheader("Quarantine: records that failed validation")
number = int(st.session_state.get("quarantine-page", 1))
total, rows = cached.quarantine(db, number, PAGE_SIZE)
if total == 0:
    st.success("No record is held in quarantine.")
else:
    pages = max(1, -(-total // PAGE_SIZE))
    st.caption(f"Held records: {total:,}, newest first. Page {min(number, pages)} of {pages}.")
    st.dataframe(
        safe_frame(
            pd.DataFrame(
                [
                    {
                        "Received": r.received_at,
                        "Source": r.source,
                        "Line": r.line_number,
                        "Event id": r.event_id or "",
                        "Why it was refused": r.reason,
                    }
                    for r in rows
                ]
            )
        ),
        hide_index=True,
        width="stretch",
    )
    st.number_input("Page", min_value=1, max_value=pages, step=1, key="quarantine-page")
    labels = {r.id: f"{r.source} line {r.line_number}: {r.reason[:80]}" for r in rows}
    picked = st.selectbox(
        "Look at one record", list(labels), format_func=lambda i: labels[i], key="quarantine-pick"
    )
    record = next(r for r in rows if r.id == picked)
    for problem in record.errors:
        field, message = problem.get("field", "?"), problem.get("message", problem)
        st.markdown(f"- {plain(field)}: {plain(message)}")
    st.caption("The record as received (personal values masked):")
    masked_refused(member, record.id, cached.quarantined_raw(db, record.id))

st.subheader("Dead letters: batches the workers gave up on")
if not settings.redis_url:
    st.info(
        "This dashboard was started without a queue (TRUST_REDIS_URL is unset), so it "
        "cannot list dead letters. `trust up` starts it with the queue's address."
    )
    st.stop()
try:
    count, letters = cached.dead_letters(settings.redis_url, settings.worker.redis_namespace)
except QueueUnavailableError as exc:
    st.error(f"Dead letters cannot be listed: {exc}.")
    st.stop()
if count == 0:
    st.success("No batch is dead-lettered.")
    st.stop()
st.caption(f"Dead-lettered batches: {count:,}; the newest {len(letters)} are listed.")
st.dataframe(
    safe_frame(
        pd.DataFrame(
            [
                {
                    "Failed": d.failed_at,
                    "Records": d.records,
                    "Retries": d.retries,
                    "Error": d.error,
                    "First events": ", ".join(d.event_ids[:3]),
                    "Id": d.id,
                }
                for d in letters
            ]
        )
    ),
    hide_index=True,
    width="stretch",
)
