"""Personal data: keyed hashes that match variations of one value, masks that hide the rest."""

from __future__ import annotations

import pytest

from tests.conftest import TEST_SECRET
from tests.factories import make_profile_verification
from trust.identifiers import identifiers_of
from trust.pii import PiiHasher, email_domain, email_stem, mask, normalise_identifier

HASHER = PiiHasher(TEST_SECRET.encode())


def test_a_different_key_gives_a_different_hash() -> None:
    other = PiiHasher(b"another-secret-key-of-enough-length")
    assert HASHER.hash("phone", "+447700900123") != other.hash("phone", "+447700900123")
    assert HASHER.hash("phone", "+447700900123") == HASHER.hash("phone", "+447700900123")


def test_the_same_value_under_two_identifier_kinds_does_not_match() -> None:
    assert HASHER.hash("device", "abc123") != HASHER.hash("payment", "abc123")


def test_a_short_key_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 16 bytes"):
        PiiHasher(b"short")


@pytest.mark.parametrize(
    ("kind", "first", "second"),
    [
        ("email", "John.Doe@Example.com", "john.doe@example.com"),
        ("email", "jane+promo@example.com", "jane@example.com"),
        ("email", "j.a.n.e@gmail.com", "jane@gmail.com"),
        ("phone", "+44 7700 900123", "+447700900123"),
        ("document", "ab-123 456", "AB123456"),
        ("device", " Dev-1 ", "dev-1"),
    ],
)
def test_variations_of_one_identifier_hash_alike(kind: str, first: str, second: str) -> None:
    assert HASHER.hash(kind, first) == HASHER.hash(kind, second)


def test_dots_only_fold_for_gmail_addresses() -> None:
    assert normalise_identifier("email", "j.doe@example.com") == "j.doe@example.com"


@pytest.mark.parametrize(
    ("kind", "value", "masked"),
    [
        ("email", "john.doe@gmail.com", "j*******@gmail.com"),
        ("email", "jo@x.io", "j***@x.io"),
        ("email", "@nolocal", "********"),
        ("referee_email", "carol@acme.com", "c****@acme.com"),
        ("phone", "+441234567890", "+44*******890"),
        ("phone", "+1234", "*****"),
        ("document", "AB1234567", "*****4567"),
        ("document", "1234", "****"),
        ("ip", "203.0.113.5", "203.0.113.*"),
        ("ip", "2001:db8:85a3:0:0:8a2e:370:7334", "2001:db8:85a3:0:*"),
        ("device", "dev-honest-1", "dev-…"),
        ("payment", "pm1", "***"),
        ("email_domain", "example.com", "example.com"),
        ("unknown_kind", "secret-value", "secr…"),
    ],
)
def test_masks_show_only_what_staff_need(kind: str, value: str, masked: str) -> None:
    assert mask(kind, value) == masked


@pytest.mark.parametrize(
    ("email", "domain", "stem"),
    [
        ("J.Smith+x7@Example.COM", "example.com", "jsmith"),
        ("anna99@mail.org", "mail.org", "anna"),
        ("no-at-sign", "no-at-sign", ""),
    ],
)
def test_email_domain_and_stem(email: str, domain: str, stem: str) -> None:
    assert (email_domain(email), email_stem(email)) == (domain, stem)


def test_identifiers_store_hashes_and_masks_never_the_clear_value() -> None:
    event = make_profile_verification()
    found = {i.kind: i for i in identifiers_of(event, HASHER)}
    assert set(found) == {"device", "ip", "document", "email", "email_domain", "phone", "payment"}
    assert found["document"].value_hash == HASHER.hash("document", event.document.number)
    assert event.document.number not in found["document"].masked
    assert found["phone"].masked == "+44*******123"
    assert found["email_domain"].value_hash == "example.co.uk"
