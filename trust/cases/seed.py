"""Bulk-seeding a realistic open queue (events, decisions, cases, evidence) for benchmarks.

``trust bench dashboard`` and the concurrency tests use it to fill a store with tens of
thousands of open cases in seconds: rows go in with multi-row inserts, never through the
pipeline. Every seeded payload is a valid event of its kind.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Table, insert, select

from trust.cases.lifecycle import CaseStatus
from trust.cases.priority import priority_key
from trust.cases.sla import as_utc, due_at
from trust.settings import Settings
from trust.store.tables import (
    accounts,
    case_evidence,
    case_reasons,
    cases,
    decisions,
    events,
)

CHUNK = 2_000
KINDS = ("review", "profile_verification", "complaint", "reference_check")
_KIND_WEIGHTS = (45, 25, 20, 10)
# (rule id, reason code, severity, reason) per kind: what the seeded decisions say.
_HITS: dict[str, tuple[tuple[str, str, int, str], ...]] = {
    "review": (
        ("rv_shared_device", "SELF_DEALING", 4, "Reviewer and reviewee share a device"),
        ("rv_new_account_burst", "REVIEW_BURST", 3, "Burst of reviews from new accounts"),
        ("rv_reciprocal", "REVIEW_RING", 3, "Reviewer and reviewee reviewed each other"),
    ),
    "profile_verification": (
        ("pv_tamper", "DOCUMENT_TAMPERING", 5, "Vendor tamper score is high"),
        ("pv_name_mismatch", "IDENTITY_MISMATCH", 3, "Name on document differs from profile"),
        ("pv_dup_document", "DUPLICATE_ACCOUNT", 4, "Document number seen on another account"),
    ),
    "complaint": (
        ("cp_off_platform", "OFF_PLATFORM_PAYMENT", 3, "Mentions paying outside"),
        ("cp_non_payment", "NON_PAYMENT", 2, "Funded milestone not released"),
    ),
    "reference_check": (
        ("rc_free_mail", "FAKE_REFERENCE", 2, "Free-mail referee for a company"),
        ("rc_instant", "FAKE_REFERENCE", 3, "Referee answered in seconds"),
    ),
}


@dataclass(frozen=True, slots=True)
class SeedSummary:
    """What was seeded: case ids and counts."""

    case_ids: list[int]
    events: int
    prefix: str


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _payload(
    kind: str, event_id: str, subject: str, other: str, at: datetime, cents: int, rng: random.Random
) -> dict[str, Any]:
    amount = {"amount": f"{cents // 100}.{cents % 100:02d}", "currency": "USD"}
    net = {
        "ip": f"198.51.100.{rng.randint(1, 254)}",
        "ip_country": "US",
        "device_id": f"dev-{rng.randint(1, 10**6)}",
    }
    base = {"kind": kind, "event_id": event_id, "occurred_at": _iso(at), "network": net}
    earlier = _iso(at - timedelta(days=30))
    if kind == "review":
        return {
            **base,
            "contract_id": f"ct-{event_id}",
            "reviewer_id": subject,
            "reviewee_id": other,
            "direction": "client_to_freelancer",
            "rating": 5,
            "text": "Great work, fast delivery.",
            "amount_paid": amount,
            "contract_started_at": earlier,
            "contract_ended_at": _iso(at),
        }
    if kind == "profile_verification":
        return {
            **base,
            "account_id": subject,
            "role": "freelancer",
            "account_created_at": earlier,
            "profile": {
                "display_name": "Sam P.",
                "legal_name": "Sam Parker",
                "country": "US",
                "email": f"{subject}@example.com",
                "phone": f"+1202555{rng.randint(1000, 9999)}",
            },
            "document": {
                "type": "passport",
                "issuing_country": "US",
                "name_on_document": "Samuel Parker",
                "date_of_birth": "1991-02-03",
                "number": f"P{rng.randint(10**7, 10**8 - 1)}",
                "expires_on": "2031-01-01",
            },
            "document_check": {"tamper_score": round(rng.uniform(0.3, 0.95), 2)},
        }
    if kind == "complaint":
        return {
            **base,
            "complainant_id": other,
            "respondent_id": subject,
            "complainant_role": "freelancer",
            "respondent_role": "client",
            "category": "non_payment",
            "amount_in_dispute": amount,
            "escrow_state": "funded",
            "description": "The milestone was submitted weeks ago and is still not released.",
            "evidence_refs": [f"att-{event_id}"],
        }
    return {
        **base,
        "freelancer_id": subject,
        "referee": {
            "name": "Pat Lee",
            "email": f"pat{rng.randint(1, 999)}@gmail.com",
            "company": "Acme Corp",
        },
        "claimed_project": {"title": "Website rebuild", "started_on": "2025-01-01"},
        "request_sent_at": earlier,
    }


def _chunks(rows: Sequence[dict[str, Any]]) -> Iterator[Sequence[dict[str, Any]]]:
    for start in range(0, len(rows), CHUNK):
        yield rows[start : start + CHUNK]


def _insert(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    for chunk in _chunks(rows):
        conn.execute(insert(table), list(chunk))


def seed_open_cases(
    conn: Connection,
    n: int,
    now: datetime,
    settings: Settings,
    *,
    seed: int = 0,
    max_evidence: int = 3,
) -> SeedSummary:
    """Insert ``n`` open cases, each with 1..``max_evidence`` flagged events and decisions.

    Cases were opened up to three days before ``now`` (some already past their SLA), with
    varied risk, severity and money, so the queue's order and filters have work to do.
    """
    now, rng = as_utc(now), random.Random(seed)
    prefix = f"seed-{secrets.token_hex(3)}"
    event_rows: list[dict[str, Any]] = []
    decision_rows: list[dict[str, Any]] = []
    case_rows: list[dict[str, Any]] = []
    account_rows: list[dict[str, Any]] = []
    evidence: list[tuple[str, str]] = []  # (subject, event_id)
    for i in range(n):
        kind = rng.choices(KINDS, _KIND_WEIGHTS)[0]
        subject, other = f"{prefix}-a{i}", f"{prefix}-b{i}"
        opened = now - timedelta(minutes=rng.randint(0, 72 * 60))
        hits = rng.sample(_HITS[kind], rng.randint(1, min(2, len(_HITS[kind]))))
        severity = max(h[2] for h in hits)
        risk = round(rng.uniform(40, 99), 1)
        cents = rng.randint(500, 500_000) if kind in ("review", "complaint") else 0
        money = Decimal(cents) / 100
        count = rng.randint(1, max_evidence)
        for j in range(count):
            event_id = f"{prefix}-e{i}-{j}"
            at = opened - timedelta(minutes=j)
            event_rows.append(
                {
                    "event_id": event_id,
                    "kind": kind,
                    "occurred_at": at,
                    "received_at": at,
                    "schema_version": 1,
                    "subject_id": subject,
                    "counterparty_id": other,
                    "source": "seed",
                    "payload": _payload(kind, event_id, subject, other, at, cents, rng),
                }
            )
            decision_rows.append(
                {
                    "event_id": event_id,
                    "kind": kind,
                    "subject_id": subject,
                    "outcome": "block" if risk >= 95 else "review",
                    "risk_score": risk,
                    "rule_hits": [
                        {
                            "rule_id": r,
                            "reason_code": c,
                            "reason": t,
                            "score": 30.0,
                            "severity": s,
                            "policy": "seed",
                            "state": "live",
                            "forced_outcome": None,
                        }
                        for r, c, s, t in hits
                    ],
                    "shadow_hits": [],
                    "signals": {},
                    "model_score": None,
                    "model_version": None,
                    "model_explanation": [],
                    "pack_version": "seed",
                    "errors": [],
                    "statement_of_reasons": "Seeded for a benchmark.",
                    "automated": True,
                    "decided_at": at,
                }
            )
            evidence.append((subject, event_id))
        due = due_at(kind, opened, settings)
        case_rows.append(
            {
                "subject_id": subject,
                "kind": kind,
                "status": CaseStatus.OPEN.value,
                "priority": priority_key(risk, severity, money, due),
                "risk_score": risk,
                "severity": severity,
                "money_at_stake": money,
                "currency": "USD" if cents else None,
                "reason_codes": list(dict.fromkeys(h[1] for h in hits)),
                "evidence_count": count,
                "opened_at": opened,
                "updated_at": opened,
                "sla_due_at": due,
                "version": 1,
            }
        )
        account_rows.append(
            {
                "account_id": subject,
                "status": "active",
                "role": "freelancer",
                "first_seen_at": opened,
                "last_seen_at": opened,
            }
        )
    _insert(conn, events, event_rows)
    _insert(conn, accounts, account_rows)
    _insert(conn, cases, case_rows)
    ids = dict(
        conn.execute(
            select(cases.c.subject_id, cases.c.id).where(cases.c.subject_id.like(f"{prefix}-a%"))
        )
        .tuples()
        .all()
    )
    for row in decision_rows:
        row["case_id"] = ids[row["subject_id"]]
    _insert(conn, decisions, decision_rows)
    _insert(
        conn,
        case_reasons,
        [
            {"case_id": ids[c["subject_id"]], "reason_code": code}
            for c in case_rows
            for code in c["reason_codes"]
        ],
    )
    _insert(
        conn,
        case_evidence,
        [{"case_id": ids[s], "event_id": e, "added_at": now} for s, e in evidence],
    )
    return SeedSummary(sorted(int(i) for i in ids.values()), len(event_rows), prefix)
