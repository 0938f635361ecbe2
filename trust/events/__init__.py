"""Event schemas: what the marketplace sends us, validated strictly."""

from trust.events.common import EventEnvelope, Money, NetworkContext
from trust.events.disputes import (
    Attachment,
    DisputeAnswerEvent,
    DisputeEvent,
    DisputeEvidenceEvent,
    DisputeOfferEvent,
    DisputePartyEvent,
    DisputeStatementEvent,
)
from trust.events.kinds import (
    EVENT_KINDS,
    EVENT_TYPES,
    INTAKE_KINDS,
    INTAKE_TYPES,
    AccountRole,
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
    "EVENT_KINDS",
    "EVENT_TYPES",
    "INTAKE_KINDS",
    "INTAKE_TYPES",
    "AccountRole",
    "Attachment",
    "ComplaintCategory",
    "ComplaintEvent",
    "DisputeAnswerEvent",
    "DisputeEvent",
    "DisputeEvidenceEvent",
    "DisputeOfferEvent",
    "DisputePartyEvent",
    "DisputeStatementEvent",
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
