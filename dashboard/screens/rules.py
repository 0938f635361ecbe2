"""Rules: the pack in force, live and shadow rules, hits per day, and precision from staff."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import cached, session
from dashboard.components.charts import bars, lines
from dashboard.components.text import safe_frame

settings = session.settings()
session.current_staff()
st.title("Rules")
version, rules, problems = cached.rule_pack(str(settings.rules_dir))
if problems:
    st.error(
        "The rule pack in " + str(settings.rules_dir) + " is refused, so the workers keep "
        "the previous one. Fix these problems and run `trust rules validate`:"
    )
    for problem in problems:
        st.markdown(f"- {problem}")
    st.stop()
st.caption(f"Pack version `{version}` from `{settings.rules_dir}` · {len(rules)} rules.")

states = st.segmented_control(
    "Show",
    ["live", "shadow", "disabled"],
    selection_mode="multi",
    default=["live", "shadow"],
    key="rules-states",
)
shown = [r for r in rules if r["state"] in (states or [])]
if not shown:
    st.info("No rule in the chosen states. Pick live, shadow or disabled above.")
else:
    # The columns that fit a 1280 px screen; the rest of a rule is one pick away.
    C = st.column_config
    st.dataframe(
        safe_frame(pd.DataFrame(shown)),
        hide_index=True,
        width="stretch",
        column_config={
            "rule": C.TextColumn("rule", width=150),
            "kind": C.TextColumn("kind", width=90),
            "state": C.TextColumn("state", width=60),
            "reason code": C.TextColumn("reason code", width=130),
            "score": C.NumberColumn("score", width=50),
            "severity": C.NumberColumn("severity", width=60),
            "description": C.TextColumn("description", width=250),
        },
        column_order=["rule", "kind", "state", "reason code", "score", "severity", "description"],
    )
    picked = st.selectbox(
        "Rule details",
        [r["rule"] for r in shown],
        index=None,
        key="rules-detail",
        placeholder="Pick a rule for its policy, owner, file and forced outcome",
    )
    if picked is not None:
        detail = next(r for r in shown if r["rule"] == picked)
        st.table(
            safe_frame(pd.DataFrame([{"field": k, "value": str(v)} for k, v in detail.items()])),
            hide_index=True,
        )

days = (
    st.segmented_control(
        "Period", [7, 30, 90], default=30, key="rules-days", format_func=lambda d: f"last {d} days"
    )
    or 30
)
figures = cached.rule_figures(session.database_key(), days)
bars(
    figures["hits"],
    x="rule_id",
    y="hits",
    color="state",
    horizontal=True,
    title="Hits per rule in the period",
    x_title="rule",
    empty="No rule matched an event in this period.",
)
if len({row["day"] for row in figures["hits"]}) > 1:
    lines(
        figures["hits"],
        x="day",
        y="hits",
        color="rule_id",
        title="Hits per day",
        empty="No rule matched an event in this period.",
    )
st.subheader("Precision from staff decisions")
st.caption(
    "Of the cases a rule's hits raised and staff resolved: confirmed ÷ (confirmed + "
    "dismissed). Shadow rules are measured on the cases other rules raised."
)
bars(
    figures["precision"],
    x="rule_id",
    y="precision",
    color="state",
    horizontal=True,
    title="Precision per rule",
    x_title="rule",
    empty="Staff have not judged any flagged case in this period yet.",
)
if figures["precision"]:
    st.dataframe(safe_frame(pd.DataFrame(figures["precision"])), hide_index=True, width="stretch")
