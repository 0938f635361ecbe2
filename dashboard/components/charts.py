"""Altair charts in the dashboard's one style: titled, tooltipped, and an empty state in words."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

OUTCOME_SCALE = alt.Scale(domain=["allow", "review", "block"],
                          range=["#4c9a2a", "#f0a202", "#c0392b"])


def _frame(rows: Sequence[dict[str, Any]], empty: str) -> pd.DataFrame | None:
    if not rows:
        st.info(empty)
        return None
    return pd.DataFrame(rows)


def bars(rows: Sequence[dict[str, Any]], *, x: str, y: str, color: str | None = None,
         title: str, empty: str, x_title: str | None = None, y_title: str | None = None,
         scale: alt.Scale | None = None, horizontal: bool = False) -> None:
    """A (stacked) bar chart of ``rows``, or the ``empty`` sentence when there are none."""
    frame = _frame(rows, empty)
    if frame is None:
        return
    x_enc = alt.X(x, title=x_title or x, sort=None)
    y_enc = alt.Y(y, title=y_title or y)
    if horizontal:
        x_enc, y_enc = alt.X(y, title=y_title or y), alt.Y(x, title=x_title or x, sort="-x")
    encoding: dict[str, Any] = {"x": x_enc, "y": y_enc, "tooltip": list(frame.columns)}
    if color:
        encoding["color"] = alt.Color(color, scale=scale or alt.Undefined, title=color)
    chart = alt.Chart(frame, title=title).mark_bar().encode(**encoding)
    st.altair_chart(chart, width="stretch")


def lines(rows: Sequence[dict[str, Any]], *, x: str, y: str, color: str, title: str,
          empty: str) -> None:
    """One line per ``color`` value over ``x`` (days), or the ``empty`` sentence."""
    frame = _frame(rows, empty)
    if frame is None:
        return
    chart = alt.Chart(frame, title=title).mark_line(point=True).encode(
        x=alt.X(f"{x}:T", title=x), y=alt.Y(y, title=y), color=alt.Color(color, title=color),
        tooltip=list(frame.columns))
    st.altair_chart(chart, width="stretch")


def long_form(rows: Sequence[dict[str, Any]], key: str, columns: dict[str, str],
              value: str) -> list[dict[str, Any]]:
    """Turn wide rows into one row per (key, measure): what grouped bars want."""
    return [{key: r[key], "measure": label, value: r[column]}
            for r in rows for column, label in columns.items() if r[column] is not None]
