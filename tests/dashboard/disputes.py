"""Disputes for dashboard tests, opened through the real pipeline (not seeded rows)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.conftest import TEST_SECRET
from tests.factories import complaint_payload, dispute_payload
from trust.disputes.timers import apply_due_deadlines
from trust.settings import Settings
from trust.store import Store, transaction
from workers.wiring import build_pipeline


def send(store: Store, *records: dict[str, Any], now: datetime | None = None) -> dict[str, int]:
    """Run records through the pipeline as the workers would; event id -> case id."""
    settings = Settings(environment="test", secret_key=TEST_SECRET)
    result = build_pipeline(settings, store).process(list(records), now or datetime.now(UTC))
    return result.case_ids


def open_dispute(store: Store, *, stage: str, contract: str = "ct-web") -> int:
    """A freelancer's dispute over 800.00 USD, with both parties' evidence in when ``stage``
    is 'mediation', and no proposal in time when it is 'arbitration'; returns the case id."""
    now = datetime.now(UTC)
    filed = now - (timedelta(days=3) if stage == "arbitration" else timedelta(hours=3))

    def at(hours: float) -> str:
        return (filed + timedelta(hours=hours)).isoformat()

    ids = send(
        store,
        complaint_payload(contract_id=contract, occurred_at=at(0), contract_ended_at=at(-24)),
        now=filed,
    )
    case_id = next(iter(ids.values()))
    if stage in ("mediation", "arbitration"):
        send(
            store,
            dispute_payload("dispute_statement", contract_id=contract, occurred_at=at(1)),
            dispute_payload("dispute_evidence", contract_id=contract, occurred_at=at(1.5)),
            dispute_payload(
                "dispute_evidence",
                contract_id=contract,
                party_id="acct-alice",
                side="freelancer",
                occurred_at=at(2),
            ),
            now=filed + timedelta(hours=2),
        )
    if stage == "arbitration":
        with transaction(store.engine) as conn:
            apply_due_deadlines(conn, now)
    return case_id


def both_parties_accept(store: Store, contract: str = "ct-web", proposal: str = "1") -> None:
    """The client and the freelancer accept the open proposal, as events."""
    now = datetime.now(UTC)
    send(
        store,
        dispute_payload(
            "dispute_answer",
            contract_id=contract,
            proposal_id=proposal,
            occurred_at=now.isoformat(),
        ),
        dispute_payload(
            "dispute_answer",
            contract_id=contract,
            proposal_id=proposal,
            party_id="acct-alice",
            side="freelancer",
            occurred_at=now.isoformat(),
        ),
    )
