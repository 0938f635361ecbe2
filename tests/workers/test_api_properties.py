"""Property-based: schemathesis against ``trust serve`` on PostgreSQL and Redis.

Every generated request (valid and invalid bodies, odd paths and headers) must get an
answer that is not a 5xx and that matches the OpenAPI document: status code, content type,
headers and body schema.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import REDIS_TEST_URL, TEST_SECRET, scratch_postgres_database, service_missing
from tests.workers.conftest import ROOT, start_api
from trust.store import Store, transaction
from trust.store.api_keys import SCOPES, create_api_key
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
        env = {k: v for k, v in os.environ.items() if not k.startswith("TRUST_")}
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
            yield Served(base_url, {"Authorization": f"Bearer {token}"}, log)
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
