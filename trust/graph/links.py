"""The edges of the account graph: what ties two accounts together, and since when.

Links are typed rows, built by ``trust.store.graph`` from the identifiers seen on accounts
(shared documents, devices, payment fingerprints, phones, e-mail addresses, IP addresses) and
from reviews between accounts. Each link keeps ``since``, the event time from which it
existed, so the graph as of any moment uses only links that existed then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

# Identifier kinds that tie two accounts on their own: one person, one document or card.
STRONG_KINDS = frozenset({"document", "payment", "device", "phone", "email"})
# An IP address is shared by households, offices and VPN exits: it ties two accounts only
# together with something else (a review between them, or another identifier).
WEAK_KINDS = frozenset({"ip"})
# Interactions: one account reviewed the other (the review carries the contract).
REVIEW = "review"
# The best mark a review can give (``trust.events.common.Rating``).
TOP_RATING = 5
# An identifier value seen on more accounts than this is infrastructure (a public hotspot,
# a shared VPN exit, a test card) and ties nobody; it is left out of the graph.
MAX_ACCOUNTS_PER_IDENTIFIER = 40


@dataclass(frozen=True, slots=True)
class Link:
    """One tie between accounts ``a`` and ``b`` (``a < b`` for identifiers; reviewer first
    for reviews): its ``kind``, the masked identifier or the event id, since when, and for a
    review its rating (None when unknown)."""

    a: str
    b: str
    kind: str
    detail: str
    since: datetime
    rating: int | None = None


def pair(a: str, b: str) -> tuple[str, str]:
    """The unordered pair, smaller id first."""
    return (a, b) if a < b else (b, a)
