"""The HTTP API over a real store and pipeline: auth, intake, decisions, reads, errors."""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.factories import appeal_payload, profile_verification_payload, review_payload
from tests.trust.api.conftest import Api
from trust.api.routes.events import may_hold_escapes
from trust.api.schemas import EventBatch
from trust.events import ValidationResult
from trust.intake import validation as intake_validation
from trust.store.dialects import checkpoint_wal
from trust.store.tables import audit_log, decisions, quarantine
from trust.webhooks import decision_id

FORGED = {
    "tamper_score": 0.93,
    "mrz_consistent": False,
    "selfie_match_score": 0.1,
    "liveness_passed": False,
}


def _held(api: Api) -> int:
    with api.store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(quarantine)).scalar_one())


def test_requests_without_a_key_get_401_and_with_a_wrong_scope_403(api: Api) -> None:
    body = {"events": [review_payload()]}
    missing = api.client.post("/v1/events", json=body)
    wrong = api.client.post(
        "/v1/events", json=body, headers={"Authorization": "Bearer tpk_nope_nope"}
    )
    reader = api.client.post("/v1/events", json=body, headers=api.key("decisions:read"))

    assert missing.status_code == wrong.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    assert reader.status_code == 403 and "events:write" in reader.json()["detail"]
    for answer in (missing, wrong, reader):
        assert answer.headers["content-type"] == "application/problem+json"
        assert set(answer.json()) >= {"type", "title", "status", "detail"}


def test_a_revoked_key_stops_working(api: Api) -> None:
    from trust.store import transaction
    from trust.store.api_keys import list_api_keys, revoke_api_key

    headers = api.key("accounts:read")
    api.context.keys.clock = lambda: 0.0  # a fresh cache for the check after revoking
    assert api.client.get("/v1/accounts/a-1/enforcement", headers=headers).status_code == 200
    with transaction(api.store.engine) as conn:
        assert revoke_api_key(conn, list_api_keys(conn)[0].prefix)
    api.context.keys.clock = lambda: 1_000.0
    assert api.client.get("/v1/accounts/a-1/enforcement", headers=headers).status_code == 401


def test_a_batch_reports_each_event_and_quarantines_the_invalid_ones(api: Api) -> None:
    good, again = review_payload(), review_payload()
    bad_rating = review_payload(rating=9)
    reused = {**good, "rating": 1}
    body = {"events": [good, {"kind": "review"}, 5, bad_rating, good, again, reused]}

    answer = api.client.post("/v1/events", json=body, headers=api.key())

    assert answer.status_code == 202
    items = answer.json()["items"]
    assert [i["status"] for i in items] == [
        "accepted",
        "quarantined",
        "quarantined",
        "quarantined",
        "duplicate",
        "accepted",
        "quarantined",
    ]
    assert {"field": "rating", "problem": "Input should be less than or equal to 5"} in items[3][
        "errors"
    ]
    assert items[2]["errors"] == [
        {"field": "(record)", "problem": "an event must be a JSON object"}
    ]
    assert items[6]["errors"] == [
        {"field": "event_id", "problem": "event_id already used with different content"}
    ]
    assert _held(api) == 4
    resent = api.client.post("/v1/events", json={"events": [good]}, headers=api.key())
    assert resent.json()["items"][0]["status"] == "already_stored"
    assert _held(api) == 4


def test_events_decided_in_process_are_validated_once_and_decided(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    validated: list[object] = []
    validate = intake_validation.validate_record

    def counted(record: object, **options: bool) -> ValidationResult:
        validated.append(record)
        return validate(record, **options)

    monkeypatch.setattr(intake_validation, "validate_record", counted)
    body = {"events": [review_payload(), review_payload()]}

    answer = api.client.post("/v1/events", json=body, headers=api.key())

    assert [i["status"] for i in answer.json()["items"]] == ["accepted", "accepted"]
    assert len(validated) == 2
    with api.store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(decisions)).scalar_one() == 2


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_text_a_database_cannot_keep_is_quarantined_whatever_the_encoding(
    api: Api, encoding: str
) -> None:
    nul = review_payload(text="before\x00after")
    surrogate = review_payload(text="lone \ud800 half")
    body = json.dumps({"events": [nul, surrogate, review_payload()]}).encode(encoding)

    answer = api.client.post(
        "/v1/events", content=body, headers={**api.key(), "Content-Type": "application/json"}
    )

    items = answer.json()["items"]
    assert [i["status"] for i in items] == ["quarantined", "quarantined", "accepted"]
    assert items[0]["errors"] == [{"field": "text", "problem": "contains a NUL character"}]
    assert items[1]["errors"] == [
        {"field": "text", "problem": "contains an unpaired UTF-16 surrogate"}
    ]


