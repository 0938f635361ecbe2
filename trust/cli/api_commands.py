"""``trust serve``, ``trust apikey`` and ``trust webhook``: the HTTP API and its callers.

Part of the composition root: ``serve`` runs ``workers.serve`` (pipeline and queue wiring)
in uvicorn processes.
"""

from __future__ import annotations

import typer
from rich.table import Table

apikey_app = typer.Typer(
    help="API keys of the HTTP API: create, list, revoke.", no_args_is_help=True
)
webhook_app = typer.Typer(
    help="Webhooks out: subscriptions, the delivery log, replays.", no_args_is_help=True
)


def serve(
    port: int | None = typer.Option(
        None, "--port", min=1, max=65535, help="Port (default TRUST_API__PORT)."
    ),
    processes: int | None = typer.Option(
        None, "--processes", min=1, max=64, help="uvicorn processes (default TRUST_API__PROCESSES)."
    ),
) -> None:
    """Serve the HTTP API (OpenAPI at /openapi.json, docs at /docs) on TRUST_BIND_HOST."""
    from trust.cli.context import console, open_store, settings

    current = settings()
    with open_store(current):
        pass  # migrate once here, not in every process
    host, port = current.bind_host, port or current.api.port
    console.print(f"API on http://{host}:{port} (docs: http://{host}:{port}/docs)", highlight=False)
    from workers.api_metrics import api_metrics_folder
    from workers.api_process import run_api

    try:
        run_api(
            host,
            port,
            processes or current.api.processes,
            current.api.stall_seconds,
            api_metrics_folder(current.data_dir),
        )
    except OSError as exc:
        raise typer.BadParameter(f"{host}:{port}: {exc.strerror}", param_hint="--port") from exc


def _scopes(value: str) -> set[str]:
    from trust.store.api_keys import unknown_scopes

    scopes = {s.strip() for s in value.split(",") if s.strip()}
    if not scopes:
        raise typer.BadParameter("give at least one scope", param_hint="--scopes")
    if bad := unknown_scopes(scopes):
        from trust.store.api_keys import SCOPES

        raise typer.BadParameter(
            f"unknown scope(s) {', '.join(bad)}; known: {', '.join(SCOPES)}", param_hint="--scopes"
        )
    return scopes


@apikey_app.command("create")
def apikey_create(
    name: str = typer.Argument(..., help="Who or what the key is for."),
    scopes: str = typer.Option(
        "events:write,decisions:write,decisions:read,accounts:read,cases:read",
        "--scopes",
        help="Comma-separated: events:write, decisions:write, decisions:read, accounts:read, "
        "cases:read, metrics:read (GET /metrics, for a Prometheus scrape).",
    ),
) -> None:
    """Create a key; its token is printed once and only its hash is stored."""
    import getpass

    from trust.cli.context import console, open_store
    from trust.store import transaction
    from trust.store.api_keys import create_api_key

    wanted = _scopes(scopes)
    with open_store() as store, transaction(store.engine) as conn:
        created = create_api_key(conn, name, wanted, created_by=getpass.getuser())
    console.print(
        f"key {created.key.prefix} ({', '.join(sorted(created.key.scopes))}); "
        "the token below is shown this once:",
        highlight=False,
    )
    typer.echo(created.token)


@apikey_app.command("list")
def apikey_list() -> None:
    """Every key: prefix, name, scopes, when it was last used, revoked or not."""
    from trust.cli.context import console, open_store
    from trust.store import snapshot
    from trust.store.api_keys import list_api_keys

    with open_store() as store, snapshot(store.engine) as conn:
        keys = list_api_keys(conn)
    table = Table(title=f"{len(keys)} API keys")
    for column in ("prefix", "name", "scopes", "created", "last used", "revoked"):
        table.add_column(column, overflow="fold")
    for key in keys:
        table.add_row(
            key.prefix,
            key.name,
            ", ".join(sorted(key.scopes)),
            f"{key.created_at:%Y-%m-%d %H:%M}",
            f"{key.last_used_at:%Y-%m-%d %H:%M}" if key.last_used_at else "",
            f"{key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "",
        )
    console.print(table)


