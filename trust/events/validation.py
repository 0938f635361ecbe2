"""Turn one raw record into either a valid event or a list of precise, field-named problems."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from trust.events.kinds import INTAKE_KINDS, Event, event_adapter

MAX_RECORD_BYTES = 256 * 1024
# The adapter's own validator: TypeAdapter.validate_python adds ~3 µs of argument handling
# per call for the same defaults.
_EVENT_VALIDATOR = event_adapter.validator


@dataclass(frozen=True, slots=True)
class EventValidationIssue:
    """One problem with a record: where (dotted field path) and what."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"

    def as_dict(self) -> dict[str, str]:
        """Plain form for the quarantine table."""
        return {"field": self.field, "message": self.message}


@dataclass(frozen=True, slots=True)
class ValidationResult:
    """Either ``event`` is set, or ``issues`` says why the record was refused."""

    event: Event | None = None
    issues: tuple[EventValidationIssue, ...] = field(default_factory=tuple)
    event_id: str | None = None

    @property
    def ok(self) -> bool:
        """True when the record is a valid event."""
        return self.event is not None

    @property
    def reason(self) -> str:
        """All issues on one line, for people."""
        return "; ".join(str(issue) for issue in self.issues)


def _issue(field_path: str, message: str, event_id: str | None = None) -> ValidationResult:
    return ValidationResult(issues=(EventValidationIssue(field_path, message),), event_id=event_id)


# Pydantic names the member of a plain union it tried ('lax-or-strict[...]'); people need
# only the field path, so such tags are dropped from locations.
_UNION_MEMBER_TAG = re.compile(r"^[a-z]+(?:-[a-z]+)+\[.*\]$", re.DOTALL)


def _loc(loc: tuple[int | str, ...]) -> str:
    # The discriminated union puts the kind name first in the location: drop it.
    parts = [str(p) for p in loc]
    if parts and parts[0] in INTAKE_KINDS:
        parts = parts[1:]
    parts = [p for p in parts if not _UNION_MEMBER_TAG.match(p)]
    return ".".join(parts) or "(record)"


def _message(msg: str) -> str:
    return msg.removeprefix("Value error, ")


def _issues_of(exc: ValidationError) -> tuple[EventValidationIssue, ...]:
    # Once union tags are dropped two members can report the same issue: keep it once.
    found = (EventValidationIssue(_loc(e["loc"]), _message(e["msg"])) for e in exc.errors())
    return tuple(dict.fromkeys(found))


def _event_id_of(record: Any) -> str | None:
    if isinstance(record, dict):
        value = record.get("event_id")
        if isinstance(value, str) and 0 < len(value) <= 128:
            return value
    return None


# json.dumps(record, ensure_ascii=False, default=str), without building the encoder anew
# for every record (as json.dumps does for any but its default arguments).
_SCAN_ENCODER = json.JSONEncoder(ensure_ascii=False, default=str)
_JSON_NUMBERS_AND_NULL = (int, float, bool, type(None))
# Deeper records take the full check: ``_unstorable_text`` recurses, and decides when it
# runs out of stack ("nested too deeply").
_PLAIN_DEPTH = 32


def _plain_texts(record: dict[str, Any]) -> list[str] | None:
    """Every key and text of a record made only of dicts, lists, text, numbers, booleans
    and nulls, at most ``_PLAIN_DEPTH`` deep; None for anything else."""
    if type(record) is not dict:  # a subclass may iterate or list its items its own way
        return None
    texts: list[str] = []
    level: list[Any] = [record]
    for _ in range(_PLAIN_DEPTH):
        below: list[Any] = []
        for node in level:  # exact dicts and lists only
            if type(node) is dict:
                texts.extend(node)
                values = node.values()
            else:
                values = node
            for value in values:
                kind = type(value)
                if kind is str:
                    texts.append(value)
                elif kind is dict or kind is list:
                    below.append(value)
                elif kind not in _JSON_NUMBERS_AND_NULL:
                    return None
        if not below:
            return texts
        level = below
    return None


