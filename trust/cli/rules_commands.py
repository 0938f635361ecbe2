"""``trust rules``: validate, test and backtest rule packs before they go live."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

if TYPE_CHECKING:
    from trust.rules.pack import RulePack

rules_app = typer.Typer(
    help="Rule packs: validate them, run their examples, backtest them over history.",
    no_args_is_help=True,
)


def _folder(directory: Path | None) -> Path:
    from trust.cli.context import settings

    return directory or settings().rules_dir


def _load_or_exit(directory: Path) -> RulePack:
    from trust.cli.context import err_console
    from trust.errors import RulePackError
    from trust.rules.pack import load_pack

    try:
        return load_pack(directory)
    except RulePackError as exc:
        err_console.print(f"[red]rule pack {directory} refused[/] ({len(exc.problems)} problems)")
        for problem in exc.problems:
            err_console.print(f"  {problem}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1) from exc


@rules_app.command("validate")
def validate_command(
    directory: Path | None = typer.Argument(None, help="The rules folder (default: settings)."),
) -> None:
    """Load and validate a whole pack; exit 1 with file, rule and hint for every problem."""
    from trust.cli.context import console

    pack = _load_or_exit(_folder(directory))
    table = Table(title=f"rule pack {pack.version[:12]} is valid")
    for column in ("kind", "live", "shadow", "disabled"):
        table.add_column(column, justify="left" if column == "kind" else "right")
    for kind in pack.baselines:
        states = [r.spec.state for r in pack.of_kind(kind)]
        table.add_row(kind, *(str(states.count(s)) for s in ("live", "shadow", "disabled")))
    console.print(table)


@rules_app.command("test")
def test_command(
    directory: Path | None = typer.Argument(None, help="The rules folder (default: settings)."),
) -> None:
    """Run every rule's hit and miss examples; exit 1 if one fails or a rule lacks one."""
    from trust.cli.context import console, err_console
    from trust.rules.examples import missing_examples, run_examples

    pack = _load_or_exit(_folder(directory))
    results = run_examples(pack)
    failures = [r for r in results if not r.passed]
    missing = missing_examples(pack)
    for failure in failures:
        err_console.print(
            f"FAIL {failure.file}: {failure.rule_id}: {failure.name!r}: {failure.detail}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    for problem in missing:
        err_console.print(f"MISSING {problem}", markup=False, highlight=False, soft_wrap=True)
    passed = len(results) - len(failures)
    console.print(f"{passed}/{len(results)} examples passed over {len(pack.rules)} rules")
    if failures or missing:
        raise typer.Exit(1)


@rules_app.command("signals")
def signals_command(
    kind: str | None = typer.Argument(None, help="One event kind (default: all)."),
) -> None:
    """List the signals a rule may read, with their types, per event kind."""
    from trust.cli.context import console
    from trust.signals import SIGNAL_TYPES

    if kind is not None and kind not in SIGNAL_TYPES:
        raise typer.BadParameter(f"unknown kind {kind!r}; kinds: {', '.join(SIGNAL_TYPES)}")
    for name in [kind] if kind else list(SIGNAL_TYPES):
        table = Table(title=f"signals of {name} (None means unknown)")
        table.add_column("signal")
        table.add_column("type")
        for signal, value_type in SIGNAL_TYPES[name].items():
            table.add_row(f"signals.{signal}", value_type)
        console.print(table)


@rules_app.command("backtest")
def backtest_command(
    rule: str | None = typer.Option(None, "--rule", help="Report only this rule id."),
    draft: Path | None = typer.Option(
        None, "--draft", exists=True, dir_okay=False, help="A draft rule file to try."
    ),
    since: datetime | None = typer.Option(None, "--since", help="Only events from this date."),
    truth: Path | None = typer.Option(
        None, "--truth", exists=True, dir_okay=False, help="truth.csv: event_id,is_fraud,pattern"
    ),
    directory: Path | None = typer.Option(None, "--dir", help="The rules folder."),
) -> None:
    """Replay stored events through the pack; hits per rule, precision and recall."""
    from trust.cli.context import console, open_store, settings
    from trust.pii import hasher_for
    from trust.rules.backtest import pack_with_draft, read_truth, run_backtest
    from trust.store import snapshot
    from trust.store.appeals import appeal_outcomes
    from trust.store.decisions import staff_labels

    current = settings()
    folder = _folder(directory)
    pack = _load_or_exit(folder)
    shown: list[str] | None = [rule] if rule else None
    if draft is not None:
        from trust.errors import RulePackError

        try:
            pack, shown = pack_with_draft(folder, draft)
        except RulePackError as exc:
            for problem in exc.problems:
                console.print(f"  {problem}", markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(1) from exc
    if rule and rule not in {r.id for r in pack.rules}:
        raise typer.BadParameter(f"no rule {rule!r} in the pack", param_hint="--rule")
    start = since.replace(tzinfo=UTC) if since and since.tzinfo is None else since
    with (
        open_store(current) as store,
        console.status("replaying stored events..."),
        snapshot(store.engine) as conn,
    ):
        result = run_backtest(conn, pack, current, hasher_for(current), since=start)
        labels = {} if truth else staff_labels(conn)
        appeals = appeal_outcomes(conn)
    rows = read_truth(truth) if truth else None
    from trust.cli.rules_report import print_report

    print_report(console, pack, result, rows, labels, shown, appeals)


def register(app: typer.Typer) -> None:
    """Add the ``rules`` group."""
    app.add_typer(rules_app, name="rules")
