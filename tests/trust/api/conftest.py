"""An API app over a real SQLite store and the real pipeline, deciding in process."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from trust.api import ApiContext, create_app
from trust.api.context import Telemetry
from trust.api.intake import DecideHereSink
from trust.composition import build_pipeline
from trust.settings import Settings
from trust.store import Store, transaction
from trust.store.api_keys import SCOPES, create_api_key


@dataclass
class Api:
    """A test client, its context and a way to mint keys."""

    client: TestClient
    context: ApiContext
    store: Store

    def key(self, *scopes: str) -> dict[str, str]:
        """Headers carrying a new key with ``scopes`` (all of them by default)."""
        with transaction(self.store.engine) as conn:
            token = create_api_key(conn, "test", set(scopes or SCOPES), created_by="tests").token
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def make_api(settings: Settings) -> Iterator[Callable[..., Api]]:
    opened: list[tuple[TestClient, Store]] = []

    def make(telemetry: Telemetry | None = None, **api_settings: object) -> Api:
        current = settings.model_copy(update={"api": settings.api.model_copy(update=api_settings)})
        store = Store.from_settings(current)
        pipeline = build_pipeline(current, store, source="api")
        context = ApiContext(
            current, store, pipeline, DecideHereSink(pipeline), {"store": lambda: "ok"}, telemetry
        )
        client = TestClient(create_app(context), raise_server_exceptions=False)
        client.__enter__()
        opened.append((client, store))
        return Api(client, context, store)

    yield make
    for client, store in opened:
        client.__exit__(None, None, None)
        store.close()


@pytest.fixture
def api(make_api: Callable[..., Api]) -> Api:
    return make_api()
