"""Keyboard shortcuts for the review loop, through the ``streamlit-shortcuts`` component.

Every shortcut presses (or focuses) one keyed widget; the same key names the same widget on
every screen, so one shortcut never means two things. The list is shown in the sidebar and
documented in README.md ("Keyboard").

The shortcuts are bound once, from the sidebar, so the component's frame survives page
switches: its listener lives in that frame and stops working if the frame is removed. The
sign-in page clears them, so signing in again binds them afresh.
"""

from __future__ import annotations

import streamlit as st
from streamlit_shortcuts import add_shortcuts, clear_shortcuts

# Widget key -> shortcut, in the order of the review loop.
SHORTCUTS: dict[str, str] = {
    "claim-next": "alt+n",
    "claim": "alt+c",
    "quick-dismiss": "alt+d",
    "resolve-submit": "alt+r",
    "release": "alt+g",
}
WORDS: dict[str, str] = {
    "claim-next": "claim the next case and open it",
    "claim": "claim the open case",
    "quick-dismiss": "dismiss the case as a false positive (with that reason)",
    "resolve-submit": "resolve (or propose) with the decision and reason chosen in the form "
    "(Tab moves through it; type in a list to filter it, Enter to pick)",
    "release": "give the case back to the queue",
}


def enable_shortcuts() -> None:
    """Bind every shortcut (call it once per run, in the sidebar, on every screen)."""
    add_shortcuts(**SHORTCUTS)


def forget_shortcuts() -> None:
    """Unbind every shortcut (the sign-in page: nobody is signed in)."""
    clear_shortcuts()


def shortcut_help() -> None:
    """Bind the shortcuts and list them, for the sidebar."""
    enable_shortcuts()
    with st.expander("Keyboard shortcuts"):
        st.markdown("\n".join(f"- `{SHORTCUTS[key].title()}`: {WORDS[key]}" for key in SHORTCUTS))
