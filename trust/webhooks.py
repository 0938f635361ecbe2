"""Webhooks out: what the marketplace hears about, how it is signed, how to verify it.

Every change worth reporting (a decision to review or block, an enforcement change, a
resolved case, a dispute outcome, an appeal decision) becomes a ``Message`` written to the
outbox (``trust.store.webhooks``) in the same transaction as the change itself. Workers
deliver the outbox (``workers/webhooks.py``), signed per the Standard Webhooks scheme:

* ``webhook-id``: the message id, stable across retries (deduplicate on it);
* ``webhook-timestamp``: Unix seconds of this attempt;
* ``webhook-signature``: ``v1,`` + base64 HMAC-SHA256 over ``{id}.{timestamp}.{body}`` with
  the subscription's secret (``whsec_`` + base64 key).

``verify`` is the receiver's side; the README shows it in use.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sqlalchemy import Connection

from trust.audit import record_audit
from trust.errors import WebhookVerificationError
from trust.store.webhooks import Message, enqueue, replay

if TYPE_CHECKING:
    from trust.cases.case import Case
    from trust.decisions import Decision
    from trust.enforcement import EnforcementChange
    from trust.store.decision_versions import Superseded

DECISION_CREATED = "decision.created"
ENFORCEMENT_CHANGED = "enforcement.changed"
CASE_RESOLVED = "case.resolved"
CASE_REOPENED = "case.reopened"
DISPUTE_OUTCOME = "dispute.outcome"
APPEAL_DECIDED = "appeal.decided"
EVENT_TYPES = (
    DECISION_CREATED,
    ENFORCEMENT_CHANGED,
    CASE_RESOLVED,
    CASE_REOPENED,
    DISPUTE_OUTCOME,
    APPEAL_DECIDED,
)
# Decisions the marketplace must act on; an allow needs no call back.
NOTIFIED_OUTCOMES = frozenset({"review", "block"})
# A signature older or newer than this is refused (a replayed request).
TOLERANCE = timedelta(minutes=5)


def message_id(event_type: str, key: str) -> str:
    """A stable id for the message reporting ``key``'s ``event_type`` (same on every retry)."""
    digest = hashlib.sha256(f"{event_type}:{key}".encode()).hexdigest()[:32]
    return f"msg_{digest}"


def decision_id(event_id: str) -> str:
    """The public id of the decision on ``event_id`` (one decision per event)."""
    return "dec_" + hashlib.sha256(event_id.encode("utf-8")).hexdigest()[:24]


def _message(event_type: str, key: str, now: datetime, data: dict[str, Any]) -> Message:
    return Message(
        message_id(event_type, key),
        event_type,
        {"type": event_type, "timestamp": now.isoformat(), "data": data},
    )


def _decision_data(d: Decision) -> dict[str, Any]:
    return {
        "decision_id": decision_id(d.event_id),
        "event_id": d.event_id,
        "kind": d.kind,
        "subject_id": d.subject_id,
        "outcome": d.outcome,
        "risk_score": d.risk_score,
        "reasons": [h.rule_id for h in d.rule_hits],
        "statement_of_reasons": d.statement_of_reasons,
    }


def decision_messages(decisions: Sequence[Decision], now: datetime) -> list[Message]:
    """``decision.created`` for each review or block (the decision's first version)."""
    return [
        _message(DECISION_CREATED, d.event_id, now, {**_decision_data(d), "version": 1})
        for d in decisions
        if d.outcome in NOTIFIED_OUTCOMES
    ]