@apikey_app.command("revoke")
def apikey_revoke(prefix: str = typer.Argument(..., help="The key's prefix (see list).")) -> None:
    """Revoke a key (API processes stop accepting it within seconds)."""
    from trust.cli.context import console, open_store
    from trust.errors import ApiKeyError
    from trust.store import transaction
    from trust.store.api_keys import revoke_api_key

    with open_store() as store, transaction(store.engine) as conn:
        done = revoke_api_key(conn, prefix)
    if not done:
        raise ApiKeyError(f"no active key with prefix {prefix}")
    console.print(f"key {prefix} revoked", highlight=False)


@webhook_app.command("add")
def webhook_add(
    url: str = typer.Argument(..., help="HTTPS URL, or http:// on a loopback address."),
    events: str = typer.Option(
        "decision.created,enforcement.changed,case.resolved,dispute.outcome,appeal.decided",
        "--events",
        help="Comma-separated event types to send.",
    ),
) -> None:
    """Subscribe ``url``; prints the signing secret (verify with ``trust.webhooks.verify``)."""
    from trust.cli.context import console, open_store
    from trust.store import transaction
    from trust.store.webhooks import add_subscription
    from trust.webhooks import check_event_types, check_url

    try:
        types = check_event_types(events.split(","))
        check_url(url)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    with open_store() as store, transaction(store.engine) as conn:
        sub = add_subscription(conn, url, types)
    console.print(
        f"subscription {sub.id} to {', '.join(sub.event_types)}; signing secret:", highlight=False
    )
    typer.echo(sub.secret)


@webhook_app.command("list")
def webhook_list() -> None:
    """Subscriptions with their state and consecutive failures."""
    from trust.cli.context import console, open_store
    from trust.store import snapshot
    from trust.store.webhooks import subscriptions

    with open_store() as store, snapshot(store.engine) as conn:
        subs = subscriptions(conn)
    table = Table(title=f"{len(subs)} webhook subscriptions")
    for column in ("id", "url", "events", "active", "failures", "disabled because"):
        table.add_column(column, overflow="fold")
    for sub in subs:
        table.add_row(
            str(sub.id),
            sub.url,
            ", ".join(sub.event_types),
            "yes" if sub.active else "no",
            str(sub.consecutive_failures),
            sub.disabled_reason or "",
        )
    console.print(table)


def _set_active(subscription_id: int, active: bool) -> None:
    from trust.cli.context import console, open_store
    from trust.errors import WebhookError
    from trust.store import transaction
    from trust.store.webhooks import set_active

    with open_store() as store, transaction(store.engine) as conn:
        done = set_active(conn, subscription_id, active, None if active else "disabled by staff")
    if not done:
        raise WebhookError(f"no subscription {subscription_id}")
    console.print(f"subscription {subscription_id} {'enabled' if active else 'disabled'}")


@webhook_app.command("enable")
def webhook_enable(subscription_id: int = typer.Argument(..., help="Subscription id.")) -> None:
    """Turn a subscription back on (its failure count restarts at zero)."""
    _set_active(subscription_id, True)


@webhook_app.command("disable")
def webhook_disable(subscription_id: int = typer.Argument(..., help="Subscription id.")) -> None:
    """Stop sending to a subscription (deliveries stay in the log)."""
    _set_active(subscription_id, False)


@webhook_app.command("deliveries")
def webhook_deliveries(
    subscription_id: int | None = typer.Option(None, "--subscription", help="Only this one."),
    status: str | None = typer.Option(
        None, "--status", help="pending, sending, delivered or failed."
    ),
    limit: int = typer.Option(30, "--limit", min=1, help="How many (newest first)."),
) -> None:
    """The delivery log: message id, type, status, attempts, last answer."""
    from trust.cli.context import console, open_store
    from trust.store import snapshot
    from trust.store.webhooks import deliveries

    with open_store() as store, snapshot(store.engine) as conn:
        rows = deliveries(conn, subscription_id=subscription_id, status=status, limit=limit)
    table = Table(title="webhook deliveries")
    for column in (
        "id",
        "subscription",
        "message id",
        "type",
        "status",
        "attempts",
        "last answer",
        "next attempt",
    ):
        table.add_column(column, overflow="fold")
    for row in rows:
        answer = str(row.last_status_code or "") or (row.last_error or "")
        table.add_row(
            str(row.id),
            str(row.subscription_id),
            row.message_id,
            row.event_type,
            row.status,
            str(row.attempts),
            answer,
            "" if row.status == "delivered" else f"{row.next_attempt_at:%H:%M:%S}",
        )
    console.print(table)


