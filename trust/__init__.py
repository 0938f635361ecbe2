"""Trust pipeline: moderation of profile verifications, reviews, references and complaints.

Importing a part of the package (``import trust.events``) loads only that part: the client
call ``trust.submit(events)`` (``trust.submission``) is resolved on first use, since it
brings the pipeline and SQLAlchemy with it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from trust.submission import EventSink, SubmitResult, submit

__all__ = ["EventSink", "SubmitResult", "submit"]


def __getattr__(name: str) -> Any:
    """``trust.submit`` and its types, imported when first asked for."""
    if name in __all__:
        from trust import submission

        return getattr(submission, name)
    raise AttributeError(f"module 'trust' has no attribute {name!r}")