def test_only_utf8_json_without_a_unicode_escape_skips_the_text_scan() -> None:
    plain = json.dumps({"events": [review_payload(text="café")]}, ensure_ascii=False)
    assert not may_hold_escapes(plain.encode())
    assert not may_hold_escapes(plain.encode("utf-8-sig"))
    assert may_hold_escapes(json.dumps({"t": "café"}).encode())  # ensure_ascii: \u00e9
    assert may_hold_escapes(plain.encode("utf-16"))
    assert may_hold_escapes(plain.encode("utf-32"))


def test_appeals_arrive_through_the_same_intake(api: Api) -> None:
    headers = api.key()
    forged = profile_verification_payload(
        account_id="acct-1", document_check=FORGED, occurred_at="2026-03-20T09:00:00Z"
    )
    api.client.post("/v1/decisions", json=forged, headers=headers)
    answer = api.client.post("/v1/decisions", json=appeal_payload(), headers=headers)
    assert answer.status_code == 200
    assert answer.json()["status"] == "appeal_received"


def test_a_retried_request_with_the_same_idempotency_key_gets_the_first_answer(
    api: Api,
) -> None:
    headers = {**api.key(), "Idempotency-Key": "order-42"}
    body = {"events": [review_payload()]}
    first = api.client.post("/v1/events", json=body, headers=headers)
    second = api.client.post("/v1/events", json=body, headers=headers)

    assert first.json()["items"][0]["status"] == "accepted"
    assert second.json() == first.json()
    assert second.headers["idempotent-replayed"] == "true"


@pytest.mark.parametrize("path", ["/v1/events", "/v1/decisions"])
def test_a_malformed_idempotency_key_is_a_422_naming_the_header(api: Api, path: str) -> None:
    headers = {**api.key(), "Idempotency-Key": "has spaces"}

    answer = api.client.post(path, json={"events": [review_payload()]}, headers=headers)

    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["errors"] == [
        {"field": "Idempotency-Key", "problem": "String should match pattern '^[!-~]{1,128}$'"}
    ]


def test_a_decision_comes_back_with_its_reasons_and_can_be_read_again(api: Api) -> None:
    headers = api.key()
    forged = profile_verification_payload(account_id="acct-forger", document_check=FORGED)

    answer = api.client.post("/v1/decisions", json=forged, headers=headers)

    decision = answer.json()
    assert answer.status_code == 200 and decision["status"] == "decided"
    assert decision["outcome"] == "block" and decision["score"] > 0
    assert decision["reasons"] and decision["statement_of_reasons"]
    assert decision["decision_id"] == decision_id(forged["event_id"])
    again = api.client.post("/v1/decisions", json=forged, headers=headers).json()
    assert again["status"] == "already_decided" and again["decision_id"] == decision["decision_id"]
    read = api.client.get(f"/v1/decisions/{forged['event_id']}", headers=headers).json()
    assert read["outcome"] == "block"
    enforcement = api.client.get("/v1/accounts/acct-forger/enforcement", headers=headers).json()
    assert enforcement["state"] == "block"
    case = api.client.get(f"/v1/cases/{decision['case_id']}", headers=headers).json()
    assert case["subject_id"] == "acct-forger" and case["status"] == "open"


def test_an_invalid_event_is_refused_with_its_fields_and_quarantined(api: Api) -> None:
    answer = api.client.post("/v1/decisions", json=review_payload(rating=0), headers=api.key())
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["errors"] == [
        {"field": "rating", "problem": "Input should be greater than or equal to 1"}
    ]
    assert _held(api) == 1


def test_unknown_things_are_404_problems_and_bad_bodies_are_400_or_422(api: Api) -> None:
    headers = api.key()
    assert api.client.get("/v1/decisions/nope", headers=headers).status_code == 404
    assert api.client.get("/v1/cases/12345", headers=headers).status_code == 404
    assert api.client.get("/v1/cases/0", headers=headers).status_code == 422
    assert api.client.post("/v1/events", content=b"{", headers=headers).status_code == 400
    empty = api.client.post("/v1/events", json={"events": []}, headers=headers)
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "events"


