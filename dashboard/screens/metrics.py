"""Metrics: backlog, SLA, resolution times, outcomes, precision, throughput, reviewer quality."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import streamlit as st

from dashboard import cached, session
from dashboard.components.case_table import KIND_WORDS
from dashboard.components.charts import OUTCOME_SCALE, bars, long_form
from dashboard.components.oversight import agreement_table, rate_table

session.current_staff()


def named(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Rows with the kind in words ('Verification'), short enough for an axis."""
    return [{**r, "kind": KIND_WORDS.get(r["kind"], r["kind"])} for r in rows]


st.title("Metrics")
days = (
    st.segmented_control(
        "Period",
        [7, 30, 90],
        default=30,
        key="metrics-days",
        format_func=lambda d: f"last {d} days",
    )
    or 30
)
data = cached.figures(session.database_key(), days)

backlog_total = sum(r["cases"] for r in data["backlog"])
breached = sum(r["breached_open"] for r in data["sla"])
resolved = sum(r["resolved"] for r in data["resolution"])
decided = sum(r["decisions"] for r in data["outcomes"])
first, second, third, fourth = st.columns(4)
first.metric("Open cases", f"{backlog_total:,}")
second.metric("Open and past SLA", f"{breached:,}")
third.metric(f"Resolved in {days} days", f"{resolved:,}")
fourth.metric(f"Decisions in {days} days", f"{decided:,}")

left, right = st.columns(2)
with left:
    bars(
        named(data["backlog"]),
        x="kind",
        y="cases",
        color="status",
        title="Backlog by kind",
        empty="No open cases: the queue is empty.",
    )
    times = [r for r in named(data["resolution"]) if not math.isnan(r["p50_hours"])]
    bars(
        long_form(times, "kind", {"p50_hours": "median", "p95_hours": "95th percentile"}, "hours"),
        x="kind",
        y="hours",
        color="measure",
        grouped=True,
        title="Time to resolution (hours)",
        empty="No case was resolved in this period.",
    )
    bars(
        data["precision"],
        x="rule_id",
        y="precision",
        color="state",
        horizontal=True,
        title="Flag precision per rule (confirmed ÷ judged)",
        x_title="rule",
        empty="No flagged case has been judged by staff in this period.",
    )
with right:
    bars(
        long_form(
            named(data["sla"]),
            "kind",
            {"breached_open": "open past due", "resolved_late": "resolved late"},
            "cases",
        ),
        x="kind",
        y="cases",
        color="measure",
        grouped=True,
        title="SLA breaches",
        empty="No SLA breach: every case is within its deadline.",
    )
    bars(
        data["outcomes"],
        x="day",
        y="decisions",
        color="outcome",
        scale=OUTCOME_SCALE,
        title="Decisions per day and outcome",
        empty="No decision in this period: is the pipeline running?",
    )
    bars(
        data["throughput"],
        x="day",
        y="resolved",
        color="reviewer",
        title="Cases resolved per reviewer and day (proposer and approver both count)",
        empty="Nobody resolved a case in this period.",
    )

st.subheader("Reviewer quality")
oversight = cached.oversight(session.database_key(), days)
agree, overturn = st.columns(2)
with agree:
    agreement_table(
        oversight["qa_reviewers"],
        "Reviewer",
        "Agreement of blind re-reviews per reviewer (Cohen's kappa)",
        empty="No blind re-review was done in this period.",
    )
    agreement_table(
        oversight["qa_reasons"],
        "Reason code",
        "Agreement per reason code (both reviewers gave it, or neither)",
        empty="No blind re-review was done in this period.",
    )
with overturn:
    rate_table(
        oversight["overturn_rules"],
        "rule_id",
        "Rule",
        "Appeals overturned per rule",
        empty="No appeal was decided in this period.",
    )
    rate_table(
        oversight["overturn_reviewers"],
        "reviewer",
        "Reviewer",
        "Appeals overturned per original reviewer",
        empty="No appeal was decided in this period.",
    )
