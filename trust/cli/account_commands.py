"""``trust accounts``: find an account by id, name or an identifier from a ticket."""

from __future__ import annotations

import getpass
import json
from enum import StrEnum

import typer

accounts_app = typer.Typer(
    help="Accounts: find one by what a ticket gives you.", no_args_is_help=True
)


class IdentifierKind(StrEnum):
    """The identifiers an account can be found by (exact match through the keyed hashes)."""

    EMAIL = "email"
    PHONE = "phone"
    DOCUMENT = "document"
    IP = "ip"
    PAYMENT = "payment"


@accounts_app.command("find")
def find_command(
    query: str = typer.Argument(..., help="Account id (prefix), display name, or an identifier."),
    kind: IdentifierKind | None = typer.Option(
        None,
        "--kind",
        help="Search only this identifier; by default the query's shape decides "
        "(an @ is an e-mail, an address an IP, …) along with ids and names.",
    ),
    limit: int = typer.Option(50, "--limit", min=1, max=500, help="Most accounts listed."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per line."),
) -> None:
    """Find accounts; every search is audited (the kind of identifier, never its value)."""
    from datetime import UTC, datetime

    from rich.table import Table

    from trust.account_search import find_accounts
    from trust.cli.context import console, open_store, settings
    from trust.pii import hasher_for
    from trust.store import transaction

    current = settings()
    with open_store(current) as store, transaction(store.engine) as conn:
        hits = find_accounts(
            conn,
            query,
            hasher_for(current),
            actor=f"cli:{getpass.getuser()}",
            at=datetime.now(UTC),
            kind=kind.value if kind else None,
            limit=limit,
        )
    if as_json:
        for hit in hits:
            typer.echo(
                json.dumps(
                    {
                        "account_id": hit.account_id,
                        "display_name": hit.display_name,
                        "status": hit.status,
                        "enforcement": hit.enforcement,
                        "open_cases": hit.open_cases,
                        "matched_by": list(hit.matched_by),
                    }
                )
            )
        return
    if not hits:
        console.print("no account matches")
        return
    table = Table("account", "display name", "status", "enforcement", "open cases", "matched by")
    for hit in hits:
        table.add_row(
            hit.account_id,
            hit.display_name or "",
            hit.status,
            hit.enforcement,
            str(hit.open_cases),
            ", ".join(hit.matched_by),
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add the ``accounts`` group."""
    app.add_typer(accounts_app, name="accounts")