def _holds_only_storable_text(record: dict[str, Any]) -> bool:
    """True when a plain record's keys and texts hold no NUL and no lone surrogate.

    One pass of type checks and one join: half the cost of the JSON dump below, which
    stays for records of other shapes.
    """
    texts = _plain_texts(record)
    if texts is None:
        return False
    try:
        text = "".join(texts)
    except TypeError:  # a key that is not text
        return False
    return "\x00" not in text and _encodes_as_utf8(text)


def _may_hold_unstorable_text(record: dict[str, Any]) -> bool:
    """False when the record provably holds no NUL and no lone surrogate (the common case).

    Records from the queue arrive decoded; the full walk (``_unstorable_text``) cost more
    than validating them.
    """
    if _holds_only_storable_text(record):
        return False
    try:
        text = _SCAN_ENCODER.encode(record)
    except (TypeError, ValueError, RecursionError):
        return True
    return "\\u0000" in text or not _encodes_as_utf8(text)


def _encodes_as_utf8(text: str) -> bool:
    """False when ``text`` holds a lone surrogate (which neither store can keep)."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _unstorable_text(value: Any, path: str = "") -> list[EventValidationIssue]:
    """Strings a database cannot keep: NUL characters (PostgreSQL text) and lone surrogates."""
    found: list[EventValidationIssue] = []
    if isinstance(value, str):
        if "\x00" in value:
            found.append(EventValidationIssue(path or "(record)", "contains a NUL character"))
        elif not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                message = "contains an unpaired UTF-16 surrogate"
                found.append(EventValidationIssue(path or "(record)", message))
    elif isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            found.extend(_unstorable_text(key, child) if isinstance(key, str) else ())
            found.extend(_unstorable_text(item, child))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found.extend(_unstorable_text(item, f"{path}.{index}" if path else str(index)))
    return found


def _short_repr(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} chars)"


def validate_record(record: Any, *, escaped: bool = True) -> ValidationResult:
    """Validate a decoded JSON value (or a JSON string/bytes); never raises on bad input.

    ``escaped=False`` says a decoded value came from JSON text without a ``\\u`` escape
    (the caller looked), so it cannot hold a NUL or a lone surrogate.
    """
    # Only a JSON \u escape can put a NUL or a lone surrogate into text that decoded as
    # UTF-8, so decoded text without one skips the deep scan (the common, fast case).
    needs_text_scan = escaped
    try:
        if isinstance(record, bytes):
            if len(record) > MAX_RECORD_BYTES:
                return _issue("(record)", f"{len(record)} bytes; limit {MAX_RECORD_BYTES}")
            record = record.decode("utf-8")
        if isinstance(record, str):
            if len(record) > MAX_RECORD_BYTES:
                return _issue("(record)", f"{len(record)} chars; limit {MAX_RECORD_BYTES}")
            needs_text_scan = "\\u" in record
            record = json.loads(record)
    except UnicodeDecodeError as exc:
        return _issue("(record)", f"not valid UTF-8 at byte {exc.start}")
    except (ValueError, RecursionError) as exc:
        # JSONDecodeError is a ValueError; so is an integer longer than Python converts.
        return _issue("(record)", f"not valid JSON: {exc}")
    event_id = _event_id_of(record)
    if not isinstance(record, dict):
        return _issue("(record)", f"expected a JSON object, got {type(record).__name__}")
    kind = record.get("kind")
    if kind is None:
        return _issue("kind", "field required", event_id)
    if not isinstance(kind, str) or kind not in INTAKE_KINDS:
        return _issue(
            "kind",
            f"unknown kind {_short_repr(kind)}; expected one of {', '.join(INTAKE_KINDS)}",
            event_id,
        )
    if needs_text_scan and _may_hold_unstorable_text(record):
        try:
            unstorable = _unstorable_text(record)
        except RecursionError:
            return _issue("(record)", "nested too deeply", event_id)
        if unstorable:
            return ValidationResult(issues=tuple(unstorable), event_id=event_id)
    try:
        event = _EVENT_VALIDATOR.validate_python(record)
    except ValidationError as exc:
        return ValidationResult(issues=_issues_of(exc), event_id=event_id)
    except (RecursionError, ValueError, TypeError, OverflowError) as exc:
        return _issue("(record)", f"could not be validated: {exc}", event_id)
    return ValidationResult(event=event, event_id=event.event_id)
