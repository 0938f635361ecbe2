"""Webhooks: signing and verifying, and outbox rows written with the change they report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.factories import profile_verification_payload, review_payload
from tests.trust.cases.conftest import ANALYST, NOW
from trust.cases import Action, Resolution, claim, resolve
from trust.composition import build_pipeline
from trust.errors import WebhookVerificationError
from trust.settings import Settings
from trust.store import Store, transaction
from trust.store import webhooks as outbox
from trust.store.tables import webhook_deliveries
from trust.webhooks import (
    CASE_RESOLVED,
    DECISION_CREATED,
    ENFORCEMENT_CHANGED,
    EVENT_TYPES,
    body_of,
    check_url,
    message_id,
    retry_delay,
    signed_headers,
    verify,
)

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def _forged(payload: dict[str, object]) -> bytes:
    return body_of({**payload, "data": {"outcome": "allow"}})


def test_a_signed_payload_verifies_and_a_forged_or_replayed_one_does_not() -> None:
    now = datetime.now(UTC)
    payload = {"type": DECISION_CREATED, "data": {"outcome": "block"}}
    body = body_of(payload)
    headers = signed_headers(SECRET, "msg_1", body, now)

    assert verify(SECRET, headers, body, now) == payload
    assert headers["webhook-signature"].startswith("v1,")
    with pytest.raises(WebhookVerificationError, match="no signature matches"):
        verify(SECRET, headers, _forged(payload), now)
    with pytest.raises(WebhookVerificationError, match="no signature matches"):
        verify("whsec_" + "A" * 32, headers, body, now)
    with pytest.raises(WebhookVerificationError, match="no signature matches"):
        verify(SECRET, {**headers, "webhook-id": "msg_2"}, body, now)
    with pytest.raises(WebhookVerificationError, match="replayed"):
        verify(SECRET, headers, body, now + timedelta(minutes=6))
    with pytest.raises(WebhookVerificationError, match="missing"):
        verify(SECRET, {"webhook-id": "msg_1"}, body, now)


def test_the_signature_is_the_standard_webhooks_one() -> None:
    # The example of the Standard Webhooks specification.
    body = b'{"test": 2432232314}'
    when = datetime.fromtimestamp(1614265330, UTC)
    headers = signed_headers(SECRET, "msg_p5jXN8AQM9LWM0D4loKWxJek", body, when)
    assert headers["webhook-signature"] == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_message_ids_are_stable_and_back_off_doubles_up_to_a_cap() -> None:
    assert message_id(CASE_RESOLVED, "7") == message_id(CASE_RESOLVED, "7")
    assert message_id(CASE_RESOLVED, "7") != message_id(DECISION_CREATED, "7")
    base, cap = timedelta(seconds=1), timedelta(seconds=5)
    assert [retry_delay(n, base, cap).total_seconds() for n in (1, 2, 3, 4)] == [1, 2, 4, 5]


@pytest.mark.parametrize("url", ["http://example.com/hook", "ftp://127.0.0.1/x", "/relative"])
def test_only_https_or_loopback_urls_are_accepted(url: str) -> None:
    with pytest.raises(ValueError):
        check_url(url)
    assert check_url("http://127.0.0.1:9000/hook") and check_url("https://example.com/h")


def _types(store: Store) -> list[str]:
    with store.engine.connect() as conn:
        return sorted(conn.execute(select(webhook_deliveries.c.event_type)).scalars())


def test_reviews_blocks_enforcement_and_resolutions_reach_the_outbox(
    store: Store, settings: Settings
) -> None:
    with transaction(store.engine) as conn:
        outbox.add_subscription(conn, "http://127.0.0.1:9/hook", EVENT_TYPES)
        outbox.add_subscription(conn, "http://127.0.0.1:9/other", [CASE_RESOLVED])
    pipeline = build_pipeline(settings, store)
    forged = profile_verification_payload(
        account_id="acct-forger",
        document_check={
            "tamper_score": 0.93,
            "mrz_consistent": False,
            "selfie_match_score": 0.1,
            "liveness_passed": False,
        },
    )
    result = pipeline.process([review_payload(), forged], NOW)

    assert [d.outcome for d in result.decisions] == ["allow", "block"]
    # The allow is not reported; the block and the account it restricted are.
    assert _types(store) == [DECISION_CREATED, ENFORCEMENT_CHANGED]
    pipeline.process([forged], NOW)
    assert len(_types(store)) == 2, "a redelivered batch reports nothing twice"

    case_id = result.case_ids[forged["event_id"]]
    with transaction(store.engine) as conn:
        claim(conn, case_id, ANALYST, NOW, timedelta(minutes=15))
        resolve(conn, case_id, ANALYST, Resolution(Action.DISMISS, "false_positive"), NOW)
    with store.engine.connect() as conn:
        rows = outbox.deliveries(conn, limit=20)
    resolved = [r for r in rows if r.event_type == CASE_RESOLVED]
    assert len(resolved) == 2, "both subscribers to case.resolved get it"
    assert {r.payload["data"]["case_id"] for r in resolved} == {case_id}
    assert ENFORCEMENT_CHANGED in [r.event_type for r in rows[:3]], "the lift is reported"


def test_a_rolled_back_change_leaves_no_message(store: Store, settings: Settings) -> None:
    with transaction(store.engine) as conn:
        outbox.add_subscription(conn, "http://127.0.0.1:9/hook", EVENT_TYPES)
    forged = profile_verification_payload(document_check={"tamper_score": 0.93})
    pipeline = build_pipeline(settings, store)

    def failing(*_args: object) -> None:
        raise RuntimeError("cases are down")

    pipeline.open_cases = failing  # type: ignore[assignment]
    with pytest.raises(RuntimeError):
        pipeline.process([forged], NOW)
    assert _types(store) == []


def test_a_later_version_is_sent_when_it_flags_the_event_or_lifts_a_flag_and_only_then(
    store: Store, settings: Settings
) -> None:
    from dataclasses import replace

    from trust.store.decision_versions import Revision, supersede_decisions
    from trust.webhooks import emit_revisions

    with transaction(store.engine) as conn:
        outbox.add_subscription(conn, "http://127.0.0.1:9/hook", [DECISION_CREATED])
    [allowed] = build_pipeline(settings, store).process([review_payload()], NOW).decisions
    assert allowed.outcome == "allow" and _types(store) == []
    flagged = replace(allowed, outcome="review")
    steps = [
        Revision(flagged, "history arrived late: events e1"),
        Revision(replace(flagged, risk_score=55.0), "re-scored, same outcome"),
        Revision(allowed, "history arrived late: events e2"),
    ]
    for step in steps:
        with transaction(store.engine) as conn:
            emit_revisions(conn, supersede_decisions(conn, [step], NOW), NOW)
    with store.engine.connect() as conn:
        sent = [r.payload["data"] for r in reversed(outbox.deliveries(conn, limit=10))]
    assert [(d["version"], d["previous_outcome"], d["outcome"]) for d in sent] == [
        (2, "allow", "review"),
        (4, "review", "allow"),
    ]
    assert sent[0]["version_reason"] == "history arrived late: events e1"
    assert len({message_id(DECISION_CREATED, f"{allowed.event_id}:v{v}") for v in (2, 4)}) == 2
