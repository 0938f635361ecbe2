"""Attachment sources: a folder by default, the marketplace's URL template otherwise; opening
one needs the reveal permission and is audited."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from tests.conftest import TEST_SECRET
from trust.attachments import FolderSource, attachment_source, open_attachment
from trust.errors import CaseError, PermissionDeniedError
from trust.settings import Settings
from trust.staff import Role, StaffMember
from trust.store import transaction
from trust.store.tables import audit_log

NOW = datetime(2026, 6, 1, tzinfo=UTC)
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 16


def test_a_folder_source_finds_the_file_named_by_the_reference(tmp_path: Path) -> None:
    (tmp_path / "att-1.png").write_bytes(PNG)
    (tmp_path / "att-2.exe").write_bytes(b"MZ")
    source = FolderSource(tmp_path, 1000)
    found = source.fetch("att-1")
    assert (found.media_type, found.data, found.problem) == ("image/png", PNG, None)
    assert source.fetch("att-2").problem == "its file type cannot be shown here"
    assert "no file for att-3" in (source.fetch("att-3").problem or "")
    assert "larger than" in (FolderSource(tmp_path, 10).fetch("att-1").problem or "")


@pytest.mark.parametrize("ref", ["../secret", "a/b", "*", ""])
def test_a_reference_is_never_a_path(tmp_path: Path, ref: str) -> None:
    with pytest.raises(CaseError, match="evidence_refs"):
        FolderSource(tmp_path, 1000).fetch(ref)


def test_the_url_template_names_the_marketplace_address(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        secret_key=TEST_SECRET,
        attachments={"url_template": "https://files.example.com/{ref}.png"},
    )
    found = attachment_source(settings).fetch("att-1")
    assert (found.url, found.media_type) == ("https://files.example.com/att-1.png", "image/png")
    with pytest.raises(ValidationError, match="URL_TEMPLATE"):
        Settings(attachments={"url_template": "http://files.example.com/x"})


def test_opening_needs_the_reveal_permission_and_is_audited(store, tmp_path: Path) -> None:
    (tmp_path / "att-1.png").write_bytes(PNG)
    source = FolderSource(tmp_path, 1000)
    with transaction(store.engine) as conn:
        with pytest.raises(PermissionDeniedError):
            open_attachment(
                conn, source, StaffMember(1, "ana", Role.ANALYST), "att-1", event_id="ev-1", at=NOW
            )
        found = open_attachment(
            conn, source, StaffMember(2, "lee", Role.LEAD), "att-1", event_id="ev-1", at=NOW
        )
        audit = conn.execute(
            select(audit_log).where(audit_log.c.action == "attachment_opened")
        ).one()
    assert found.data == PNG
    assert (audit.actor, audit.target_id, audit.after) == (
        "lee",
        "ev-1",
        {"ref": "att-1", "opened": True},
    )
