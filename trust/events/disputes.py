"""What the parties of an escrow dispute send: statements, evidence, offers and answers.

They arrive through the same intake as every kind (schema, quarantine, idempotency by
``event_id``) but are not scored: ``trust.disputes.intake`` attaches each to its dispute's
case timeline and steps the dispute. A dispute is named by its contract (and milestone).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AnyHttpUrl, Field, StringConstraints

from trust.events.common import (
    CurrencyCode,
    EventEnvelope,
    Identifier,
    LongText,
    ShortText,
    StrictModel,
)
from trust.events.personal import Personal

DisputeSide = Literal["client", "freelancer"]
Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


class Attachment(StrictModel):
    """A file a party attached: where staff open it, what it is, and its digest."""

    attachment_id: Identifier
    filename: Annotated[ShortText, Personal("text")]
    media_type: Annotated[str, StringConstraints(pattern=r"^[a-z]+/[A-Za-z0-9.+-]+$")]
    size_bytes: Annotated[int, Field(ge=0, le=100 * 1024 * 1024)]
    sha256: Sha256
    url: AnyHttpUrl


class DisputePartyEvent(EventEnvelope):
    """Fields every dispute party event carries: which dispute, and who is speaking."""

    contract_id: Identifier
    milestone_id: Identifier | None = None
    party_id: Identifier
    side: DisputeSide

    @property
    def account_ids(self) -> tuple[str, ...]:
        return (self.party_id,)


class DisputeStatementEvent(DisputePartyEvent):
    """A party's written statement (the respondent's first one is its response)."""

    kind: Literal["dispute_statement"] = "dispute_statement"
    text: Annotated[str, StringConstraints(min_length=1, max_length=10_000), Personal("text")]


class DisputeEvidenceEvent(DisputePartyEvent):
    """A party adds evidence: files staff can open, and what they show."""

    kind: Literal["dispute_evidence"] = "dispute_evidence"
    description: Annotated[LongText, Personal("text")] = ""
    attachments: Annotated[list[Attachment], Field(min_length=1, max_length=20)]


Amount = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2, allow_inf_nan=False)]


class DisputeOfferEvent(DisputePartyEvent):
    """A party offers a settlement in mediation: the split of the escrow it would accept."""

    kind: Literal["dispute_offer"] = "dispute_offer"
    released_amount: Amount
    refunded_amount: Amount
    currency: CurrencyCode
    comment: Annotated[LongText, Personal("text")] = ""


class DisputeAnswerEvent(DisputePartyEvent):
    """A party accepts or rejects the open proposal (the mediator's or the other side's)."""

    kind: Literal["dispute_answer"] = "dispute_answer"
    answer: Literal["accept", "reject"]
    proposal_id: Identifier
    comment: Annotated[LongText, Personal("text")] = ""


DisputeEvent = DisputeStatementEvent | DisputeEvidenceEvent | DisputeOfferEvent | DisputeAnswerEvent
DISPUTE_EVENT_TYPES: dict[str, type[DisputePartyEvent]] = {
    "dispute_statement": DisputeStatementEvent,
    "dispute_evidence": DisputeEvidenceEvent,
    "dispute_offer": DisputeOfferEvent,
    "dispute_answer": DisputeAnswerEvent,
}
