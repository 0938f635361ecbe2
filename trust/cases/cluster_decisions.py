"""A cluster found for its reviews sends its members' scheme events to review.

Rings and bought bursts are built from events that each looked harmless when they arrived:
aged accounts verifying, five-star reviews between accounts nobody had seen trade before.
The clustering pass sees them together only later. When it opens or joins the case of a
cluster found for its reviews (a dense review block, single-purpose reviewers, members
reviewing one another or one account together), every event of the scheme that is still
allowed, the reviews members wrote about one another and each member's profile
verification, gets a new decision version: the cluster's hit (reason ``cluster_member``,
forced to review) joins its stored hits, the statement of reasons says why, the event
joins the cluster case and the marketplace hears it as ``decision.created``. An event in
review or block keeps its decision: nothing is lowered, and nothing is blocked by a
cluster alone. Re-scoring (``trust.late_history``) and the backtest carry the hit.

A cluster found only for a shared identifier is left to the identity rules: its members'
verifications are what those rules judged already. So is the verification of the scheme's
beneficiary, the member that three or more others reviewed and that reviewed none of them
(``trust.cases.clusters.scheme_events``): the reviews it got are in doubt, not who it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, update

from trust.decisions import CLUSTER_REASON, RuleHit, with_hits
from trust.graph.clusters import Cluster
from trust.store.decision_versions import Revision, supersede_allowed
from trust.store.tables import decisions
from trust.webhooks import emit_revisions

CLUSTER_RULE_ID = "cluster_case"
CLUSTER_POLICY = "Feedback policy 3.2 - no feedback building"
# What each reason means to the account holder reading the statement of reasons.
REASON_WORDS = {
    "dense_review_block": "a closed group of accounts that reviewed one another",
    "single_purpose_reviewers": "reviewers who traded with no one but the account they rated",
    "reviews_one_account_together": "accounts that together reviewed one account",
    "members_review_one_another": "accounts that reviewed one another",
    "shared_identity": "accounts sharing a document, card or phone",
}


def cluster_hit(cluster: Cluster, case_id: int, score: float, severity: int) -> RuleHit:
    """The cluster case's finding, as a live hit forcing review."""
    words = "; ".join(REASON_WORDS.get(r, r.replace("_", " ")) for r in cluster.reasons)
    return RuleHit(
        rule_id=CLUSTER_RULE_ID,
        reason_code=CLUSTER_REASON,
        reason=(
            f"The account is one of {len(cluster.members)} accounts acting together "
            f"({words}), found after this event was first decided (case #{case_id})."
        ),
        score=score,
        severity=severity,
        policy=CLUSTER_POLICY,
        forced_outcome="review",
    )


def revise_scheme_decisions(
    conn: Connection,
    hit: RuleHit,
    case_id: int,
    event_ids: Sequence[str],
    now: datetime,
) -> list[Revision]:
    """New versions, sent to review with ``hit``, of the allowed decisions on ``event_ids``;
    they join case ``case_id`` and are reported to subscribers. In ``conn``'s transaction."""
    # Only what is still allowed is revised: a pass every few minutes finds the same clusters.
    stored = supersede_allowed(
        conn,
        event_ids,
        lambda d: Revision(with_hits(d, [hit]), f"member of cluster case #{case_id}"),
        now,
    )
    if not stored:
        return []
    conn.execute(
        update(decisions)
        .where(
            decisions.c.event_id.in_([s.revision.decision.event_id for s in stored]),
            decisions.c.case_id.is_(None),
        )
        .values(case_id=case_id)
    )
    emit_revisions(conn, stored, now)
    return [s.revision for s in stored]
