"""A stateful property test of the dispute process on a real store.

Hypothesis drives one dispute at a time through the same paths production uses: parties'
events through the pipeline, the mediator's proposal, staff decisions and four-eyes
approval, the clock moving, the timer running, a timer killed before it committed, and
two timers at once. After every step: no money is created or lost, nothing moves after
the dispute is resolved, and every deadline is met or defaulted exactly once.
"""

from __future__ import annotations

import functools
import itertools
import tempfile
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from sqlalchemy import select

from tests.conftest import TEST_SECRET
from tests.factories import complaint_payload, dispute_payload
from tests.trust.cases.conftest import LEAD, LEAD_2
from trust.cases import Action, Resolution, approve_proposal, claim, reject_proposal, resolve
from trust.composition import build_pipeline
from trust.disputes.actions import propose_settlement
from trust.disputes.machine import Stage
from trust.disputes.timers import apply_due_deadlines
from trust.errors import TrustError
from trust.pipeline import Pipeline
from trust.settings import Settings
from trust.store import Store, transaction
from trust.store.disputes import DisputeRow, deadline_history, load_dispute
from trust.store.tables import audit_log

FILED = datetime.fromisoformat("2026-03-13T16:00:00+00:00")  # a Friday afternoon
ESCROW = Decimal("482.23")
SIDES = {"client": "acct-bob", "freelancer": "acct-alice"}
_contracts = itertools.count()


@functools.cache
def _world() -> tuple[Store, Pipeline]:
    """One SQLite store for the whole run (each example is a new dispute in it)."""
    folder = Path(tempfile.mkdtemp(prefix="dispute-props-"))
    config = Settings(environment="test", data_dir=folder / "data", secret_key=TEST_SECRET)
    store = Store.open(f"sqlite:///{folder / 'trust.db'}")
    return store, build_pipeline(config, store)


class Killed(Exception):
    """Raised to stop a timer before it commits, as a SIGKILL would."""


