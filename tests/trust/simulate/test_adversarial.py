"""``trust simulate --adversarial``: the evasive world leaves none of the easy traces."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from pathlib import Path

import pytest

from tests.trust.simulate.conftest import Simulated, load
from trust.signals.text import fold
from trust.simulate import simulate, texts


@pytest.fixture(scope="module")
def evasive(tmp_path_factory: pytest.TempPathFactory) -> Simulated:
    out: Path = tmp_path_factory.mktemp("adversarial")
    return load(simulate(2000, 30, 11, out, adversarial=True))


def _networks(simulated: Simulated, accounts: set[str]) -> dict[str, set[tuple[str, str]]]:
    seen: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for event in simulated.events:
        actor = event.get("reviewer_id") or event.get("account_id")
        if actor in accounts and event.get("network"):
            seen[actor].add((event["network"]["device_id"], event["network"]["ip"]))
    return seen


def test_ring_accounts_share_no_device_or_ip_and_split_roles(evasive: Simulated) -> None:
    reviews = evasive.of_pattern("review_ring", "review")
    assert reviews
    members = {e["reviewer_id"] for e in reviews} | {e["reviewee_id"] for e in reviews}
    holders: dict[str, set[str]] = defaultdict(set)
    for account, seen in _networks(evasive, members).items():
        for device, ip in seen:
            holders[device].add(account)
            holders[ip].add(account)
    assert holders and all(len(accounts) == 1 for accounts in holders.values())
    roles = {
        e["account_id"]: e["role"]
        for e in evasive.of_pattern("review_ring", "profile_verification")
    }
    for review in reviews:
        # Client accounts hire freelancer accounts only: no pair trades both ways.
        assert {roles[review["reviewer_id"]], roles[review["reviewee_id"]]} == {
            "client",
            "freelancer",
        }


def test_puppets_are_aged_and_their_reviews_drip_past_a_week(evasive: Simulated) -> None:
    verifications = evasive.of_pattern("review_burst_new_accounts", "profile_verification")
    assert verifications
    for v in verifications:
        created = datetime.fromisoformat(v["account_created_at"].replace("Z", "+00:00"))
        verified = datetime.fromisoformat(v["occurred_at"].replace("Z", "+00:00"))
        assert (verified - created).days >= 55
    by_target: dict[str, list[str]] = defaultdict(list)
    for review in evasive.of_pattern("review_burst_new_accounts", "review"):
        by_target[review["reviewee_id"]].append(review["occurred_at"])
    spans = [
        (max(t) > min(t))
        and (
            datetime.fromisoformat(max(t).replace("Z", "+00:00"))
            - datetime.fromisoformat(min(t).replace("Z", "+00:00"))
        ).days
        for t in by_target.values()
    ]
    assert max(spans) >= 7


def test_evasive_coercion_shares_no_three_words_with_the_plain_phrasings() -> None:
    def runs(sentence: str) -> set[str]:
        words = fold(sentence).split()
        return {" ".join(words[i : i + 3]) for i in range(len(words) - 2)}

    plain = set().union(*(runs(s) for s in (*texts.EXTORTION_TEXTS, *texts.COERCED_REVIEW_TEXTS)))
    for sentence in (*texts.EVASIVE_EXTORTION_TEXTS, *texts.EVASIVE_COERCED_REVIEW_TEXTS):
        assert not runs(sentence) & plain, sentence


def test_the_adversarial_world_is_reproducible(tmp_path: Path) -> None:
    first = simulate(200, 10, 5, tmp_path / "a", adversarial=True).events_path.read_bytes()
    again = simulate(200, 10, 5, tmp_path / "b", adversarial=True).events_path.read_bytes()
    plain = simulate(200, 10, 5, tmp_path / "c").events_path.read_bytes()
    assert first == again != plain
