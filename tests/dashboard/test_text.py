"""Outside text reaches the screen as text, not as Markdown."""

from __future__ import annotations

import pytest

from dashboard.components.text import plain


@pytest.mark.parametrize("hostile", [
    "![x](https://tracker.example/p.png)", "[click](javascript:alert(1))", "**bold**",
    ":red[alarm] :material/warning:", "<img src=x>", "# heading", "`code`", "a_b_c",
])
def test_markup_in_outside_text_is_escaped(hostile) -> None:
    escaped = plain(hostile)
    assert "](" not in escaped
    for char in "![]()*:<>#`":
        assert char not in escaped.replace(f"\\{char}", "")

