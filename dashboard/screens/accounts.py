"""Accounts: find an account by id or display name, then see its history and linked accounts."""

from __future__ import annotations

import streamlit as st

from dashboard import cached, session
from dashboard.components.history import links_table, timeline_tables
from dashboard.components.text import plain

db = session.database_key()
session.current_staff()

st.title("Accounts")
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

history, linked = st.tabs(["History", "Linked accounts"])
with history:
    timeline_tables(account_id, cached.timeline(db, account_id))
with linked:
    links_table(cached.links(db, account_id))
