"""Outside text reaches the screen as text, not as Markdown."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from dashboard.components.text import csv_safe, plain, safe_frame


@pytest.mark.parametrize(
    "hostile",
    [
        "![x](https://tracker.example/p.png)",
        "[click](javascript:alert(1))",
        "**bold**",
        ":red[alarm] :material/warning:",
        "<img src=x>",
        "# heading",
        "`code`",
        "a_b_c",
    ],
)
def test_markup_in_outside_text_is_escaped(hostile) -> None:
    escaped = plain(hostile)
    assert "](" not in escaped
    for char in "![]()*:<>#`":
        assert char not in escaped.replace(f"\\{char}", "")


@pytest.mark.parametrize(
    "directive", [":material/warning:", ":red[alarm]", ":smile:", ":blue-background[x]"]
)
def test_streamlit_directives_in_outside_text_cannot_take_effect(directive) -> None:
    # Streamlit applies them after Markdown drops the escapes: the colon must not touch
    # the directive's name at all.
    assert re.search(r":[A-Za-z]", plain(directive).replace("\\", "")) is None


def test_bidi_controls_are_shown_as_marks_not_obeyed() -> None:
    shown = plain("Ann\u202eknaB")
    assert "\u202e" not in shown and "U+202E" in shown.replace("\\", "")


@pytest.mark.parametrize(
    ("cell", "exported"),
    [
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("+1+1", "'+1+1"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("acct-1", "acct-1"),
        (42, 42),
    ],
)
def test_cells_that_a_spreadsheet_would_run_as_formulas_are_quoted(cell, exported) -> None:
    assert csv_safe(cell) == exported
    assert safe_frame(pd.DataFrame({"c": [cell]}))["c"][0] == exported
