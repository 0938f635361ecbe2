"""A broken pack is refused as a whole, naming the file, the rule and a hint."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.trust.rules.conftest import valid_rule, write_pack
from trust.errors import RulePackError
from trust.rules.pack import load_pack

FILE = "review/test.yaml"
RULE = "rv_test_reciprocal_v1"


def _one(**overrides: Any) -> Callable[[Path], Path]:
    return lambda root: write_pack(root, [valid_rule(**overrides)])


def _without(key: str) -> Callable[[Path], Path]:
    def build(root: Path) -> Path:
        rule = valid_rule()
        del rule[key]
        return write_pack(root, [rule])

    return build


def _raw(text: str) -> Callable[[Path], Path]:
    def build(root: Path) -> Path:
        folder = write_pack(root, [valid_rule()])
        (folder / FILE).write_text(text)
        return folder

    return build


def _duplicate(root: Path) -> Path:
    return write_pack(root, [valid_rule(), valid_rule(description="Same id again.")])


def _wrong_folder(root: Path) -> Path:
    folder = write_pack(root, [valid_rule()])
    write_pack(root, [valid_rule(id="rv_other_rule_v1")], kind="complaint")
    return folder


BROKEN: dict[str, tuple[Callable[[Path], Path], str, str]] = {
    "syntax error": (_one(when="signals.reciprocal_review &&"), RULE, "does not compile"),
    "unknown signal": (_one(when="signals.reciprocal"), RULE, "unknown signal"),
    "unknown event field": (_one(when="event.stars == 5"), RULE, "unknown event field"),
    "unknown nested field": (_one(when="event.amount_paid.value > 1.0"), RULE, "unknown event"),
    "non-boolean result": (_one(when="signals.amount_paid + 1.0"), RULE, "not a boolean"),
    "type mismatch": (_one(when="signals.amount_paid > 'x'"), RULE, "representative event"),
    "unknown function": (_one(when="lower(event.text) == 'x'"), RULE, "unknown"),
    "unknown variable": (_one(when="request.ip == '1.2.3.4'"), RULE, "unknown name"),
    "duplicate id": (_duplicate, RULE, "duplicate id"),
    "bad state": (_one(state="paused"), RULE, "state"),
    "score above 100": (_one(score=150), RULE, "score"),
    "negative score": (_one(score=-5), RULE, "score"),
    "bad severity": (_one(severity=9), RULE, "severity"),
    "missing reason": (_without("reason"), RULE, "reason"),
    "reason without code": (_one(reason={"text": "x"}), RULE, "reason.code"),
    "missing when": (_without("when"), RULE, "when"),
    "empty when": (_one(when="   "), RULE, "when"),
    "wrong kind for folder": (_one(kind="complaint", id="cp_test_v1"), "cp_test_v1", "folder"),
    "id without kind prefix": (_one(id="cp_test_reciprocal_v1"), "cp_test_reciprocal_v1", "id"),
    "id without version": (_one(id="rv_test_reciprocal"), "rv_test_reciprocal", "id"),
    "invalid forced outcome": (_one(outcome="ban"), RULE, "outcome"),
    "unknown key": (_one(priority=3), RULE, "priority"),
    "unknown signal in reason": (
        _one(reason={"code": "x", "text": "{signals.nope}"}),
        RULE,
        "reason text",
    ),
    "personal data in reason": (
        _one(reason={"code": "x", "text": "Review text: {event.text}"}),
        RULE,
        "shows personal data event.text",
    ),
    "invalid YAML": (_raw("rules:\n  - id: [unclosed\n"), FILE, "invalid YAML"),
    "no rules key": (_raw("rule:\n  - id: x\n"), FILE, "rules"),
    "empty file": (_raw(""), FILE, "empty file"),
    "rule in the wrong kind's folder": (_wrong_folder, "rv_other_rule_v1", "folder"),
}


@pytest.mark.parametrize("case", list(BROKEN), ids=list(BROKEN))
def test_a_broken_pack_is_refused_naming_file_rule_and_problem(tmp_path: Path, case: str) -> None:
    build, names, problem = BROKEN[case]
    folder = build(tmp_path)
    with pytest.raises(RulePackError) as refused:
        load_pack(folder)
    message = str(refused.value)
    assert ".yaml" in message, message
    assert names in message, message
    assert problem in message, message
    assert all("hint" in line for line in refused.value.problems), refused.value.problems


def test_every_problem_of_a_pack_is_reported_at_once(tmp_path: Path) -> None:
    folder = write_pack(
        tmp_path,
        [valid_rule(id="rv_a_v1", when="signals.nope"), valid_rule(id="rv_b_v1", score=500)],
    )
    with pytest.raises(RulePackError) as refused:
        load_pack(folder)
    assert len(refused.value.problems) == 2


def test_a_folder_that_is_not_an_event_kind_is_refused(pack_dir: Path) -> None:
    (pack_dir / "reviews").mkdir()
    with pytest.raises(RulePackError, match="not an event kind"):
        load_pack(pack_dir)
