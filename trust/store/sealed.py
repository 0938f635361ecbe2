"""Columns that keep personal data sealed at rest, opened transparently for the code that reads.

- ``events.payload`` (``SealedEventPayload``): the fields each event kind declares personal
  (``trust.events.personal``) are replaced by nulls and sealed together, bound to the event
  id, under the payload's ``_sealed`` key. Everything else stays clear JSON, so look-ups by
  contract, rating or direction still run in SQL.
- ``quarantine.raw`` (``SealedText``): a refused record's shape cannot be trusted, so it is
  sealed whole; ``accounts.display_name`` likewise (found by name through keyed hashes of
  its words, ``trust.store.accounts.record_name_words``).
- Queue messages carry event records sealed the same way (``seal_records``, opened by the
  pipeline with ``open_records``), so Redis and its append-only file hold no clear value.

The keys come from the store's engine (``attach_keyring``), so every reader and writer of
these columns, wherever it lives, seals and opens with the keys of the store it talks to.
Rows written before sealing existed have no ``_sealed`` key and read as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from sqlalchemy import JSON, Dialect, Text
from sqlalchemy.types import TypeDecorator

from trust.encryption import Keyring, is_sealed
from trust.errors import ConfigurationError
from trust.events.kinds import INTAKE_TYPES
from trust.events.personal import Path, personal_paths

SEALED_KEY = "_sealed"
_DIALECT_ATTRIBUTE = "trust_keyring"
# Per kind: each personal field's path and its dotted name in the sealed bundle.
_FIELDS: dict[str, tuple[tuple[Path, str], ...]] = {
    kind: tuple((path, ".".join(path)) for path in personal_paths(model))
    for kind, model in INTAKE_TYPES.items()
}

KeySource = Callable[[], Keyring]
_R = TypeVar("_R")


def attach_keyring(dialect: Dialect, source: KeySource) -> None:
    """Give an engine's sealed columns their keys (``source`` is called on first use)."""
    setattr(dialect, _DIALECT_ATTRIBUTE, _Lazy(source))


class _Lazy:
    def __init__(self, source: KeySource) -> None:
        self._source = source
        self._keyring: Keyring | None = None

    def get(self) -> Keyring:
        if self._keyring is None:
            self._keyring = self._source()
        return self._keyring


def keyring_of(dialect: Dialect) -> Keyring:
    """The keys of the engine ``dialect`` belongs to."""
    lazy = getattr(dialect, _DIALECT_ATTRIBUTE, None)
    if lazy is None:
        raise ConfigurationError(
            "this store was opened without the personal-data keys; open it with "
            "Store.from_settings (or pass keyring=) to read or write events"
        )
    keyring: Keyring = lazy.get()
    return keyring


def _personal_fields(kind: object) -> tuple[tuple[Path, str], ...]:
    fields = _FIELDS.get(str(kind))
    if fields is None:
        raise ValueError(f"cannot seal a payload of unknown event kind {kind!r}")
    return fields


def _context(payload: dict[str, Any]) -> bytes:
    return f"event:{payload.get('event_id')}".encode()


def seal_payload(payload: dict[str, Any], keyring: Keyring) -> dict[str, Any]:
    """A copy of an event payload with its personal fields sealed (the input is not changed)."""
    if SEALED_KEY in payload:
        return payload
    sealed: dict[str, Any] = {}
    out = dict(payload)
    copied: dict[Path, dict[str, Any]] = {(): out}  # each nested dict is copied once
    for path, dotted in _personal_fields(payload.get("kind")):
        parent = out
        for depth in range(1, len(path)):
            node = copied.get(path[:depth])
            if node is None:
                child = parent.get(path[depth - 1])
                if not isinstance(child, dict):
                    break
                node = copied[path[:depth]] = parent[path[depth - 1]] = dict(child)
            parent = node
        else:
            value = parent.get(path[-1])
            if value is not None and value != "":
                sealed[dotted] = value
                parent[path[-1]] = None
    if sealed:
        out[SEALED_KEY] = keyring.seal_json(sealed, _context(payload))
    return out


def open_payload(payload: dict[str, Any], keyring: Keyring) -> dict[str, Any]:
    """The clear payload of a stored one (payloads stored before sealing come back as they are)."""
    token = payload.get(SEALED_KEY)
    if token is None:
        return payload
    out = dict(payload)
    del out[SEALED_KEY]
    for dotted, value in keyring.open_json(token, _context(out)).items():
        *parents, leaf = dotted.split(".")
        node = out
        for step in parents:
            node[step] = node = dict(node[step])
        node[leaf] = value
    return out


def open_personal(payload: dict[str, Any], keyring: Keyring) -> dict[str, Any]:
    """Only the sealed personal fields of a stored payload, by dotted path ({} when none)."""
    token = payload.get(SEALED_KEY)
    return dict(keyring.open_json(token, _context(payload))) if token else {}


def seal_records(records: Iterable[Any], keyring: Keyring) -> list[Any]:
    """Event records for a queue message: each of a known kind with its personal fields sealed."""
    return [
        seal_payload(r, keyring) if isinstance(r, dict) and r.get("kind") in _FIELDS else r
        for r in records
    ]


def open_records(records: Iterable[_R], keyring: Keyring) -> list[_R | dict[str, Any]]:
    """Records from a queue message with their sealed fields opened (others as they are)."""
    return [
        open_payload(dict(r), keyring) if isinstance(r, Mapping) and SEALED_KEY in r else r
        for r in records
    ]


class SealedEventPayload(TypeDecorator[dict[str, Any]]):
    """An event payload stored as JSON with its personal fields sealed."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        return seal_payload(value, keyring_of(dialect))

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if value is None or SEALED_KEY not in value:
            return value
        return open_payload(value, keyring_of(dialect))


class SealedText(TypeDecorator[str]):
    """Text stored sealed whole (a refused record, which may hold anything)."""

    impl = Text
    cache_ok = True

    def __init__(self, context: str) -> None:
        super().__init__()
        self.context = context.encode()

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        return keyring_of(dialect).seal(str(value).encode("utf-8", "surrogatepass"), self.context)

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if value is None or not is_sealed(value):
            return value
        return keyring_of(dialect).open(value, self.context).decode("utf-8", "surrogatepass")


def personal_value(
    dialect: Dialect, event_id: str, clear: Any, token: str | None, dotted: str
) -> Any:
    """One personal field of a stored event read in SQL as ``clear`` and the ``_sealed`` token.

    For queries that pick fields out of payloads instead of loading them whole.
    """
    if not token:
        return clear
    return keyring_of(dialect).open_json(token, f"event:{event_id}".encode()).get(dotted)
