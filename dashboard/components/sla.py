"""SLA countdowns in words and colours: green on track, orange due soon, red breached."""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from trust.cases.sla import SlaState, as_utc

# Colour names st.badge understands, and a mark that survives in a plain table cell.
SLA_STYLE: dict[str, tuple[str, str, str]] = {
    SlaState.ON_TRACK: ("green", "🟢", "On track"),
    SlaState.DUE_SOON: ("orange", "🟠", "Due soon"),
    SlaState.BREACHED: ("red", "🔴", "Breached"),
    SlaState.PAUSED: ("gray", "⏸", "Paused (waiting on the user)"),
    SlaState.MET: ("green", "✅", "Met"),
    SlaState.MISSED: ("red", "❌", "Missed"),
}


def duration_words(seconds: float) -> str:
    """'2 d 3 h', '3 h 20 min', '12 min' — the two largest units of a duration."""
    minutes = int(abs(seconds) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {mins} min"
    return f"{mins} min"


def countdown(state: str, due: datetime | None, now: datetime) -> str:
    """The SLA in words: '🟢 1 d 3 h left', '🔴 breached 2 h ago', '⏸ paused'."""
    _colour, mark, label = SLA_STYLE.get(state, SLA_STYLE[SlaState.ON_TRACK])
    if state == SlaState.PAUSED or due is None:
        return f"{mark} {label.lower()}"
    if state in (SlaState.MET, SlaState.MISSED):
        return f"{mark} {label.lower()}"
    left = (as_utc(due) - now).total_seconds()
    if left <= 0:
        return f"{mark} breached {duration_words(left)} ago"
    return f"{mark} {duration_words(left)} left"


def sla_badge(state: str, due: datetime | None, now: datetime) -> None:
    """Show the SLA countdown as a coloured badge."""
    colour, _mark, _label = SLA_STYLE.get(state, SLA_STYLE[SlaState.ON_TRACK])
    st.badge(countdown(state, due, now), color=colour)  # type: ignore[arg-type]
