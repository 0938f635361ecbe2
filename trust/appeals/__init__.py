"""Appeals (DSA Art. 20): intake into their own queue, review by someone else, outcomes."""

from __future__ import annotations

from trust.appeals.intake import APPEAL_KIND, AppealDesk, appeal_deadline
from trust.appeals.review import (
    APPEAL_GROUNDS,
    UPHOLD_REASONS,
    AppealOutcome,
    decide_appeal,
)

__all__ = [
    "APPEAL_GROUNDS",
    "APPEAL_KIND",
    "UPHOLD_REASONS",
    "AppealDesk",
    "AppealOutcome",
    "appeal_deadline",
    "decide_appeal",
]