@webhook_app.command("replay")
def webhook_replay(
    ids: list[int] = typer.Argument(..., help="Delivery ids (see deliveries)."),
) -> None:
    """Send deliveries again now, with their original webhook-id (receivers deduplicate)."""
    import getpass

    from trust.cli.context import console, open_store
    from trust.store import transaction
    from trust.webhooks import replay_deliveries

    with open_store() as store, transaction(store.engine) as conn:
        count = replay_deliveries(conn, ids, actor=getpass.getuser())
    console.print(f"{count} deliveries queued again (workers send them within seconds)")


def register(app: typer.Typer) -> None:
    """Add ``serve`` and the ``apikey`` and ``webhook`` groups."""
    app.command("serve")(serve)
    app.add_typer(apikey_app, name="apikey")
    app.add_typer(webhook_app, name="webhook")
    from trust.cli.bench_commands import bench_app

    bench_app.command("api")(bench_api)


def bench_api(
    concurrency: int = typer.Option(
        32, "--concurrency", min=1, max=1024, help="Requests in flight at once."
    ),
    seconds: float = typer.Option(
        10.0, "--seconds", min=1.0, max=600.0, help="Load time per endpoint."
    ),
    processes: int | None = typer.Option(
        None,
        "--processes",
        min=1,
        max=64,
        help="uvicorn processes of the service (default: as trust serve, TRUST_API__PROCESSES).",
    ),
    batch: int = typer.Option(100, "--batch", min=1, max=1000, help="Events per POST /v1/events."),
    database_url: str | None = typer.Option(
        None,
        "--database-url",
        help="A scratch PostgreSQL database (default: SQLite in a temp folder).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
) -> None:
    """Requests/s and p50/p99 of POST /v1/decisions and /v1/events on loopback, CPU per
    request, and the ratio to deciding in process."""
    import json

    from trust.cli.context import console, err_console, settings
    from workers.bench_api import ApiBenchOptions, run_api_bench

    options = ApiBenchOptions(
        concurrency=concurrency,
        seconds=seconds,
        processes=processes,
        batch=batch,
        database_url=database_url,
    )
    progress = err_console if as_json else console
    report = run_api_bench(settings(), options, lambda line: progress.print(line))
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    d, e, solo = report["decisions"], report["events"], report["in_process"]
    table = Table(
        title=f"API on loopback: {report['store']} store, {report['processes']} processes, "
        f"{concurrency} clients, {report['cpus']} CPUs"
    )
    for column in ("endpoint", "requests", "errors", "requests/s", "events/s", "p50 ms", "p99 ms"):
        table.add_column(column, justify="right")
    rows = (
        ("POST /v1/decisions", d, d["requests_per_s"]),
        (f"POST /v1/events (x{batch})", e, e["events_per_s"]),
    )
    for name, figures, per_second in rows:
        table.add_row(
            name,
            str(figures["requests"]),
            str(figures["errors"]),
            f"{figures['requests_per_s']:,.0f}",
            f"{per_second:,.0f}",
            f"{figures['p50_ms']:.1f}",
            f"{figures['p99_ms']:.1f}",
        )
    console.print(table)
    for name, figures, _ in rows:
        console.print(
            f"{name}: CPU per request {figures['server_cpu_ms_per_request']:.2f} ms in the "
            f"service, {figures['client_cpu_ms_per_request']:.2f} ms in the load generator",
            highlight=False,
        )
    console.print(
        "POST /v1/decisions: mean requests per group, per process: "
        + (", ".join(f"{size:.1f}" for size in d["mean_group_sizes"]) or "none seen"),
        highlight=False,
    )
    console.print(
        f"in-process decide_one: {solo['decisions_per_s']:,.0f} decisions/s "
        f"(one after another); API / in-process = "
        f"{report['ratio_api_to_in_process']:.2f}",
        highlight=False,
    )
    before, after = report["load_before"], report["load_after"]
    console.print(
        f"load average before {before[0]:.2f} {before[1]:.2f} {before[2]:.2f}, "
        f"after {after[0]:.2f} {after[1]:.2f} {after[2]:.2f}",
        highlight=False,
    )
