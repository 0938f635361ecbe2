"""The broker: its own namespace, and a sweep that hands a dead worker's batches back."""

from __future__ import annotations

import time

import pytest

from tests.factories import review_payload
from tests.workers.helpers import queue_settings
from trust.settings import Settings
from workers.actors import declare_actors
from workers.broker import build_broker

pytestmark = pytest.mark.redis


def _no_pipeline() -> None:
    raise AssertionError("not consumed in this test")


def test_a_sweep_requeues_the_batches_of_a_worker_whose_heartbeat_expired(
    settings: Settings, redis_url: str
) -> None:
    current = queue_settings(settings, redis_url, heartbeat_timeout_ms=2_000)
    queue = current.worker.queue_name
    dead = build_broker(current)
    actors = declare_actors(dead, current, _no_pipeline)  # type: ignore[arg-type]
    actors.send_batch([review_payload()])
    assert len(dead.do_fetch(queue, 1)) == 1  # taken, never acknowledged: then "killed"
    survivor = build_broker(current)
    declare_actors(survivor, current, _no_pipeline)  # type: ignore[arg-type]

    survivor.sweep()
    held_while_alive = survivor.queue_depth(queue)
    time.sleep(2.2)
    survivor.sweep()

    assert held_while_alive == 0
    assert survivor.queue_depth(queue) == 1
    dead.close()
    survivor.close()


def test_without_a_sweep_due_the_broker_leaves_live_workers_alone(
    settings: Settings, redis_url: str
) -> None:
    current = queue_settings(settings, redis_url)
    broker = build_broker(current)
    declare_actors(broker, current, _no_pipeline).send_batch(  # type: ignore[arg-type]
        [review_payload()]
    )
    broker.do_fetch(current.worker.queue_name, 1)

    broker.sweep()

    assert broker.queue_depth(current.worker.queue_name) == 0
    broker.close()
