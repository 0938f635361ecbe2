"""Which signals each event kind produces, and the function that computes them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from trust.signals import complaint, profile_verification, reference_check, review
from trust.signals.context import BatchContext
from trust.signals.types import Signals, SignalType

SIGNAL_TYPES: dict[str, dict[str, SignalType]] = {
    "profile_verification": profile_verification.SIGNALS,
    "review": review.SIGNALS,
    "reference_check": reference_check.SIGNALS,
    "complaint": complaint.SIGNALS,
}

COMPUTERS: dict[str, Callable[[Any, BatchContext], Signals]] = {
    "profile_verification": profile_verification.compute,
    "review": review.compute,
    "reference_check": reference_check.compute,
    "complaint": complaint.compute,
}


def signal_names(kind: str) -> set[str]:
    """The names of the signals computed for ``kind``."""
    return set(SIGNAL_TYPES[kind])
