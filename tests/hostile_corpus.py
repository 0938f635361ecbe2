"""A corpus of hostile but plausible input lines, each with the outcome every path must give.

Extreme dates, huge texts, odd unicode, deep nesting, booleans posing as numbers and the
reverse, broken encodings: each line must end ``decided`` or ``quarantined`` on every path
(direct ingest, the queue and its workers, ``trust decide``), never crash one and never be lost.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from tests.factories import PAYLOAD_BUILDERS
from trust.events.common import MAX_TEXT
from trust.events.validation import MAX_RECORD_BYTES
from trust.store import Store
from trust.store.tables import decisions, quarantine

DECIDED = "decided"
QUARANTINED = "quarantined"


@dataclass(frozen=True, slots=True)
class HostileLine:
    """One line of the corpus: what it is, its bytes, its event id if any, what must happen."""

    name: str
    line: bytes
    event_id: str | None
    expected: str


def _event(name: str, kind: str, expected: str, **overrides: Any) -> HostileLine:
    payload = PAYLOAD_BUILDERS[kind](**{"event_id": f"hostile-{name}", **overrides})
    return HostileLine(name, json.dumps(payload).encode(), payload["event_id"], expected)


def _raw(name: str, line: bytes, expected: str = QUARANTINED) -> HostileLine:
    return HostileLine(name, line, None, expected)


def _edited(name: str, kind: str, edit: Callable[[str], str]) -> HostileLine:
    """A valid event whose JSON text is edited by hand (what json.dumps cannot write)."""
    payload = PAYLOAD_BUILDERS[kind](event_id=f"hostile-{name}")
    return HostileLine(name, edit(json.dumps(payload)).encode(), payload["event_id"], QUARANTINED)


def _deep(depth: int) -> Any:
    node: Any = "bottom"
    for _ in range(depth):
        node = {"a": node}
    return node


def _extreme_dates() -> Iterable[HostileLine]:
    for kind in PAYLOAD_BUILDERS:
        yield _event(f"{kind}-year-1", kind, QUARANTINED, occurred_at="0001-01-01T00:00:00Z")
        yield _event(
            f"{kind}-year-9999", kind, QUARANTINED, occurred_at="9999-12-31T23:59:59-12:00"
        )
        yield _event(f"{kind}-epoch", kind, DECIDED, occurred_at="1970-01-01T00:00:00Z")
        yield _event(f"{kind}-end-of-2099", kind, DECIDED, occurred_at="2099-12-31T23:59:59Z")
    yield _event(
        "review-contract-1970-to-2099",
        "review",
        DECIDED,
        contract_started_at="1970-01-01T00:00:00Z",
        contract_ended_at="2099-12-31T23:59:59Z",
    )
    yield _event(
        "verification-oldest-newest-dates",
        "profile_verification",
        DECIDED,
        account_created_at="1970-01-01T00:00:00Z",
        document={"date_of_birth": "1900-01-01", "expires_on": "2099-12-31"},
    )
    yield _event(
        "reference-1900-project-answered-2099",
        "reference_check",
        DECIDED,
        claimed_project={"started_on": "1900-01-01", "ended_on": "2099-12-31"},
        response={"responded_at": "2099-12-31T23:59:59Z"},
    )
    yield _event(
        "review-contract-from-year-1",
        "review",
        QUARANTINED,
        contract_started_at="0001-01-01T00:00:00+14:00",
    )
    yield _event(
        "verification-born-year-1",
        "profile_verification",
        QUARANTINED,
        document={"date_of_birth": "0001-01-01"},
    )
    yield _event(
        "verification-expires-9999",
        "profile_verification",
        QUARANTINED,
        document={"expires_on": "9999-12-31"},
    )
    yield _event(
        "reference-answered-9999",
        "reference_check",
        QUARANTINED,
        response={"responded_at": "9999-12-31T23:59:59Z"},
    )
    yield _event("review-leap-second", "review", QUARANTINED, occurred_at="2026-06-30T23:59:60Z")
    yield _event("review-offset-23-59", "review", DECIDED, occurred_at="2026-03-10T12:00:00+23:59")
    yield _event("review-occurred-at-true", "review", QUARANTINED, occurred_at=True)
    yield _event("review-occurred-at-1e20", "review", QUARANTINED, occurred_at=1e20)


def _huge_texts() -> Iterable[HostileLine]:
    yield _event("review-text-at-limit", "review", DECIDED, text="a" * MAX_TEXT)
    yield _event("review-text-over-limit", "review", QUARANTINED, text="a" * (MAX_TEXT + 1))
    yield _event("complaint-10k-emoji", "complaint", DECIDED, description="\U0001f4b8" * MAX_TEXT)
    yield _event(
        "complaint-line-over-256k",
        "complaint",
        QUARANTINED,
        evidence_refs=["e" * 100] * 50,
        description="x" * MAX_RECORD_BYTES,
    )
    yield _event(
        "verification-50-long-skills",
        "profile_verification",
        DECIDED,
        profile={"skills": ["s" * 200] * 50},
    )


def _odd_unicode() -> Iterable[HostileLine]:
    yield _event("review-rtl-override", "review", DECIDED, text="\u202egnihton\u202c paid")
    yield _event("review-zero-width", "review", DECIDED, text="pay\u200b me\u200d on\ufeff wise")
    yield _event("review-combining-marks", "review", DECIDED, text="Z\u0351\u0358a\u035cl\u0361go")
    yield _event("review-line-separators", "review", DECIDED, text="one\u2028two\u2029three")
    yield _event(
        "verification-emoji-name",
        "profile_verification",
        DECIDED,
        profile={"display_name": "\U0001f469\u200d\U0001f4bb Alice"},
    )
    yield _event(
        "verification-decomposed-name",
        "profile_verification",
        DECIDED,
        profile={"legal_name": "Alice Wa\u0308lker"},
    )
    yield _event("review-unicode-event-id", "review", QUARANTINED, event_id="ev-\u00fc")
    yield _event("review-fullwidth-rating", "review", QUARANTINED, rating="\uff15")
    yield _edited(
        "review-nul-escape", "review", lambda text: text.replace('"text": "', '"text": "\\u0000')
    )
    yield _edited(
        "review-lone-surrogate",
        "review",
        lambda text: text.replace('"text": "', '"text": "\\ud800'),
    )
    yield _edited(
        "review-raw-carriage-return",
        "review",
        lambda text: text.replace('"text": "', '"text": "\r'),
    )
    yield _raw("latin-1-bytes", b'{"kind": "review", "text": "caf\xe9"}')
    yield _raw("byte-order-mark-mid-file", b'\xef\xbb\xbf{"kind": "review"}')


def _nesting() -> Iterable[HostileLine]:
    yield _raw("arrays-100k-deep", b"[" * 100_000 + b"]" * 100_000)
    yield _raw("objects-5000-deep", b'{"a":' * 5000 + b"1" + b"}" * 5000)
    yield _event("review-extra-field-500-deep", "review", QUARANTINED, extra=_deep(500))
    yield _event(
        "review-sub-ratings-nested", "review", QUARANTINED, sub_ratings={"quality": _deep(50)}
    )


def _numbers_and_booleans() -> Iterable[HostileLine]:
    yield _event("review-rating-true", "review", QUARANTINED, rating=True)
    yield _event("review-rating-five-point-zero", "review", DECIDED, rating=5.0)
    yield _event("review-rating-text", "review", DECIDED, rating="4")
    yield _event(
        "review-amount-1e308",
        "review",
        QUARANTINED,
        amount_paid={"amount": 1e308, "currency": "USD"},
    )
    yield _event(
        "verification-liveness-1",
        "profile_verification",
        QUARANTINED,
        document_check={"liveness_passed": 1},
    )
    yield _event(
        "reference-confirms-text-true", "reference_check", DECIDED, response={"confirms": "true"}
    )
    yield _edited(
        "verification-tamper-nan",
        "profile_verification",
        lambda text: text.replace('"tamper_score": 0.02', '"tamper_score": NaN'),
    )
    yield _edited(
        "review-rating-1e400", "review", lambda text: text.replace('"rating": 5', '"rating": 1e400')
    )
    yield _raw("integer-5000-digits", b'{"kind": "review", "rating": ' + b"9" * 5000 + b"}")


def hostile_corpus() -> list[HostileLine]:
    """The whole corpus, in a fixed order; event ids are unique across it."""
    lines = [
        *_extreme_dates(),
        *_huge_texts(),
        *_odd_unicode(),
        *_nesting(),
        *_numbers_and_booleans(),
    ]
    ids = [line.event_id for line in lines if line.event_id is not None]
    assert len(ids) == len(set(ids)), "corpus event ids must be unique"
    return lines


def write_corpus(path: Path, corpus: list[HostileLine]) -> Path:
    """The corpus as one JSON Lines file: line n of the file is ``corpus[n - 1]``."""
    path.write_bytes(b"".join(line.line + b"\n" for line in corpus))
    return path


def ingest_outcomes(store: Store, corpus: list[HostileLine], source: str) -> dict[str, str]:
    """What became of each line of an ingested corpus file: decided, quarantined or lost."""
    with store.engine.connect() as conn:
        held = set(
            conn.execute(
                select(quarantine.c.line_number).where(quarantine.c.source == source)
            ).scalars()
        )
        decided = set(conn.execute(select(decisions.c.event_id)).scalars())
    outcomes: dict[str, str] = {}
    for number, line in enumerate(corpus, start=1):
        if number in held:
            outcomes[line.name] = QUARANTINED
        elif line.event_id in decided:
            outcomes[line.name] = DECIDED
        else:
            outcomes[line.name] = "lost"
    return outcomes
