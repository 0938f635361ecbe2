"""Masked views of event payloads for staff, and the audited reveal of the clear values."""

from __future__ import annotations

import re
from collections.abc import Callable
from copy import deepcopy
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Connection, select

from trust.audit import record_audit
from trust.errors import CaseError
from trust.events import INTAKE_TYPES
from trust.events.personal import personal_fields
from trust.pii import (
    keeps_readable,
    mask_document,
    mask_email,
    mask_ip,
    mask_opaque,
    mask_phone,
)
from trust.staff.roles import HasRole, Permission, require
from trust.store.tables import events

Masker = Callable[[str], str]


def _mask_birth_date(value: str) -> str:
    # The year is enough to judge an age; the full date identifies a person.
    return f"{value[:4]}-**-**" if len(value) >= 4 else "****"


# Linear in the text's length, whatever it holds: the look-behind lets a match start only
# where a local part starts (not at every letter of a long word), and possessive
# quantifiers never give back what they took. The former pattern spent a minute on 120 KB.
_EMAIL_IN_TEXT = re.compile(r"(?<![\w.+-])[\w.+-]++@[\w-]++(?:\.[\w-]++)++")
# Phones live inside runs of digits and separators; a run is found in one pass (a plain
# character class never backtracks) and only a run holding 8+ digits is searched.
_PHONE_RUN = re.compile(r"[\d ()+-]{8,}")
_PHONE_IN_RUN = re.compile(r"\+?\d[\d ()-]{6,}\d")
_SEPARATORS = re.compile(r"[ ()-]")


def _mask_phones_in_run(match: re.Match[str]) -> str:
    run = match.group(0)
    if sum(ch.isdigit() for ch in run) < 8:
        return run
    text, offset = match.string, match.start()
    # A date or a piece of an id ('ev-20260227-000123') is not a phone: keep it readable.
    return _PHONE_IN_RUN.sub(
        lambda m: (
            m.group(0)
            if keeps_readable(text, offset + m.start(), offset + m.end())
            else mask_phone(_SEPARATORS.sub("", m.group(0)))
        ),
        run,
    )


def mask_text(text: str) -> str:
    """Free text with its e-mail addresses and phone numbers masked (linear; dates, ids kept)."""
    if "@" in text:
        text = _EMAIL_IN_TEXT.sub(lambda m: mask_email(m.group(0)), text)
    return _PHONE_RUN.sub(_mask_phones_in_run, text)


# How each declared kind of personal value is shown (trust.events.personal.Mask).
_MASKERS: dict[str, Masker | None] = {
    "email": mask_email,
    "phone": mask_phone,
    "document": mask_document,
    "birth_date": _mask_birth_date,
    "ip": mask_ip,
    "opaque": mask_opaque,
    "text": mask_text,
    "name": None,  # staff compare names with documents: shown in clear
}


def _maskers_of(model: type[BaseModel]) -> dict[tuple[str, ...], Masker]:
    found = {}
    for path, marker in personal_fields(model):
        masker = _MASKERS[marker.mask]
        if masker is not None:
            found[path] = masker
    return found


# Paths of personal fields per event kind, and how each is masked for display: read from
# the declarations on the event models, so a new kind or field is masked without a list.
PERSONAL_FIELDS: dict[str, dict[tuple[str, ...], Masker]] = {
    kind: _maskers_of(model) for kind, model in INTAKE_TYPES.items()
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
    for path, masker in PERSONAL_FIELDS.get(kind, {}).items():
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
        conn,
        actor=staff.username,
        action="pii_revealed",
        target_type="event",
        target_id=event_id,
        at=now or datetime.now(UTC),
    )
    return dict(row.payload)
