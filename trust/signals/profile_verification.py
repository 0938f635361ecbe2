"""Signals of a profile verification: identity consistency, vendor checks, duplicate accounts."""

from __future__ import annotations

from datetime import timedelta

from trust.events import ProfileVerificationEvent
from trust.graph.links import MAX_ACCOUNTS_PER_IDENTIFIER
from trust.pii import MIN_STEM, email_domain, email_stem
from trust.signals.context import BatchContext
from trust.signals.domains import is_disposable, is_free_mail
from trust.signals.history import utc
from trust.signals.text import name_similarity
from trust.signals.types import Signals, SignalType

# Below this similarity the name on the document is not the profile's legal name.
NAME_MATCH_THRESHOLD = 80.0
LINK_KINDS = ("document", "phone", "device", "ip", "payment")
# Sibling sign-ups: other accounts opened this recently that share an identifier with a new
# account. A household or an office adds an account now and then; accounts opened in a row on
# one device, connection, card, phone or document are a farm or one person's spares.
SIBLING_WINDOW = timedelta(days=30)

SIGNALS: dict[str, SignalType] = {
    "name_similarity": "float",
    "name_mismatch": "bool",
    "document_country_mismatch": "bool",
    "ip_country_mismatch": "bool",
    "countries_disagreeing": "int",
    "document_expired": "bool",
    "days_to_document_expiry": "int",
    "tamper_score": "float",
    "mrz_consistent": "bool",
    "selfie_match_score": "float",
    "liveness_passed": "bool",
    "email_free_mail": "bool",
    "email_disposable": "bool",
    "account_age_days": "float",
    "verification_attempts_30d": "int",
    **{f"accounts_sharing_{kind}": "int" for kind in LINK_KINDS},
    "linked_accounts": "int",
    "linked_held_accounts": "int",
    "linked_blocked_accounts": "int",
    # Linked accounts that several people complained about (trust/graph/neighbour_risk.py).
    "linked_reported_accounts": "int",
    # Other accounts opened in the ``SIBLING_WINDOW`` before this event that share any link
    # identifier with it, an IP address included.
    "sibling_signups": "int",
    # Accounts sharing any link identifier, an IP address included, whose profile e-mail has
    # the same name part as this one's ('jsmith' in jsmith@ and j.smith77@): one person.
    "linked_same_email_stem": "int",
}


def compute(event: ProfileVerificationEvent, ctx: BatchContext) -> Signals:
    """The signals of one profile verification."""
    profile, document, check = event.profile, event.document, event.document_check
    similarity = name_similarity(document.name_on_document, profile.legal_name)
    ip_country = event.network.ip_country if event.network else None
    countries = {document.issuing_country, profile.country} | (
        {ip_country} if ip_country else set()
    )
    today = utc(event.occurred_at).date()
    domain = email_domain(str(profile.email))
    attempts = [
        p
        for p in ctx.history(event.account_id, event, timedelta(days=30))
        if p.kind == "profile_verification" and p.subject_id == event.account_id
    ]
    signals: Signals = {
        "name_similarity": similarity,
        "name_mismatch": similarity < NAME_MATCH_THRESHOLD,
        "document_country_mismatch": document.issuing_country != profile.country,
        "ip_country_mismatch": None if ip_country is None else ip_country != profile.country,
        "countries_disagreeing": len(countries) - 1,
        "document_expired": document.expires_on < today,
        "days_to_document_expiry": (document.expires_on - today).days,
        "tamper_score": check.tamper_score,
        "mrz_consistent": check.mrz_consistent,
        "selfie_match_score": check.selfie_match_score,
        "liveness_passed": check.liveness_passed,
        "email_free_mail": is_free_mail(domain),
        "email_disposable": is_disposable(domain),
        "account_age_days": round(
            max((event.occurred_at - event.account_created_at).total_seconds(), 0) / 86_400, 2
        ),
        "verification_attempts_30d": len(attempts),
    }
    signals.update(_links(event, ctx))
    return signals


def _links(event: ProfileVerificationEvent, ctx: BatchContext) -> Signals:
    """How many other accounts share each identifier, and how many of them are restricted."""
    hashes = ctx.hashes_of_verification(event)
    everyone: set[str] = set()
    siblings: set[str] = set()
    tied: set[str] = set()
    out: Signals = {}
    for kind in LINK_KINDS:
        others = ctx.holders(kind, hashes[kind], event.occurred_at) - {event.account_id}
        out[f"accounts_sharing_{kind}"] = len(others)
        tied |= others
        # An IP alone is weak (offices, carrier NAT): it counts but does not make a link set.
        if kind != "ip":
            everyone |= others
        siblings |= _siblings(kind, others, event, ctx)
    statuses = [ctx.status(a, event) for a in everyone]
    out["linked_accounts"] = len(everyone)
    out["linked_held_accounts"] = statuses.count("held")
    out["linked_blocked_accounts"] = statuses.count("blocked")
    out["linked_reported_accounts"] = ctx.reports.reported(everyone, event.occurred_at)
    out["sibling_signups"] = len(siblings)
    out["linked_same_email_stem"] = _same_email_stem(tied, event, ctx)
    return out


def _siblings(
    kind: str, others: set[str], event: ProfileVerificationEvent, ctx: BatchContext
) -> set[str]:
    """The accounts of ``others`` (sharing a ``kind`` identifier) opened in the
    ``SIBLING_WINDOW`` before ``event``.

    An identifier on crowds of accounts is infrastructure (a hotspot, a VPN exit) and makes
    no siblings; nor does an IP address a long-standing account uses too: an office, a
    coworking space or a carrier's shared address carries established members, a farm's
    connection only the accounts it opens.
    """
    if len(others) >= MAX_ACCOUNTS_PER_IDENTIFIER:
        return set()
    days = SIBLING_WINDOW.total_seconds() / 86_400
    ages = {a: ctx.age_days(a, event.occurred_at) for a in others}
    new = {a for a, age in ages.items() if age is not None and age <= days}
    if kind == "ip" and new != others:
        return set()
    return new


def _same_email_stem(accounts: set[str], event: ProfileVerificationEvent, ctx: BatchContext) -> int:
    """How many of ``accounts`` verified, before ``event``, with an e-mail of its name part."""
    stem = email_stem(str(event.profile.email))
    if len(stem) < MIN_STEM:
        return 0
    return sum(
        any(email_stem(e) == stem for e in ctx.emails(a, event.occurred_at)) for a in accounts
    )
