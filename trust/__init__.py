"""Trust pipeline: moderation of profile verifications, reviews, references and complaints."""

from trust.submit import EventSink, SubmitResult, submit

__all__ = ["EventSink", "SubmitResult", "submit"]
