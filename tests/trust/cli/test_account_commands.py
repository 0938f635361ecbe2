"""``trust accounts find``: a planted e-mail finds its account from the shell, audited."""

from __future__ import annotations

import getpass
import json
from datetime import UTC, datetime

from sqlalchemy import select
from typer.testing import CliRunner

from tests.conftest import TEST_SECRET
from tests.factories import make_profile_verification
from tests.trust.cli.test_staff_commands import data_dir, store_of  # noqa: F401 (fixture)
from trust.cli.main import app
from trust.identifiers import identifiers_of
from trust.pii import PiiHasher
from trust.store import transaction
from trust.store.accounts import record_accounts, record_identifiers
from trust.store.tables import audit_log

runner = CliRunner()


def test_find_lists_the_account_an_email_names(data_dir) -> None:  # noqa: F811
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    event = make_profile_verification(account_id="acct-cli", profile={"email": "cli@example.org"})
    store = store_of(data_dir)
    with transaction(store.engine) as conn:
        record_accounts(conn, [event])
        record_identifiers(
            conn,
            identifiers_of(event, PiiHasher(TEST_SECRET.encode())),
            seen_at=datetime.now(UTC),
            event_id=event.event_id,
        )
    result = runner.invoke(app, ["accounts", "find", "CLI@example.org", "--json"])
    assert result.exit_code == 0, result.output
    assert [json.loads(line) for line in result.output.splitlines()] == [
        {
            "account_id": "acct-cli",
            "display_name": "Alice W.",
            "status": "active",
            "enforcement": "none",
            "open_cases": 0,
            "matched_by": ["email"],
        }
    ]
    with transaction(store.engine) as conn:
        actor = conn.execute(
            select(audit_log.c.actor).where(audit_log.c.action == "account_search")
        ).scalar_one()
    store.close()
    assert actor == f"cli:{getpass.getuser()}"
