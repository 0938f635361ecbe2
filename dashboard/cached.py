"""Read-only data for the pages, cached briefly; every function takes the database key first.

Each read runs in a read-only snapshot (``trust.store.snapshot``): on SQLite a transaction
begins as a write does (the writers' turn, then ``BEGIN IMMEDIATE``), so a page opened while
the workers stored a batch waited for it, and held the next batch back while it rendered.

The key (the store's URL) keeps two stores apart in one process. Anything a click changes
is dropped with ``forget()`` right after the change, so staff never see their own action
missing; the time-to-live bounds how stale other people's changes can look.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import streamlit as st

from dashboard import session
from models.learning import ConfirmScorer, case_confirm_probabilities
from models.registry import ModelRegistry
from trust import reports
from trust.account_search import account_row
from trust.appeal_reports import overturn_rate_per_reviewer, overturn_rate_per_rule
from trust.appeals.queries import AppealView, appeal_view
from trust.cases import Case, QueueFilter
from trust.cases.queries import (
    AccountRow,
    CaseDetail,
    EvidenceRow,
    QueueItem,
    QueuePage,
    SubjectTimeline,
    awaiting_approval_by,
    case_detail,
    my_cases,
    queue_page,
    subject_timeline,
)
from trust.cases.security_timeline import SecurityStep, security_timeline
from trust.dead_letters import DeadLetterSummary, list_dead_letters
from trust.enforcement import Enforcement, EnforcementChange
from trust.errors import RulePackError
from trust.linked_accounts import LinkedAccount, LinkThen, linked_groups, links_as_of
from trust.qa.review import agreement_figures, blind_case
from trust.rules.pack import load_pack
from trust.staff import get_staff
from trust.store import snapshot
from trust.store.appeals import AppealRecord, appeals_of_decisions
from trust.store.clusters import ClusterMember, members_of
from trust.store.enforcements import (
    EnforcementProposal,
    current_enforcement,
    enforcement_history_of,
    pending_proposals,
)
from trust.store.qa import QaReview, reviews_with_status
from trust.store.quarantine import HeldEntry, count_held, held_raw, held_records

QUEUE_TTL = 10
DETAIL_TTL = 15
FIGURES_TTL = 60


def forget() -> None:
    """Drop every cached read (after this session changed something)."""
    st.cache_data.clear()


def _engine(db: str) -> Any:
    return session.store_for(db).engine


@st.cache_data(ttl=QUEUE_TTL, show_spinner=False)
def queue(db: str, filters: dict[str, Any], page: int, page_size: int) -> QueuePage:
    """One page of the queue for ``filters`` (the fields of ``QueueFilter``)."""
    with snapshot(_engine(db)) as conn:
        return queue_page(
            conn,
            QueueFilter(**filters),
            session.now(),
            session.settings(),
            page=page,
            page_size=page_size,
        )


@st.cache_data(ttl=QUEUE_TTL, show_spinner=False)
def mine(db: str, username: str) -> list[QueueItem]:
    """The cases ``username`` holds, and their proposals waiting for a lead."""
    with snapshot(_engine(db)) as conn:
        member = get_staff(conn, username)
        return my_cases(conn, member, session.now(), session.settings()) if member else []


@st.cache_data(ttl=QUEUE_TTL, show_spinner=False)
def awaiting_me(db: str, username: str) -> list[QueueItem]:
    """Cases whose proposal ``username`` may approve (someone else proposed it)."""
    with snapshot(_engine(db)) as conn:
        member = get_staff(conn, username)
        return (
            awaiting_approval_by(conn, member, session.now(), session.settings()) if member else []
        )


@st.cache_resource(show_spinner=False)
def _confirm_scorer(models_dir: str) -> ConfirmScorer:
    return ConfirmScorer(ModelRegistry(Path(models_dir)))


@st.cache_data(ttl=DETAIL_TTL, show_spinner=False)
def confirm(db: str, case_ids: tuple[int, ...]) -> dict[int, float]:
    """P(reviewer confirms) per case where a learned model is active (empty otherwise)."""
    scorer = _confirm_scorer(str(ModelRegistry.from_settings(session.settings()).root))
    with snapshot(_engine(db)) as conn:
        return case_confirm_probabilities(conn, scorer, case_ids)


@st.cache_data(ttl=DETAIL_TTL, show_spinner=False)
def case(db: str, case_id: int) -> CaseDetail:
    """A case with its evidence, notes, audit trail and account."""
    with snapshot(_engine(db)) as conn:
        return case_detail(conn, case_id)


@st.cache_data(ttl=DETAIL_TTL, show_spinner=False)
def timeline(db: str, account_id: str) -> SubjectTimeline:
    """An account's events (with decisions) and cases, newest first."""
    with snapshot(_engine(db)) as conn:
        return subject_timeline(conn, account_id)


