"""Showing text that came from outside (events, notes, rule reasons) as text, never as markup.

Streamlit renders Markdown, and with it images and links: an event field such as a display
name written as ``![x](https://tracker.example/p.png)`` would otherwise make every reviewer's
browser fetch that address. Everything that did not come from our own code goes through
``plain`` before it reaches ``st.markdown``, an expander label or ``st.table``, and every
table a reviewer can download goes through ``csv_safe``.
"""

from __future__ import annotations

import re

import pandas as pd

from trust.plain_text import marked_bidi_controls

_MARKUP = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:$])")
# Streamlit reads ':material/icon:', ':smile:' and ':red[text]' after Markdown has removed
# the escapes, so a backslash does not stop them: a word joiner after the colon does.
_DIRECTIVE = re.compile(r":(?=[A-Za-z])")
_WORD_JOINER = "\u2060"
# A cell starting with one of these is a formula to a spreadsheet that opens the CSV.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def plain(value: object) -> str:
    """``value`` as text: Markdown and Streamlit directives escaped, bidi controls shown."""
    text = marked_bidi_controls(str(value))
    text = _DIRECTIVE.sub(":" + _WORD_JOINER, text)
    return _MARKUP.sub(r"\\\1", text).replace("\n", "  \n")


def csv_safe(value: object) -> object:
    """A cell as a spreadsheet should read it: a text starting like a formula gets a quote."""
    if isinstance(value, str):
        value = marked_bidi_controls(value)
        if value.startswith(_FORMULA_START):
            return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell passed through ``csv_safe`` (Streamlit's own table
    toolbar offers the shown data as a CSV download)."""
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_object_dtype(out[column]) or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(csv_safe)
    return out
