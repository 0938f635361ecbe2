"""Evidence attachments: what an event's ``evidence_refs`` point at, and who opened them.

Events name their attachments by reference only. An ``AttachmentSource`` turns a reference
into something a reviewer can open; two ship here, chosen by settings:

* ``FolderSource`` (default): a folder with one file per reference, ``<ref>.<extension>``;
* ``UrlTemplateSource``: the marketplace's own address of the file, e.g.
  ``https://files.example.com/{ref}``; the reviewer's browser loads it, this process never
  fetches it.

A marketplace with another store implements the one-method protocol. Attachments are personal
data that cannot be masked, so opening one needs the reveal permission and is audited like a
reveal of an event's clear values (``open_attachment``).
"""

from __future__ import annotations

import mimetypes
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol
from urllib.parse import quote

from sqlalchemy import Connection

from trust.audit import record_audit
from trust.errors import CaseError
from trust.settings import Settings
from trust.staff.roles import HasRole, Permission, require

INLINE_TYPES = (
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "application/pdf",
    "text/plain",
)
# References are event identifiers: letters, digits and . _ : - (never a path).
_SAFE_REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")


@dataclass(frozen=True, slots=True)
class Attachment:
    """An opened attachment: its bytes (from a folder) or its address (from a URL template)."""

    ref: str
    media_type: str | None
    data: bytes | None = None
    url: str | None = None
    problem: str | None = None


class AttachmentSource(Protocol):
    """Turns an attachment reference into an ``Attachment`` (``problem`` set when it cannot)."""

    def fetch(self, ref: str) -> Attachment:
        """The attachment ``ref`` names."""
        ...


def _checked(ref: str) -> str:
    if not _SAFE_REF.fullmatch(ref) or ".." in ref:
        raise CaseError(f"evidence_refs: {ref!r} is not a valid attachment reference")
    return ref


class FolderSource:
    """Attachments as files in one folder, named ``<ref>.<extension>``."""

    def __init__(self, folder: Path, max_bytes: int) -> None:
        self.folder = folder
        self.max_bytes = max_bytes

    def fetch(self, ref: str) -> Attachment:
        """The file for ``ref`` (the first of its name with an inline type), or a problem."""
        _checked(ref)
        found = sorted(p for p in self.folder.glob(f"{glob_escape(ref)}.*") if p.is_file())
        typed = [(p, mimetypes.guess_type(p.name)[0]) for p in found]
        shown = [(p, t) for p, t in typed if t in INLINE_TYPES]
        if not shown:
            return Attachment(
                ref,
                None,
                problem=f"no file for {ref} in {self.folder}"
                if not found
                else "its file type cannot be shown here",
            )
        path, media_type = shown[0]
        if path.stat().st_size > self.max_bytes:
            return Attachment(
                ref, media_type, problem=f"the file is larger than {self.max_bytes:,} bytes"
            )
        return Attachment(ref, media_type, data=path.read_bytes())


def glob_escape(text: str) -> str:
    """``text`` with glob wildcards taken literally."""
    return re.sub(r"([*?\[])", r"[\1]", text)


class UrlTemplateSource:
    """Attachments at the marketplace's addresses: ``template`` with ``{ref}`` filled in."""

    def __init__(self, template: str) -> None:
        self.template = template

    def fetch(self, ref: str) -> Attachment:
        """The address of ``ref``; the type is guessed from it (None when it has no suffix)."""
        url = self.template.replace("{ref}", quote(_checked(ref), safe=""))
        return Attachment(ref, mimetypes.guess_type(url)[0], url=url)


def attachment_source(settings: Settings) -> AttachmentSource:
    """The source the settings name: the URL template when set, else the folder."""
    config = settings.attachments
    if config.url_template:
        return UrlTemplateSource(config.url_template)
    return FolderSource(config.dir or settings.data_dir / "attachments", config.max_bytes)


def open_attachment(
    conn: Connection,
    source: AttachmentSource,
    staff: HasRole,
    ref: str,
    *,
    event_id: str,
    at: datetime,
) -> Attachment:
    """Open ``ref`` (named by event ``event_id``) for ``staff``: needs the reveal permission,
    and is audited as ``attachment_opened`` on the event."""
    require(staff, Permission.REVEAL_PII)
    found = source.fetch(ref)
    record_audit(
        conn,
        actor=staff.username,
        action="attachment_opened",
        target_type="event",
        target_id=event_id,
        at=at,
        after={"ref": ref, "opened": found.problem is None},
    )
    return found
