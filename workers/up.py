"""``trust up``: the whole pipeline on one machine, stopped cleanly on Ctrl-C.

Order of start: Redis (embedded unless configured) -> store migration -> (demo) anomaly
models trained on a simulated history -> worker processes -> dashboard -> metrics -> (demo)
staff lead and the simulated stream. Stop is the reverse, and every child is tied to this
process, so nothing outlives it even on SIGKILL.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from pathlib import Path

from trust.datadir import make_private
from trust.errors import QueueUnavailableError
from trust.settings import Settings
from trust.store import Store
from workers.api_process import serve_command
from workers.broker import TrustRedisBroker
from workers.embedded_redis import EmbeddedRedis
from workers.supervisor import Supervisor, stop_on_signals, worker_command

log = logging.getLogger(__name__)

DASHBOARD_APP = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"
DEMO_LEAD = "demo-lead"


@dataclass(frozen=True, slots=True)
class UpOptions:
    """What ``trust up`` should run."""

    processes: int
    threads: int
    demo: bool = False
    dashboard: bool = True
    api: bool = True
    demo_accounts: int = 2_000
    demo_days: int = 60
    demo_seed: int = 7


def _fleet(processes: int, threads: int) -> str:
    """'2 processes x 1 thread', in words people read."""
    return (
        f"{processes} process{'es' if processes != 1 else ''}"
        f" x {threads} thread{'s' if threads != 1 else ''}"
    )


def require_redis(url: str) -> str:
    """``url`` if a Redis answers there; a clear error instead of workers restarting forever."""
    import redis as redis_client

    client = redis_client.Redis.from_url(url, socket_connect_timeout=3)
    try:
        client.ping()
    except redis_client.RedisError as exc:
        raise QueueUnavailableError(f"no Redis answers at {url}: {exc}") from exc
    finally:
        client.close()
    return url


def require_rule_pack(settings: Settings) -> None:
    """The rule pack in force loads; else a RulePackError now, not workers crashing at boot."""
    from trust.rules.pack import load_pack

    load_pack(settings.rules_dir)


def child_env(settings: Settings, redis_url: str) -> dict[str, str]:
    """Environment of the children: same settings, the Redis URL made explicit."""
    env = dict(os.environ)
    env["TRUST_REDIS_URL"] = redis_url
    env["TRUST_DATA_DIR"] = str(settings.data_dir.resolve())
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


# How the dashboard is served, whoever starts it. Streamlit reads .streamlit/config.toml
# from the working directory, which `trust up` does not choose, so these are flags.
DASHBOARD_FLAGS = (
    "--server.headless",
    "true",
    # No usage statistics leave the machine.
    "--browser.gatherUsageStats",
    "false",
    # No "Deploy", "Rerun" or "Clear cache" for whoever opens the page.
    "--client.toolbarMode",
    "minimal",
    # A traceback may quote the data it failed on: it goes to the log, not to the browser.
    "--client.showErrorDetails",
    "none",
    # The code does not change under a running dashboard.
    "--server.fileWatcherType",
    "none",
)


def graph_watch_command() -> list[str]:
    """The clustering pass that keeps cluster cases up to date (``trust graph watch``)."""
    return [sys.executable, "-m", "trust.cli.main", "graph", "watch"]


def dashboard_command(settings: Settings) -> list[str]:
    """The Streamlit command line, bound to loopback (or the configured bind host)."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(DASHBOARD_APP),
        "--server.address",
        settings.bind_host,
        "--server.port",
        str(settings.dashboard_port),
        *DASHBOARD_FLAGS,
    ]


def api_command(settings: Settings) -> list[str]:
    """``trust serve`` on the configured bind host and API port."""
    return serve_command(settings.api.port)


def create_demo_api_key(store: Store) -> str:
    """A new API key with every scope for the demo; its token (shown once)."""
    from trust.store.api_keys import SCOPES, create_api_key

    with store.engine.begin() as conn:
        return create_api_key(conn, "demo", set(SCOPES), created_by="trust up --demo").token


def create_demo_lead(store: Store) -> str | None:
    """Create the demo lead and return its generated password (None if it already exists)."""
    from trust.errors import StaffError
    from trust.staff.accounts import add_staff

    try:
        with store.engine.begin() as conn:
            return add_staff(conn, DEMO_LEAD, "lead")
    except StaffError:
        return None


def _serve_metrics(
    settings: Settings, broker: TrustRedisBroker | None, say: Callable[[str], None]
) -> ThreadingHTTPServer | None:
    from workers.metrics import serve_metrics

    queue = settings.worker.queue_name
    depths = (lambda: {queue: broker.queue_depth(queue)}) if broker is not None else None
    try:
        server = serve_metrics(settings.bind_host, settings.metrics_port, depths)
    except OSError as exc:  # the port is taken (another `trust up`): run without metrics
        say(f"metrics    not served: {settings.bind_host}:{settings.metrics_port}: {exc}")
        return None
    say(f"metrics    http://{settings.bind_host}:{settings.metrics_port}/metrics")
    return server


