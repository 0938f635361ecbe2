"""Signals of a reference check: free-mail referees, self-references, recycled referees."""

from __future__ import annotations

from trust.events import ReferenceCheckEvent
from trust.pii import email_domain
from trust.signals.context import BatchContext
from trust.signals.domains import is_disposable, is_free_mail
from trust.signals.types import Signals, SignalType

SIGNALS: dict[str, SignalType] = {
    "referee_free_mail": "bool",
    "referee_disposable_email": "bool",
    "referee_claims_company": "bool",
    "free_mail_referee_claims_company": "bool",
    "referee_domain_matches_freelancer": "bool",
    "referee_shares_device": "bool",
    "referee_shares_ip": "bool",
    "referee_other_freelancers": "int",
    "responded": "bool",
    "referee_confirms": "bool",
    "response_delay_minutes": "float",
    "project_before_account": "bool",
    "project_in_future": "bool",
    "freelancer_account_age_days": "float",
}


def compute(event: ReferenceCheckEvent, ctx: BatchContext) -> Signals:
    """The signals of one reference check."""
    referee, response, at = event.referee, event.response, event.occurred_at
    domain = email_domain(str(referee.email))
    free_mail = is_free_mail(domain)
    claims_company = bool(referee.company and referee.company.strip())
    freelancer_domains = ctx.identifiers(event.freelancer_id, "email_domain", at)
    referee_hash = ctx.hash("referee_email", str(referee.email))
    others = ctx.holders("referee_email", referee_hash, at) - {event.freelancer_id}
    facts = ctx.account(event.freelancer_id, at)
    created = facts.created_at if facts else None
    age = ctx.age_days(event.freelancer_id, at)
    return {
        "referee_free_mail": free_mail,
        "referee_disposable_email": is_disposable(domain),
        "referee_claims_company": claims_company,
        "free_mail_referee_claims_company": bool(free_mail and claims_company),
        # A shared gmail.com says nothing; a shared company domain says a lot.
        "referee_domain_matches_freelancer": None
        if not freelancer_domains
        else (not free_mail and domain in freelancer_domains),
        "referee_shares_device": _shares(
            ctx, event, "device", response.device_id if response else None
        ),
        "referee_shares_ip": _shares(ctx, event, "ip", response.ip if response else None),
        "referee_other_freelancers": len(others),
        "responded": response is not None,
        "referee_confirms": response.confirms if response else None,
        "response_delay_minutes": None
        if response is None
        else round((response.responded_at - event.request_sent_at).total_seconds() / 60, 2),
        "project_before_account": None
        if created is None
        else event.claimed_project.started_on < created.date(),
        "project_in_future": (event.claimed_project.ended_on or event.claimed_project.started_on)
        > event.request_sent_at.date(),
        "freelancer_account_age_days": None if age is None else round(age, 2),
    }


def _shares(
    ctx: BatchContext, event: ReferenceCheckEvent, kind: str, value: str | None
) -> bool | None:
    """Whether the referee answered from a device or IP the freelancer has used."""
    if not value:
        return None
    known = ctx.identifiers(event.freelancer_id, kind, event.occurred_at)
    if not known:
        return None
    return ctx.hash(kind, value) in known
