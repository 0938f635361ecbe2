"""Accounts: find an account by id or display name, then see its history and linked accounts."""

from __future__ import annotations

import streamlit as st

from dashboard import cached, session
from dashboard.components.actions import show_flash
from dashboard.components.enforcement import (
    enforcement_history,
    enforcement_state,
    linked_actions,
    pending_blocks,
)
from dashboard.components.history import links_table, timeline_tables
from dashboard.components.text import plain

db = session.database_key()
member = session.current_staff()

st.title("Accounts")
show_flash()
asked = st.query_params.get("account", "")
query = st.text_input("Account id or display name", value=asked, key="account-query",
                      placeholder="e.g. acct-1234 or Alice")
if len(query.strip()) < 2:
    st.info("Type at least two characters of an account id or display name.")
    st.stop()

found = cached.accounts_matching(db, query)
if not found:
    st.warning(f"No account id starts with, and no display name contains, "
               f"“{plain(query.strip())}”.")
    st.stop()
ids = [a["account_id"] for a in found]
account_id = st.selectbox(
    f"{len(found)} matching accounts" + (" (first 50)" if len(found) == 50 else ""), ids,
    format_func=lambda i: next(f"{i} · {a['display_name'] or 'no name'} · {a['status']}"
                               for a in found if a["account_id"] == i), key="account-pick")
account = next(a for a in found if a["account_id"] == account_id)
st.query_params["account"] = account_id

status, role, country, seen = st.columns(4)
status.metric("Status", account["status"])
role.metric("Role", account["role"] or "unknown")
country.metric("Country", account["country"] or "unknown")
seen.metric("First seen", f"{account['first_seen_at']:%Y-%m-%d}")

current, changes = cached.enforcement(db, account_id)
enforcement_state(current)
links = cached.links(db, account_id)
history, linked, enforced = st.tabs(["History", "Linked accounts", "Enforcement"])
with history:
    timeline_tables(account_id, cached.timeline(db, account_id))
with linked:
    links_table(links)
with enforced:
    enforcement_history(changes)
    linked_actions(member, account_id, links)
    pending_blocks(member)
