"""Enforcement per account: none, hold or block, with its source, reason and time.

A *hold* lets current work finish but stops new proposals, contracts, job posts and
withdrawals; a *block* is permanent. The rules, as pure functions over the state in force:

- imposing is "stronger wins": a hold never softens a block, and a repeated hold changes
  nothing;
- lifting happens only when the thing that imposed the enforcement is undone: the case (or
  one of its flagged decisions) is dismissed as a false positive, or an appeal overturns it.
  A block is never lifted by a later, unrelated case.

The store side (current state, append-only history, audit) is ``trust.store.enforcements``;
``trust.enforcement_actions`` applies these rules to automated decisions, case resolutions,
appeals and linked-account actions.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from trust.errors import EnforcementError


class EnforcementState(StrEnum):
    """What an account may still do."""

    NONE = "none"
    HOLD = "hold"
    BLOCK = "block"


class EnforcementSource(StrEnum):
    """What set the enforcement: an automated decision, a case, an appeal, a lead's action."""

    DECISION = "decision"
    CASE = "case"
    APPEAL = "appeal"
    LINKED = "linked"


RANK: dict[EnforcementState, int] = {
    EnforcementState.NONE: 0,
    EnforcementState.HOLD: 1,
    EnforcementState.BLOCK: 2,
}
# The legacy ``accounts.status`` column mirrors the state, for older readers.
ACCOUNT_STATUS: dict[EnforcementState, str] = {
    EnforcementState.NONE: "active",
    EnforcementState.HOLD: "held",
    EnforcementState.BLOCK: "blocked",
}
# What an automated ``block`` outcome does to the subject's account, per event kind. It
# matches the statement of reasons (``trust.statement.RESTRICTIONS``): a rejected
# verification restricts the account; a complaint restricts it while the case is handled;
# a removed review or reference restricts only that content.
AUTOMATED_BLOCK_EFFECT: dict[str, EnforcementState] = {
    "profile_verification": EnforcementState.BLOCK,
    "complaint": EnforcementState.HOLD,
    # A refused withdrawal holds the account's withdrawals; a chargeback suspends the
    # client's new contracts until it is repaid.
    "withdrawal_request": EnforcementState.HOLD,
    "client_payment": EnforcementState.HOLD,
}
# What an automated ``review`` outcome does: money must not leave while staff look, so a
# withdrawal sent to review holds withdrawals until the case is cleared.
AUTOMATED_REVIEW_EFFECT: dict[str, EnforcementState] = {
    "withdrawal_request": EnforcementState.HOLD,
}
STATE_WORDS: dict[EnforcementState, str] = {
    EnforcementState.NONE: "no restriction",
    EnforcementState.HOLD: "on hold: current work may finish; no new proposals, contracts, "
    "job posts or withdrawals",
    EnforcementState.BLOCK: "blocked permanently",
}


@dataclass(frozen=True, slots=True)
class Enforcement:
    """The enforcement in force on one account (``state`` NONE once lifted)."""

    account_id: str
    state: EnforcementState
    source: EnforcementSource
    source_id: str
    reason: str
    actor: str
    since: datetime


@dataclass(frozen=True, slots=True)
class EnforcementChange:
    """One entry of an account's enforcement history: the new state and the one before."""

    account_id: str
    state: EnforcementState
    previous_state: EnforcementState
    source: EnforcementSource
    source_id: str
    reason: str
    actor: str
    at: datetime


def state_of(current: Enforcement | None) -> EnforcementState:
    """The state in force (NONE for an account never enforced against)."""
    return current.state if current is not None else EnforcementState.NONE


def imposed(current: Enforcement | None, proposed: Enforcement) -> EnforcementChange | None:
    """The change imposing ``proposed`` makes, or None when the state in force is as strong.

    A person imposing the same state as an automated decision takes it over (the source
    becomes theirs), so it no longer ends with the automated flag's case.
    """
    if proposed.state == EnforcementState.NONE:
        raise EnforcementError("imposing needs a hold or a block; use lifting to remove one")
    before = state_of(current)
    confirmed = (
        current is not None
        and before == proposed.state
        and current.source == EnforcementSource.DECISION
        and proposed.source != EnforcementSource.DECISION
    )
    if RANK[proposed.state] <= RANK[before] and not confirmed:
        return None
    return EnforcementChange(
        proposed.account_id,
        proposed.state,
        before,
        proposed.source,
        proposed.source_id,
        proposed.reason,
        proposed.actor,
        proposed.since,
    )


def caused_by(
    current: Enforcement | None, origins: Collection[tuple[EnforcementSource, str]]
) -> bool:
    """True when the enforcement in force was set by one of ``origins`` (source, id)."""
    return (
        current is not None
        and current.state != EnforcementState.NONE
        and (current.source, current.source_id) in set(origins)
    )


def lifted(
    current: Enforcement | None,
    *,
    source: EnforcementSource,
    source_id: str,
    reason: str,
    actor: str,
    at: datetime,
    origins: Collection[tuple[EnforcementSource, str]] = (),
) -> EnforcementChange | None:
    """The change lifting the enforcement in force, or None when nothing is to be lifted.

    An appeal lifts whatever it overturned; anything else lifts only an enforcement one of
    ``origins`` set (a dismissed case lifts the hold its own decision imposed, not another
    case's block).
    """
    if current is None or current.state == EnforcementState.NONE:
        return None
    if source != EnforcementSource.APPEAL and not caused_by(current, origins):
        return None
    return EnforcementChange(
        current.account_id,
        EnforcementState.NONE,
        current.state,
        source,
        source_id,
        reason,
        actor,
        at,
    )
