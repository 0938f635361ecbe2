"""``trust staff``: create and manage the people who sign in to the dashboard.

There is no default account: the first admin is created here, and a generated password is
printed exactly once.
"""

from __future__ import annotations

import getpass
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import typer

staff_app = typer.Typer(
    help="Staff accounts: add people, list them, change roles, disable them.",
    no_args_is_help=True,
)
ROLE_HELP = "analyst (works the queue), lead (+ approves four-eyes, reveals data), admin (+ staff)"


def _actor() -> str:
    # Changes made from a shell are audited under the operating-system user who ran them.
    return f"cli:{getpass.getuser()}"


def _read_password() -> str:
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise typer.BadParameter("no password on standard input", param_hint="--password-stdin")
    return line


@contextmanager
def _mistakes_refused() -> Iterator[None]:
    """A mistyped role (ValueError from ``parse_role``) is a refused staff change."""
    from trust.errors import StaffError

    try:
        yield
    except ValueError as exc:
        raise StaffError(str(exc)) from exc


def _run(change: str, *args: object, **kwargs: object) -> None:
    """Call ``trust.staff.<change>(conn, *args)`` in one transaction."""
    import trust.staff as staff
    from trust.cli.context import open_store
    from trust.store import transaction

    with _mistakes_refused(), open_store() as store, transaction(store.engine) as conn:
        getattr(staff, change)(conn, *args, actor=_actor(), **kwargs)


@staff_app.command("add")
def add_command(
    name: str = typer.Argument(..., help="Username: 2-64 of a-z, 0-9, '.', '_', '-'."),
    role: str = typer.Option(..., "--role", help=ROLE_HELP),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from standard input instead."
    ),
) -> None:
    """Add a staff member; without --password-stdin a password is generated and shown once."""
    from trust.cli.context import console, open_store
    from trust.staff import add_staff
    from trust.store import transaction

    typed = _read_password() if password_stdin else None
    with _mistakes_refused(), open_store() as store, transaction(store.engine) as conn:
        password = add_staff(conn, name, role, typed, actor=_actor())
    console.print(f"[green]added[/] {name.strip().lower()} as {role.strip().lower()}")
    if typed is None:
        console.print("password (shown once, store it now):", highlight=False)
        typer.echo(password)


@staff_app.command("list")
def list_command() -> None:
    """List staff members with role, status and last sign-in."""
    from rich.table import Table

    from trust.cli.context import console, open_store
    from trust.staff import list_staff
    from trust.store import snapshot

    with open_store() as store, snapshot(store.engine) as conn:
        members = list_staff(conn)
    if not members:
        console.print("no staff yet: add the first admin with `trust staff add NAME --role admin`")
        return
    table = Table("username", "role", "active", "may reveal", "failed sign-ins", "last sign-in")
    for m in members:
        table.add_row(
            m.username,
            m.role,
            "yes" if m.active else "no",
            "yes" if m.can_reveal_pii else "role",
            str(m.failed_logins),
            str(m.last_login_at or "never"),
        )
    console.print(table)


@staff_app.command("set-role")
def set_role_command(
    name: str = typer.Argument(..., help="Username."),
    role: str = typer.Argument(..., help=ROLE_HELP),
) -> None:
    """Give a staff member another role."""
    _run("set_role", name, role)
    typer.echo(f"{name} is now {role}")


@staff_app.command("disable")
def disable_command(name: str = typer.Argument(..., help="Username.")) -> None:
    """Stop a staff member from signing in (their history stays)."""
    _run("disable_staff", name)
    typer.echo(f"{name} is disabled")


@staff_app.command("enable")
def enable_command(name: str = typer.Argument(..., help="Username.")) -> None:
    """Let a disabled or locked-out staff member sign in again."""
    _run("enable_staff", name)
    typer.echo(f"{name} is enabled")


@staff_app.command("reset-password")
def reset_password_command(
    name: str = typer.Argument(..., help="Username."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the new password from standard input."
    ),
) -> None:
    """Set a new password (generated and shown once unless read from standard input)."""
    from trust.staff import generate_password

    password = _read_password() if password_stdin else generate_password()
    _run("set_password", name, password)
    typer.echo(f"{name} has a new password")
    if not password_stdin:
        typer.echo(password)


def register(app: typer.Typer) -> None:
    """Add the ``staff`` group."""
    app.add_typer(staff_app, name="staff")
