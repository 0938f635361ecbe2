"""The look-ups signals read, one query per family per batch, answered as plain tuples.

Each statement is built once at import with expanding bind parameters: building a select,
its IN lists and its cache key per batch cost more CPU than SQLite spent answering it
(``trust decide`` ran about 14 of them per event). Every look-up is served by an index
(``ix_events_subject_occurred``, ``ix_events_counterparty_occurred``,
``uq_account_identifier``, ``ix_identifier_lookup``, the accounts' primary key,
``ix_enforcement_history_account``), so its cost grows with the log of the store's size.
A look-up by account that also names a kind keeps SQLite off ``ix_events_kind_occurred``
(``kind_is``): with it, SQLite read every event of the kind up to the batch, so scoring
cost grew with the whole history. Only failed sign-ins across accounts are read by kind and
time, over the hour before each failing sign-in of the batch (their IP is sealed).

Point in time is the caller's: each look-up takes the batch's time bounds and the signals
cut every answer at the event's ``occurred_at`` (``trust.signals.context``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    bindparam,
    func,
    or_,
    select,
    text,
    union_all,
)

from trust.events.payments import PAYMENT_EVENT_TYPES
from trust.identifiers import IDENTIFIER_KINDS
from trust.store.database import read_all
from trust.store.dialects import FailedSignIn, TextIn, indexed_by, text_rows
from trust.store.sealed import SEALED_KEY, personal_value
from trust.store.tables import (
    VERIFICATIONS_WHERE,
    account_identifiers,
    accounts,
    enforcement_history,
    events,
)

_c = events.c
_i = account_identifiers.c


def kind_is(kind: str) -> ColumnElement[bool]:
    """``events.kind == kind`` written so SQLite will not pick the kind index for it.

    Without statistics SQLite prefers ix_events_kind_occurred and scans every event of the
    kind; the account-id indexes are far more selective for per-batch look-ups.
    """
    return func.coalesce(_c.kind, "") == kind


def kind_in(kinds: Collection[str]) -> ColumnElement[bool]:
    """``events.kind IN kinds``, kept off the kind index like :func:`kind_is`."""
    return TextIn(func.coalesce(_c.kind, ""), "kinds_in", sorted(kinds))


_ENVELOPE = (_c.event_id, _c.kind, _c.occurred_at, _c.subject_id, _c.counterparty_id)
_RECENT = and_(_c.occurred_at >= bindparam("recent_from"), _c.occurred_at <= bindparam("hi"))
_COMPLAINTS = and_(
    kind_is("complaint"),
    _c.occurred_at >= bindparam("complaints_from"),
    _c.occurred_at <= bindparam("hi"),
)
_HISTORY = union_all(
    # What reviewers wrote or were accused of, and complaints they filed, in the window.
    select(*_ENVELOPE).where(TextIn(_c.subject_id, "reviewers"), _RECENT),
    select(*_ENVELOPE).where(
        TextIn(_c.counterparty_id, "reviewers"), kind_is("complaint"), _RECENT
    ),
    select(*_ENVELOPE).where(TextIn(_c.subject_id, "parties"), _COMPLAINTS),
    select(*_ENVELOPE).where(TextIn(_c.counterparty_id, "parties"), _COMPLAINTS),
    select(*_ENVELOPE).where(
        TextIn(_c.subject_id, "verifying"), kind_is("profile_verification"), _RECENT
    ),
)

_REVIEWS = select(
    _c.event_id,
    _c.occurred_at,
    _c.subject_id,
    _c.counterparty_id,
    _c.payload["contract_id"].as_string(),
    _c.payload["direction"].as_string(),
    _c.payload["rating"].as_integer(),
    _c.payload["text"].as_string(),
    _c.payload[SEALED_KEY].as_string(),
).where(
    kind_is("review"),
    or_(
        and_(
            TextIn(_c.counterparty_id, "reviewees"),
            _c.occurred_at >= bindparam("reviews_from"),
        ),
        and_(
            TextIn(_c.subject_id, "reviewees"),
            TextIn(_c.counterparty_id, "reviewers"),
            _c.occurred_at >= bindparam("replies_from"),
        ),
    ),
    _c.occurred_at <= bindparam("hi"),
)

# Profile e-mails live in clear only in verification payloads; the e-mail identifier row
# points at the event that showed it, far cheaper to reach than every event of an account.
_EMAILS = (
    select(
        _i.account_id,
        _i.first_seen_at,
        _c.payload[("profile", "email")].as_string(),
        _i.value_hash,
        _c.event_id,
        _c.payload[SEALED_KEY].as_string(),
    )
    .join(events, _c.event_id == _i.event_id)
    .where(TextIn(_i.account_id, "ids"), _i.kind == "email")
)

_IDENTIFIERS = select(_i.account_id, _i.kind, _i.value_hash, _i.first_seen_at).where(
    TextIn(_i.account_id, "ids"), TextIn(_i.kind, "kinds")
)

# One IN list per identifier kind, so each probe is one seek on (kind, value_hash); an
# unused kind's list is empty and costs nothing.
_SHARING = select(_i.kind, _i.value_hash, _i.account_id, _i.first_seen_at).where(
    or_(
        *(
            and_(_i.kind == kind, TextIn(_i.value_hash, f"hashes_{kind}"))
            for kind in IDENTIFIER_KINDS
        )
    )
)

_ACCOUNTS = select(
    accounts.c.account_id,
    accounts.c.created_at,
    accounts.c.first_seen_at,
    accounts.c.status,
    accounts.c.role,
).where(TextIn(accounts.c.account_id, "ids"))

# An account's verifications through their partial index (migration 0019): through the
# account index every event of the account, sign-ins and reviews included, was a table row
# read to learn its kind, so the cost grew with everything the account ever did.
_VERIFIED = indexed_by(events, "ix_events_verifications_by_account")
_v = _VERIFIED.c
# Of each listed account only the verifications a moment from ``since`` on can be in force
# at: the latest at or before ``since``, and those after it up to ``hi``. All of them were
# read, so an account that verified again every month cost more every month. The latest one
# is found by the index (once per account: the subquery is correlated with the list, the
# loop outside), and the account's verifications read from it on.
_LISTED_IDS = text_rows("ids", "listed")
_EARLIER = indexed_by(events, "ix_events_verifications_by_account")
_SINCE = bindparam("since", type_=events.c.occurred_at.type)
_IN_FORCE_FROM = func.coalesce(
    select(func.max(_EARLIER.c.occurred_at))
    .where(
        _EARLIER.c.subject_id == _LISTED_IDS.c.value,
        text(VERIFICATIONS_WHERE),
        _EARLIER.c.occurred_at <= _SINCE,
    )
    .correlate(_LISTED_IDS)
    .scalar_subquery(),
    _SINCE,
)
_VERIFIED_IN_FORCE = _LISTED_IDS.join(
    _VERIFIED,
    and_(
        _v.subject_id == _LISTED_IDS.c.value,
        text(VERIFICATIONS_WHERE),
        _v.occurred_at <= bindparam("hi"),
        _v.occurred_at >= _IN_FORCE_FROM,
    ),
)
_VERIFICATIONS = select(
    _v.subject_id,
    _v.occurred_at,
    _v.payload["role"].as_string(),
    _v.payload["account_created_at"].as_string(),
).select_from(_VERIFIED_IN_FORCE)

# The account and money kinds' own records (sign-ins, credential and payout changes,
# withdrawals, payments) in a window: personal fields are compared, so payloads come whole.
_MONEY = select(_c.occurred_at, _c.payload).where(
    TextIn(_c.subject_id, "ids"),
    kind_in(PAYMENT_EVENT_TYPES),
    _c.occurred_at >= bindparam("lo"),
    _c.occurred_at <= bindparam("hi"),
    or_(func.coalesce(_c.kind, "") != "sign_in", _c.occurred_at >= bindparam("sign_ins_from")),
)

# Payout method changes of every account holding one of the wanted payout fingerprints.
_PAYOUT_REGISTRATIONS = select(_c.occurred_at, _c.payload).where(
    _c.subject_id.in_(
        select(_i.account_id).where(_i.kind == "payment", TextIn(_i.value_hash, "hashes"))
    ),
    kind_is("payout_method_change"),
    _c.occurred_at <= bindparam("hi"),
)

# Who each account said it was at each verification: only the fields compared.
_IDENTITIES = select(
    _v.subject_id,
    _v.occurred_at,
    _v.event_id,
    _v.payload[("profile", "legal_name")].as_string(),
    _v.payload[("profile", "country")].as_string(),
    _v.payload[("document", "issuing_country")].as_string(),
    _v.payload[("network", "ip_country")].as_string(),
    _v.payload[SEALED_KEY].as_string(),
).select_from(_VERIFIED_IN_FORCE)

# Failed sign-ins of every account in one window: the IP is sealed, so the window (the
# failed sign-ins' partial index) bounds the read and only the IP is opened.
_FAILED = indexed_by(events, "ix_events_failed_sign_ins").c
_FAILED_SIGN_INS = select(
    _FAILED.occurred_at,
    _FAILED.subject_id,
    _FAILED.event_id,
    _FAILED.payload[("network", "ip")].as_string(),
    _FAILED.payload[SEALED_KEY].as_string(),
).where(
    FailedSignIn(),
    _FAILED.occurred_at >= bindparam("lo"),
    _FAILED.occurred_at <= bindparam("hi"),
)

_h = enforcement_history.c
_STATUS_CHANGES = (
    select(_h.account_id, _h.at, _h.previous_state, _h.state)
    .where(TextIn(_h.account_id, "ids"))
    .order_by(_h.at, _h.id)
)


def history_rows(
    conn: Connection,
    *,
    reviewers: Collection[str],
    parties: Collection[str],
    verifying: Collection[str],
    recent_from: datetime,
    complaints_from: datetime,
    hi: datetime,
) -> list[tuple[Any, ...]]:
    """(event_id, kind, occurred_at, subject_id, counterparty_id) of the history signals read.

    Events by ``reviewers`` since ``recent_from`` and complaints against them; complaints
    by or against ``parties`` since ``complaints_from``; verifications of ``verifying``
    since ``recent_from``; all no later than ``hi``. An event may come back twice.
    """
    if not (reviewers or parties or verifying):
        return []
    params = {
        "reviewers": sorted(reviewers),
        "parties": sorted(parties),
        "verifying": sorted(verifying),
        "recent_from": recent_from,
        "complaints_from": complaints_from,
        "hi": hi,
    }
    return read_all(conn, _HISTORY, params)


def review_rows(
    conn: Connection,
    *,
    reviewees: Collection[str],
    reviewers: Collection[str],
    reviews_from: datetime,
    replies_from: datetime,
    hi: datetime,
) -> list[tuple[Any, ...]]:
    """(event_id, occurred_at, reviewer, reviewee, contract_id, direction, rating, text).

    Reviews of ``reviewees`` since ``reviews_from``, and reviews ``reviewees`` wrote of
    ``reviewers`` since ``replies_from``, no later than ``hi``; texts unsealed.
    """
    if not reviewees:
        return []
    params = {
        "reviewees": sorted(reviewees),
        "reviewers": sorted(reviewers),
        "reviews_from": reviews_from,
        "replies_from": replies_from,
        "hi": hi,
    }
    dialect = conn.dialect
    return [
        (*row[:7], personal_value(dialect, row[0], row[7], row[8], "text"))
        for row in read_all(conn, _REVIEWS, params)
    ]


def email_rows(conn: Connection, account_ids: Collection[str]) -> list[tuple[Any, ...]]:
    """(account_id, first_seen_at, profile e-mail unsealed, value_hash) per e-mail seen."""
    if not account_ids:
        return []
    dialect = conn.dialect
    return [
        (*row[:2], personal_value(dialect, row[4], row[2], row[5], "profile.email"), row[3])
        for row in read_all(conn, _EMAILS, {"ids": sorted(account_ids)})
    ]


def identifier_rows(
    conn: Connection, account_ids: Collection[str], kinds: Collection[str]
) -> list[tuple[Any, ...]]:
    """(account_id, kind, value_hash, first_seen_at) of the accounts' identifiers of ``kinds``."""
    if not account_ids or not kinds:
        return []
    params = {"ids": sorted(account_ids), "kinds": sorted(kinds)}
    return read_all(conn, _IDENTIFIERS, params)


