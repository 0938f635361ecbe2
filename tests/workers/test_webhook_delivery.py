"""Webhooks delivered by the dramatiq actor on the real Redis to a receiver on 127.0.0.1."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.factories import profile_verification_payload, review_payload
from tests.trust.cases.conftest import ANALYST
from tests.workers.helpers import queue_settings, running_worker, wait_until
from trust.cases import Action, Resolution, claim, resolve
from trust.errors import WebhookVerificationError
from trust.settings import Settings
from trust.store import Store, transaction
from trust.store import webhooks as outbox
from trust.webhooks import CASE_RESOLVED, DECISION_CREATED, ENFORCEMENT_CHANGED, EVENT_TYPES, verify
from workers.broker import build_broker
from workers.webhooks import Deliverer, Dispatcher, declare_webhook_actor
from workers.wiring import build_pipeline

pytestmark = pytest.mark.redis
FORGED = {
    "tamper_score": 0.93,
    "mrz_consistent": False,
    "selfie_match_score": 0.1,
    "liveness_passed": False,
}


@dataclass
class Receiver:
    """A marketplace endpoint that refuses the first ``failures`` requests it gets."""

    failures: int
    secret: str = ""
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    # webhook-ids answered 204: a refused attempt is received but not yet delivered.
    accepted: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                headers = {k.lower(): v for k, v in self.headers.items()}
                with receiver.lock:
                    receiver.received.append((headers, body))
                    failing = len(receiver.received) <= receiver.failures
                    if not failing:
                        receiver.accepted.add(headers.get("webhook-id", ""))
                self.send_response(503 if failing else 204)
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def verified(self) -> dict[str, dict[str, object]]:
        """Every verified message, by webhook-id (repeats dropped as a receiver should)."""
        seen: dict[str, dict[str, object]] = {}
        with self.lock:
            for headers, body in self.received:
                payload = verify(self.secret, headers, body)
                seen.setdefault(headers["webhook-id"], payload)
        return seen


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver(failures=4)
    made.start()
    yield made
    assert made.server is not None
    made.server.shutdown()
    made.server.server_close()


@pytest.fixture
def quick(settings: Settings, redis_url: str) -> Settings:
    queued = queue_settings(settings, redis_url)
    return queued.model_copy(
        update={
            "webhook": queued.webhook.model_copy(
                update={
                    "min_backoff_ms": 50,
                    "max_backoff_ms": 200,
                    "poll_interval_s": 0.05,
                    "disable_after": 50,
                }
            )
        }
    )


def _delivering(store: Store, settings: Settings) -> tuple[object, Dispatcher, Deliverer]:
    broker = build_broker(settings)
    deliverer = Deliverer(store, settings)
    actor = declare_webhook_actor(broker, settings, lambda: deliverer)
    return broker, Dispatcher(store, settings, actor.send), deliverer


def test_every_webhook_arrives_once_after_dedup_signed_despite_failures(
    quick: Settings, receiver: Receiver
) -> None:
    store = Store.from_settings(quick)
    with transaction(store.engine) as conn:
        sub = outbox.add_subscription(conn, receiver.url, EVENT_TYPES)
    receiver.secret = sub.secret
    pipeline = build_pipeline(quick, store)
    now = datetime.now(UTC)
    forged = [
        profile_verification_payload(account_id=f"acct-f{n}", document_check=FORGED)
        for n in range(3)
    ]
    result = pipeline.process([review_payload(), *forged], now)
    broker, dispatcher, deliverer = _delivering(store, quick)
    expected = 6  # three blocks, three accounts restricted; the allow is not sent
    try:
        with running_worker(broker):  # type: ignore[arg-type]
            dispatcher.start()
            # Waiting on accepted messages, not on every id seen: a refused first attempt
            # shows its id before its retry has arrived.
            wait_until(lambda: len(receiver.accepted) == expected, 30, "six webhooks")
            case_id = result.case_ids[forged[0]["event_id"]]
            with transaction(store.engine) as conn:
                claim(conn, case_id, ANALYST, now, timedelta(minutes=15))
                resolve(conn, case_id, ANALYST, Resolution(Action.DISMISS, "false_positive"), now)
            # The staff resolution (and the lift it causes) arrives within seconds.
            wait_until(
                lambda: len(receiver.accepted) == expected + 2, 10, "the resolution's webhooks"
            )
            dispatcher.stop()
    finally:
        dispatcher.stop()
        deliverer.close()
        broker.close()  # type: ignore[attr-defined]

    messages = receiver.verified()
    types = sorted(str(m["type"]) for m in messages.values())
    assert types == sorted([DECISION_CREATED] * 3 + [ENFORCEMENT_CHANGED] * 4 + [CASE_RESOLVED])
    assert len(receiver.received) >= len(messages) + receiver.failures, "failures were retried"
    retried = [h["webhook-id"] for h, _ in receiver.received[: receiver.failures]]
    assert set(retried) <= set(messages), "a retry carries the first attempt's webhook-id"
    with store.engine.connect() as conn:
        log = outbox.deliveries(conn, limit=50)
    assert {row.status for row in log} == {outbox.DELIVERED}
    assert sum(row.attempts for row in log) == len(receiver.received)

    headers, body = receiver.received[-1]
    with pytest.raises(WebhookVerificationError):
        verify(receiver.secret, headers, body.replace(b'"type"', b'"kind"'))
    with pytest.raises(WebhookVerificationError):
        verify(receiver.secret, headers, body, datetime.now(UTC) + timedelta(minutes=10))
    store.close()


def test_a_subscription_that_keeps_failing_is_disabled_and_replay_sends_again(
    quick: Settings,
) -> None:
    failing = Receiver(failures=10_000)
    failing.start()
    settings = quick.model_copy(
        update={"webhook": quick.webhook.model_copy(update={"disable_after": 3, "max_attempts": 2})}
    )
    store = Store.from_settings(settings)
    with transaction(store.engine) as conn:
        sub = outbox.add_subscription(conn, failing.url, [DECISION_CREATED])
    failing.secret = sub.secret
    pipeline = build_pipeline(settings, store)
    pipeline.process([profile_verification_payload(document_check=FORGED) for _ in range(2)])
    deliverer = Deliverer(store, settings)
    try:
        with store.engine.connect() as conn:
            ids = [d.id for d in outbox.deliveries(conn)]
        for delivery_id in ids * 2:
            deliverer.deliver(delivery_id)
        with store.engine.connect() as conn:
            after = outbox.subscription(conn, sub.id)
            rows = outbox.deliveries(conn)
        assert after is not None and not after.active
        assert after.disabled_reason == "3 consecutive failed deliveries"
        # The first gave up after its two attempts; the second is not sent while disabled.
        assert sorted((r.status, r.attempts) for r in rows) == [
            (outbox.FAILED, 2),
            (outbox.PENDING, 1),
        ]
        failing.failures = 0
        with transaction(store.engine) as conn:
            outbox.set_active(conn, sub.id, True)
            assert outbox.replay(conn, ids, datetime.now(UTC)) == len(ids)
        for delivery_id in ids:
            assert deliverer.deliver(delivery_id) == outbox.DELIVERED
        assert len(failing.verified()) == len(ids)
    finally:
        deliverer.close()
        assert failing.server is not None
        failing.server.shutdown()
        failing.server.server_close()
        store.close()
