"""The escrow dispute process as a pure state machine: stages, facts, deadlines, defaults.

No database and no clock: ``open_dispute`` starts a dispute and ``step`` applies one fact,
returning the new state and what happened (a deadline met or defaulted, a money outcome
waiting for four-eyes approval). ``trust.disputes.intake`` and ``trust.disputes.timers``
persist the results.

Fixed price (a freelancer disputes within 7 days of the contract ending)::

    awaiting_response ──respondent answers──▶ mediation ──proposal or offer──▶ proposal
          │ 5 business days missed                ▲  │ 2 days missed            │ both accept
          ▼                                       │  ▼                          ▼
       settling ◀────────── staff decide ──── arbitration ◀── 30 days ──  settling
          │ four-eyes approval                          (one side rejects: back to mediation)
          ▼
       resolved

Hourly (hours only, filed Monday-Friday UTC in the week after the billed week)::

    awaiting_response ──freelancer answers──▶ work_log_review ──specialist decides──▶ settling

At most one deadline runs at a time, so each deadline is either met (the fact it waited for
arrived first) or defaulted (the timer applied its default) exactly once. Default outcomes:

| deadline | runs                                                | when missed                  |
|----------|-----------------------------------------------------|------------------------------|
| respond  | fixed: 5 business days (Mon-Fri, UTC) from filing;  | the respondent loses: the    |
|          | hourly: 3 days from filing                          | whole escrow goes to the     |
|          |                                                     | complainant (four-eyes)      |
| propose  | 2 days from the evidence being in (the response or  | arbitration: a lead decides  |
|          | a rejected proposal), never past 30 days from filing|                              |
| accept   | 2 days from a proposal, never past 30 days from     | a silent side did not accept:|
|          | filing                                              | back to mediation, or to     |
|          |                                                     | arbitration after 30 days    |
| review   | hourly: 1 business day from the response            | arbitration: a lead decides  |

A complaint filed out of its window (``filing_problem``) opens no dispute: it stays a
complaint. ``resolved`` is terminal: every later fact is refused.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from trust.cases.sla import add_business_time, as_utc
from trust.errors import DisputeError

CENT = Decimal("0.01")
FILING_WINDOW = timedelta(days=7)
RESPOND_BUSINESS_DAYS = 5
HOURLY_RESPOND = timedelta(days=3)
MEDIATION_STEP = timedelta(days=2)
MEDIATION_CAP = timedelta(days=30)
REVIEW_BUSINESS_DAYS = 1


class ContractType(StrEnum):
    """How the contract pays: milestones in escrow, or hours billed weekly."""

    FIXED_PRICE = "fixed_price"
    HOURLY = "hourly"


class Side(StrEnum):
    """The two sides of a contract (an agency is on the freelancer's side)."""

    CLIENT = "client"
    FREELANCER = "freelancer"

    @property
    def other(self) -> Side:
        """The opposite side."""
        return Side.FREELANCER if self == Side.CLIENT else Side.CLIENT


class Stage(StrEnum):
    """Where a dispute is in its process."""

    AWAITING_RESPONSE = "awaiting_response"
    MEDIATION = "mediation"
    PROPOSAL = "proposal"
    WORK_LOG_REVIEW = "work_log_review"
    ARBITRATION = "arbitration"
    SETTLING = "settling"
    RESOLVED = "resolved"


TERMINAL: frozenset[Stage] = frozenset({Stage.RESOLVED})
STAFF_DECIDES: frozenset[Stage] = frozenset({Stage.WORK_LOG_REVIEW, Stage.ARBITRATION})


@dataclass(frozen=True, slots=True)
class Deadline:
    """A running deadline: what it waits for and when it passes."""

    name: str
    due_at: datetime


@dataclass(frozen=True, slots=True)
class Split:
    """Where the escrow goes: released to the freelancer, refunded to the client."""

    released: Decimal
    refunded: Decimal
    by: str

    def checked(self, escrow: Decimal) -> Split:
        """The split in cents; refused unless both parts are >= 0 and add up to ``escrow``."""
        released, refunded = Decimal(self.released), Decimal(self.refunded)
        if not (released.is_finite() and refunded.is_finite()):
            raise DisputeError("amounts must be finite numbers")
        released, refunded = released.quantize(CENT), refunded.quantize(CENT)
        if released < 0 or refunded < 0:
            raise DisputeError("amounts cannot be negative")
        if released + refunded != escrow:
            raise DisputeError(
                f"released {released} + refunded {refunded} must equal the {escrow} in escrow"
            )
        return Split(released, refunded, self.by)


@dataclass(frozen=True, slots=True)
class DisputeState:
    """Everything the process needs to decide its next step."""

    contract_type: ContractType
    complainant: Side
    escrow: Decimal
    filed_at: datetime
    stage: Stage
    deadline: Deadline | None = None
    proposal: Split | None = None
    accepted: frozenset[Side] = frozenset()
    settlement: Split | None = None

    @property
    def cap(self) -> datetime:
        """When mediation must be over (30 days after filing)."""
        return self.filed_at + MEDIATION_CAP

    @property
    def terminal(self) -> bool:
        """True once nothing can happen to the dispute any more."""
        return self.stage in TERMINAL

    def default_split(self) -> Split:
        """The whole escrow to the complainant (the respondent did not answer)."""
        zero = Decimal("0.00")
        if self.complainant == Side.FREELANCER:
            return Split(self.escrow, zero, "system")
        return Split(zero, self.escrow, "system")


# Facts: what can happen to a dispute.
@dataclass(frozen=True, slots=True)
class Responded:
    """The respondent answered (a statement or evidence)."""

    side: Side
    at: datetime


@dataclass(frozen=True, slots=True)
class Proposed:
    """The mediator proposed a settlement, or one side offered one (and so accepts it)."""

    split: Split
    at: datetime
    side: Side | None = None


@dataclass(frozen=True, slots=True)
class Answered:
    """One side accepted or rejected the open proposal."""

    side: Side
    accept: bool
    at: datetime


@dataclass(frozen=True, slots=True)
class Decided:
    """Staff (specialist or arbitrator) decided the split; it awaits four-eyes approval."""

    split: Split
    at: datetime


@dataclass(frozen=True, slots=True)
class Approved:
    """A second person approved the settlement: the money moves."""

    at: datetime


@dataclass(frozen=True, slots=True)
class ApprovalRefused:
    """A lead turned the settlement down: staff decide again."""

    at: datetime


@dataclass(frozen=True, slots=True)
class DeadlinePassed:
    """The timer found the running deadline past due."""

    name: str
    at: datetime


Fact = Responded | Proposed | Answered | Decided | Approved | ApprovalRefused | DeadlinePassed


@dataclass(frozen=True, slots=True)
class Step:
    """The outcome of one fact: the new state and what it settled."""

    state: DisputeState
    met: Deadline | None = None
    defaulted: Deadline | None = None
    started: Deadline | None = None

    @property
    def settling(self) -> bool:
        """True when this step put a money outcome up for four-eyes approval."""
        return self.state.stage == Stage.SETTLING and self.state.settlement is not None


def respond_deadline(contract_type: ContractType, filed_at: datetime) -> Deadline:
    """When the respondent must have answered."""
    if contract_type == ContractType.HOURLY:
        return Deadline("respond", filed_at + HOURLY_RESPOND)
    return Deadline("respond", add_business_time(filed_at, timedelta(days=RESPOND_BUSINESS_DAYS)))


def hourly_window(billed_until: datetime) -> tuple[datetime, datetime]:
    """Monday 00:00 to Saturday 00:00 UTC of the week after the billed week ended."""
    end = as_utc(billed_until)
    monday = datetime(end.year, end.month, end.day, tzinfo=end.tzinfo) - timedelta(
        days=end.weekday()
    )
    opens = monday + timedelta(days=7)
    return opens, opens + timedelta(days=5)


def filing_problem(
    contract_type: ContractType, filed_at: datetime, ended_at: datetime | None
) -> str | None:
    """Why a dispute filed at ``filed_at`` is out of its window, or None when it is in."""
    if ended_at is None:
        return None
    filed, ended = as_utc(filed_at), as_utc(ended_at)
    if contract_type == ContractType.HOURLY:
        opens, closes = hourly_window(ended)
        if not opens <= filed < closes:
            return (
                f"an hourly dispute is filed Monday-Friday UTC of the week after the "
                f"billed week ({opens:%Y-%m-%d} to {closes - timedelta(days=1):%Y-%m-%d})"
            )
        return None
    if filed > ended + FILING_WINDOW:
        return "filed more than 7 days after the contract ended"
    return None


def open_dispute(
    contract_type: ContractType, complainant: Side, escrow: Decimal, filed_at: datetime
) -> DisputeState:
    """A new dispute, waiting for the respondent (check ``filing_problem`` first)."""
    filed = as_utc(filed_at)
    amount = Decimal(escrow).quantize(CENT)
    if amount < 0:
        raise DisputeError("the escrowed amount cannot be negative")
    return DisputeState(
        contract_type,
        complainant,
        amount,
        filed,
        Stage.AWAITING_RESPONSE,
        deadline=respond_deadline(contract_type, filed),
    )


def _mediation(state: DisputeState, at: datetime, met: Deadline | None) -> Step:
    """Back to (or into) mediation with a 2-day proposal deadline, or to arbitration at the cap."""
    if at >= state.cap:
        return Step(
            replace(
                state, stage=Stage.ARBITRATION, deadline=None, proposal=None, accepted=frozenset()
            ),
            met=met,
        )
    deadline = Deadline("propose", min(at + MEDIATION_STEP, state.cap))
    return Step(
        replace(
            state, stage=Stage.MEDIATION, deadline=deadline, proposal=None, accepted=frozenset()
        ),
        met=met,
        started=deadline,
    )


def _expect(state: DisputeState, *stages: Stage) -> None:
    if state.stage not in stages:
        wanted = " or ".join(s.value for s in stages)
        raise DisputeError(f"the dispute is {state.stage.value}, not {wanted}")


def _settle(
    state: DisputeState,
    split: Split,
    met: Deadline | None = None,
    defaulted: Deadline | None = None,
) -> Step:
    return Step(
        replace(state, stage=Stage.SETTLING, deadline=None, settlement=split),
        met=met,
        defaulted=defaulted,
    )


def _on_deadline(state: DisputeState, fact: DeadlinePassed) -> Step:
    deadline = state.deadline
    if deadline is None or deadline.name != fact.name:
        raise DisputeError(f"no {fact.name} deadline is running")
    if as_utc(fact.at) < deadline.due_at:
        raise DisputeError(f"the {fact.name} deadline is not due before {deadline.due_at}")
    if fact.name == "respond":
        return _settle(state, state.default_split(), defaulted=deadline)
    if fact.name == "accept" and as_utc(fact.at) < state.cap:
        step = _mediation(state, as_utc(fact.at), None)
        return replace(step, defaulted=deadline)
    # propose, review, or accept at the 30-day cap: a person decides.
    return Step(
        replace(state, stage=Stage.ARBITRATION, deadline=None, proposal=None, accepted=frozenset()),
        defaulted=deadline,
    )


def step(state: DisputeState, fact: Fact) -> Step:
    """Apply one fact; raises DisputeError when it does not fit the stage."""
    if state.terminal:
        raise DisputeError(f"the dispute is {state.stage.value}; nothing more can happen to it")
    at = as_utc(fact.at)
    if isinstance(fact, DeadlinePassed):
        return _on_deadline(state, fact)
    if state.deadline is not None and at > state.deadline.due_at:
        raise DisputeError(
            f"the {state.deadline.name} deadline passed at "
            f"{state.deadline.due_at:%Y-%m-%d %H:%M} UTC"
        )
    if isinstance(fact, Responded):
        _expect(state, Stage.AWAITING_RESPONSE)
        if fact.side != state.complainant.other:
            raise DisputeError("only the respondent's side answers the dispute")
        if state.contract_type == ContractType.HOURLY:
            review = Deadline("review", add_business_time(at, timedelta(days=REVIEW_BUSINESS_DAYS)))
            return Step(
                replace(state, stage=Stage.WORK_LOG_REVIEW, deadline=review),
                met=state.deadline,
                started=review,
            )
        return _mediation(state, at, state.deadline)
    if isinstance(fact, Proposed):
        _expect(state, Stage.MEDIATION)
        accept = Deadline("accept", min(at + MEDIATION_STEP, state.cap))
        offered_by = frozenset({fact.side}) if fact.side else frozenset()
        return Step(
            replace(
                state,
                stage=Stage.PROPOSAL,
                proposal=fact.split.checked(state.escrow),
                accepted=offered_by,
                deadline=accept,
            ),
            met=state.deadline,
            started=accept,
        )
    if isinstance(fact, Answered):
        _expect(state, Stage.PROPOSAL)
        if fact.side in state.accepted:
            raise DisputeError(f"the {fact.side.value} side already accepted this proposal")
        if not fact.accept:
            return _mediation(state, at, state.deadline)
        accepted = state.accepted | {fact.side}
        if accepted == {Side.CLIENT, Side.FREELANCER} and state.proposal is not None:
            return _settle(replace(state, accepted=accepted), state.proposal, met=state.deadline)
        return Step(replace(state, accepted=accepted))
    if isinstance(fact, Decided):
        _expect(state, *STAFF_DECIDES)
        return _settle(state, fact.split.checked(state.escrow), met=state.deadline)
    if isinstance(fact, Approved):
        _expect(state, Stage.SETTLING)
        return Step(replace(state, stage=Stage.RESOLVED))
    _expect(state, Stage.SETTLING)
    return Step(replace(state, stage=Stage.ARBITRATION, settlement=None))
