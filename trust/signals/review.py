"""Signals of a review: feedback building, rings, bursts from new accounts, coerced reviews."""

from __future__ import annotations

from datetime import timedelta
from statistics import fmean

from trust.events import ReviewEvent
from trust.pii import MIN_STEM, email_stem
from trust.signals.context import BatchContext
from trust.signals.domains import FREE_MAIL_DOMAINS
from trust.signals.history import PastEvent, complained_share, utc
from trust.signals.text import has_coercion_language, near_duplicate, text_fingerprint
from trust.signals.types import Signals, SignalType

NEW_ACCOUNT_DAYS = 30
TINY_CONTRACT = 5.0
SHARED_KINDS = ("device", "ip", "payment", "email_domain")

WORKER_ROLES = ("freelancer", "agency")
NETWORK_KINDS = ("device", "ip")

SIGNALS: dict[str, SignalType] = {
    "reviewer_role": "string",
    "reviewee_role": "string",
    "peer_workers": "bool",
    "co_reviewers_sharing_network_7d": "int",
    "reviewer_complaints_filed_30d": "int",
    "reviewer_complaint_targets_7d": "int",
    "reviewer_complained_share_30d": "float",
    "reviewer_account_age_days": "float",
    "reviewee_account_age_days": "float",
    "reviewer_reviews_24h": "int",
    "reviewer_reviews_7d": "int",
    "reviewer_counterparties_30d": "int",
    "reviewee_reviews_7d": "int",
    "reviewee_new_reviewer_share_7d": "float",
    "reciprocal_review": "bool",
    **{f"shares_{kind}": "bool" for kind in SHARED_KINDS},
    "shares_email_stem": "bool",
    "shared_identifier_kinds": "int",
    "amount_paid": "float",
    "five_stars_tiny_contract": "bool",
    "contract_days": "float",
    "reviewee_average_rating_7d": "float",
    "rating_deviation_7d": "float",
    "duplicate_text": "bool",
    "coercion_language": "bool",
    "complaint_between_parties_7d": "bool",
    "reviewee_complained_about_reviewer_7d": "bool",
    "hours_since_reviewee_complaint": "float",
    # The trade graph as of the review (trust/graph/trade.py): the small component holding
    # it (null: the review joins the wider market), and the reviewee's single-purpose reviewers.
    "trade_community_accounts": "int",
    "trade_community_pairs": "int",
    "trade_closed_circle": "bool",
    "reviewer_single_partner": "bool",
    "reviewee_reviewers_30d": "int",
    "reviewee_single_partner_reviewers_30d": "int",
    "reviewee_single_partner_share_30d": "float",
}


def compute(event: ReviewEvent, ctx: BatchContext) -> Signals:
    """The signals of one review."""
    reviewer, reviewee, at = event.reviewer_id, event.reviewee_id, event.occurred_at
    # The reviewer's own history, read once per window for every signal below.
    week = ctx.history(reviewer, event, timedelta(days=7))
    month = ctx.history(reviewer, event, timedelta(days=30))
    written = [p for p in week if p.kind == "review" and p.subject_id == reviewer]
    amount = event.amount_paid.as_float
    # A complaint's subject is its respondent: here the reviewer, accused by the reviewee.
    complained = max(
        (
            p.occurred_at
            for p in week
            if p.kind == "complaint" and p.subject_id == reviewer and p.counterparty_id == reviewee
        ),
        default=None,
    )
    reviewer_facts, reviewee_facts = ctx.account(reviewer, at), ctx.account(reviewee, at)
    reviewer_role = reviewer_facts.role if reviewer_facts else None
    reviewee_role = reviewee_facts.role if reviewee_facts else None
    signals: Signals = {
        "reviewer_role": reviewer_role,
        "reviewee_role": reviewee_role,
        # Two freelancers hiring each other: the usual cover for trading reviews.
        "peer_workers": None
        if reviewer_role is None or reviewee_role is None
        else reviewer_role in WORKER_ROLES and reviewee_role in WORKER_ROLES,
        "co_reviewers_sharing_network_7d": _co_reviewers_sharing_network(event, ctx),
        "reviewer_complaints_filed_30d": sum(
            1 for p in month if p.kind == "complaint" and p.counterparty_id == reviewer
        ),
        # Distinct accounts the reviewer complained about this week: a complaint spree.
        "reviewer_complaint_targets_7d": len(
            {p.subject_id for p in week if p.kind == "complaint" and p.counterparty_id == reviewer}
        ),
        # Of the reviewer's counterparties lately, the share they complained about.
        "reviewer_complained_share_30d": complained_share(
            month, reviewer, reviewee, complaint=False
        )[1],
        "reviewer_account_age_days": _rounded(ctx.age_days(reviewer, at)),
        "reviewee_account_age_days": _rounded(ctx.age_days(reviewee, at)),
        "reviewer_reviews_24h": _within(written, event, timedelta(hours=24)),
        "reviewer_reviews_7d": _within(written, event, timedelta(days=7)),
        "reviewer_counterparties_30d": _counterparties(month, reviewer, extra=reviewee),
        # Roles swapped on another contract: two-way feedback on one contract is normal.
        "reciprocal_review": any(
            r.reviewer_id == reviewee
            and r.contract_id != event.contract_id
            and r.direction == event.direction.value
            for r in ctx.reviews_of(reviewer, event, timedelta(days=30))
        ),
        "amount_paid": amount,
        "five_stars_tiny_contract": event.rating == 5 and amount < TINY_CONTRACT,
        "contract_days": round(
            (event.contract_ended_at - event.contract_started_at).total_seconds() / 86_400, 2
        ),
        "coercion_language": has_coercion_language(event.text),
        "complaint_between_parties_7d": any(
            p.kind == "complaint" and {p.subject_id, p.counterparty_id} == {reviewer, reviewee}
            for p in week
        ),
        "reviewee_complained_about_reviewer_7d": complained is not None,
        # Retaliation comes fast: the hours since the latest of those complaints.
        "hours_since_reviewee_complaint": None
        if complained is None
        else round((utc(at) - complained).total_seconds() / 3600, 2),
    }
    signals.update(_shared_identifiers(event, ctx))
    signals.update(_reviewee_history(event, ctx))
    signals.update(_trade_graph(event, ctx))
    return signals


