"""Text signals: names, off-platform contact, coercion, near-duplicates."""

from __future__ import annotations

import pytest

from trust.signals.text import (
    fold,
    has_coercion_language,
    name_similarity,
    near_duplicate,
    off_platform_channels,
    text_fingerprint,
)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("John Smith", "John Smith"),
        ("J. Smith", "John Smith"),
        ("Smith John", "John Smith"),
        ("José Núñez", "Jose Nunez"),
        ("SMITH, John", "john smith"),
        ("Maria Garcia Lopez", "Maria Lopez"),
    ],
)
def test_the_same_person_written_differently_matches(a: str, b: str) -> None:
    assert name_similarity(a, b) >= 80


@pytest.mark.parametrize(
    ("a", "b"), [("Alice Walker", "Bob Jones"), ("Maria Kowalski", "Ahmed Khan"), ("", "John")]
)
def test_different_people_do_not_match(a: str, b: str) -> None:
    assert name_similarity(a, b) < 60


def test_fold_strips_accents_case_and_punctuation() -> None:
    assert fold("  Zoë O-Brien, JR. ") == "zoe o brien jr"


@pytest.mark.parametrize(
    ("text", "channel"),
    [
        ("pay me at bob.smith77@gmail.com instead", "email"),
        ("call me on +44 7700 900123", "phone"),
        ("let's continue on Telegram @bob", "telegram"),
        ("message me on WhatsApp", "whatsapp"),
        ("send it via PayPal please", "paypal"),
        ("USDT to wallet 0x" + "ab" * 20, "crypto"),
        ("bitcoin to bc1q" + "a" * 30, "crypto"),
        ("do a bank transfer directly", "bank_transfer"),
        ("we can settle outside the platform", "outside_platform"),
    ],
)
def test_off_platform_channels_are_recognised(text: str, channel: str) -> None:
    assert channel in off_platform_channels(text)


@pytest.mark.parametrize(
    "text",
    [
        "I sent the files by email as agreed and he says he never got them.",
        "Milestone submitted 20 days ago and still not released.",
        "",
        None,
    ],
)
def test_ordinary_complaints_mention_no_channel(text: str | None) -> None:
    assert off_platform_channels(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "Client told me: 5 stars or I dispute the whole payment.",
        "He said he will leave 1 star unless I refund half of the milestone.",
        "Terrible. Refund me and I will change this review.",
        "Gave 5 stars in exchange for a bonus, as agreed.",
        "1 star until you give me my money back.",
        # The same threats in other words: marks and grades for ratings, till and once for
        # until, an invoice waived or a payment reversed for a refund.
        "My grade goes up once you waive the last invoice.",
        "Their mark on my profile stays low till the charge is reversed.",
        "Kept my reputation intact as promised after I gave back part of the fee.",
    ],
)
def test_threats_and_trades_around_feedback_are_coercion(text: str) -> None:
    assert has_coercion_language(text)


@pytest.mark.parametrize(
    "text",
    [
        "Excellent work, delivered ahead of schedule.",
        "Average result.",
        "Top marks for communication. Invoice was clear.",
        "Once again a great job, will hire again.",
        "",
        None,
    ],
)
def test_ordinary_reviews_are_not_coercion(text: str | None) -> None:
    assert not has_coercion_language(text)


def test_near_duplicate_texts_are_found_and_short_texts_ignored() -> None:
    seen = [text_fingerprint("Top quality, super fast, five stars!")]
    again = text_fingerprint("Top quality super fast five stars!!")
    assert again is not None and near_duplicate(again, [s for s in seen if s])
    assert text_fingerprint("Great!") is None
