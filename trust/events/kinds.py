"""The event kinds a marketplace sends, and the discriminated union over them."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal, TypeGuard, get_args

from pydantic import Field, TypeAdapter, model_validator

from trust.events.common import (
    CountryCode,
    Day,
    Email,
    EventEnvelope,
    Flag,
    Identifier,
    LongText,
    Money,
    PhoneNumber,
    Rating,
    Score01,
    ShortText,
    StrictModel,
    Timestamp,
)
from trust.events.disputes import (
    DISPUTE_EVENT_TYPES,
    DisputeAnswerEvent,
    DisputeEvidenceEvent,
    DisputeOfferEvent,
    DisputeStatementEvent,
)
from trust.events.payments import (
    ClientPaymentEvent,
    CredentialChangeEvent,
    PayoutMethodChangeEvent,
    SignInEvent,
    WithdrawalRequestEvent,
)
from trust.events.personal import PERSONAL, Personal


class AccountRole(StrEnum):
    """What an account does on the marketplace."""

    FREELANCER = "freelancer"
    CLIENT = "client"
    AGENCY = "agency"


class DocumentType(StrEnum):
    """Government identity documents the verification vendor accepts."""

    PASSPORT = "passport"
    NATIONAL_ID = "national_id"
    DRIVING_LICENCE = "driving_licence"
    RESIDENCE_PERMIT = "residence_permit"


class ReviewDirection(StrEnum):
    """Who reviews whom on a contract."""

    CLIENT_TO_FREELANCER = "client_to_freelancer"
    FREELANCER_TO_CLIENT = "freelancer_to_client"


class ComplaintCategory(StrEnum):
    """What a complaint is about (payment disputes included)."""

    NON_PAYMENT = "non_payment"
    LATE_PAYMENT = "late_payment"
    QUALITY = "quality"
    SCOPE = "scope"
    FAKE_REVIEW = "fake_review"
    FAKE_REFERENCE = "fake_reference"
    COMMUNICATION = "communication"
    HARASSMENT = "harassment"
    OFF_PLATFORM_PAYMENT = "off_platform_payment"
    FRAUD_SCAM = "fraud_scam"
    OTHER = "other"


class EscrowState(StrEnum):
    """Where the money of a fixed-price milestone is."""

    UNFUNDED = "unfunded"
    FUNDED = "funded"
    RELEASED = "released"
    REFUNDED = "refunded"


class Profile(StrictModel):
    """The public and legal identity an account presents."""

    display_name: Annotated[ShortText, Personal("name")]
    legal_name: Annotated[ShortText, Personal("name")]
    country: CountryCode
    email: Annotated[Email, Personal("email")]
    phone: Annotated[PhoneNumber | None, Personal("phone")] = None
    title: Annotated[str, Field(max_length=200)] | None = None
    skills: Annotated[list[ShortText], Field(max_length=50)] = []
    hourly_rate: Money | None = None
    photo_present: Flag = False


class IdentityDocument(StrictModel):
    """The government document photographed for verification."""

    type: DocumentType
    issuing_country: CountryCode
    name_on_document: Annotated[ShortText, Personal("name")]
    date_of_birth: Annotated[Day, Personal("birth_date")]
    number: Annotated[
        str, Field(min_length=4, max_length=40, pattern=r"^[A-Za-z0-9-]+$"), Personal("document")
    ]
    expires_on: Day


class DocumentCheck(StrictModel):
    """What the verification vendor found when it examined the document and selfie."""

    tamper_score: Score01
    mrz_consistent: Flag | None = None
    selfie_match_score: Score01 | None = None
    liveness_passed: Flag | None = None


class ProfileVerificationEvent(EventEnvelope):
    """An account submitted identity documents for verification."""

    kind: Literal["profile_verification"] = "profile_verification"
    account_id: Identifier
    role: AccountRole
    account_created_at: Timestamp
    profile: Profile
    document: IdentityDocument
    document_check: DocumentCheck
    payment_fingerprint: Annotated[Identifier | None, PERSONAL] = None

    @property
    def account_ids(self) -> tuple[str, ...]:
        return (self.account_id,)


class SubRatings(StrictModel):
    """Optional detailed ratings that come with a review."""

    quality: Rating | None = None
    communication: Rating | None = None
    expertise: Rating | None = None
    professionalism: Rating | None = None
    schedule: Rating | None = None
    cooperation: Rating | None = None


class ReviewEvent(EventEnvelope):
    """One party left feedback on a finished contract."""

    kind: Literal["review"] = "review"
    contract_id: Identifier
    reviewer_id: Identifier
    reviewee_id: Identifier
    direction: ReviewDirection
    rating: Rating
    sub_ratings: SubRatings | None = None
    text: Annotated[LongText, Personal("text")] = ""
    amount_paid: Money
    contract_started_at: Timestamp
    contract_ended_at: Timestamp

    @model_validator(mode="after")
    def _contract_dates_in_order(self) -> ReviewEvent:
        if self.contract_ended_at < self.contract_started_at:
            raise ValueError("contract_ended_at is before contract_started_at")
        if self.reviewer_id == self.reviewee_id:
            raise ValueError("reviewer_id and reviewee_id are the same account")
        return self

    @property
    def account_ids(self) -> tuple[str, ...]:
        # The reviewee is who a fake-review case protects; the reviewer is the suspect.
        return (self.reviewer_id, self.reviewee_id)


class Referee(StrictModel):
    """The off-platform client a freelancer named as a reference."""

    name: Annotated[ShortText, Personal("name")]
    email: Annotated[Email, Personal("email")]
    company: ShortText | None = None
    role: ShortText | None = None


class ClaimedProject(StrictModel):
    """The project the freelancer says they did for the referee."""

    title: ShortText
    started_on: Day
    ended_on: Day | None = None

    @model_validator(mode="after")
    def _dates_in_order(self) -> ClaimedProject:
        if self.ended_on is not None and self.ended_on < self.started_on:
            raise ValueError("ended_on is before started_on")
        return self


class RefereeResponse(StrictModel):
    """What the referee answered, and from where."""

    confirms: Flag
    rating: Rating | None = None
    text: Annotated[LongText, Personal("text")] = ""
    responded_at: Timestamp
    ip: Annotated[str | None, Field(max_length=45), Personal("ip")] = None
    device_id: Annotated[Identifier | None, PERSONAL] = None


class ReferenceCheckEvent(EventEnvelope):
    """A freelancer's off-platform reference was requested, and maybe answered."""

    kind: Literal["reference_check"] = "reference_check"
    freelancer_id: Identifier
    referee: Referee
    claimed_project: ClaimedProject
    request_sent_at: Timestamp
    response: RefereeResponse | None = None

    @model_validator(mode="after")
    def _response_after_request(self) -> ReferenceCheckEvent:
        if self.response is not None and self.response.responded_at < self.request_sent_at:
            raise ValueError("response.responded_at is before request_sent_at")
        return self

    @property
    def account_ids(self) -> tuple[str, ...]:
        return (self.freelancer_id,)


