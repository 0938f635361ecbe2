"""Personal data: keyed hashes for matching, masked forms for display."""

from __future__ import annotations

import hmac
import re
import unicodedata
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from trust.settings import Settings

_MEMO_LIMIT = 100_000


class PiiHasher:
    """Keyed (HMAC-SHA256) hashing, so identifiers match across accounts without being stored."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("the PII hashing key must be at least 16 bytes")
        self._key = key
        # A batch hashes the same identifiers several times (links, then signals) and
        # repeats IPs and devices across events: HMAC was ~15% of a worker's CPU.
        self._memo: dict[tuple[str, str], str] = {}

    def hash(self, kind: str, value: str) -> str:
        """A stable hex digest of ``value`` for identifier ``kind`` (normalised first)."""
        digest = self._memo.get((kind, value))
        if digest is None:
            normalised = normalise_identifier(kind, value)
            message = f"{kind}\x1f{normalised}".encode()
            # The one-shot C HMAC: no HMAC object per identifier (same digest as hmac.new).
            digest = hmac.digest(self._key, message, "sha256").hex()
            if len(self._memo) >= _MEMO_LIMIT:
                self._memo.clear()
            self._memo[(kind, value)] = digest
        return digest


@lru_cache(maxsize=8)
def _hasher(key: bytes) -> PiiHasher:
    return PiiHasher(key)


def hasher_for(settings: Settings) -> PiiHasher:
    """The personal-data hasher for these settings, one per key (so its memo is shared)."""
    return _hasher(settings.resolved_secret_key())


def normalise_identifier(kind: str, value: str) -> str:
    """Fold the variations that should still match: case, spacing, dots in Gmail addresses."""
    value = unicodedata.normalize("NFKC", value).strip().lower()
    if kind in {"document", "phone"}:
        return "".join(ch for ch in value if ch.isalnum() or ch == "+")
    if kind in {"email", "referee_email"} and "@" in value:
        local, _, domain = value.rpartition("@")
        local = local.split("+", 1)[0]
        if domain in {"gmail.com", "googlemail.com"}:
            local = local.replace(".", "")
        return f"{local}@{domain}"
    return value


def email_domain(email: str) -> str:
    """The lower-cased domain of an e-mail address ('' when there is none)."""
    return email.rpartition("@")[2].strip().lower()


# Shorter stems ('ali', 'max') are too common to tie two accounts together.
MIN_STEM = 5


def email_stem(email: str) -> str:
    """The local part without tags and digits: 'j.smith+x7@...' -> 'jsmith'."""
    local = email.rpartition("@")[0].split("+", 1)[0].lower()
    return "".join(ch for ch in local if ch.isalpha())


def mask_email(email: str) -> str:
    """'john.doe@gmail.com' -> 'j*******@gmail.com'."""
    local, _, domain = email.rpartition("@")
    if not local:
        return "*" * len(email)
    return f"{local[0]}{'*' * max(len(local) - 1, 3)}@{domain}"


def mask_phone(phone: str) -> str:
    """'+441234567890' -> '+44*******890'."""
    if len(phone) <= 6:
        return "*" * len(phone)
    return f"{phone[:3]}{'*' * (len(phone) - 6)}{phone[-3:]}"


def mask_document(number: str) -> str:
    """'AB1234567' -> '*****4567'."""
    if len(number) <= 4:
        return "*" * len(number)
    return f"{'*' * (len(number) - 4)}{number[-4:]}"


def mask_ip(ip: str) -> str:
    """'203.0.113.5' -> '203.0.113.*'; IPv6 keeps its first four groups."""
    if ":" in ip:
        return ":".join(ip.split(":")[:4]) + ":*"
    head, _, _ = ip.rpartition(".")
    return f"{head}.*" if head else "*"


def mask_opaque(value: str) -> str:
    """Device ids, payment fingerprints: keep a short prefix for recognition."""
    return f"{value[:4]}…" if len(value) > 4 else "*" * len(value)


MASKERS = {
    "email": mask_email,
    "referee_email": mask_email,
    "phone": mask_phone,
    "document": mask_document,
    "ip": mask_ip,
    "device": mask_opaque,
    "payment": mask_opaque,
    "email_domain": lambda value: value,
}


def mask(kind: str, value: str) -> str:
    """The display form of identifier ``kind``."""
    return MASKERS.get(kind, mask_opaque)(value)


_DATE_START = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})(?!\d)")
_TOKEN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")


def keeps_readable(text: str, start: int, end: int) -> bool:
    """True when ``text[start:end]``, found by a pattern masker, is not personal data.

    Pattern masking of free text (phone numbers, document-like tokens) must leave dates,
    timestamps and identifiers readable: a span that is a date (``2026-02-27``,
    ``20260227T15:02:54Z``) or sits inside a longer token (``ev-20260227-000123``,
    ``acct-12345678``) is kept as it is.
    """
    found = _DATE_START.match(text, start)
    if found and 1 <= int(found.group(2)) <= 12 and 1 <= int(found.group(3)) <= 31:
        return True
    before = text[start - 1] if start > 0 else ""
    after = text[end] if end < len(text) else ""
    return before in _TOKEN_CHARS or (after in _TOKEN_CHARS and after != "-")
