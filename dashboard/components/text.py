"""Showing text that came from outside (events, notes, rule reasons) as text, never as markup.

Streamlit renders Markdown, and with it images and links: an event field such as a display
name written as ``![x](https://tracker.example/p.png)`` would otherwise make every reviewer's
browser fetch that address. Everything that did not come from our own code goes through
``plain`` before it reaches ``st.markdown``, an expander label or ``st.table``.
"""

from __future__ import annotations

import re

_MARKUP = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:$])")


def plain(value: object) -> str:
    """``value`` as text with every Markdown (and Streamlit directive) character escaped."""
    return _MARKUP.sub(r"\\\1", str(value)).replace("\n", "  \n")
