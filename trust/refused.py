"""Refused records as staff see them: personal values masked, the clear text only on reveal.

A quarantined record failed validation, so its shape cannot be trusted: masking goes by
key name wherever the key sits (``email``, ``phone``, ``number``, ``ip`` …), masks e-mails
and phone numbers inside any other text, and falls back to pattern masking when the record
is not even JSON.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select

from trust.audit import record_audit
from trust.errors import TrustError
from trust.pii import (
    keeps_readable,
    mask_document,
    mask_email,
    mask_ip,
    mask_opaque,
    mask_phone,
)
from trust.staff.masking import mask_text
from trust.staff.roles import HasRole, Permission, require
from trust.store.tables import quarantine

_BY_KEY: dict[str, Callable[[str], str]] = {
    "email": mask_email,
    "phone": mask_phone,
    "number": mask_document,
    "ip": mask_ip,
    "device_id": mask_opaque,
    "payment_fingerprint": mask_opaque,
    "date_of_birth": lambda v: f"{v[:4]}-**-**" if len(v) >= 4 else "****",
}
_IPV4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")
# Words, each found once (a plain class never backtracks); a document number is a word of
# 6+ ASCII letters and digits with at least 4 digits. The former look-ahead backtracked
# over every long word, quadratically.
_WORD = re.compile(r"\w{6,}")


def _mask_id_like(match: re.Match[str]) -> str:
    word = match.group(0)
    if keeps_readable(match.string, match.start(), match.end()):
        return word  # a date or a piece of an id, not a document number
    if word.isascii() and word.isalnum() and sum(ch.isdigit() for ch in word) >= 4:
        return mask_document(word)
    return word


def _mask_node(node: Any, key: str | None = None) -> Any:
    if isinstance(node, dict):
        return {k: _mask_node(v, str(k)) for k, v in node.items()}
    if isinstance(node, list):
        return [_mask_node(v, key) for v in node]
    if key in _BY_KEY and isinstance(node, str | int | float) and not isinstance(node, bool):
        return _BY_KEY[key](str(node))
    if isinstance(node, str):
        return mask_text(node)
    return node


# Characters of a refused record a screen shows; the whole record is a download.
DISPLAY_LIMIT = 100_000
_PERSONAL_PAIR = re.compile(r'"(' + "|".join(_BY_KEY) + r')"(\s*:\s*)"((?:[^"\\]|\\.)*)"')


@dataclass(frozen=True, slots=True)
class MaskedPreview:
    """What a screen shows of a refused record: its masked head, and the whole size."""

    text: str
    size: int

    @property
    def truncated(self) -> bool:
        """True when the record is longer than what is shown."""
        return self.size > len(self.text)


def _mask_fragment(text: str) -> str:
    """Mask a piece of a record that cannot be parsed: personal keys' values, then patterns."""
    text = _PERSONAL_PAIR.sub(
        lambda m: f'"{m.group(1)}"{m.group(2)}"{_BY_KEY[m.group(1)](m.group(3))}"', text
    )
    text = mask_text(text)
    text = _IPV4.sub(lambda m: mask_ip(m.group(0)), text)
    return _WORD.sub(_mask_id_like, text)


def head(text: str, limit: int) -> str:
    """At most ``limit`` characters of ``text``, cut at a separator so no value is half-shown."""
    if len(text) <= limit:
        return text
    cut = max(text.rfind(sep, 0, limit) for sep in (" ", ",", "\n", '"'))
    return text[: cut if cut > limit // 2 else limit]


def masked_preview(raw: str, limit: int = DISPLAY_LIMIT) -> MaskedPreview:
    """The masked record for a screen: whole when short, else its head (the rest downloads)."""
    if len(raw) <= limit:
        return MaskedPreview(masked_raw(raw)[: limit * 2], len(raw))
    return MaskedPreview(_mask_fragment(head(raw, limit)), len(raw))


def masked_raw(raw: str) -> str:
    """``raw`` with personal values masked: by key when it is JSON, by pattern otherwise."""
    try:
        return json.dumps(_mask_node(json.loads(raw)), ensure_ascii=False, indent=2)
    except (ValueError, RecursionError):  # not JSON, or nested too deep to walk
        return _mask_fragment(raw)


def reveal_refused(
    conn: Connection, staff: HasRole, record_id: int, now: datetime | None = None
) -> str:
    """The clear text of quarantined record ``record_id`` for a permitted member (audited).

    Raises PermissionDeniedError without the reveal permission, TrustError if unknown.
    """
    require(staff, Permission.REVEAL_PII)
    raw = conn.execute(select(quarantine.c.raw).where(quarantine.c.id == record_id)).scalar()
    if raw is None:
        raise TrustError(f"no quarantined record {record_id}")
    record_audit(
        conn,
        actor=staff.username,
        action="pii_revealed",
        target_type="quarantine",
        target_id=record_id,
        at=now or datetime.now(UTC),
    )
    return str(raw)
