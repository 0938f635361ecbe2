"""The event schemas and ``validate_record``: valid events pass, anything else is a result."""

from __future__ import annotations

import json
from collections import OrderedDict
from ipaddress import IPv4Address, IPv6Address
from typing import Annotated, Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import Field, TypeAdapter, ValidationError
from pydantic.networks import validate_email
from pydantic_core import PydanticCustomError

from tests.factories import PAYLOAD_BUILDERS
from trust.events import EVENT_KINDS, ProfileVerificationEvent, validate_record
from trust.events.common import _DOTTED_QUAD, _PLAIN_EMAIL, NetworkContext, _email, _is_plain_email
from trust.events.validation import (
    MAX_RECORD_BYTES,
    ValidationResult,
    _may_hold_unstorable_text,
    _unstorable_text,
)

# Any text, including the lone surrogates and NUL characters JSON escapes can carry.
ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=20)
JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | ANY_TEXT
    | st.sampled_from(["review", "complaint", "2026-03-01T10:00:00Z", "USD", "GB", "-1"])
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(ANY_TEXT | st.sampled_from(["kind", "event_id"]), children, max_size=4)
    ),
    max_leaves=25,
)


def assert_is_a_result(result: ValidationResult) -> None:
    """Either a valid event, or issues that each name a field."""
    assert isinstance(result, ValidationResult)
    if result.ok:
        assert result.event is not None and not result.issues
        assert result.event.kind in EVENT_KINDS
    else:
        assert result.issues, "a refused record must say why"
        for issue in result.issues:
            assert isinstance(issue.field, str) and issue.field
            assert isinstance(issue.message, str) and issue.message
        assert result.reason


@pytest.mark.parametrize("kind", EVENT_KINDS)
def test_every_kind_of_factory_payload_is_a_valid_event(kind: str) -> None:
    result = validate_record(PAYLOAD_BUILDERS[kind]())
    assert result.ok, result.reason
    assert result.event is not None and result.event.kind == kind


@pytest.mark.parametrize("kind", EVENT_KINDS)
def test_json_text_and_bytes_validate_like_the_decoded_record(kind: str) -> None:
    payload = PAYLOAD_BUILDERS[kind]()
    as_text = validate_record(json.dumps(payload))
    as_bytes = validate_record(json.dumps(payload).encode())
    assert as_text.event == as_bytes.event == validate_record(payload).event


BROKEN = [
    ("review", {"rating": 0}, "rating"),
    ("review", {"rating": 6}, "rating"),
    ("review", {"reviewer_id": 12345}, "reviewer_id"),
    ("review", {"amount_paid": {"amount": "-1.00", "currency": "USD"}}, "amount_paid.amount"),
    ("review", {"amount_paid": {"amount": "1.00", "currency": "ABC"}}, "amount_paid.currency"),
    ("review", {"occurred_at": "2026-03-10T12:00:00"}, "occurred_at"),
    ("review", {"network": {"ip": "999.1.1.1"}}, "network.ip"),
    ("review", {"network": {"ip_country": "XX"}}, "network.ip_country"),
    ("review", {"surprise": True}, "surprise"),
    ("review", {"reviewee_id": "acct-bob"}, "(record)"),
    ("review", {"contract_ended_at": "2026-01-01T00:00:00Z"}, "(record)"),
    ("review", {"text": "a\x00b"}, "text"),
    ("review", {"text": "a\ud800b"}, "text"),
    ("review", {"schema_version": 2}, "schema_version"),
    ("profile_verification", {"profile": {"email": "not-an-email"}}, "profile.email"),
    ("profile_verification", {"profile": {"phone": "12345"}}, "profile.phone"),
    ("profile_verification", {"document": {"number": "AB 12!"}}, "document.number"),
    ("profile_verification", {"document_check": {"tamper_score": 1.5}}, "tamper_score"),
    ("reference_check", {"response": {"responded_at": "2026-03-01T00:00:00Z"}}, "(record)"),
    ("complaint", {"respondent_id": "acct-alice"}, "(record)"),
    ("complaint", {"category": "bad_vibes"}, "category"),
    ("complaint", {"event_id": ...}, "event_id"),
    ("review", {"occurred_at": "0001-01-01T00:00:00Z"}, "occurred_at"),
    ("review", {"occurred_at": "9999-12-31T23:59:59-12:00"}, "occurred_at"),
    ("review", {"occurred_at": "1969-12-31T23:59:59Z"}, "occurred_at"),
    ("review", {"contract_started_at": "0001-01-01T00:00:00+14:00"}, "contract_started_at"),
    ("review", {"rating": True}, "rating"),
    ("review", {"sub_ratings": {"quality": False}}, "sub_ratings.quality"),
    ("review", {"amount_paid": {"amount": True, "currency": "USD"}}, "amount_paid.amount"),
    ("review", {"schema_version": True}, "schema_version"),
    (
        "profile_verification",
        {"document": {"date_of_birth": "0001-01-01"}},
        "document.date_of_birth",
    ),
    ("profile_verification", {"document": {"expires_on": "9999-12-31"}}, "document.expires_on"),
    ("profile_verification", {"document_check": {"tamper_score": True}}, "tamper_score"),
    ("profile_verification", {"document_check": {"liveness_passed": 1}}, "liveness_passed"),
    ("profile_verification", {"profile": {"photo_present": "yes"}}, "profile.photo_present"),
    ("reference_check", {"response": {"confirms": 0}}, "response.confirms"),
    ("reference_check", {"claimed_project": {"started_on": "1899-12-31"}}, "started_on"),
]


