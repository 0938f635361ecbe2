"""The chain a takeover leaves, on one timeline: an account's sign-ins, credential changes,
payout method changes, withdrawals and payments, with devices and countries, masked as every
other personal field staff see (``trust.staff.masking``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from trust.events import PAYMENT_EVENT_TYPES
from trust.staff.masking import mask_payload
from trust.store.tables import decisions, events

SECURITY_KINDS = tuple(PAYMENT_EVENT_TYPES)


@dataclass(frozen=True, slots=True)
class SecurityStep:
    """One account or money event as a reviewer reads it."""

    occurred_at: datetime
    kind: str
    event_id: str
    what: str
    device: str
    ip: str
    country: str
    outcome: str
    risk_score: float | None


def _what(payload: dict[str, Any]) -> str:
    """One line saying what happened, from a masked payload."""
    kind = payload["kind"]
    if kind == "sign_in":
        how = payload["auth_method"].replace("_", " ")
        return f"sign-in {'failed' if payload['outcome'] == 'failure' else 'succeeded'} ({how})"
    if kind == "credential_change":
        by = "through recovery" if payload["via"] == "recovery" else "by the signed-in user"
        return f"{payload['credential'].replace('_', ' ')} changed {by}"
    if kind == "payout_method_change":
        return (
            f"payout {payload['method_type'].replace('_', ' ')} {payload['action']} "
            f"({payload['fingerprint']}), holder {payload['holder_name']}, in {payload['country']}"
        )
    if kind == "withdrawal_request":
        amount = payload["amount"]
        return (
            f"withdrawal of {amount['amount']} {amount['currency']} "
            f"to {payload['payout_fingerprint']}"
        )
    amount = payload["amount"]
    return (
        f"client payment {payload['outcome']}: {amount['amount']} {amount['currency']} "
        f"by {payload['instrument']} {payload['fingerprint']} issued in {payload['country']}"
    )


def security_timeline(conn: Connection, account_id: str, *, limit: int = 200) -> list[SecurityStep]:
    """The account's account and money events, newest first, masked, with their decisions."""
    rows = conn.execute(
        select(events.c.payload, events.c.occurred_at, decisions.c.outcome, decisions.c.risk_score)
        .outerjoin(decisions, decisions.c.event_id == events.c.event_id)
        .where(events.c.subject_id == account_id, events.c.kind.in_(SECURITY_KINDS))
        .order_by(events.c.occurred_at.desc())
        .limit(limit)
    ).all()
    steps = []
    for payload, occurred_at, outcome, risk in rows:
        shown = mask_payload(payload["kind"], payload)
        network = shown.get("network") or {}
        steps.append(
            SecurityStep(
                occurred_at=occurred_at,
                kind=payload["kind"],
                event_id=payload["event_id"],
                what=_what(shown),
                device=network.get("device_id") or "",
                ip=network.get("ip") or "",
                country=network.get("ip_country") or "",
                outcome=outcome or "",
                risk_score=risk,
            )
        )
    return steps
