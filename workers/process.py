"""One worker process: a dramatiq Worker consuming the events queue until SIGTERM.

Started by the supervisor as ``python -m workers.process --threads M``; it reads the same
``TRUST_*`` settings as every other command (the supervisor passes the Redis URL).
"""

from __future__ import annotations

import argparse
import gc
import logging
import threading

from trust.errors import TrustError
from trust.settings import Settings, get_settings
from trust.shutdown import stop_on_signals

log = logging.getLogger("workers.process")

# A batch allocates ~100k short-lived objects (validated events, rows, signal dicts). At
# Python's default gen-0 threshold of 700 the cyclic collector ran hundreds of times per
# batch: ~10% of a worker's CPU. Few of those objects form cycles, so collect rarely.
GC_THRESHOLDS = (50_000, 20, 10)


def tune_gc() -> None:
    """Collect garbage less often, and never re-walk what start-up loaded (rules, modules)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def run_worker(settings: Settings, threads: int, *, noop: bool = False) -> None:
    """Consume until SIGTERM/SIGINT, then finish in-flight batches and hand back the rest."""
    from workers.metrics import prepare_multiprocess

    # Before anything imports prometheus_client: metrics go to the shared folder.
    prepare_multiprocess(settings.data_dir.resolve() / "metrics")

    import dramatiq
    from dramatiq.middleware.prometheus import Prometheus

    from workers.actors import LazyPipeline, declare_actors, declare_noop_actor
    from workers.broker import build_broker
    from workers.dispute_timer import DisputeTimer, declare_dispute_timer
    from workers.pack_reload import ReloadingPipeline
    from workers.watchdog import CpuTimeWatchdog
    from workers.webhooks import Deliverer, Dispatcher, declare_webhook_actor
    from workers.wiring import build_pipeline

    broker = build_broker(settings, extra=[Prometheus()])
    watchdog = CpuTimeWatchdog(settings.worker.rules_hard_limit_ms / 1000).install()
    lazy = LazyPipeline(lambda: build_pipeline(settings, watchdog=watchdog))
    dispatcher: Dispatcher | None = None
    if noop:
        declare_noop_actor(broker, settings)
    else:
        declare_actors(broker, settings, ReloadingPipeline(lazy.get, settings).get)
        store = lazy.get().store  # fail fast (bad rule pack, unreachable store)
        timer = declare_dispute_timer(broker, settings, lambda: store)
        broker.add_middleware(DisputeTimer(settings, timer))
        deliverer = Deliverer(store, settings)
        deliver = declare_webhook_actor(broker, settings, lambda: deliverer)
        dispatcher = Dispatcher(store, settings, deliver.send)
    tune_gc()
    broker.emit_after("process_boot")

    stop = threading.Event()
    stop_on_signals(stop)
    worker = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=1000)
    worker.start()
    if dispatcher is not None:
        dispatcher.start()
    log.info("worker started", extra={"threads": threads, "queue": settings.worker.queue_name})
    stop.wait()
    log.info("worker stopping")
    if dispatcher is not None:
        dispatcher.stop()
    # Worker.stop runs the middleware's worker-shutdown hooks (the Sweeper stops there).
    # dramatiq 2 has no process-stop hook: emitting one logged a critical per middleware.
    worker.stop(timeout=30_000)
    broker.close()
    if not noop:
        lazy.get().store.close()
    log.info("worker stopped")


def main(argv: list[str] | None = None) -> None:
    """Entry point of ``python -m workers.process``."""
    from workers.logs import configure_logging

    parser = argparse.ArgumentParser(prog="workers.process")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--noop", action="store_true", help="benchmark baseline: do nothing")
    args = parser.parse_args(argv)
    configure_logging()
    try:
        settings = get_settings()
        run_worker(settings, args.threads or settings.worker.threads, noop=args.noop)
    except TrustError as exc:
        # A refused rule pack or an unreachable store: one log line says so, no traceback.
        log.critical("worker cannot start", extra={"error": f"{type(exc).__name__}: {exc}"})
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