@pytest.mark.parametrize(("kind", "overrides", "field"), BROKEN)
def test_broken_records_are_refused_naming_the_field(
    kind: str, overrides: dict[str, Any], field: str
) -> None:
    result = validate_record(PAYLOAD_BUILDERS[kind](**overrides))
    assert not result.ok
    assert any(field in issue.field for issue in result.issues), result.reason


@pytest.mark.parametrize("kind", EVENT_KINDS)
@pytest.mark.parametrize(
    "moment", ["1970-01-01T00:00:00Z", "2099-12-31T23:59:59Z", "2100-01-01T11:59:59+12:00"]
)
def test_timestamps_at_the_documented_bounds_are_accepted(kind: str, moment: str) -> None:
    result = validate_record(PAYLOAD_BUILDERS[kind](occurred_at=moment))
    assert result.ok, result.reason


@pytest.mark.parametrize(("text", "expected"), [("true", True), ("False", False)])
def test_booleans_may_come_as_csv_text(text: str, expected: bool) -> None:
    result = validate_record(PAYLOAD_BUILDERS["reference_check"](response={"confirms": text}))
    assert result.ok, result.reason
    assert result.event is not None and result.event.response.confirms is expected  # type: ignore[union-attr]


def test_a_boolean_rating_says_a_number_was_expected() -> None:
    result = validate_record(PAYLOAD_BUILDERS["review"](rating=True))
    assert result.reason == "rating: expected a number, got true"


@pytest.mark.parametrize(
    ("raw", "field", "words"),
    [
        (b'{"kind": "review", "event_id": "x"', "(record)", "not valid JSON"),
        (b'{"kind": "review", "text": "caf\xe9"}', "(record)", "UTF-8"),
        (b"[1, 2]", "(record)", "JSON object"),
        (b'"just text"', "(record)", "JSON object"),
        (b'{"kind": "payout"}', "kind", "unknown kind"),
        (b'{"event_id": "e-1"}', "kind", "required"),
        (b'{"kind": 5}', "kind", "unknown kind"),
        (b'{"kind": "review", "rating": ' + b"9" * 5000 + b"}", "(record)", "not valid JSON"),
        (b"[" * 100_000, "(record)", "not valid JSON"),
        (b" " * (MAX_RECORD_BYTES + 1), "(record)", "limit"),
    ],
    ids=[
        "truncated",
        "latin-1",
        "array",
        "scalar",
        "unknown kind",
        "missing kind",
        "kind not text",
        "huge integer",
        "deep nesting",
        "too large",
    ],
)
def test_undecodable_records_are_refused_not_raised(raw: bytes, field: str, words: str) -> None:
    result = validate_record(raw)
    assert not result.ok
    assert result.issues[0].field == field
    assert words in result.issues[0].message


def test_unknown_kind_message_stays_short_for_a_huge_kind() -> None:
    result = validate_record({"kind": "x" * 100_000})
    assert len(result.reason) < 500  # the excerpt plus the list of the 14 known kinds