def sharing_rows(conn: Connection, wanted: Collection[tuple[str, str]]) -> list[tuple[Any, ...]]:
    """(kind, value_hash, account_id, first_seen_at) of every account showing a wanted pair."""
    if not wanted:
        return []
    by_kind: dict[str, list[str]] = {kind: [] for kind in IDENTIFIER_KINDS}
    for kind, value_hash in wanted:
        if kind not in by_kind:
            raise ValueError(f"unknown identifier kind {kind!r}")
        by_kind[kind].append(value_hash)
    params = {f"hashes_{kind}": sorted(hashes) for kind, hashes in by_kind.items()}
    return read_all(conn, _SHARING, params)


def account_rows(conn: Connection, account_ids: Collection[str]) -> list[tuple[Any, ...]]:
    """(account_id, created_at, first_seen_at, status, role) of the stored accounts."""
    if not account_ids:
        return []
    return read_all(conn, _ACCOUNTS, {"ids": sorted(account_ids)})


def verification_rows(
    conn: Connection, account_ids: Collection[str], since: datetime, hi: datetime
) -> list[tuple[Any, ...]]:
    """(account_id, occurred_at, role, account_created_at text) of the verifications that
    can be in force from ``since`` to ``hi``: the latest at or before ``since``, and those
    after it up to ``hi``."""
    if not account_ids:
        return []
    params = {"ids": sorted(account_ids), "since": since, "hi": hi}
    return read_all(conn, _VERIFICATIONS, params)