def revision_messages(versions: Sequence[Superseded], now: datetime) -> list[Message]:
    """``decision.created`` for each new version of a decision the marketplace must hear:
    one that now asks for review or block, or one lifting a review or block it was told of.

    Each version is its own message (keyed by event and version), carrying its number, the
    outcome it replaced and why it was made; a receiver keeps the highest version.
    """
    return [
        _message(
            DECISION_CREATED,
            f"{v.revision.decision.event_id}:v{v.version}",
            now,
            {
                **_decision_data(v.revision.decision),
                "version": v.version,
                "previous_outcome": v.previous_outcome,
                "version_reason": v.revision.reason,
            },
        )
        for v in versions
        if v.revision.decision.outcome != v.previous_outcome
        and NOTIFIED_OUTCOMES & {v.revision.decision.outcome, v.previous_outcome}
    ]


def enforcement_messages(changes: Sequence[EnforcementChange]) -> list[Message]:
    """``enforcement.changed`` for each applied change."""
    return [
        _message(
            ENFORCEMENT_CHANGED,
            f"{c.account_id}:{c.at.isoformat()}:{c.state.value}:{c.source_id}",
            c.at,
            {
                "account_id": c.account_id,
                "state": c.state.value,
                "previous_state": c.previous_state.value,
                "source": c.source.value,
                "source_id": c.source_id,
                "reason": c.reason,
                "at": c.at.isoformat(),
            },
        )
        for c in changes
    ]


def _case_data(case: Case) -> dict[str, Any]:
    resolution = case.resolution or {}
    return {
        "case_id": case.id,
        "subject_id": case.subject_id,
        "kind": case.kind,
        "label": case.label,
        "action": resolution.get("action"),
        "reason_code": resolution.get("reason_code"),
        "resolved_at": case.resolved_at.isoformat() if case.resolved_at else None,
    }


def emit(conn: Connection, messages: Sequence[Message], now: datetime | None = None) -> int:
    """Write ``messages`` to the outbox for every subscriber (in the caller's transaction)."""
    return enqueue(conn, messages, now or datetime.now(UTC))


def emit_decisions(conn: Connection, decisions: Sequence[Decision], now: datetime) -> int:
    """Report the batch's reviews and blocks."""
    return emit(conn, decision_messages(decisions, now), now)


def emit_revisions(conn: Connection, versions: Sequence[Superseded], now: datetime) -> int:
    """Report new decision versions that flag an event or lift its flag."""
    return emit(conn, revision_messages(versions, now), now)


def emit_enforcement(conn: Connection, changes: Sequence[EnforcementChange]) -> int:
    """Report applied enforcement changes."""
    return emit(conn, enforcement_messages(changes))


def emit_case_resolved(
    conn: Connection, case: Case, now: datetime, *, dispute: bool = False
) -> int:
    """Report a resolved case (and, for a dispute's money outcome, ``dispute.outcome``)."""
    data = _case_data(case)
    # Keyed by the resolution too: a case reopened by an undo and resolved again is news.
    key = f"{case.id}:{data['resolved_at']}"
    messages = [_message(CASE_RESOLVED, key, now, data)]
    if dispute:
        messages.append(_message(DISPUTE_OUTCOME, key, now, data))
    return emit(conn, messages, now)


def emit_case_reopened(conn: Connection, case: Case, undone: dict[str, Any], now: datetime) -> int:
    """Report a resolution undone (``undone``: the resolution record); the case is open again."""
    data = {
        "case_id": case.id,
        "subject_id": case.subject_id,
        "kind": case.kind,
        "status": case.status.value,
        "undone_action": undone.get("action"),
        "undone_reason_code": undone.get("reason_code"),
        "reopened_at": now.isoformat(),
    }
    return emit(conn, [_message(CASE_REOPENED, f"{case.id}:{now.isoformat()}", now, data)], now)


def emit_appeal_decided(
    conn: Connection, case: Case, outcome: str, enforcement: str, statement: str, now: datetime
) -> int:
    """Report an appeal decision with the enforcement in force after it."""
    return emit(
        conn,
        [
            _message(
                APPEAL_DECIDED,
                str(case.id),
                now,
                {
                    "case_id": case.id,
                    "account_id": case.subject_id,
                    "outcome": outcome,
                    "enforcement": enforcement,
                    "statement_of_reasons": statement,
                    "decided_at": now.isoformat(),
                },
            )
        ],
        now,
    )


