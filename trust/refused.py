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
# Document numbers and the like: a token of 6+ letters/digits with at least 4 digits.
_ID_LIKE = re.compile(r"\b(?=[A-Za-z0-9]*(?:\d[A-Za-z]*){4})[A-Za-z0-9]{6,}\b")


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


def masked_raw(raw: str) -> str:
    """``raw`` with personal values masked: by key when it is JSON, by pattern otherwise."""
    try:
        data = json.loads(raw)
    except ValueError:
        text = mask_text(raw)
        text = _IPV4.sub(lambda m: mask_ip(m.group(0)), text)
        return _ID_LIKE.sub(lambda m: m.group(0) if keeps_readable(m.string, m.start(), m.end())
                            else mask_document(m.group(0)), text)
    return json.dumps(_mask_node(data), ensure_ascii=False, indent=2)


def reveal_refused(conn: Connection, staff: HasRole, record_id: int,
                   now: datetime | None = None) -> str:
    """The clear text of quarantined record ``record_id`` for a permitted member (audited).

    Raises PermissionDeniedError without the reveal permission, TrustError if unknown.
    """
    require(staff, Permission.REVEAL_PII)
    raw = conn.execute(select(quarantine.c.raw).where(quarantine.c.id == record_id)).scalar()
    if raw is None:
        raise TrustError(f"no quarantined record {record_id}")
    record_audit(conn, actor=staff.username, action="pii_revealed", target_type="quarantine",
                 target_id=record_id, at=now or datetime.now(UTC))
    return str(raw)
