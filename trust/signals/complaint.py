"""Signals of a complaint: serial complainers, repeat offenders, escrow, off-platform contact."""

from __future__ import annotations

from datetime import timedelta

from trust.events import ComplaintEvent
from trust.signals.context import BatchContext
from trust.signals.history import PastEvent
from trust.signals.text import has_coercion_language, off_platform_channels
from trust.signals.types import Signals, SignalType

WINDOW = timedelta(days=90)

SIGNALS: dict[str, SignalType] = {
    "respondent_complaints_90d": "int",
    "respondent_distinct_complainants_90d": "int",
    "complainant_complaints_90d": "int",
    "complainant_distinct_respondents_90d": "int",
    "pair_complaints_90d": "int",
    "escrow_funded": "bool",
    "escrow_unfunded": "bool",
    "amount_in_dispute": "float",
    "off_platform_mentions": "int",
    "off_platform_channels": "string",
    "coercion_language": "bool",
    "respondent_account_age_days": "float",
    "complainant_account_age_days": "float",
}


def _complaints(past: list[PastEvent]) -> list[PastEvent]:
    return [p for p in past if p.kind == "complaint"]


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
        "complainant_distinct_respondents_90d": len({p.subject_id for p in filed} | {respondent}),
        "pair_complaints_90d": sum(1 for p in against if p.counterparty_id == complainant) + 1,
        "escrow_funded": None if escrow is None else escrow == "funded",
        "escrow_unfunded": None if escrow is None else escrow == "unfunded",
        "amount_in_dispute": event.amount_in_dispute.as_float if event.amount_in_dispute else None,
        "off_platform_mentions": len(channels),
        "off_platform_channels": ", ".join(channels),
        "coercion_language": has_coercion_language(event.description),
        "respondent_account_age_days": None if respondent_age is None else round(respondent_age, 2),
        "complainant_account_age_days": None
        if complainant_age is None
        else round(complainant_age, 2),
    }