def status_change_rows(conn: Connection, account_ids: Collection[str]) -> list[tuple[Any, ...]]:
    """(account_id, at, previous_state, state) of enforcement changes, oldest first."""
    if not account_ids:
        return []
    return read_all(conn, _STATUS_CHANGES, {"ids": sorted(account_ids)})


def money_rows(
    conn: Connection,
    account_ids: Collection[str],
    lo: datetime,
    hi: datetime,
    sign_ins_from: datetime,
) -> list[tuple[Any, ...]]:
    """(occurred_at, opened payload) of the accounts' account and money events in [lo, hi],
    their sign-ins only from ``sign_ins_from``."""
    if not account_ids:
        return []
    params = {"ids": sorted(account_ids), "lo": lo, "hi": hi, "sign_ins_from": sign_ins_from}
    return read_all(conn, _MONEY, params)


def payout_registration_rows(
    conn: Connection, fingerprint_hashes: Collection[str], hi: datetime
) -> list[tuple[Any, ...]]:
    """(occurred_at, opened payload) of payout method changes up to ``hi`` by every account
    that holds one of the payout fingerprints (by keyed hash: the fingerprint is sealed)."""
    if not fingerprint_hashes:
        return []
    params = {"hashes": sorted(fingerprint_hashes), "hi": hi}
    return read_all(conn, _PAYOUT_REGISTRATIONS, params)


