"""Keyboard shortcuts for the review loop, through the ``streamlit-shortcuts`` component.

Every shortcut presses (or focuses) one keyed widget; the same key names the same widget on
every screen, so one shortcut never means two things. The list is shown in the sidebar and
documented in README.md ("Keyboard").
"""

from __future__ import annotations

import streamlit as st
from streamlit_shortcuts import add_shortcuts

# Widget key -> shortcut, in the order of the review loop.
SHORTCUTS: dict[str, str] = {
    "claim-next": "alt+n",
    "claim": "alt+c",
    "resolve-action": "alt+a",
    "resolve-reason": "alt+e",
    "resolve-submit": "alt+r",
    "release": "alt+g",
}
WORDS: dict[str, str] = {
    "claim-next": "claim the next case and open it",
    "claim": "claim the open case",
    "resolve-action": "choose the decision (type, then Enter)",
    "resolve-reason": "choose the reason (type, then Enter)",
    "resolve-submit": "resolve (or propose) with that reason",
    "release": "give the case back to the queue",
}


def enable_shortcuts(*keys: str) -> None:
    """Bind the shortcuts of these widget keys on this screen."""
    add_shortcuts(**{key: SHORTCUTS[key] for key in keys})


def shortcut_help() -> None:
    """The list of shortcuts, for the sidebar."""
    with st.expander("Keyboard shortcuts"):
        st.markdown("\n".join(f"- `{SHORTCUTS[key].title()}`: {WORDS[key]}"
                              for key in SHORTCUTS))