@settings(max_examples=300, deadline=None)
@given(JSON_VALUES)
def test_random_json_values_always_give_a_result(value: Any) -> None:
    assert_is_a_result(validate_record(value))
    try:
        text = json.dumps(value)
    except ValueError:
        return
    assert_is_a_result(validate_record(text))
    assert_is_a_result(validate_record(text.encode("utf-8", "surrogatepass")))


@settings(max_examples=400, deadline=None)
@given(
    JSON_VALUES
    | st.builds(lambda d: {"kind": "review", **d}, st.dictionaries(ANY_TEXT, JSON_VALUES)),
    st.integers(0, 40),
    st.sampled_from([dict, OrderedDict]),
)
def test_records_passed_as_storable_hold_no_nul_and_no_lone_surrogate(
    value: Any, depth: int, shape: type[dict[str, Any]]
) -> None:
    """The shortcut skips the full walk only where the walk would find nothing."""
    for _ in range(depth):
        value = {"a": [value]}
    record = shape({"kind": "review", "nested": value})
    if not _may_hold_unstorable_text(record):
        assert _unstorable_text(record) == []


@pytest.mark.parametrize(
    "value",
    ["a\x00b", "\ud800", "caf\u00e9 \udfff", {"k\x00": 1}, [["x", "\x00"]], {"\ud83d": "y"}],
)
def test_unstorable_text_anywhere_in_a_decoded_record_is_refused(value: Any) -> None:
    record = PAYLOAD_BUILDERS["review"](text="fine")
    record["sub_ratings"] = {"quality": 5, "note": value}
    for shape in (dict, OrderedDict):
        result = validate_record(shape(record))
        assert not result.ok
        assert "NUL" in result.reason or "surrogate" in result.reason


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_always_give_a_result(raw: bytes) -> None:
    assert_is_a_result(validate_record(raw))


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside a nested record."""
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found.extend(_paths(value, (*prefix, key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.extend(_paths(value, (*prefix, index)))
    return found


def _mutate(record: dict[str, Any], data: st.DataObject) -> dict[str, Any]:
    path = data.draw(st.sampled_from(_paths(record)))
    *parents, last = path
    holder: Any = record
    for part in parents:
        holder = holder[part]
    action = data.draw(st.sampled_from(["delete", "swap type", "garbage key", "unicode"]))
    if action == "delete":
        del holder[last]
    elif action == "swap type":
        holder[last] = data.draw(JSON_VALUES)
    elif action == "garbage key" and isinstance(holder, dict):
        holder[data.draw(ANY_TEXT)] = data.draw(JSON_SCALARS)
    else:
        holder[last] = data.draw(ANY_TEXT)
    return record


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(EVENT_KINDS), st.integers(1, 4), st.data())
def test_mutated_valid_records_always_give_a_result(
    kind: str, mutations: int, data: st.DataObject
) -> None:
    record = PAYLOAD_BUILDERS[kind]()
    for _ in range(mutations):
        if not _paths(record):
            break
        record = _mutate(record, data)
    assert_is_a_result(validate_record(record))
    assert_is_a_result(validate_record(json.dumps(record)))


def test_issue_paths_name_fields_not_pydantic_union_members() -> None:
    result = validate_record(PAYLOAD_BUILDERS["review"](network={"ip": "999.1.1.1"}))
    assert {issue.field for issue in result.issues} == {"network.ip"}


def test_record_level_rules_say_which_fields_disagree_without_pydantic_prefixes() -> None:
    result = validate_record(PAYLOAD_BUILDERS["review"](reviewee_id="acct-bob"))
    assert result.reason == "(record): reviewer_id and reviewee_id are the same account"


def test_an_escrow_in_another_currency_than_the_claim_is_refused_naming_both_fields() -> None:
    result = validate_record(
        PAYLOAD_BUILDERS["complaint"](escrow_amount={"amount": "800.00", "currency": "EUR"})
    )
    assert result.reason == (
        "(record): escrow_amount.currency differs from amount_in_dispute.currency: "
        "one milestone's money is in one currency"
    )
    same = PAYLOAD_BUILDERS["complaint"](escrow_amount={"amount": "800.00", "currency": "USD"})
    assert validate_record(same).event is not None


# Text shaped like addresses: plain ones, and the near misses the full check must see
# (upper case, Punycode, '--', special-use and numeric TLDs, long labels, odd characters).
ADDRESS_LIKE = st.from_regex(r"\A[a-zA-Z0-9_+.!-]{0,70}@[a-zA-Z0-9.-]{0,80}\Z") | st.builds(
    "{}@{}.{}".format,
    st.from_regex(r"\A[a-z0-9_+-]{1,70}\Z"),
    st.from_regex(r"\A(xn--)?[a-z0-9-]{1,70}\Z"),
    st.sampled_from(["com", "test", "local", "onion", "arpa", "invalid", "localhost", "c0m", "io"]),
)


def _email_or_error(check: Any, value: str) -> tuple[str, str]:
    try:
        return ("ok", check(value))
    except PydanticCustomError as exc:
        return ("error", str(exc))


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.from_regex(_PLAIN_EMAIL, fullmatch=True) | ADDRESS_LIKE)
def test_email_check_answers_as_email_str_does(value: str) -> None:
    """The fast path takes only addresses EmailStr returns unchanged; the rest go to it."""
    assert _email_or_error(_email, value) == _email_or_error(lambda v: validate_email(v)[1], value)
    if _is_plain_email(value):
        assert validate_email(value)[1] == value


@pytest.mark.parametrize(
    "address",
    [
        "Ines.S@blueriverworks.co.uk",  # upper case local part: kept as given
        "ines@BlueRiver.co.uk",  # upper-case domain: lower-cased
        "Postmaster@example.com",  # a case-insensitive mailbox name: lower-cased
        "ines@example.test",  # special-use domain: refused
        "ines@xn--bcher-kva.example",  # Punycode: decoded
        "ines@example",  # no period: refused
        "ines..s@example.com",  # two periods: refused
        "Ines S <ines@example.com>",  # a display name: dropped
    ],
)
def test_addresses_off_the_fast_path_get_email_strs_answer(address: str) -> None:
    assert not _is_plain_email(address)
    assert _email_or_error(_email, address) == _email_or_error(
        lambda v: validate_email(v)[1], address
    )


# What pydantic made of network.ip before the dotted-quad fast path: the plain union.
PLAIN_IP_UNION: TypeAdapter[Any] = TypeAdapter(
    Annotated[IPv4Address | IPv6Address | None, Field()], config=NetworkContext.model_config
)
IP_LIKE = (
    st.from_regex(_DOTTED_QUAD, fullmatch=True)
    | st.from_regex(r"\A[0-9.]{0,20}\Z")
    | st.from_regex(r"\A[0-9a-fA-F:.%]{0,45}\Z")
    | st.builds(".".join, st.lists(st.integers(-1, 999).map(str), min_size=3, max_size=5))
    | st.builds(" {} ".format, st.from_regex(_DOTTED_QUAD, fullmatch=True))
    | st.integers()
    | st.booleans()
    | st.none()
    | ANY_TEXT
)


def _ip_or_errors(check: Any, value: object, *, under: int = 0) -> tuple[str, Any]:
    """The address made of ``value``, or each error (its location ``under`` levels up)."""
    try:
        return ("ok", repr(check(value)))
    except ValidationError as exc:
        return ("error", [(e["type"], e["msg"], e["loc"][under:]) for e in exc.errors()])


def _network_ip(value: object) -> tuple[str, Any]:
    return _ip_or_errors(lambda v: NetworkContext.model_validate({"ip": v}).ip, value, under=1)


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow])
@given(IP_LIKE)
def test_ip_fast_path_answers_as_the_address_union_does(value: object) -> None:
    """Dotted quads skip the union; every value gets the union's address or errors."""
    assert _network_ip(value) == _ip_or_errors(PLAIN_IP_UNION.validate_python, value)


@pytest.mark.parametrize(
    "value",
    ["1.2.3.04", "256.1.1.1", "1.2.3.4 ", "\u0661.2.3.4", "1.2.3.4\n", "::ffff:1.2.3.4", 7, True],
)
def test_ip_values_off_the_fast_path_get_the_unions_answer(value: object) -> None:
    assert not (isinstance(value, str) and _DOTTED_QUAD.fullmatch(value))
    assert _network_ip(value) == _ip_or_errors(PLAIN_IP_UNION.validate_python, value)


def test_email_fields_keep_the_email_format_in_the_json_schema() -> None:
    schema = ProfileVerificationEvent.model_json_schema()
    assert schema["$defs"]["Profile"]["properties"]["email"] == {
        "format": "email",
        "title": "Email",
        "type": "string",
        "x-personal-data": True,
    }
