"""The account search box: on every screen (sidebar) and on the Accounts screen.

A search is an action, not a cached read: each submitted query is audited once (the kinds of
identifier tried, never the value), and its results are kept in the browser session only, so
an e-mail or a document number never lands in the address bar.
"""

from __future__ import annotations

import streamlit as st

from dashboard import session
from dashboard.components.actions import perform
from trust.account_search import SEARCH_KINDS, AccountHit, find_accounts
from trust.pii import hasher_for
from trust.staff import StaffMember

HITS = "account-hits"
PLACEHOLDER = "id, name, e-mail, phone, document, IP or payment fingerprint"
KIND_WORDS = {
    "email": "e-mail",
    "phone": "phone",
    "document": "document number",
    "ip": "IP address",
    "payment": "payment fingerprint",
}


def search_box(member: StaffMember, *, key: str, with_kind: bool = False) -> bool:
    """A search form; on submit the hits are stored for the Accounts screen. True if submitted."""
    with st.form(f"{key}-form", border=False):
        query = st.text_input("Find an account", key=key, placeholder=PLACEHOLDER)
        kind = (
            st.selectbox(
                "Search by",
                list(SEARCH_KINDS),
                index=None,
                key=f"{key}-kind",
                format_func=KIND_WORDS.__getitem__,
                placeholder="anything (guessed from the query)",
            )
            if with_kind
            else None
        )
        submitted = st.form_submit_button("Find", key=f"{key}-submit")
    if not submitted:
        return False
    done = perform(
        "The search",
        lambda conn: find_accounts(
            conn,
            query,
            hasher_for(session.settings()),
            actor=member.username,
            at=session.now(),
            kind=kind,
        ),
    )
    if done is not None:
        st.session_state[HITS] = (len(query.strip()) >= 2, done.value)
    return done is not None


def search_hits() -> tuple[bool, list[AccountHit]] | None:
    """The last search of this session: (whether the query was long enough, the accounts)."""
    found = st.session_state.get(HITS)
    return found if isinstance(found, tuple) else None