def run_up(settings: Settings, options: UpOptions, say: Callable[[str], None]) -> int:
    """Run the pipeline until SIGINT/SIGTERM; returns the exit code."""
    from workers.broker import build_broker
    from workers.demo import DemoFeed
    from workers.metrics import prepare_multiprocess

    make_private(settings.data_dir)
    supervisor = Supervisor()
    stop_on_signals(supervisor)
    redis = EmbeddedRedis.in_data_dir(settings.data_dir) if not settings.redis_url else None
    feed: DemoFeed | None = None
    metrics_server = None
    broker = None
    try:
        url = redis.start() if redis else require_redis(str(settings.redis_url))
        say(f"redis      {url}" + (" (embedded, append-only)" if redis else ""))
        store = Store.from_settings(settings)
        say(f"store      {settings.resolved_database_url}")
        require_rule_pack(settings)
        if options.demo:
            from workers.demo_models import train_demo_models

            # Before the workers start: they look for an active model only at boot.
            train_demo_models(
                settings,
                options.demo_seed + 1,
                say,
                stopping=supervisor.stopping,
            )
        prepare_multiprocess(settings.data_dir.resolve() / "metrics", clear=True)
        env = child_env(settings, url)
        logs = settings.data_dir.resolve() / "logs"
        for number in range(options.processes):
            name = f"worker-{number + 1}"
            supervisor.add(name, worker_command(options.threads), env, log=logs / f"{name}.log")
        say(f"workers    {_fleet(options.processes, options.threads)} (JSON logs in {logs})")
        if settings.graph.interval_s > 0:
            supervisor.add("graph", graph_watch_command(), env, log=logs / "graph.log")
            say(f"graph      clustering pass every {settings.graph.interval_s:g} s (cluster cases)")
        if options.dashboard and DASHBOARD_APP.exists():
            supervisor.add(
                "dashboard", dashboard_command(settings), env, log=logs / "dashboard.log"
            )
            say(f"dashboard  http://{settings.bind_host}:{settings.dashboard_port}")
        if options.api:
            supervisor.add("api", api_command(settings), env, log=logs / "api.log")
            say(f"api        http://{settings.bind_host}:{settings.api.port}   (OpenAPI: /docs)")
        broker = build_broker(settings, url=url)
        metrics_server = _serve_metrics(settings, broker, say)
        if options.demo:
            password = create_demo_lead(store)
            if password:
                say(f"demo login {DEMO_LEAD} / {password}   (shown once; a lead can approve)")
            else:
                say(f"demo login {DEMO_LEAD} exists already (its password was shown when made)")
            if options.api:
                say(
                    f"demo key   {create_demo_api_key(store)}   (shown once; send it as "
                    "Authorization: Bearer <key>)"
                )
            feed = DemoFeed(settings, broker, options, say)
            threading.Thread(target=feed.run, name="demo-feed", daemon=True).start()
        store.close()
        say(
            "also       trust dlq list | trust quarantine list | trust decide FILE"
            " | trust webhook add URL"
        )
        say("running    press Ctrl-C to stop")
        supervisor.run()
    finally:
        say("stopping   workers, dashboard, redis ...")
        if feed is not None:
            feed.stop()
        supervisor.stop()
        if metrics_server is not None:
            metrics_server.shutdown()
            metrics_server.server_close()
        if broker is not None:
            broker.close()
        if redis is not None:
            redis.stop()
        say("stopped")
    return 0


def run_workers(
    settings: Settings, processes: int, threads: int, say: Callable[[str], None]
) -> int:
    """``trust worker``: worker processes only (distributed mode) until SIGINT/SIGTERM."""
    from workers.broker import build_broker, redis_url_of
    from workers.metrics import prepare_multiprocess

    url = require_redis(redis_url_of(settings))
    make_private(settings.data_dir)
    Store.from_settings(settings).close()  # migrate once here, not in every child
    require_rule_pack(settings)
    prepare_multiprocess(settings.data_dir.resolve() / "metrics", clear=True)
    supervisor = Supervisor()
    stop_on_signals(supervisor)
    broker = build_broker(settings, url=url)
    server = None
    try:
        for number in range(processes):
            supervisor.add(
                f"worker-{number + 1}", worker_command(threads), child_env(settings, url)
            )
        server = _serve_metrics(settings, broker, say)
        say(f"workers    {_fleet(processes, threads)} on {url}; Ctrl-C to stop")
        supervisor.run()
    finally:
        supervisor.stop()
        if server is not None:
            server.shutdown()
            server.server_close()
        broker.close()
    return 0
