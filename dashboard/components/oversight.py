"""Tables of reviewer quality: QA agreement (kappa with counts) and appeal overturn rates."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import streamlit as st

from trust.qa.review import Agreement


def agreement_table(rows: Sequence[Agreement], group: str, title: str, *, empty: str) -> None:
    """One row per reviewer or reason: re-reviews, agreements, agreement rate, kappa."""
    st.markdown(f"**{title}**")
    if not rows:
        st.info(empty)
        return
    st.dataframe(
        pd.DataFrame(
            [
                {
                    group: a.group,
                    "Re-reviewed": a.reviewed,
                    "Agreed": a.agreed,
                    "Agreement": f"{a.rate:.0%}" if a.reviewed else "-",
                    "Cohen's kappa": "undefined" if a.kappa is None else f"{a.kappa:.2f}",
                }
                for a in rows
            ]
        ),
        hide_index=True,
        width="stretch",
    )
    st.caption(
        "Kappa is agreement beyond chance (1 perfect, 0 chance); undefined when every "
        "decision was the same."
    )


def rate_table(
    rows: Sequence[dict[str, Any]], key: str, label: str, title: str, *, empty: str
) -> None:
    """One row per rule or reviewer: appeals decided, overturned, and the overturn rate."""
    st.markdown(f"**{title}**")
    if not rows:
        st.info(empty)
        return
    st.dataframe(
        pd.DataFrame(
            [
                {
                    label: r[key],
                    "Appeals decided": r["appeals"],
                    "Overturned": r["overturned"],
                    "Overturn rate": f"{r['overturn_rate']:.0%}",
                }
                for r in rows
            ]
        ),
        hide_index=True,
        width="stretch",
    )
