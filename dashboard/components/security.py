"""The takeover chain on one table: sign-ins, credential changes, payout changes and
withdrawals of the case's account, with devices and countries (masked)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from dashboard.components.case_table import KIND_WORDS
from dashboard.components.text import safe_frame
from trust.cases.security_timeline import SecurityStep


def security_chain(steps: Sequence[SecurityStep]) -> None:
    """Account access and money movements, newest first; a new device or country stands out."""
    if not steps:
        return
    st.markdown("**Sign-ins, credential and payout changes, withdrawals** (newest first)")
    st.dataframe(
        safe_frame(
            pd.DataFrame(
                [
                    {
                        "When": s.occurred_at,
                        "Kind": KIND_WORDS.get(s.kind, s.kind),
                        "What": s.what,
                        "Device": s.device,
                        "Country": s.country,
                        "IP": s.ip,
                        "Decision": s.outcome,
                        "Risk": None if s.risk_score is None else round(s.risk_score),
                    }
                    for s in steps
                ]
            )
        ),
        hide_index=True,
        width="stretch",
        column_config={"What": st.column_config.TextColumn("What", width="large")},
    )
    st.caption(
        "Devices and IP addresses are masked like every personal field: compare their "
        "countries and times; reveal the event on the *Why it was flagged* tab when needed."
    )
