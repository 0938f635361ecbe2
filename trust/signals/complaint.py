"""Signals of a complaint: serial complainers, repeat offenders, escrow, off-platform contact."""

from __future__ import annotations

from datetime import datetime, timedelta

from trust.events import ComplaintEvent
from trust.signals.context import BatchContext
from trust.signals.history import PastEvent, complained_share, utc
from trust.signals.text import has_coercion_language, off_platform_channels
from trust.signals.types import Signals, SignalType

WINDOW = timedelta(days=90)
# A spree: abuse of the complaint process (and a client stiffing several freelancers at once)
# shows as many counterparties within days, where honest accounts' disputes spread over months.
SPREE = timedelta(days=7)
# Who else the complainant dealt with: the reviews they wrote are read over 30 days.
RECENT = timedelta(days=30)

SIGNALS: dict[str, SignalType] = {
    "respondent_complaints_90d": "int",
    "respondent_distinct_complainants_90d": "int",
    "complainant_complaints_90d": "int",
    "complainant_distinct_respondents_90d": "int",
    "pair_complaints_90d": "int",
    "respondent_distinct_complainants_7d": "int",
    "complainant_distinct_respondents_7d": "int",
    "complainant_counterparties_30d": "int",
    "complainant_complained_share_30d": "float",
    "escrow_funded": "bool",
    "escrow_unfunded": "bool",
    "amount_in_dispute": "float",
    "claim_share_of_escrow": "float",
    "days_since_contract_end": "float",
    "off_platform_mentions": "int",
    "off_platform_channels": "string",
    "coercion_language": "bool",
    "respondent_account_age_days": "float",
    "complainant_account_age_days": "float",
}


def _complaints(past: list[PastEvent]) -> list[PastEvent]:
    return [p for p in past if p.kind == "complaint"]


def _since(past: list[PastEvent], at: datetime, span: timedelta) -> list[PastEvent]:
    start = utc(at) - span
    return [p for p in past if p.occurred_at >= start]


def _days_since_contract_end(event: ComplaintEvent) -> float | None:
    """Days from the contract's end to the complaint (negative while it still runs)."""
    if event.contract_ended_at is None:
        return None
    return round(
        (utc(event.occurred_at) - utc(event.contract_ended_at)).total_seconds() / 86_400, 2
    )


def _claim_share_of_escrow(event: ComplaintEvent) -> float | None:
    """The amount in dispute over what the funded milestone holds (above 1: a claim for more
    money than there is); None unless both are known and the escrow holds something."""
    claim, escrow = event.amount_in_dispute, event.escrow_amount
    if claim is None or escrow is None or not escrow.amount or event.escrow_state != "funded":
        return None
    return round(float(claim.amount / escrow.amount), 3)


def compute(event: ComplaintEvent, ctx: BatchContext) -> Signals:
    """The signals of one complaint."""
    respondent, complainant, at = event.respondent_id, event.complainant_id, event.occurred_at
    # A complaint's subject is the respondent and its counterparty the complainant.
    against = [
        p for p in _complaints(ctx.history(respondent, event, WINDOW)) if p.subject_id == respondent
    ]
    filed = [
        p
        for p in _complaints(ctx.history(complainant, event, WINDOW))
        if p.counterparty_id == complainant
    ]
    accused = {p.subject_id for p in filed} | {respondent}
    share_30d = complained_share(
        ctx.history(complainant, event, RECENT), complainant, respondent, complaint=True
    )
    against_spree, filed_spree = _since(against, at, SPREE), _since(filed, at, SPREE)
    channels = off_platform_channels(event.description)
    escrow = event.escrow_state.value if event.escrow_state else None
    respondent_age = ctx.age_days(respondent, at)
    complainant_age = ctx.age_days(complainant, at)
    return {
        "respondent_complaints_90d": len(against) + 1,
        "respondent_distinct_complainants_90d": len(
            {p.counterparty_id for p in against} | {complainant}
        ),
        "complainant_complaints_90d": len(filed) + 1,
        "complainant_distinct_respondents_90d": len(accused),
        "pair_complaints_90d": sum(1 for p in against if p.counterparty_id == complainant) + 1,
        "respondent_distinct_complainants_7d": len(
            {p.counterparty_id for p in against_spree} | {complainant}
        ),
        "complainant_distinct_respondents_7d": len(
            {p.subject_id for p in filed_spree} | {respondent}
        ),
        "complainant_counterparties_30d": share_30d[0],
        "complainant_complained_share_30d": share_30d[1],
        "escrow_funded": None if escrow is None else escrow == "funded",
        "escrow_unfunded": None if escrow is None else escrow == "unfunded",
        "amount_in_dispute": event.amount_in_dispute.as_float if event.amount_in_dispute else None,
        "claim_share_of_escrow": _claim_share_of_escrow(event),
        "days_since_contract_end": _days_since_contract_end(event),
        "off_platform_mentions": len(channels),
        "off_platform_channels": ", ".join(channels),
        "coercion_language": has_coercion_language(event.description),
        "respondent_account_age_days": None if respondent_age is None else round(respondent_age, 2),
        "complainant_account_age_days": None
        if complainant_age is None
        else round(complainant_age, 2),
    }