def identity_rows(
    conn: Connection, account_ids: Collection[str], since: datetime, hi: datetime
) -> list[tuple[Any, ...]]:
    """(account_id, occurred_at, legal name unsealed, profile country, document country,
    network ip_country, event_id) of the accounts' verifications that can be in force from
    ``since`` to ``hi`` (as ``verification_rows``)."""
    if not account_ids:
        return []
    dialect = conn.dialect
    return [
        (
            row[0],
            row[1],
            personal_value(dialect, row[2], row[3], row[7], "profile.legal_name"),
            *row[4:7],
            row[2],
        )
        for row in read_all(
            conn, _IDENTITIES, {"ids": sorted(account_ids), "since": since, "hi": hi}
        )
    ]


def failed_sign_in_rows(
    conn: Connection, windows: Iterable[tuple[datetime, datetime]]
) -> list[tuple[Any, ...]]:
    """(occurred_at, account_id, event_id, IP unsealed) of failed sign-ins in the windows.

    Windows must not overlap (an event in two would come back twice).
    """
    dialect = conn.dialect
    return [
        (row[0], row[1], row[2], personal_value(dialect, row[2], row[3], row[4], "network.ip"))
        for lo, hi in windows
        for row in read_all(conn, _FAILED_SIGN_INS, {"lo": lo, "hi": hi})
    ]
