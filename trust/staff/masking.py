"""Masked views of event payloads for staff, and the audited reveal of the clear values."""

from __future__ import annotations

import re
from collections.abc import Callable
from copy import deepcopy
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select

from trust.audit import record_audit
from trust.errors import CaseError
from trust.pii import keeps_readable, mask_document, mask_email, mask_ip, mask_opaque, mask_phone
from trust.staff.roles import HasRole, Permission, require
from trust.store.tables import events

Masker = Callable[[str], str]


def _mask_birth_date(value: str) -> str:
    # The year is enough to judge an age; the full date identifies a person.
    return f"{value[:4]}-**-**" if len(value) >= 4 else "****"


_EMAIL_IN_TEXT = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE_IN_TEXT = re.compile(r"\+?\d[\d ()-]{6,}\d")


def mask_text(text: str) -> str:
    """Free text with every e-mail address and phone number in it masked (dates and ids kept)."""
    text = _EMAIL_IN_TEXT.sub(lambda m: mask_email(m.group(0)), text)
    return _PHONE_IN_TEXT.sub(
        lambda m: m.group(0) if keeps_readable(m.string, m.start(), m.end())
        else mask_phone(re.sub(r"[ ()-]", "", m.group(0))), text)


_COMMON: dict[tuple[str, ...], Masker] = {
    ("network", "ip"): mask_ip,
    ("network", "device_id"): mask_opaque,
}
# Paths of personal fields per event kind, and how each is masked for display.
PERSONAL_FIELDS: dict[str, dict[tuple[str, ...], Masker]] = {
    "profile_verification": {
        ("profile", "email"): mask_email,
        ("profile", "phone"): mask_phone,
        ("document", "number"): mask_document,
        ("document", "date_of_birth"): _mask_birth_date,
        ("payment_fingerprint",): mask_opaque,
    },
    "review": {("text",): mask_text},
    "reference_check": {
        ("referee", "email"): mask_email,
        ("response", "ip"): mask_ip,
        ("response", "device_id"): mask_opaque,
        ("response", "text"): mask_text,
    },
    "complaint": {("description",): mask_text},
    "appeal": {("new_information",): mask_text},
}


def _apply(payload: dict[str, Any], path: tuple[str, ...], masker: Masker) -> None:
    node: Any = payload
    for key in path[:-1]:
        node = node.get(key) if isinstance(node, dict) else None
        if node is None:
            return
    if isinstance(node, dict) and isinstance(node.get(path[-1]), str):
        node[path[-1]] = masker(node[path[-1]])


def mask_payload(kind: str, payload: dict[str, Any], reveal: bool = False) -> dict[str, Any]:
    """A copy of an event payload with documents, e-mails, phones, IPs and devices masked.

    ``reveal=True`` returns an unmasked copy; only call it after ``reveal`` allowed it.
    """
    copy = deepcopy(payload)
    if reveal:
        return copy
    for path, masker in {**_COMMON, **PERSONAL_FIELDS.get(kind, {})}.items():
        _apply(copy, path, masker)
    return copy


def reveal(
    conn: Connection, staff: HasRole, event_id: str, now: datetime | None = None
) -> dict[str, Any]:
    """The clear payload of ``event_id`` for a permitted member of staff; the reveal is audited.

    Raises PermissionDeniedError without the reveal permission, CaseError for an unknown event.
    """
    require(staff, Permission.REVEAL_PII)
    row = conn.execute(select(events.c.payload).where(events.c.event_id == event_id)).first()
    if row is None:
        raise CaseError(f"no stored event {event_id!r}")
    record_audit(
        conn, actor=staff.username, action="pii_revealed", target_type="event",
        target_id=event_id, at=now or datetime.now(UTC),
    )
    return dict(row.payload)