class ComplaintEvent(EventEnvelope):
    """One account complained about another (payment disputes included)."""

    kind: Literal["complaint"] = "complaint"
    complainant_id: Identifier
    respondent_id: Identifier
    complainant_role: AccountRole
    respondent_role: AccountRole
    category: ComplaintCategory
    contract_id: Identifier | None = None
    milestone_id: Identifier | None = None
    amount_in_dispute: Money | None = None
    escrow_state: EscrowState | None = None
    # What the milestone holds in escrow as the marketplace's books say, when it is funded:
    # a dispute is about that money, so a claim for more is worth a look.
    escrow_amount: Money | None = None
    description: Annotated[LongText, Personal("text")]
    evidence_refs: Annotated[list[Identifier], Field(max_length=50)] = []
    # Escrow disputes (see trust.disputes): how the contract pays, when it (or the billed
    # week) ended, and for hourly contracts the hours disputed.
    contract_type: Literal["fixed_price", "hourly"] | None = None
    contract_ended_at: Timestamp | None = None
    disputed_hours: Annotated[Decimal, Field(gt=0, max_digits=6, decimal_places=2)] | None = None

    @model_validator(mode="after")
    def _different_parties(self) -> ComplaintEvent:
        if self.complainant_id == self.respondent_id:
            raise ValueError("complainant_id and respondent_id are the same account")
        if self.disputed_hours is not None and self.contract_type != "hourly":
            raise ValueError("disputed_hours is only for contract_type 'hourly'")
        if (
            self.escrow_amount is not None
            and self.amount_in_dispute is not None
            and self.escrow_amount.currency != self.amount_in_dispute.currency
        ):
            raise ValueError(
                "escrow_amount.currency differs from amount_in_dispute.currency: "
                "one milestone's money is in one currency"
            )
        return self

    @property
    def account_ids(self) -> tuple[str, ...]:
        # The respondent is the subject: cases gather complaints against one account.
        return (self.respondent_id, self.complainant_id)