def test_a_body_over_the_limit_is_refused_with_413(make_api: Callable[..., Api]) -> None:
    api = make_api(max_body_bytes=2048)
    answer = api.client.post(
        "/v1/events", json={"events": [review_payload()] * 20}, headers=api.key()
    )
    assert answer.status_code == 413
    assert answer.json()["status"] == 413


def test_a_key_over_its_rate_gets_429_with_retry_after(make_api: Callable[..., Api]) -> None:
    api = make_api(rate_per_second=0.5, burst=2)
    headers = api.key("accounts:read")
    codes = [api.client.get("/v1/accounts/a/enforcement", headers=headers) for _ in range(3)]
    assert [c.status_code for c in codes] == [200, 200, 429]
    assert int(codes[2].headers["retry-after"]) >= 1


def test_an_unexpected_error_is_a_500_problem_without_a_trace(api: Api) -> None:
    class Exploding:
        def score_batch(self, *_args: object) -> list[object]:
            raise RuntimeError("secret internals at /srv/x.py line 3")

    api.context.pipeline.scorer = Exploding()  # type: ignore[assignment]
    answer = api.client.post("/v1/decisions", json=review_payload(), headers=api.key())
    assert answer.status_code == 500
    assert answer.json()["detail"] == "an internal error occurred"
    assert "secret" not in answer.text and "Traceback" not in answer.text