def _trade_graph(event: ReviewEvent, ctx: BatchContext) -> Signals:
    """Is this trade an island closed on itself; who else reviewed the reviewee lately."""
    community = ctx.trade.community(event)
    single, reviewers = ctx.trade.single_partner_reviewers(event)
    return {
        "reviewer_single_partner": ctx.trade.single_partner(event),
        "trade_community_accounts": community.accounts if community else None,
        "trade_community_pairs": community.pairs if community else None,
        "trade_closed_circle": community is not None and community.closed_circle,
        "reviewee_reviewers_30d": reviewers,
        "reviewee_single_partner_reviewers_30d": single,
        "reviewee_single_partner_share_30d": round(single / reviewers, 3),
    }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _within(past: list[PastEvent], event: ReviewEvent, span: timedelta) -> int:
    start = utc(event.occurred_at) - span
    return sum(1 for p in past if p.occurred_at >= start)


def _counterparties(past: list[PastEvent], account: str, extra: str) -> int:
    others = {p.counterparty_id if p.subject_id == account else p.subject_id for p in past}
    others.add(extra)
    others.discard(None)
    others.discard(account)
    return len(others)


def _co_reviewers_sharing_network(event: ReviewEvent, ctx: BatchContext) -> int:
    """Other recent reviewers of the reviewee who used this reviewer's device or IP."""
    at = event.occurred_at
    sharing: set[str] = set()
    for kind in NETWORK_KINDS:
        for value_hash in ctx.identifiers(event.reviewer_id, kind, at):
            sharing |= ctx.holders(kind, value_hash, at)
    sharing.discard(event.reviewer_id)
    if not sharing:
        return 0
    others = {r.reviewer_id for r in ctx.reviews_of(event.reviewee_id, event, timedelta(days=7))}
    return len(sharing & others)


def _shared_identifiers(event: ReviewEvent, ctx: BatchContext) -> Signals:
    """Whether reviewer and reviewee were seen on the same device, IP, card or company domain."""
    out: Signals = {}
    for kind in SHARED_KINDS:
        mine = ctx.identifiers(event.reviewer_id, kind, event.occurred_at)
        theirs = ctx.identifiers(event.reviewee_id, kind, event.occurred_at)
        common = mine & theirs
        if kind == "email_domain":
            # Everyone shares gmail.com; only a company domain ties two people together.
            common -= FREE_MAIL_DOMAINS
        out[f"shares_{kind}"] = bool(common) if mine and theirs else None
    mine_stems = {email_stem(e) for e in ctx.emails(event.reviewer_id, event.occurred_at)}
    their_stems = {email_stem(e) for e in ctx.emails(event.reviewee_id, event.occurred_at)}
    out["shares_email_stem"] = (
        None
        if not mine_stems or not their_stems
        else any(len(s) >= MIN_STEM for s in mine_stems & their_stems)
    )
    out["shared_identifier_kinds"] = sum(
        1 for k in (*SHARED_KINDS, "email_stem") if out[f"shares_{k}"]
    )
    return out


def _reviewee_history(event: ReviewEvent, ctx: BatchContext) -> Signals:
    """The reviewee's recent reviews: who wrote them, their ratings, copied texts."""
    recent = ctx.reviews_of(event.reviewee_id, event, timedelta(days=7))
    ages = [ctx.age_days(r.reviewer_id, r.occurred_at) for r in recent]
    ages.append(ctx.age_days(event.reviewer_id, event.occurred_at))
    known = [a for a in ages if a is not None]
    share = round(sum(1 for a in known if a < NEW_ACCOUNT_DAYS) / len(known), 3) if known else None
    average = fmean(r.rating for r in recent) if recent else None
    fingerprint = text_fingerprint(event.text)
    others = [
        f
        for r in recent
        if r.reviewer_id != event.reviewer_id and (f := text_fingerprint(r.text)) is not None
    ]
    return {
        "reviewee_reviews_7d": len(recent) + 1,
        "reviewee_new_reviewer_share_7d": share,
        "reviewee_average_rating_7d": None if average is None else round(average, 3),
        "rating_deviation_7d": None if average is None else round(event.rating - average, 3),
        "duplicate_text": None if fingerprint is None else near_duplicate(fingerprint, others),
    }
