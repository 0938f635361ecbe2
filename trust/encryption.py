"""Authenticated encryption of personal data at rest (AES-256-GCM), with key rotation.

Each key is derived with HKDF-SHA256 from a key *material* (by default ``TRUST_SECRET_KEY``,
or ``TRUST_ENCRYPTION__KEY`` when set), so the hashing key and the encryption key are never
the same bytes. A sealed value is text, ``pii1:<key id>:<base64 of nonce, ciphertext, tag>``:
the key id names the key that sealed it, so after a rotation the new key seals and the keys
in ``TRUST_ENCRYPTION__PREVIOUS_KEYS`` still open what they sealed (``trust encryption
reseal`` re-encrypts the store with the new key, after which the old ones can go).

The ``context`` bound to each seal (associated data) ties a ciphertext to where it lives,
e.g. the event id: a sealed value copied onto another record does not open.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from trust.errors import TrustError

if TYPE_CHECKING:
    from trust.settings import Settings

PREFIX = "pii1:"
_NONCE_BYTES = 12
_SALT = b"trust-pipeline personal data at rest"
# ``json.dumps`` with these options builds a new encoder on every call; a batch seals one
# value per event.
_compact_json = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


class SealError(TrustError):
    """Raised when a sealed value cannot be opened: unknown key id, tampered or misplaced."""


def _derive(material: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=purpose).derive(material)


class Keyring:
    """The current key (seals) and the previous ones (still open what they sealed)."""

    def __init__(self, materials: Sequence[bytes]) -> None:
        if not materials:
            raise ValueError("a keyring needs at least one key")
        self._ciphers: dict[str, AESGCM] = {}
        for material in materials:
            key = _derive(material, b"aes-256-gcm v1")
            key_id = hashlib.sha256(_derive(material, b"key id v1")).hexdigest()[:8]
            self._ciphers.setdefault(key_id, AESGCM(key))
        self.current_id = next(iter(self._ciphers))
        self._current = self._ciphers[self.current_id]

    @classmethod
    def from_settings(cls, settings: Settings) -> Keyring:
        """The keyring of these settings (one per set of keys, shared by the process)."""
        return _keyring(tuple(settings.encryption_key_materials()))

    @classmethod
    def from_secret(cls, secret: bytes) -> Keyring:
        """A keyring with one key derived from ``secret`` (shared by the process)."""
        return _keyring((secret,))

    def seal(self, plaintext: bytes, context: bytes) -> str:
        """``plaintext`` encrypted and authenticated with the current key, bound to ``context``."""
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._current.encrypt(nonce, plaintext, context)
        return f"{PREFIX}{self.current_id}:{base64.b64encode(nonce + sealed).decode('ascii')}"

    def open(self, token: str, context: bytes) -> bytes:
        """The plaintext of a sealed ``token``; SealError if no key opens it here."""
        head, _, body = token.rpartition(":")
        key_id = head[len(PREFIX) :]
        cipher = self._ciphers.get(key_id) if head.startswith(PREFIX) else None
        if cipher is None:
            raise SealError(
                f"sealed with key {key_id or '?'}, which is not configured "
                "(set TRUST_ENCRYPTION__PREVIOUS_KEYS to the key that sealed it)"
            )
        try:
            raw = base64.b64decode(body, validate=True)
            return cipher.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], context)
        except (InvalidTag, ValueError) as exc:
            raise SealError("a sealed value failed authentication (tampered or misplaced)") from exc

    def seal_json(self, value: Any, context: bytes) -> str:
        """``value`` as compact JSON, sealed."""
        return self.seal(_compact_json(value).encode(), context)

    def open_json(self, token: str, context: bytes) -> Any:
        """The JSON value sealed in ``token``."""
        return json.loads(self.open(token, context))

    def is_current(self, token: str) -> bool:
        """True when ``token`` was sealed with the current key (nothing to re-seal)."""
        return token.startswith(f"{PREFIX}{self.current_id}:")


def is_sealed(value: object) -> bool:
    """True for a value this module sealed."""
    return isinstance(value, str) and value.startswith(PREFIX)


@lru_cache(maxsize=8)
def _keyring(materials: tuple[bytes, ...]) -> Keyring:
    return Keyring(materials)
