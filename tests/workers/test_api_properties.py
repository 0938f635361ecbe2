"""Property-based: schemathesis against ``trust serve`` on PostgreSQL and Redis.

Every generated request (valid and invalid bodies, odd paths and headers) must get an
answer that is not a 5xx and that matches the OpenAPI document: status code, content type,
headers and body schema. The same service's ``/metrics`` merges what both of its processes
served.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import redis
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import REDIS_TEST_URL, TEST_SECRET, scratch_postgres_database, service_missing
from tests.factories import review_payload
from tests.workers.conftest import ROOT, start_api
from trust.store import Store, transaction
from trust.store.api_keys import SCOPES, create_api_key
from workers.api_metrics import own_metrics_folder
from workers.lifetime import stop_process

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow, pytest.mark.timeout(600)]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@dataclass
class Served:
    """The running service, a key with every scope, and the log to show on failure."""

    base_url: str
    headers: dict[str, str]
    log: Path
    folder: Path


def _redis_or_skip() -> None:
    client = redis.Redis.from_url(REDIS_TEST_URL)
    try:
        client.ping()
    except Exception as exc:
        service_missing("Redis", exc)
    finally:
        client.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    _redis_or_skip()
    folder = tmp_path_factory.mktemp("served")
    namespace = f"trust-test-api-{uuid.uuid4().hex[:8]}"
    with scratch_postgres_database("trust_api") as database_url:
        with Store.open(database_url) as store, transaction(store.engine) as conn:
            token = create_api_key(conn, "schemathesis", set(SCOPES), created_by="tests").token
        # Its own settings, and its own metrics folder (<data>/api-metrics).
        env = own_metrics_folder(
            {k: v for k, v in os.environ.items() if not k.startswith("TRUST_")}
        )
        env.update(
            TRUST_ENVIRONMENT="test",
            TRUST_DATA_DIR=str(folder),
            TRUST_SECRET_KEY=TEST_SECRET,
            TRUST_DATABASE_URL=database_url,
            TRUST_REDIS_URL=REDIS_TEST_URL,
            TRUST_WORKER__REDIS_NAMESPACE=namespace,
            TRUST_API__MAX_BODY_BYTES="262144",
            PYTHONPATH=str(ROOT),
        )
        log = folder / "serve.log"
        proc, base_url = start_api(env, log, timeout=60)
        try:
            yield Served(base_url, {"Authorization": f"Bearer {token}"}, log, folder)
        finally:
            stop_process(proc)
            client = redis.Redis.from_url(REDIS_TEST_URL)
            for key in client.scan_iter(f"{namespace}*"):
                client.delete(key)
            client.close()


@pytest.fixture(scope="module")
def api_schema(served: Served) -> schemathesis.schemas.BaseSchema:
    return schemathesis.openapi.from_url(f"{served.base_url}/openapi.json")


@pytest.mark.parametrize(
    "mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"]
)
def test_no_generated_request_gets_a_5xx_or_an_answer_outside_the_schema(
    api_schema: schemathesis.schemas.BaseSchema, served: Served, mode: GenerationMode
) -> None:
    strategy = api_schema.as_strategy(mode)

    @given(data=st.data())
    @settings(
        max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None
    )
    def answers_within_the_schema(data: st.DataObject) -> None:
        case = data.draw(strategy)
        case.call_and_validate(base_url=served.base_url, headers=served.headers, checks=CHECKS)

    answers_within_the_schema()
    assert "Traceback" not in served.log.read_text()


def _samples(text: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    return {
        tuple(sorted(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name
    }


def test_metrics_merge_what_every_process_served(served: Served) -> None:
    def scrape() -> tuple[float, float, float, float]:
        answer = httpx.get(f"{served.base_url}/metrics", headers=served.headers)
        assert answer.status_code == 200
        route = (("route", "POST /v1/decisions"), ("status", "200"))
        return (
            _samples(answer.text, "trust_api_requests_total").get(route, 0.0),
            _samples(answer.text, "trust_api_request_seconds_count").get(route[:1], 0.0),
            _samples(answer.text, "trust_api_decision_group_size_count").get((), 0.0),
            _samples(answer.text, "trust_api_decision_group_size_sum").get((), 0.0),
        )

    before = scrape()
    # Each on a connection of its own: the kernel spreads them over both processes.
    for _ in range(16):
        answer = httpx.post(
            f"{served.base_url}/v1/decisions", json=review_payload(), headers=served.headers
        )
        assert answer.status_code == 200
    decided, timed, groups, grouped = (a - b for a, b in zip(scrape(), before, strict=True))

    assert decided == 16 and timed >= 16
    assert grouped == 16 and 1 <= groups <= 16
    # Both processes wrote their own files, and the scrape read both.
    writers = {p.stem.rsplit("_", 1)[-1] for p in (served.folder / "api-metrics").glob("*.db")}
    assert len(writers) == 2