def test_keys_never_reach_the_logs_and_usage_is_audited_by_prefix(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    headers = api.key()
    token = headers["Authorization"].split()[1]
    with caplog.at_level(logging.DEBUG):
        api.client.post("/v1/events", json={"events": [review_payload()]}, headers=headers)
        api.client.get("/v1/cases/999", headers=headers)
        api.context.usage.flush()
    assert token not in caplog.text
    with api.store.engine.connect() as conn:
        rows = conn.execute(select(audit_log).where(audit_log.c.action == "api_usage")).all()
    assert {r.target_id for r in rows} == {"POST /v1/events", "GET /v1/cases/{case_id}"}
    assert all(r.actor == f"apikey:{token.split('_')[1]}" for r in rows)
    assert token not in str([tuple(r) for r in rows])


def test_the_openapi_document_uses_the_intake_models(api: Api) -> None:
    doc = api.client.get("/openapi.json").json()
    schemas = doc["components"]["schemas"]
    assert (
        schemas["EventBatch"]["properties"]
        == EventBatch.model_json_schema(ref_template="#/components/schemas/{model}")["properties"]
    )
    assert {"ReviewEvent", "AppealEvent", "ProfileVerificationEvent"} <= set(schemas)
    post = doc["paths"]["/v1/events"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/EventBatch"
    )
    assert "application/problem+json" in post["responses"]["401"]["content"]
    assert api.client.get("/docs").status_code == 200


class _Recorded:
    """Telemetry that keeps what it is told."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, int]] = []
        self.groups: list[int] = []

    def request(self, route: str, status: int, seconds: float) -> None:
        assert seconds >= 0
        self.requests.append((route, status))

    def decision_group(self, size: int, seconds: float) -> None:
        assert seconds >= 0
        self.groups.append(size)

    def exposition(self) -> tuple[bytes, str]:
        return f"requests {len(self.requests)}\n".encode(), "text/plain; version=0.0.4"


def test_every_answer_and_decision_group_is_reported_and_metrics_need_their_scope(
    make_api: Callable[..., Api],
) -> None:
    recorded = _Recorded()
    api = make_api(telemetry=recorded)
    decided = api.client.post("/v1/decisions", json=review_payload(), headers=api.key())
    unknown = api.client.get("/v1/nowhere")
    no_key = api.client.get("/metrics")
    reader = api.client.get("/metrics", headers=api.key("decisions:read"))
    scraped = api.client.get("/metrics", headers=api.key("metrics:read"))

    assert decided.status_code == 200
    assert (no_key.status_code, reader.status_code, scraped.status_code) == (401, 403, 200)
    assert "metrics:read" in reader.json()["detail"]
    assert recorded.groups == [1]
    assert recorded.requests[:4] == [
        ("POST /v1/decisions", 200),
        ("GET (unmatched)", unknown.status_code),
        ("GET /metrics", 401),
        ("GET /metrics", 403),
    ]
    assert scraped.text == "requests 4\n"
    assert scraped.headers["content-type"].startswith("text/plain")


def test_a_service_that_keeps_no_metrics_says_so(api: Api) -> None:
    answer = api.client.get("/metrics", headers=api.key("metrics:read"))
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"


def test_health_and_readiness(api: Api) -> None:
    assert api.client.get("/healthz").json()["status"] == "ok"
    ready = api.client.get("/readyz").json()
    assert ready == {"status": "ok", "checks": {"store": "ok"}}


def test_a_running_api_gives_a_store_that_grew_from_empty_planner_statistics(
    make_api: Callable[..., Api], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("trust.api.app.STATISTICS_SECONDS", 0.05)
    api = make_api()  # opened empty: nothing to measure yet

    def measured() -> bool:
        with api.store.engine.connect() as conn:
            return bool(
                conn.exec_driver_sql(
                    "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'"
                ).first()
            )

    assert not measured()
    answer = api.client.post("/v1/events", json={"events": [review_payload()]}, headers=api.key())
    assert answer.status_code == 202
    deadline = time.monotonic() + 10
    while not measured() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert measured()


def test_a_running_api_checkpoints_the_wal_so_that_no_request_waits_for_it(
    make_api: Callable[..., Api], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("trust.api.app.CHECKPOINT_SECONDS", 0.05)
    api = make_api()
    headers = api.key()
    database = Path(str(api.store.engine.url.database))
    checkpoint_wal(api.store.engine)  # the file holds everything so far
    before = database.stat().st_size
    events = [review_payload(event_id=f"r{i}") for i in range(50)]
    answer = api.client.post("/v1/events", json={"events": events}, headers=headers)
    assert answer.status_code == 202
    deadline = time.monotonic() + 10
    while database.stat().st_size == before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert database.stat().st_size > before


def test_a_decision_the_model_weighed_on_shows_its_score_and_the_facts_in_words() -> None:
    from datetime import UTC, datetime

    from trust.api.schemas import decision_out

    row = {
        "event_id": "rv-1",
        "kind": "review",
        "outcome": "review",
        "risk_score": 15.0,
        "rule_hits": [],
        "statement_of_reasons": "What: …",
        "decided_at": datetime(2026, 3, 2, tzinfo=UTC),
        "model_score": 0.9991,
        "model_version": "review-anomaly-1",
        "model_explanation": [
            {
                "feature": "log_contract_minutes",
                "value": 2.1,
                "percentile": 0.0007,
                "sentence": "contract lasted 8 minutes; lower than 99% of reviews",
            }
        ],
    }
    answer = decision_out("decided", row).model_dump()  # type: ignore[arg-type]
    assert answer["reasons"] == []
    assert answer["model"] == {
        "score": 0.9991,
        "version": "review-anomaly-1",
        "facts": ["contract lasted 8 minutes; lower than 99% of reviews"],
    }
    unscored = decision_out("decided", {**row, "model_score": None})  # type: ignore[arg-type]
    assert unscored.model is None


def test_reads_answer_while_a_writer_holds_the_store(api: Api) -> None:
    # A read through a plain connection began the way a write does on SQLite (BEGIN
    # IMMEDIATE, after the writers' turn), so a GET waited behind every group of decisions
    # and held writers back in turn. Reads run in read-only snapshots now.
    decided = api.client.post("/v1/decisions", json=review_payload(), headers=api.key()).json()
    unseen = api.key()  # not used yet: the first request looks it up in the store
    database = api.store.engine.url.database
    assert database is not None
    writer = sqlite3.connect(database, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")  # the write lock, held throughout
        began = time.monotonic()
        statuses = [
            api.client.get(path, headers=unseen).status_code
            for path in (
                f"/v1/decisions/{decided['event_id']}",
                "/v1/accounts/acct-x/enforcement",
                "/v1/cases/12345",
            )
        ]
        took = time.monotonic() - began
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert statuses == [200, 200, 404]
    assert took < 10  # a read waiting for the lock would wait out the 30 s busy timeout
