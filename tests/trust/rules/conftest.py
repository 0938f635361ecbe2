"""Rule-test helpers: write small packs into a temp folder."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

RULES_DIR = Path(__file__).resolve().parents[3] / "rules"


def valid_rule(**overrides: Any) -> dict[str, Any]:
    """A correct review rule with one hit and one miss example."""
    rule: dict[str, Any] = {
        "id": "rv_test_reciprocal_v1",
        "kind": "review",
        "description": "Test rule.",
        "when": "signals.reciprocal_review && event.rating == 5",
        "score": 50,
        "severity": 3,
        "reason": {"code": "test_reason", "text": "Reciprocal ({signals.reciprocal_review})."},
        "policy": "Test policy 1",
        "state": "live",
        "owner": "tests",
        "examples": [
            {"name": "hit", "expect": "hit", "signals": {"reciprocal_review": True}},
            {"name": "miss", "expect": "miss"},
        ],
    }
    rule.update(overrides)
    return rule


def write_pack(root: Path, rules: list[dict[str, Any]], kind: str = "review") -> Path:
    """A pack folder holding the real baseline of ``kind`` and ``rules`` in test.yaml."""
    folder = root / "rules"
    (folder / kind).mkdir(parents=True, exist_ok=True)
    shutil.copy(RULES_DIR / kind / "_baseline.yaml", folder / kind / "_baseline.yaml")
    (folder / kind / "test.yaml").write_text(yaml.safe_dump({"rules": rules}, sort_keys=False))
    return folder


@pytest.fixture
def pack_dir(tmp_path: Path) -> Path:
    """A valid one-rule pack."""
    return write_pack(tmp_path, [valid_rule()])
