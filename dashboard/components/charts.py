"""Altair charts in the dashboard's one style: titled, tooltipped, and an empty state in words."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

OUTCOME_SCALE = alt.Scale(
    domain=["allow", "review", "block"], range=["#4c9a2a", "#f0a202", "#c0392b"]
)


def _frame(rows: Sequence[Mapping[str, Any]], empty: str) -> pd.DataFrame | None:
    if not rows:
        st.info(empty)
        return None
    return pd.DataFrame(rows)


def bars(
    rows: Sequence[Mapping[str, Any]],
    *,
    x: str,
    y: str,
    color: str | None = None,
    title: str,
    empty: str,
    x_title: str | None = None,
    y_title: str | None = None,
    scale: alt.Scale | None = None,
    horizontal: bool = False,
    grouped: bool = False,
) -> None:
    """Bars of ``y`` summed per ``x`` (stacked by ``color``, or side by side when ``grouped``).

    Shows the ``empty`` sentence instead when there are no rows.
    """
    frame = _frame(rows, empty)
    if frame is None:
        return
    value, label = f"sum({y}):Q", y_title or y
    encoding: dict[str, Any]
    if horizontal:
        encoding = {
            "x": alt.X(value, title=label),
            "y": alt.Y(f"{x}:N", title=x_title or x, sort="-x"),
        }
    else:
        encoding = {
            "x": alt.X(f"{x}:N", title=x_title or x, sort=None, axis=alt.Axis(labelAngle=0)),
            "y": alt.Y(value, title=label),
        }
    tooltip: list[Any] = [alt.Tooltip(f"{x}:N"), alt.Tooltip(value, title=y)]
    if color:
        encoding["color"] = alt.Color(f"{color}:N", scale=scale or alt.Undefined, title=color)
        tooltip.insert(1, alt.Tooltip(f"{color}:N"))
    if color and grouped and horizontal:
        encoding["yOffset"] = alt.YOffset(f"{color}:N")
    elif color and grouped:
        encoding["xOffset"] = alt.XOffset(f"{color}:N")
    chart = alt.Chart(frame, title=title).mark_bar().encode(**encoding, tooltip=tooltip)
    st.altair_chart(chart, width="stretch")


def lines(
    rows: Sequence[Mapping[str, Any]], *, x: str, y: str, color: str, title: str, empty: str
) -> None:
    """One line per ``color`` value over ``x`` (days), or the ``empty`` sentence."""
    frame = _frame(rows, empty)
    if frame is None:
        return
    chart = (
        alt.Chart(frame, title=title)
        .mark_line(point=True)
        .encode(
            x=alt.X(f"yearmonthdate({x}):T", title=x, axis=alt.Axis(format="%b %d")),
            y=alt.Y(y, title=y),
            color=alt.Color(color, title=color),
            tooltip=list(frame.columns),
        )
    )
    st.altair_chart(chart, width="stretch")


def long_form(
    rows: Sequence[Mapping[str, Any]], key: str, columns: dict[str, str], value: str
) -> list[dict[str, Any]]:
    """Turn wide rows into one row per (key, measure): what grouped bars want."""
    return [
        {key: r[key], "measure": label, value: r[column]}
        for r in rows
        for column, label in columns.items()
        if r[column] is not None
    ]
