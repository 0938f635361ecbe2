"""Accounts: find an account by what a ticket holds, then its whole story and its linked ones."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import cached, session
from dashboard.components.actions import show_flash
from dashboard.components.enforcement import (
    enforcement_history,
    enforcement_state,
    linked_actions,
    pending_blocks,
)
from dashboard.components.history import linked_table, one_timeline, timeline_tables
from dashboard.components.search import search_box, search_hits
from dashboard.components.security import security_chain
from dashboard.components.text import plain

db = session.database_key()
member = session.current_staff()

st.title("Accounts")
show_flash()
search_box(member, key="account-query", with_kind=True)
asked = st.query_params.get("account", "")
found = search_hits()
hits = found[1] if found else []
if found is not None and not hits:
    st.warning(
        "No account matches that search. An identifier must be given in full (an "
        "e-mail, phone, document number, IP or payment fingerprint is matched exactly); "
        "ids match by their beginning and names approximately."
        if found[0]
        else "Type at least two characters."
    )
if hits:
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Account": h.account_id,
                    "Name": h.display_name or "",
                    "Status": h.status,
                    "Enforcement": h.enforcement,
                    "Open cases": h.open_cases,
                    "Matched by": ", ".join(h.matched_by),
                }
                for h in hits
            ]
        ),
        hide_index=True,
        width="stretch",
    )
ids = [h.account_id for h in hits]
if asked and asked not in ids:
    ids.insert(0, asked)
if not ids:
    st.info(
        "Search by account id, display name, or an e-mail, phone, document number, IP "
        "address or payment fingerprint from a ticket. Every search is recorded in the "
        "audit log (the kind of identifier, not its value)."
    )
    st.stop()
account_id = st.selectbox(
    f"{len(ids)} account(s)", ids, key="account-pick", index=ids.index(asked) if asked in ids else 0
)
st.query_params["account"] = account_id
account = cached.account(db, account_id)
if account is None:
    st.warning(f"The store has never seen an account “{plain(account_id)}”.")
    st.stop()

st.subheader(f"{plain(account_id)} · {plain(account['display_name'] or 'no name')}")
status, role, country, seen = st.columns(4)
status.metric("Status", account["status"])
role.metric("Role", account["role"] or "unknown")
country.metric("Country", account["country"] or "unknown")
seen.metric("First seen", f"{account['first_seen_at']:%Y-%m-%d}")

current, changes = cached.enforcement(db, account_id)
enforcement_state(current)
groups = cached.linked(db, account_id)
history = cached.timeline(db, account_id)
timeline, case_list, linked, enforced = st.tabs(
    ["Timeline", "Cases", f"Linked accounts ({len(groups)})", "Enforcement"]
)
with timeline:
    # The same takeover-chain table as the case screen: access and money on one view.
    security_chain(cached.security_steps(db, account_id))
    one_timeline(account_id, history, changes)
with case_list:
    timeline_tables(account_id, {"cases": history["cases"], "events": []})
with linked:
    linked_table(groups)
    linked_actions(member, account_id, groups, history["cases"])
with enforced:
    enforcement_history(changes)
    pending_blocks(member)
