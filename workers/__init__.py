"""Queue workers: the dramatiq broker, actors, embedded Redis and process supervision."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from trust.settings import Settings
    from workers.actors import Actors


def connect(settings: Settings | None = None, *, url: str | None = None) -> Actors:
    """Wire ``trust.submit`` to the Redis queue the settings name; returns the actors.

    Platform code calls this once at start-up, then ``trust.submit(events)`` anywhere.
    """
    from trust.settings import get_settings
    from trust.submission import use_sink
    from workers.actors import LazyPipeline, declare_actors
    from workers.broker import build_broker
    from workers.wiring import build_pipeline

    settings = settings or get_settings()
    broker = build_broker(settings, url=url)
    # The enqueue side never runs the pipeline; it is built only if this process consumes.
    actors = declare_actors(broker, settings, LazyPipeline(lambda: build_pipeline(settings)).get)
    use_sink(actors)
    return actors


__all__ = ["connect"]