class DisputeProcess(RuleBasedStateMachine):
    """One dispute, and everything that can happen to it."""

    def __init__(self) -> None:
        super().__init__()
        self.store, self.pipeline = _world()
        self.contract = f"ct-prop-{next(_contracts)}"
        self.now = FILED
        self.resolved_version: int | None = None
        result = self.pipeline.process(
            [
                complaint_payload(
                    contract_id=self.contract,
                    occurred_at=FILED.isoformat(),
                    amount_in_dispute={"amount": str(ESCROW), "currency": "USD"},
                )
            ],
            FILED,
        )
        self.case_id = next(iter(result.case_ids.values()))

    # -- reading --------------------------------------------------------------------------
    def dispute(self) -> DisputeRow:
        with self.store.engine.connect() as conn:
            return load_dispute(conn, self.case_id)

    def attempt(self, action: Any) -> None:
        """Run a staff action in one transaction; a refused one changes nothing."""
        before = self.dispute().version
        try:
            with transaction(self.store.engine) as conn:
                action(conn)
        except TrustError:
            assert self.dispute().version == before

    def party(self, kind: str, side: str, **fields: Any) -> None:
        self.pipeline.process(
            [
                dispute_payload(
                    kind,
                    contract_id=self.contract,
                    party_id=SIDES[side],
                    side=side,
                    occurred_at=self.now.isoformat(),
                    **fields,
                )
            ],
            self.now,
        )

    # -- the parties --------------------------------------------------------------------
    @rule(side=st.sampled_from(["client", "freelancer"]))
    def statement(self, side: str) -> None:
        self.party("dispute_statement", side)

    @rule(side=st.sampled_from(["client", "freelancer"]), share=st.integers(0, 100))
    def offer(self, side: str, share: int) -> None:
        released = (ESCROW * share / 100).quantize(Decimal("0.01"))
        self.party(
            "dispute_offer",
            side,
            released_amount=str(released),
            refunded_amount=str(ESCROW - released),
            currency="USD",
        )

    @rule()
    def the_respondent_answers(self) -> None:
        self.party("dispute_statement", "client")

    @rule(side=st.sampled_from(["client", "freelancer"]), accept=st.booleans())
    def answer(self, side: str, accept: bool) -> None:
        self.party(
            "dispute_answer",
            side,
            answer="accept" if accept else "reject",
            proposal_id=self.dispute().proposal_id or "0",
        )

    @precondition(lambda self: self.dispute().proposal_id is not None)
    @rule()
    def the_side_still_to_answer_accepts(self) -> None:
        row = self.dispute()
        accepted = set((row.proposal or {}).get("accepted", []))
        for side in ("client", "freelancer"):
            if side not in accepted:
                self.party("dispute_answer", side, proposal_id=row.proposal_id)
                return

    @precondition(lambda self: self.dispute().stage is Stage.SETTLING)
    @rule()
    def a_lead_approves(self) -> None:
        self.attempt(lambda conn: approve_proposal(conn, self.case_id, LEAD_2, self.now))

    # -- staff ----------------------------------------------------------------------------
    @rule(share=st.integers(0, 100))
    def mediator_proposes(self, share: int) -> None:
        released = (ESCROW * share / 100).quantize(Decimal("0.01"))
        self.attempt(
            lambda conn: propose_settlement(
                conn, self.case_id, LEAD, released, ESCROW - released, self.now
            )
        )

    @rule(share=st.integers(0, 100))
    def staff_decide(self, share: int) -> None:
        released = (ESCROW * share / 100).quantize(Decimal("0.01"))
        decision = Resolution(
            Action.SPLIT,
            "partial_delivery",
            release_amount=released,
            refund_amount=ESCROW - released,
        )

        def decide(conn: Any) -> None:
            claim(conn, self.case_id, LEAD, self.now)
            resolve(conn, self.case_id, LEAD, decision, self.now)

        self.attempt(decide)

    @rule(approve=st.booleans())
    def second_person(self, approve: bool) -> None:
        act = approve_proposal if approve else reject_proposal
        self.attempt(lambda conn: act(conn, self.case_id, LEAD_2, self.now))

    # -- time and the timer ---------------------------------------------------------------
    @rule(hours=st.sampled_from([1, 6, 24, 49, 100]))
    def time_passes(self, hours: int) -> None:
        self.now += timedelta(hours=hours)

    @rule()
    def timer_runs(self) -> None:
        with transaction(self.store.engine) as conn:
            apply_due_deadlines(conn, self.now)
        deadline = self.dispute().deadline
        assert deadline is None or deadline.due_at > self.now

    @rule()
    def timer_is_killed_before_it_commits(self) -> None:
        before = self.dispute()
        try:
            with transaction(self.store.engine) as conn:
                apply_due_deadlines(conn, self.now)
                raise Killed
        except Killed:
            pass
        assert self.dispute() == before

    @precondition(lambda self: self.dispute().deadline is not None)
    @rule()
    def two_timers_race(self) -> None:
        with transaction(self.store.engine) as conn:
            first = apply_due_deadlines(conn, self.now)
        with transaction(self.store.engine) as conn:
            second = apply_due_deadlines(conn, self.now)
        assert not ({a.case_id for a in first} & {a.case_id for a in second})

    # -- what must always hold ------------------------------------------------------------
    @invariant()
    def no_money_is_created_or_lost(self) -> None:
        row = self.dispute()
        event(f"reached {row.stage.value}")
        assert row.amount_in_escrow == ESCROW
        if row.settlement is not None:
            assert row.settlement.released + row.settlement.refunded == ESCROW
            assert min(row.settlement.released, row.settlement.refunded) >= 0
        if row.stage is Stage.RESOLVED:
            assert row.released is not None and row.refunded is not None
            assert row.released + row.refunded == ESCROW
        else:
            assert row.released is None and row.refunded is None

    @invariant()
    def nothing_moves_after_the_dispute_is_resolved(self) -> None:
        row = self.dispute()
        if row.stage is Stage.RESOLVED:
            if self.resolved_version is None:
                self.resolved_version = row.version
            assert row.version == self.resolved_version and row.deadline is None
        else:
            assert self.resolved_version is None

    @invariant()
    def every_deadline_is_met_or_defaulted_exactly_once(self) -> None:
        with self.store.engine.connect() as conn:
            history = deadline_history(conn, self.case_id)
            steps = [
                a
                for a in conn.execute(
                    select(audit_log.c.after)
                    .where(
                        audit_log.c.target_type == "case",
                        audit_log.c.target_id == str(self.case_id),
                        audit_log.c.action.like("dispute_%"),
                    )
                    .order_by(audit_log.c.id)
                ).scalars()
                if a and "met" in a
            ]
        assert sum(d.status == "pending" for d in history) <= 1
        assert all(d.status in {"pending", "met", "defaulted"} for d in history)
        assert all((d.settled_at is None) == (d.status == "pending") for d in history)
        assert [s["met"] for s in steps if s["met"]] == [
            d.name for d in history if d.status == "met"
        ]
        assert [s["defaulted"] for s in steps if s["defaulted"]] == [
            d.name for d in history if d.status == "defaulted"
        ]


DisputeProcess.TestCase.settings = settings(
    max_examples=100,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_the_dispute_process_keeps_its_promises = DisputeProcess.TestCase
