"""Event schemas: what the marketplace sends us, validated strictly."""

from trust.events.common import EventEnvelope, Money, NetworkContext
from trust.events.kinds import (
    ALL_EVENT_TYPES,
    ALL_KINDS,
    EVENT_KINDS,
    EVENT_TYPES,
    REQUEST_TYPES,
    AccountRole,
    AppealEvent,
    ComplaintCategory,
    ComplaintEvent,
    EscrowState,
    Event,
    ProfileVerificationEvent,
    ReferenceCheckEvent,
    ReviewEvent,
    event_adapter,
)
from trust.events.validation import EventValidationIssue, ValidationResult, validate_record

__all__ = [
    "ALL_EVENT_TYPES",
    "ALL_KINDS",
    "EVENT_KINDS",
    "EVENT_TYPES",
    "REQUEST_TYPES",
    "AccountRole",
    "AppealEvent",
    "ComplaintCategory",
    "ComplaintEvent",
    "EscrowState",
    "Event",
    "EventEnvelope",
    "EventValidationIssue",
    "Money",
    "NetworkContext",
    "ProfileVerificationEvent",
    "ReferenceCheckEvent",
    "ReviewEvent",
    "ValidationResult",
    "event_adapter",
    "validate_record",
]
