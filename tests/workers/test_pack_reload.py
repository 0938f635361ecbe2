"""Rule pack hot reload in a worker: a changed folder comes into force between batches, a
refused one leaves the running pack deciding, and the version in force is a metric."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import yaml
from prometheus_client import REGISTRY

from tests.factories import review_payload
from tests.trust.rules.conftest import RULES_DIR
from trust.composition import build_pipeline
from trust.settings import Settings
from trust.store import Store
from workers.pack_reload import ReloadingPipeline

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _processes_on(version: str) -> float | None:
    return REGISTRY.get_sample_value("trust_rule_pack_info", {"version": version[:12]})


def _refusals() -> float:
    return REGISTRY.get_sample_value("trust_rule_pack_reload_failures_total") or 0.0


def _decided_version(reloading: ReloadingPipeline) -> str:
    result = reloading.get().process([review_payload()], NOW)
    (decision,) = result.decisions
    return decision.pack_version


def test_a_worker_swaps_in_a_changed_pack_and_keeps_the_running_one_when_refused(
    tmp_path: Path, settings: Settings, sqlite_store: Store
) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(RULES_DIR, rules)
    current = settings.model_copy(
        update={
            "rules_dir": rules,
            "worker": settings.worker.model_copy(update={"rules_reload_s": 5.0}),
        }
    )
    pipeline = build_pipeline(current, sqlite_store)
    clock = _Clock()
    reloading = ReloadingPipeline(lambda: pipeline, current, clock=clock)
    first = _decided_version(reloading)
    assert _processes_on(first) == 1

    # A broken edit: the running pack keeps deciding, the refusal is counted once.
    broken = rules / "review" / "zz_broken.yaml"
    broken.write_text(yaml.safe_dump({"rules": [{"id": "rv_broken_v1", "kind": "review"}]}))
    refusals = _refusals()
    clock.now = 5.0
    assert _decided_version(reloading) == first
    clock.now = 10.0
    assert _decided_version(reloading) == first
    assert _refusals() == refusals + 1
    assert reloading.holder is not None and "rv_broken_v1" in str(reloading.holder.last_error)

    # The fix lands: the next batch after the interval is decided by the new pack.
    broken.unlink()
    (rules / "review" / "zz_comment.yaml").write_text("rules: []\n")
    clock.now = 12.0
    assert _decided_version(reloading) == first  # within the interval: not looked at yet
    clock.now = 15.0
    second = _decided_version(reloading)
    assert second != first
    assert _processes_on(second) == 1 and _processes_on(first) == 0
