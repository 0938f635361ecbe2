"""SLA countdowns in words and colours: green on track, orange due soon, red breached."""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from trust.cases.sla import SlaState, as_utc

# Colour names st.badge understands, a mark for plain table cells, and a label. The marks are
# plain-text shapes every system font has (emoji showed as empty boxes without an emoji font).
SLA_STYLE: dict[str, tuple[str, str, str]] = {
    SlaState.ON_TRACK: ("green", "●", "On track"),
    SlaState.DUE_SOON: ("orange", "◆", "Due soon"),
    SlaState.BREACHED: ("red", "■", "Breached"),
    SlaState.PAUSED: ("gray", "‖", "Paused (waiting on the user)"),
    SlaState.MET: ("green", "✓", "Met"),
    SlaState.MISSED: ("red", "✗", "Missed"),
}
# Badges use Streamlit's bundled icon font rather than emoji, which some systems lack.
BADGE_ICONS: dict[str, str] = {
    SlaState.PAUSED: ":material/pause_circle:",
    SlaState.MET: ":material/check:",
    SlaState.MISSED: ":material/close:",
    SlaState.BREACHED: ":material/alarm:",
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


def countdown(state: str, due: datetime | None, now: datetime, *, mark: bool = True) -> str:
    """The SLA in words: '● 1 d 3 h left', '■ SLA breached 2 h ago', '‖ SLA paused (…)'."""
    _colour, sign, label = SLA_STYLE.get(state, SLA_STYLE[SlaState.ON_TRACK])
    prefix = f"{sign} " if mark else ""
    if state in (SlaState.PAUSED, SlaState.MET, SlaState.MISSED) or due is None:
        return f"{prefix}SLA {label.lower()}"
    left = (as_utc(due) - now).total_seconds()
    if left <= 0:
        return f"{prefix}SLA breached {duration_words(left)} ago"
    return f"{prefix}{duration_words(left)} left"


def sla_badge(state: str, due: datetime | None, now: datetime) -> None:
    """Show the SLA countdown as a coloured badge."""
    colour, _sign, _label = SLA_STYLE.get(state, SLA_STYLE[SlaState.ON_TRACK])
    st.badge(
        countdown(state, due, now, mark=False),
        color=colour,  # type: ignore[arg-type]
        icon=BADGE_ICONS.get(state, ":material/timer:"),
    )
