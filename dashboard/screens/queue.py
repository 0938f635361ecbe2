"""Queue: the cases I hold, then all open cases by priority; filter, claim next, bulk resolve."""

from __future__ import annotations

import streamlit as st

from dashboard import cached, session
from dashboard.components.actions import show_flash
from dashboard.components.bulk import bulk_resolve_form
from dashboard.components.case_table import case_label, case_table
from dashboard.components.next_case import claim_next_button, remember_filters
from dashboard.components.queue_filters import queue_filters
from dashboard.navigation import page
from trust.staff import Permission

PAGE_SIZE = 50

member = session.current_staff()
db = session.database_key()
now = session.now()

st.title("Queue")
show_flash()

st.subheader("My cases")
mine = cached.mine(db, member.username)
if mine:
    case_table(
        mine, now, key="my-cases", confirm=cached.confirm(db, tuple(item.case.id for item in mine))
    )
else:
    st.info("You hold no cases. Press **Claim next** to take the most urgent one.")

_version, rules, _problems = cached.rule_pack(str(session.settings().rules_dir))
filters = queue_filters(member.username, sorted({r["reason code"] for r in rules}))

remember_filters(filters)
claim_next_button(member)

st.subheader("Open cases")
number = int(st.session_state.get("queue-page", 1))
result = cached.queue(db, filters, number, PAGE_SIZE)
if number > result.pages:
    # The filters shrank the queue below the page we were on: start again at page 1.
    st.session_state["queue-page"] = number = 1
    result = cached.queue(db, filters, number, PAGE_SIZE)
if result.total == 0:
    st.info(
        "No open case matches the filters. Clear the filters to see the whole queue; "
        "new cases appear here as flagged events arrive."
    )
    st.stop()
matches = "1 case matches" if result.total == 1 else f"{result.total:,} cases match"
st.caption(f"{matches}, highest priority first. Page {result.page} of {result.pages}.")
confirm = cached.confirm(db, tuple(item.case.id for item in result.items))
case_table(result.items, now, key="queue-table", confirm=confirm)
st.number_input("Page", min_value=1, max_value=result.pages, step=1, key="queue-page")

labels = {item.case.id: case_label(item, now) for item in result.items}
choice = st.selectbox("Open a case", list(labels), format_func=lambda i: labels[i], key="open-pick")
if choice is not None and st.button("Open case", key="open-case"):
    st.switch_page(page("case"), query_params={"case": str(choice)})

if session.may(Permission.BULK_RESOLVE):
    bulk_resolve_form(member, result.items)
