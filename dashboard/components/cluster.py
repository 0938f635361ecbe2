"""A cluster case's members: every account with the evidence tying it, acted on together."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from dashboard import session
from dashboard.components.actions import perform
from dashboard.components.enforcement import announce_group_action
from trust.cases.clusters import act_on_cluster
from trust.enforcement import EnforcementState
from trust.staff import Permission, StaffMember, has_permission
from trust.store.clusters import ClusterMember


def cluster_members(member: StaffMember, case_id: int, members: Sequence[ClusterMember]) -> None:
    """The members and their evidence; leads hold them all now or propose blocking them all."""
    if not members:
        st.info("This cluster case has no members recorded.")
        return
    st.markdown(f"**{len(members)} accounts act together in this cluster.**")
    st.dataframe(
        pd.DataFrame(
            [
                {
                    # A table shows its cells as plain text: nothing to escape.
                    "Account": m.account_id,
                    "Evidence tying it to the others": "; ".join(m.evidence),
                    "In the case since": m.added_at,
                }
                for m in members
            ]
        ),
        hide_index=True,
        width="stretch",
    )
    if not has_permission(member, Permission.ACT_ON_LINKED):
        st.caption("Acting on a cluster's members together is for leads.")
        return
    state = st.radio(
        "Enforcement on every member",
        [EnforcementState.HOLD, EnforcementState.BLOCK],
        format_func=lambda s: (
            "Hold now" if s == EnforcementState.HOLD else "Block (a second lead must approve)"
        ),
        key="cluster-state",
        horizontal=True,
    )
    reason = st.text_input(
        "Reason", key="cluster-reason", placeholder="e.g. review ring: members rate one another"
    )
    if not st.button("Apply to every member", key="cluster-submit", disabled=not reason.strip()):
        return
    done = perform(
        "Acting on the cluster",
        lambda conn: act_on_cluster(conn, member, case_id, state, reason, session.now()),
    )
    announce_group_action(done, state)
