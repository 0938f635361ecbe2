"""The store's tables (SQLAlchemy 2 Core metadata), shared by SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from trust.store.sealed import SealedEventPayload, SealedText

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# BigInteger primary keys are plain INTEGER on SQLite so that they alias the rowid.
Pk = BigInteger().with_variant(Integer(), "sqlite")


def _ts(name: str, nullable: bool = True, index: bool = False) -> Column[object]:
    return Column(name, DateTime(timezone=True), nullable=nullable, index=index)


# The partial indexes of review ties hold reviews only; a select must say so in these words.
REVIEW_TIES_WHERE = "kind = 'review'"
# Likewise the partial index of profile verifications by account.
VERIFICATIONS_WHERE = "kind = 'profile_verification'"
# The partial index of failed sign-ins, by dialect (the outcome is a field of the JSON
# payload); ``trust.store.dialects.FailedSignIn`` writes the same words into a select.
FAILED_SIGN_INS_WHERE = {
    "sqlite": "kind = 'sign_in' AND json_extract(payload, '$.outcome') = 'failure'",
    "postgresql": "kind = 'sign_in' AND (payload ->> 'outcome') = 'failure'",
}

events = Table(
    "events",
    metadata,
    Column("id", Pk, primary_key=True, autoincrement=True),
    Column("event_id", String(128), nullable=False, unique=True),
    Column("kind", String(32), nullable=False),
    _ts("occurred_at", nullable=False),
    _ts("received_at", nullable=False),
    Column("schema_version", Integer, nullable=False),
    Column("subject_id", String(128), nullable=False),
    Column("counterparty_id", String(128)),
    Column("source", String(200)),
    # Personal fields sealed at rest (trust/store/sealed.py); JSON in the schema.
    Column("payload", SealedEventPayload(), nullable=False),
    Index("ix_events_kind_occurred", "kind", "occurred_at"),
    Index("ix_events_subject_occurred", "subject_id", "occurred_at"),
    Index("ix_events_counterparty_occurred", "counterparty_id", "occurred_at"),
    # The trade graph's ties (trust/store/graph.py), read from the index alone: by reviewer
    # and by reviewee, reviews only. Through the account indexes every event of an account
    # was a row read from the table, to learn its kind; on a store of a million events that
    # was most of the cost of a batch's reviews.
    *(
        Index(
            f"ix_events_review_ties_by_{role}",
            side,
            "occurred_at",
            other,
            "event_id",
            "kind",
            sqlite_where=text(REVIEW_TIES_WHERE),
            postgresql_where=text(REVIEW_TIES_WHERE),
        )
        for role, side, other in (
            ("reviewer", "subject_id", "counterparty_id"),
            ("reviewee", "counterparty_id", "subject_id"),
        )
    ),
    # An account's verifications (its identity and stated role), whatever else it did.
    Index(
        "ix_events_verifications_by_account",
        "subject_id",
        "occurred_at",
        sqlite_where=text(VERIFICATIONS_WHERE),
        postgresql_where=text(VERIFICATIONS_WHERE),
    ),
    # Failed sign-ins by time, for the failures from one address across accounts in the
    # hour before a failing sign-in: read by kind and time, every sign-in of the hour was a
    # row read to learn its outcome, however few had failed (thousands an hour on a busy
    # marketplace, most of them successes).
    Index(
        "ix_events_failed_sign_ins",
        "occurred_at",
        sqlite_where=text(FAILED_SIGN_INS_WHERE["sqlite"]),
        postgresql_where=text(FAILED_SIGN_INS_WHERE["postgresql"]),
    ),
)

quarantine = Table(
    "quarantine",
    metadata,
    Column("id", Pk, primary_key=True, autoincrement=True),
    Column("source", String(500), nullable=False),
    Column("line_number", Integer),
    Column("event_id", String(128)),
    Column("raw", SealedText("quarantine.raw"), nullable=False),
    Column("errors", JSON, nullable=False),
    Column("reason", Text, nullable=False),
    _ts("received_at", nullable=False, index=True),
    Column("status", String(16), nullable=False, server_default="held"),
    _ts("replayed_at"),
    # SHA-256 of source, line and raw text: the same bad line ingested twice is held once.
    Column("raw_digest", String(64)),
    Index("ix_quarantine_raw_digest", "raw_digest"),
)

accounts = Table(
    "accounts",
    metadata,
    Column("account_id", String(128), primary_key=True),
    Column("role", String(16)),
    Column("status", String(16), nullable=False, server_default="active"),
    _ts("created_at"),
    _ts("first_seen_at", nullable=False),
    _ts("last_seen_at", nullable=False),
    # Sealed at rest (trust/store/sealed.py); found by name through account_name_words.
    Column("display_name", SealedText("accounts.display_name")),
    Column("country", String(2)),
)

# Keyed hashes of the words of each account's display name: staff find an account by a
# word of its name without the name being stored in clear.
account_name_words = Table(
    "account_name_words",
    metadata,
    Column("account_id", String(128), primary_key=True),
    Column("word_hash", String(64), primary_key=True),
    Index("ix_account_name_words_hash", "word_hash"),
)

# One row per (account, identifier): the link graph behind duplicate and ring signals.
account_identifiers = Table(
    "account_identifiers",
    metadata,
    Column("id", Pk, primary_key=True, autoincrement=True),
    Column("account_id", String(128), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("value_hash", String(64), nullable=False),
    Column("masked", String(200), nullable=False),
    _ts("first_seen_at", nullable=False),
    _ts("last_seen_at", nullable=False),
    Column("event_id", String(128)),
    UniqueConstraint("account_id", "kind", "value_hash", name="uq_account_identifier"),
    Index("ix_identifier_lookup", "kind", "value_hash"),
)

decisions = Table(
    "decisions",
    metadata,
    Column("id", Pk, primary_key=True, autoincrement=True),
    Column("event_id", String(128), ForeignKey("events.event_id"), nullable=False, unique=True),
    Column("kind", String(32), nullable=False),
    Column("subject_id", String(128), nullable=False, index=True),
    Column("outcome", String(8), nullable=False),
    Column("risk_score", Float, nullable=False),
    Column("rule_hits", JSON, nullable=False),
    Column("shadow_hits", JSON, nullable=False),
    Column("signals", JSON, nullable=False),
    Column("model_score", Float),
    Column("model_version", String(64)),
    Column("model_explanation", JSON),
    # The percentile from which the model alone sent events to review (its daily budget).
    Column("model_review_cutoff", Float),
    Column("pack_version", String(64), nullable=False),
    Column("statement_of_reasons", Text, nullable=False),
    Column("errors", JSON, nullable=False),
    Column("automated", Boolean, nullable=False, server_default=text("true")),
    _ts("decided_at", nullable=False),
    Column("case_id", BigInteger, index=True),
    # The latest version is the decision; earlier ones are in decision_versions. A new
    # version comes from a re-score (e.g. the event's history arrived after it was decided).
    Column("version", Integer, nullable=False, server_default=text("1")),
    _ts("revised_at"),
    Column("version_reason", Text),
    Index("ix_decisions_kind_decided", "kind", "decided_at"),
    Index("ix_decisions_outcome", "outcome"),
)

# Superseded versions of decisions, whole (``decision`` is the decisions row as JSON).
decision_versions = Table(
    "decision_versions",
    metadata,
    Column("id", Pk, primary_key=True, autoincrement=True),
    Column("event_id", String(128), ForeignKey("events.event_id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("outcome", String(8), nullable=False),
    Column("risk_score", Float, nullable=False),
    Column("decision", JSON, nullable=False),
    _ts("superseded_at", nullable=False),
    UniqueConstraint("event_id", "version"),
)

DISPUTE_KIND = "dispute"
# Unresolved cases that gather every flag about one subject: all kinds but disputes.
OPEN_MERGED_CASES = "status <> 'resolved' AND kind <> 'dispute'"

cases = Table(
    "cases",
    metadata,
    Column("id", Pk, primary_key=True, autoincrement=True),
    Column("subject_id", String(128), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("status", String(24), nullable=False),
    Column("priority", Float, nullable=False, server_default="0"),
    Column("risk_score", Float, nullable=False, server_default="0"),
    Column("severity", Integer, nullable=False, server_default="0"),
    Column("money_at_stake", Numeric(14, 2), nullable=False, server_default="0"),
    Column("currency", String(3)),
    Column("reason_codes", JSON, nullable=False),
    Column("evidence_count", Integer, nullable=False, server_default="0"),
    _ts("opened_at", nullable=False),
    _ts("updated_at", nullable=False),
    _ts("sla_due_at"),
    _ts("sla_paused_at"),
    Column("claimed_by", String(64)),
    _ts("claimed_at"),
    _ts("lease_expires_at"),
    Column("proposed_action", JSON),
    Column("proposed_by", String(64)),
    Column("resolution", JSON),
    Column("resolved_by", String(64)),
    _ts("resolved_at"),
    Column("label", String(16)),
    Column("version", Integer, nullable=False, server_default="1"),
    Index("ix_cases_queue", "status", "priority"),
    Index("ix_cases_claimed_by", "claimed_by", "status"),
    Index("ix_cases_lease", "status", "lease_expires_at"),
    Index("ix_cases_kind_status", "kind", "status"),
    # At most one unresolved case per subject and kind: the burst of 50 reviews is one case.
    # The queue page scans unresolved cases by priority (optionally of one kind) and stops
    # after one page, instead of sorting every open case.
    Index(
        "ix_cases_open_priority",
        "priority",
        sqlite_where=text("status <> 'resolved'"),
        postgresql_where=text("status <> 'resolved'"),
    ),
    Index(
        "ix_cases_open_due",
        "sla_due_at",
        sqlite_where=text("status <> 'resolved'"),
        postgresql_where=text("status <> 'resolved'"),
    ),
    Index(
        "ix_cases_open_risk",
        "risk_score",
        sqlite_where=text("status <> 'resolved'"),
        postgresql_where=text("status <> 'resolved'"),
    ),
    Index(
        "ix_cases_open_kind_priority",
        "kind",
        "priority",
        sqlite_where=text("status <> 'resolved'"),
        postgresql_where=text("status <> 'resolved'"),
    ),
    # Disputes are scoped to a contract's money instead (``disputes.scope_key``).
    Index(
        "uq_cases_open_subject",
        "subject_id",
        "kind",
        unique=True,
        sqlite_where=text(OPEN_MERGED_CASES),
        postgresql_where=text(OPEN_MERGED_CASES),
    ),
)

# One row per (case, reason code), kept by trust.cases: filtering the queue by a reason is an
# index look-up instead of a scan through every open case's JSON list.
case_reasons = Table(
    "case_reasons",
    metadata,
    Column("case_id", BigInteger, ForeignKey("cases.id"), primary_key=True),
    Column("reason_code", String(64), primary_key=True),
    Index("ix_case_reasons_code", "reason_code", "case_id"),
)

case_evidence = Table(
    "case_evidence",
    metadata,
    Column("id", Pk, primary_key=True, autoincrement=True),
    Column("case_id", BigInteger, ForeignKey("cases.id"), nullable=False, index=True),
    Column("event_id", String(128), nullable=False),
    _ts("added_at", nullable=False),
    UniqueConstraint("case_id", "event_id", name="uq_case_evidence"),
    # Which case holds an event (case intake, for every batch that flags something).
    Index("ix_case_evidence_event", "event_id"),
)

# One escrow dispute per contract (and milestone): the case's money, currency and process.
disputes = Table(
    "disputes",
    metadata,
    Column("case_id", BigInteger, ForeignKey("cases.id"), primary_key=True),
    Column("contract_id", String(128), nullable=False),
    Column("milestone_id", String(128)),
    Column("scope_key", String(260), nullable=False, unique=True),
    Column("contract_type", String(16), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("amount_in_escrow", Numeric(14, 2), nullable=False),
    Column("complainant_id", String(128), nullable=False),
    Column("respondent_id", String(128), nullable=False, index=True),
    Column("complainant_side", String(16), nullable=False),
    _ts("filed_at", nullable=False),
    _ts("contract_ended_at"),
    Column("stage", String(24), nullable=False, index=True),
    Column("proposal", JSON),
    Column("settlement", JSON),
    Column("released", Numeric(14, 2)),
    Column("refunded", Numeric(14, 2)),
    _ts("resolved_at"),
    Column("version", Integer, nullable=False, server_default="1"),
)

# A dispute's deadlines; at most one pending per dispute. The timer settles a pending one
# with a guarded UPDATE (status = 'pending'), so its default applies exactly once.
dispute_deadlines = Table(
    "dispute_deadlines",
    metadata,
    Column("id", Pk, primary_key=True, autoincrement=True),
    Column("case_id", BigInteger, ForeignKey("cases.id"), nullable=False, index=True),
    Column("name", String(16), nullable=False),
    _ts("due_at", nullable=False),
    Column("status", String(12), nullable=False),
    _ts("settled_at"),
    Index("ix_dispute_deadlines_due", "status", "due_at"),
    Index(
        "uq_dispute_deadlines_pending",
        "case_id",
        unique=True,
        sqlite_where=text("status = 'pending'"),
        postgresql_where=text("status = 'pending'"),
    ),
)

# Party events that arrived before their dispute opened (another worker may still hold the
# complaint); the dispute takes them when it opens, or the timer's next tick does.
dispute_inbox = Table(
    "dispute_inbox",
    metadata,
    Column("event_id", String(128), primary_key=True),
    Column("scope_key", String(260), nullable=False, index=True),
    _ts("received_at", nullable=False),
)

case_notes = Table(
    "case_notes",
    metadata,
    Column("id", Pk, primary_key=True, autoincrement=True),
    Column("case_id", BigInteger, ForeignKey("cases.id"), nullable=False, index=True),
    Column("author", String(64), nullable=False),
    Column("body", Text, nullable=False),
    _ts("created_at", nullable=False),
)

# Append-only: who did what to which object, with the state before and after.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Pk, primary_key=True, autoincrement=True),
    _ts("at", nullable=False, index=True),
    Column("actor", String(64), nullable=False, index=True),
    Column("action", String(64), nullable=False),
    Column("target_type", String(32), nullable=False),
    Column("target_id", String(128), nullable=False),
    Column("before", JSON),
    Column("after", JSON),
    Index("ix_audit_target", "target_type", "target_id"),
)

staff_users = Table(
    "staff_users",
    metadata,
    Column("id", Pk, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(16), nullable=False),
    Column("can_reveal_pii", Boolean, nullable=False, server_default=text("false")),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("failed_logins", Integer, nullable=False, server_default="0"),
    _ts("locked_until"),
    _ts("created_at", nullable=False),
    _ts("last_login_at"),
)

# -- enforcement, appeals and reviewer QA ------------------------------------------------------

# The enforcement in force per account (none, hold, block) and where it came from; every
# change also appends a row to enforcement_history, which is never updated or deleted from.
enforcements = Table(
    "enforcements",
    metadata,
    Column("account_id", String(128), primary_key=True),
    Column("state", String(8), nullable=False),
    Column("source", String(16), nullable=False),
    Column("source_id", String(128), nullable=False),
    Column("reason", Text, nullable=False),
    Column("actor", String(64), nullable=False),
    _ts("since", nullable=False),
    Index("ix_enforcements_state", "state"),
)

enforcement_history = Table(
    "enforcement_history",
    metadata,
    Column("id", Pk, primary_key=True, autoincrement=True),
    Column("account_id", String(128), nullable=False),
    Column("state", String(8), nullable=False),
    Column("previous_state", String(8), nullable=False),
    Column("source", String(16), nullable=False),
    Column("source_id", String(128), nullable=False),
    Column("reason", Text, nullable=False),
    Column("actor", String(64), nullable=False),
    _ts("at", nullable=False),
    Index("ix_enforcement_history_account", "account_id", "at"),
)

# A lead's proposal to block several linked accounts together; another lead approves it.
enforcement_proposals = Table(
    "enforcement_proposals",
    metadata,
    Column("id", Pk, primary_key=True, autoincrement=True),
    Column("account_ids", JSON, nullable=False),
    Column("state", String(8), nullable=False),
    Column("reason", Text, nullable=False),
    Column("proposed_by", String(64), nullable=False),
    _ts("proposed_at", nullable=False),
    Column("status", String(16), nullable=False),
    Column("decided_by", String(64)),
    _ts("decided_at"),
    Index("ix_enforcement_proposals_status", "status"),
)

# One row per appeal event (DSA Art. 20): what was appealed, the appeal case, the outcome.
appeals = Table(
    "appeals",
    metadata,
    Column("id", Pk, primary_key=True, autoincrement=True),
    Column("event_id", String(128), nullable=False, unique=True),
    Column("account_id", String(128), nullable=False, index=True),
    Column("case_id", BigInteger, nullable=False, index=True),
    Column("decision_event_id", String(128), index=True),
    Column("appealed_state", String(8), nullable=False),
    Column("original_case_id", BigInteger),
    Column("original_deciders", JSON, nullable=False),
    Column("has_new_information", Boolean, nullable=False),
    _ts("received_at", nullable=False),
    Column("outcome", String(16)),
    Column("ground", String(32)),
    Column("decided_by", String(64)),
    _ts("decided_at"),
    Column("statement_of_reasons", Text),
)

# Blind re-reviews of resolved cases; a disagreement goes to a lead, who rules on it.
qa_reviews = Table(
    "qa_reviews",
    metadata,
    Column("id", Pk, primary_key=True, autoincrement=True),
    Column("case_id", BigInteger, nullable=False, unique=True),
    Column("selected_because", String(16), nullable=False),
    Column("original_action", String(32), nullable=False),
    Column("original_reason", String(64), nullable=False),
    Column("original_reviewers", JSON, nullable=False),
    _ts("selected_at", nullable=False),
    Column("status", String(16), nullable=False),
    Column("reviewer", String(64)),
    Column("review_action", String(32)),
    Column("review_reason", String(64)),
    _ts("reviewed_at"),
    Column("ruling", String(16)),
    Column("ruled_by", String(64)),
    _ts("ruled_at"),
    Index("ix_qa_reviews_status", "status", "selected_at"),
)

# API keys for the HTTP API: only a SHA-256 of the token is kept; the prefix identifies it.
api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Pk, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False),
    Column("prefix", String(16), nullable=False, unique=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("scopes", JSON, nullable=False),
    Column("created_by", String(64), nullable=False),
    _ts("created_at", nullable=False),
    _ts("revoked_at"),
    _ts("last_used_at"),
)

# A retried request with the same Idempotency-Key gets the first answer back.
api_idempotency = Table(
    "api_idempotency",
    metadata,
    Column("id", Pk, primary_key=True, autoincrement=True),
    Column("key_id", BigInteger, nullable=False),
    Column("idempotency_key", String(128), nullable=False),
    Column("route", String(64), nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("body", JSON, nullable=False),
    _ts("created_at", nullable=False),
    UniqueConstraint("key_id", "idempotency_key", "route", name="uq_api_idempotency_key"),
)

# Where the marketplace wants to hear about decisions, enforcement, cases, disputes, appeals.
webhook_subscriptions = Table(
    "webhook_subscriptions",
    metadata,
    Column("id", Pk, primary_key=True, autoincrement=True),
    Column("url", Text, nullable=False),
    Column("event_types", JSON, nullable=False),
    Column("secret", String(128), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("consecutive_failures", Integer, nullable=False),
    Column("disabled_reason", Text),
    _ts("created_at", nullable=False),
)

# The transactional outbox: one row per (subscription, message), written in the same
# transaction as the change it reports; workers deliver it, with retries.
webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", Pk, primary_key=True, autoincrement=True),
    Column("message_id", String(64), nullable=False),
    Column("subscription_id", BigInteger, nullable=False, index=True),
    Column("event_type", String(32), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    _ts("created_at", nullable=False),
    _ts("next_attempt_at", nullable=False),
    _ts("delivered_at"),
    Column("last_status_code", Integer),
    Column("last_error", Text),
    UniqueConstraint("subscription_id", "message_id", name="uq_webhook_deliveries_message"),
    Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
)

# The members of a cluster case (kind "ring"): every account of the cluster, with the
# evidence tying it to the others, so the whole cluster is worked and acted on together.
cluster_members = Table(
    "cluster_members",
    metadata,
    Column("case_id", BigInteger, ForeignKey("cases.id"), primary_key=True),
    Column("account_id", String(128), primary_key=True),
    Column("evidence", JSON, nullable=False),
    _ts("added_at", nullable=False),
    Index("ix_cluster_members_account", "account_id"),
)
