"""``trust bench``: benchmarks that print figures (never timed assertions).

Other areas add their own benchmarks to the same group from their own modules::

    from trust.cli.bench_commands import bench_app

    @bench_app.command("model")
    def bench_model() -> None: ...

The group is registered once, here; ``_register()`` in main.py imports every area's
module, so their commands are attached before the CLI runs.
"""

from __future__ import annotations

from pathlib import Path

import typer

bench_app = typer.Typer(
    help="Benchmarks on this machine: rules, model, pipeline, dashboard.", no_args_is_help=True
)


@bench_app.command("rules")
def bench_rules_command(
    accounts: int = typer.Option(2000, "--accounts", min=10, help="Simulated honest accounts."),
    days: int = typer.Option(30, "--days", min=1, help="Simulated days."),
    seed: int = typer.Option(11, "--seed", help="Simulation seed."),
    repeat: int = typer.Option(
        3, "--repeat", min=1, help="Passes over the events for (a); rounds with --peer."
    ),
    batch_size: int = typer.Option(
        0, "--batch-size", min=0, help="Events per signal batch for (b) (0: worker setting)."
    ),
    peer: bool = typer.Option(
        False,
        "--peer",
        help="Instead: ours against ezrules' engine on the shared workload, alternating rounds.",
    ),
    peer_python: Path | None = typer.Option(
        None,
        "--peer-python",
        envvar="TRUST_PEER_PYTHON",
        help="With --peer: a Python >= 3.12 with ezrules and this package (when ezrules does "
        "not import here).",
    ),
    workload: Path | None = typer.Option(
        None, "--workload", help="With --peer: the shared workload folder (../shared/bench)."
    ),
) -> None:
    """(a) rules alone over precomputed signals, (b) signals and rules over a SQLite store.

    With --peer: our engine and ezrules' over the shared 30-rule workload in one process,
    events/s of CPU time of each, the ratio, and whether their hits are identical.
    """
    from trust.cli.context import console, settings

    current = settings()
    if peer:
        from trust.rules.peer import default_workload_dir, run_peer_or_explain

        folder = workload or default_workload_dir()
        rounds = max(repeat, 2)
        batch = batch_size or current.worker.batch_size
        with console.status("running both engines over the shared workload..."):
            compared = run_peer_or_explain(folder, peer_python, rounds=rounds, batch_size=batch)
        console.print(compared.render())
        return
    from trust.rules.bench import bench_rules

    with console.status("simulating and loading a store..."):
        report = bench_rules(
            current.rules_dir,
            accounts=accounts,
            days=days,
            seed=seed,
            repeat=repeat,
            batch_size=batch_size or current.worker.batch_size,
        )
    console.print(report.render())


def register(app: typer.Typer) -> None:
    """Add the ``bench`` group (once; other areas attach commands to ``bench_app``)."""
    app.add_typer(bench_app, name="bench")
