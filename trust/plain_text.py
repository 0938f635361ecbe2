"""Text from outside kept from steering how our own sentences are displayed.

Bidirectional controls (U+202E RIGHT-TO-LEFT OVERRIDE and its kin) in a display name
reverse the rest of any sentence it is quoted in: the reason we record and the statement
of reasons we send. They are removed where event values enter our sentences, and shown as
visible marks where staff read outside text.
"""

from __future__ import annotations

BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_REMOVED = str.maketrans(dict.fromkeys(BIDI_CONTROLS))
_MARKED = str.maketrans({c: f"[U+{ord(c):04X}]" for c in BIDI_CONTROLS})


def without_bidi_controls(text: str) -> str:
    """``text`` with every bidirectional control character removed."""
    return text.translate(_REMOVED)


def marked_bidi_controls(text: str) -> str:
    """``text`` with each bidirectional control shown as a visible ``[U+202E]`` mark."""
    return text.translate(_MARKED)
