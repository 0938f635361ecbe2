"""``trust encryption``: personal data at rest after a key rotation."""

from __future__ import annotations

import typer

encryption_app = typer.Typer(
    help="Personal data sealed at rest: re-encrypt after rotating the key.",
    no_args_is_help=True,
)


@encryption_app.command("reseal")
def reseal_command() -> None:
    """Re-encrypt stored events and quarantined records with the current key.

    Run it after setting a new TRUST_ENCRYPTION__KEY (the old one moved to
    TRUST_ENCRYPTION__PREVIOUS_KEYS), or once after upgrading a store written before
    personal data was sealed. Rows already sealed with the current key are skipped, so it
    can be interrupted and run again. Afterwards the previous keys can be removed.
    """
    from trust.cli.context import console, open_store
    from trust.store.reseal import reseal_store

    with open_store() as store, console.status("re-encrypting..."):
        report = reseal_store(store.engine)
    console.print(
        f"re-encrypted {report.events:,} events and {report.quarantined:,} quarantined "
        f"records; {report.already_current:,} were already sealed with the current key"
    )


def register(app: typer.Typer) -> None:
    """Add ``trust encryption``."""
    app.add_typer(encryption_app, name="encryption")