@st.cache_data(ttl=DETAIL_TTL, show_spinner=False)
def security_steps(db: str, account_id: str) -> list[SecurityStep]:
    """An account's sign-ins, credential and payout changes, withdrawals, payments (masked)."""
    with snapshot(_engine(db)) as conn:
        return security_timeline(conn, account_id)


@st.cache_data(ttl=DETAIL_TTL, show_spinner=False)
def cluster_members(db: str, case_id: int) -> list[ClusterMember]:
    """The members of a cluster case with the evidence tying each one."""
    with snapshot(_engine(db)) as conn:
        return members_of(conn, case_id)


@st.cache_data(ttl=DETAIL_TTL, show_spinner=False)
def linked(db: str, account_id: str) -> list[LinkedAccount]:
    """Accounts tied to this one, one entry each with every shared identifier (masked)."""
    with snapshot(_engine(db)) as conn:
        return linked_groups(conn, account_id)


@st.cache_data(ttl=DETAIL_TTL, show_spinner=False)
def links_then(db: str, account_id: str, seen_at: datetime, decided_at: datetime) -> list[LinkThen]:
    """Accounts tied to this one when an event was decided, with their enforcement then."""
    with snapshot(_engine(db)) as conn:
        return links_as_of(conn, account_id, seen_at, decided_at)


@st.cache_data(ttl=DETAIL_TTL, show_spinner=False)
def account(db: str, account_id: str) -> AccountRow | None:
    """The stored profile of an account (None when unknown)."""
    with snapshot(_engine(db)) as conn:
        return account_row(conn, account_id)


@st.cache_data(ttl=DETAIL_TTL, show_spinner=False)
def enforcement(db: str, account_id: str) -> tuple[Enforcement | None, list[EnforcementChange]]:
    """The enforcement in force on an account, and its history (newest first)."""
    with snapshot(_engine(db)) as conn:
        return current_enforcement(conn, account_id), enforcement_history_of(conn, account_id)


@st.cache_data(ttl=QUEUE_TTL, show_spinner=False)
def enforcement_proposals(db: str) -> list[EnforcementProposal]:
    """Linked-account blocks waiting for a second lead."""
    with snapshot(_engine(db)) as conn:
        return pending_proposals(conn)


@st.cache_data(ttl=DETAIL_TTL, show_spinner=False)
def appeal(db: str, case_id: int) -> AppealView:
    """An appeal case's appeals, the decisions appealed and the enforcement now."""
    with snapshot(_engine(db)) as conn:
        return appeal_view(conn, case_id)


@st.cache_data(ttl=DETAIL_TTL, show_spinner=False)
def appeals_against(db: str, event_ids: tuple[str, ...]) -> list[AppealRecord]:
    """Appeals against any of these decisions (to mark the ones overturned)."""
    with snapshot(_engine(db)) as conn:
        return appeals_of_decisions(conn, event_ids)


@st.cache_data(ttl=DETAIL_TTL, show_spinner=False)
def qa_case(db: str, review: QaReview) -> tuple[Case, list[EvidenceRow]]:
    """A case picked for QA without its outcome, and its evidence: what a blind re-review sees."""
    with snapshot(_engine(db)) as conn:
        return blind_case(conn, review)


