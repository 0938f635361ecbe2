"""``trust graph …``: the account graph, its suspicious clusters, and cluster cases."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime

import typer
from rich.table import Table

graph_app = typer.Typer(
    help="The account graph: clusters of accounts acting together, as cluster cases.",
    no_args_is_help=True,
)


@graph_app.command("clusters")
def clusters_command(
    as_of: datetime | None = typer.Option(
        None, "--as-of", help="Use only links that existed at this time (UTC; default: all)."
    ),
    open_cases: bool = typer.Option(
        True,
        "--open-cases/--dry-run",
        help="Open or join one cluster case per suspicious cluster (default), or only list.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Find suspicious clusters (rings, bursts, one person's accounts) and open cluster cases."""
    from trust.cli.context import console, open_store, settings
    from trust.graph.passes import cluster_pass

    moment = as_of.replace(tzinfo=as_of.tzinfo or UTC) if as_of else None
    with open_store() as store:
        done = cluster_pass(store, settings(), as_of=moment, open_cases=open_cases)
    if as_json:
        console.print_json(
            json.dumps(
                [
                    {
                        "cluster_id": c.cluster_id,
                        "case_id": done.cases.get(c.cluster_id),
                        "members": list(c.members),
                        "reasons": list(c.reasons),
                        "reviews_inside": c.reviews_inside,
                        "evidence": {m: c.evidence(m) for m in c.members},
                    }
                    for c in done.clusters
                ]
            )
        )
        return
    table = Table(
        title=f"{len(done.clusters)} suspicious clusters from {done.links:,} links "
        f"(read {done.read_s:.2f} s, clustered {done.cluster_s:.2f} s); "
        f"{done.decisions_revised} decisions sent to review as cluster members"
    )
    for column in ("cluster", "case", "members", "reviews inside", "why"):
        table.add_column(column)
    for c in done.clusters:
        table.add_row(
            c.cluster_id,
            str(done.cases.get(c.cluster_id, "-")),
            str(len(c.members)),
            str(c.reviews_inside),
            ", ".join(c.reasons),
        )
    console.print(table)


@graph_app.command("watch")
def watch_command(
    every: float | None = typer.Option(
        None, "--every", min=1.0, help="Seconds between passes (default TRUST_GRAPH__INTERVAL_S)."
    ),
) -> None:
    """Run a clustering pass now and then every interval, until SIGINT/SIGTERM."""
    from trust.cli.context import console, open_store, settings
    from trust.graph.passes import cluster_pass
    from trust.shutdown import stop_on_signals

    current = settings()
    interval = every if every is not None else current.graph.interval_s
    if interval <= 0:
        console.print("graph watch: TRUST_GRAPH__INTERVAL_S is 0, nothing to do")
        return
    stopping = threading.Event()
    stop_on_signals(stopping)
    with open_store(current) as store:
        while not stopping.is_set():
            done = cluster_pass(store, current)
            console.print(
                f"{datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ} graph pass: {done.links:,} "
                f"links, {len(done.clusters)} clusters, {len(done.cases)} cases, "
                f"{done.decisions_revised} decisions sent to review "
                f"(read {done.read_s:.2f} s, clustered {done.cluster_s:.2f} s)"
            )
            stopping.wait(interval)


def _bench_graph_command(
    accounts: int = typer.Option(5000, "--accounts", min=10, help="Simulated honest accounts."),
    days: int = typer.Option(30, "--days", min=1, help="Simulated days."),
    seed: int = typer.Option(17, "--seed", help="Simulation seed."),
) -> None:
    """Cost of a clustering pass (read links, cluster, open cases) over a simulated store."""
    from trust.cli.context import console, settings
    from trust.graph.bench import bench_graph

    with console.status("simulating, ingesting and clustering..."):
        report = bench_graph(settings(), accounts, days, seed)
    console.print(report.render())


def register(app: typer.Typer) -> None:
    """Add the graph command group and ``trust bench graph``."""
    from trust.cli.bench_commands import bench_app

    app.add_typer(graph_app, name="graph")
    bench_app.command("graph")(_bench_graph_command)
