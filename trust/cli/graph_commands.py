"""``trust graph …``: the account graph, its suspicious clusters, and cluster cases."""

from __future__ import annotations

import json
import time
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
        None, "--as-of", help="Use only links that existed at this time (UTC; default: all)."),
    open_cases: bool = typer.Option(
        True, "--open-cases/--dry-run",
        help="Open or join one cluster case per suspicious cluster (default), or only list."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Find suspicious clusters (rings, bursts, one person's accounts) and open cluster cases."""
    from trust.cases.clusters import record_clusters
    from trust.cli.context import console, open_store, settings
    from trust.graph.clusters import AccountGraph
    from trust.store import snapshot, transaction
    from trust.store.graph import graph_links

    moment = as_of.replace(tzinfo=as_of.tzinfo or UTC) if as_of else None
    started = time.perf_counter()
    with open_store() as store:
        with snapshot(store.engine) as conn:
            links = graph_links(conn, moment)
        found = AccountGraph(links, moment).clusters()
        cases: dict[str, int] = {}
        if open_cases and found:
            with transaction(store.engine) as conn:
                cases = record_clusters(conn, found, settings(), datetime.now(UTC)).cluster_cases
    seconds = time.perf_counter() - started
    if as_json:
        console.print_json(json.dumps([
            {"cluster_id": c.cluster_id, "case_id": cases.get(c.cluster_id),
             "members": list(c.members), "reasons": list(c.reasons),
             "reviews_inside": c.reviews_inside,
             "evidence": {m: c.evidence(m) for m in c.members}} for c in found]))
        return
    table = Table(title=f"{len(found)} suspicious clusters from {len(links):,} links "
                        f"({seconds:.2f} s)")
    for column in ("cluster", "case", "members", "reviews inside", "why"):
        table.add_column(column)
    for c in found:
        table.add_row(c.cluster_id, str(cases.get(c.cluster_id, "-")), str(len(c.members)),
                      str(c.reviews_inside), ", ".join(c.reasons))
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add the graph command group."""
    app.add_typer(graph_app, name="graph")