def replay_deliveries(
    conn: Connection, delivery_ids: Sequence[int], *, actor: str, now: datetime | None = None
) -> int:
    """Queue deliveries again (same ``webhook-id``) and audit who did it; rows re-queued."""
    moment = now or datetime.now(UTC)
    count = replay(conn, delivery_ids, moment)
    record_audit(
        conn,
        actor=actor,
        action="webhook_replayed",
        target_type="webhook",
        target_id=",".join(str(i) for i in delivery_ids)[:128],
        at=moment,
        after={"deliveries": list(delivery_ids), "queued": count},
    )
    return count


def check_event_types(names: Sequence[str]) -> list[str]:
    """The event types named, or ValueError naming the unknown ones."""
    wanted = sorted({n.strip() for n in names if n.strip()})
    unknown = [n for n in wanted if n not in EVENT_TYPES]
    if unknown or not wanted:
        raise ValueError(
            f"unknown event type(s) {', '.join(unknown) or '(none given)'}; "
            f"known: {', '.join(EVENT_TYPES)}"
        )
    return wanted


LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


def check_url(url: str) -> str:
    """``url`` if it is HTTPS, or plain HTTP to a loopback address; else ValueError."""
    parsed = urlsplit(url)
    if not parsed.hostname:
        raise ValueError(f"{url!r} is not an absolute URL")
    if parsed.scheme == "https":
        return url
    if parsed.scheme == "http" and parsed.hostname in LOOPBACK_HOSTS:
        return url
    raise ValueError("webhook URLs must be https://, or http:// on 127.0.0.1/localhost")


# -- signing and verifying ---------------------------------------------------------------------


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix("whsec_"))


def body_of(payload: Mapping[str, Any]) -> bytes:
    """The exact bytes sent (and signed) for ``payload``."""
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode("utf-8")


def signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """``v1,<base64 HMAC-SHA256>`` over ``{msg_id}.{timestamp}.{body}``."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def signed_headers(secret: str, msg_id: str, body: bytes, now: datetime) -> dict[str, str]:
    """The three Standard Webhooks headers for one delivery attempt."""
    timestamp = int(now.timestamp())
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, msg_id, timestamp, body),
        "content-type": "application/json",
    }


def verify(
    secret: str, headers: Mapping[str, str], body: bytes, now: datetime | None = None
) -> dict[str, Any]:
    """Check a received webhook and return its payload; raise ``WebhookVerificationError``.

    Refuses a missing header, a signature that does not match (forged or altered), and a
    timestamp more than five minutes away from ``now`` (a replay). Receivers should also
    drop a ``webhook-id`` they have already processed: delivery is at least once.
    """
    lower = {k.lower(): v for k, v in headers.items()}
    try:
        msg_id = lower["webhook-id"]
        timestamp = int(lower["webhook-timestamp"])
        offered = lower["webhook-signature"].split()
    except (KeyError, ValueError) as exc:
        raise WebhookVerificationError("missing or malformed webhook headers") from exc
    moment = (now or datetime.now(UTC)).timestamp()
    if abs(moment - timestamp) > TOLERANCE.total_seconds():
        raise WebhookVerificationError("timestamp outside the tolerance (replayed?)")
    expected = signature(secret, msg_id, timestamp, body)
    if not any(hmac.compare_digest(expected, candidate) for candidate in offered):
        raise WebhookVerificationError("no signature matches")
    payload: dict[str, Any] = json.loads(body)
    return payload


def retry_delay(attempts: int, base: timedelta, cap: timedelta) -> timedelta:
    """Exponential back-off after ``attempts`` failed attempts (base times 1, 2, 4..., capped)."""
    return min(cap, base * (2 ** max(attempts - 1, 0)))