class AppealEvent(EventEnvelope):
    """A user appeals a decision or the enforcement on their account (DSA Art. 20).

    Not scored: it opens an appeal case for a person who did not take the original decision.
    Without ``decision_event_id`` it appeals the enforcement in force on the account.
    """

    kind: Literal["appeal"] = "appeal"
    account_id: Identifier
    decision_event_id: Identifier | None = None
    new_information: Annotated[LongText, Personal("text")] = ""
    evidence_refs: Annotated[list[Identifier], Field(max_length=50)] = []

    @property
    def account_ids(self) -> tuple[str, ...]:
        return (self.account_id,)

    @property
    def has_new_information(self) -> bool:
        """True when the user brings something the original decision did not see."""
        return bool(self.new_information.strip() or self.evidence_refs)


Event = Annotated[
    ProfileVerificationEvent
    | ReviewEvent
    | ReferenceCheckEvent
    | ComplaintEvent
    | SignInEvent
    | CredentialChangeEvent
    | PayoutMethodChangeEvent
    | WithdrawalRequestEvent
    | ClientPaymentEvent
    | AppealEvent
    | DisputeStatementEvent
    | DisputeEvidenceEvent
    | DisputeOfferEvent
    | DisputeAnswerEvent,
    Field(discriminator="kind"),
]
# The kinds that are scored (signals, rules, model), as a type: per-kind settings are keyed
# by it (trust/settings.py), so a misspelt kind is refused at start-up. A new scored kind is
# one entry here and one in EVENT_TYPES below; settings give it the default cut-offs.
EventKind = Literal[
    "profile_verification",
    "review",
    "reference_check",
    "complaint",
    "sign_in",
    "credential_change",
    "payout_method_change",
    "withdrawal_request",
    "client_payment",
]
EVENT_TYPES: dict[str, type[EventEnvelope]] = {
    "profile_verification": ProfileVerificationEvent,
    "review": ReviewEvent,
    "reference_check": ReferenceCheckEvent,
    "complaint": ComplaintEvent,
    "sign_in": SignInEvent,
    "credential_change": CredentialChangeEvent,
    "payout_method_change": PayoutMethodChangeEvent,
    "withdrawal_request": WithdrawalRequestEvent,
    "client_payment": ClientPaymentEvent,
}
EVENT_KINDS: tuple[str, ...] = tuple(EVENT_TYPES)
if set(get_args(EventKind)) != set(EVENT_KINDS):  # pragma: no cover - caught at import
    raise TypeError(f"EventKind {get_args(EventKind)} must name the kinds of EVENT_TYPES")


def is_event_kind(kind: str) -> TypeGuard[EventKind]:
    """True when ``kind`` is scored (per-kind decision settings exist for it)."""
    return kind in EVENT_TYPES


# Requests and process events: validated, stored and deduplicated like every kind, never
# scored. Appeals open appeal cases; dispute party events feed their dispute.
REQUEST_TYPES: dict[str, type[EventEnvelope]] = {"appeal": AppealEvent, **DISPUTE_EVENT_TYPES}
INTAKE_TYPES: dict[str, type[EventEnvelope]] = {**EVENT_TYPES, **REQUEST_TYPES}
INTAKE_KINDS: tuple[str, ...] = tuple(INTAKE_TYPES)
event_adapter: TypeAdapter[Event] = TypeAdapter(Event)