@st.cache_data(ttl=QUEUE_TTL, show_spinner=False)
def qa_reviews(db: str, status: str) -> list[QaReview]:
    """QA reviews in ``status`` (pending or disagreed), oldest first."""
    with snapshot(_engine(db)) as conn:
        return reviews_with_status(conn, status)


@st.cache_data(ttl=FIGURES_TTL, show_spinner=False)
def oversight(db: str, days: int) -> dict[str, list[Any]]:
    """Reviewer agreement (QA) and appeal overturn rates over the last ``days`` days."""
    since = session.now() - timedelta(days=days)
    with snapshot(_engine(db)) as conn:
        agreement = agreement_figures(conn, since)
        return {
            "qa_reviewers": agreement["reviewers"],
            "qa_reasons": agreement["reasons"],
            "overturn_rules": overturn_rate_per_rule(conn, since),
            "overturn_reviewers": overturn_rate_per_reviewer(conn, since),
        }


@st.cache_data(ttl=FIGURES_TTL, show_spinner=False)
def figures(db: str, days: int) -> dict[str, Sequence[Mapping[str, Any]]]:
    """Everything the metrics screen charts, over the last ``days`` days."""
    now = session.now()
    since = now - timedelta(days=days)
    with snapshot(_engine(db)) as conn:
        return {
            "backlog": reports.backlog_by_kind(conn),
            "sla": reports.sla_breaches(conn, now, since),
            "resolution": reports.resolution_times(conn, since),
            "outcomes": reports.decisions_per_outcome(conn, since),
            "throughput": reports.reviewer_throughput(conn, since),
            "precision": reports.rule_precision(conn, since),
        }


@st.cache_data(ttl=FIGURES_TTL, show_spinner=False)
def rule_figures(db: str, days: int) -> dict[str, Sequence[Mapping[str, Any]]]:
    """Hits per rule and day, and precision per rule, over the last ``days`` days."""
    since = session.now() - timedelta(days=days)
    with snapshot(_engine(db)) as conn:
        return {
            "hits": reports.rule_hits_per_day(conn, since),
            "precision": reports.rule_precision(conn, since),
        }


@st.cache_data(ttl=FIGURES_TTL, show_spinner=False)
def rule_pack(rules_dir: str) -> tuple[str | None, list[dict[str, Any]], list[str]]:
    """The pack in ``rules_dir``: its version, one row per rule, and problems if refused."""
    try:
        pack = load_pack(rules_dir)
    except RulePackError as exc:
        return None, [], [str(p) for p in getattr(exc, "problems", [exc])]
    rows = [
        {
            "rule": r.id,
            "kind": r.spec.kind,
            "state": r.spec.state,
            "description": r.spec.description,
            "reason code": r.spec.reason.code,
            "score": r.spec.score,
            "severity": r.spec.severity,
            "forces": r.spec.outcome or "",
            "policy": r.spec.policy,
            "owner": r.spec.owner,
            "file": r.file,
        }
        for r in pack.rules
    ]
    return pack.version, rows, []


@st.cache_data(ttl=QUEUE_TTL, show_spinner=False)
def quarantine(db: str, page: int, page_size: int) -> tuple[int, list[HeldEntry]]:
    """How many records are held in quarantine, and one page of them, newest first."""
    with snapshot(_engine(db)) as conn:
        total = count_held(conn)
        rows = held_records(conn, limit=page_size, offset=(page - 1) * page_size)
    return total, rows


def quarantined_raw(db: str, record_id: int) -> str:
    """One refused record as received (not cached: it may be megabytes)."""
    with snapshot(_engine(db)) as conn:
        return held_raw(conn, record_id) or ""


@st.cache_data(ttl=QUEUE_TTL, show_spinner=False)
def dead_letters(redis_url: str, namespace: str) -> tuple[int, list[DeadLetterSummary]]:
    """How many batches the workers gave up on, and the newest of them."""
    return list_dead_letters(redis_url, namespace)
