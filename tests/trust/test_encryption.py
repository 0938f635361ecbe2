"""AES-GCM sealing of personal data: round trips, key rotation, tampering, misplacement."""

from __future__ import annotations

import base64

import pytest

from tests.conftest import TEST_SECRET
from trust.encryption import Keyring, SealError, is_sealed
from trust.settings import EncryptionSettings, Settings

OLD = b"old-key-material-" + b"1" * 32
NEW = b"new-key-material-" + b"2" * 32


def test_a_sealed_value_opens_to_the_plaintext_and_does_not_contain_it() -> None:
    keyring = Keyring([NEW])
    token = keyring.seal(b"jane.doe@example.com", b"event:e1")
    assert is_sealed(token) and "jane" not in token
    assert keyring.open(token, b"event:e1") == b"jane.doe@example.com"


def test_sealing_twice_gives_different_ciphertexts() -> None:
    keyring = Keyring([NEW])
    assert keyring.seal(b"x", b"c") != keyring.seal(b"x", b"c")


def test_a_value_sealed_for_one_record_does_not_open_for_another() -> None:
    keyring = Keyring([NEW])
    token = keyring.seal(b"secret", b"event:e1")
    with pytest.raises(SealError, match="authentication"):
        keyring.open(token, b"event:e2")


def test_a_tampered_value_is_refused() -> None:
    keyring = Keyring([NEW])
    token = keyring.seal(b"secret", b"c")
    head, _, body = token.rpartition(":")
    raw = bytearray(base64.b64decode(body))
    raw[-1] ^= 0x01  # one bit of the authentication tag
    flipped = f"{head}:{base64.b64encode(bytes(raw)).decode('ascii')}"
    with pytest.raises(SealError):
        keyring.open(flipped, b"c")


def test_after_rotation_the_new_key_seals_and_the_old_one_still_opens() -> None:
    old_token = Keyring([OLD]).seal(b"before", b"c")
    rotated = Keyring([NEW, OLD])
    assert rotated.open(old_token, b"c") == b"before"
    assert not rotated.is_current(old_token)
    assert rotated.is_current(rotated.seal(b"after", b"c"))


def test_a_value_sealed_with_a_key_no_longer_configured_names_the_setting() -> None:
    token = Keyring([OLD]).seal(b"before", b"c")
    with pytest.raises(SealError, match="TRUST_ENCRYPTION__PREVIOUS_KEYS"):
        Keyring([NEW]).open(token, b"c")


def test_settings_derive_the_key_from_the_secret_key_unless_one_is_set(tmp_path) -> None:
    plain = Settings(environment="test", data_dir=tmp_path, secret_key=TEST_SECRET)
    assert plain.encryption_key_materials() == [TEST_SECRET.encode()]
    rotated = plain.model_copy(
        update={"encryption": EncryptionSettings(key=NEW.decode(), previous_keys=[TEST_SECRET])}
    )
    assert rotated.encryption_key_materials() == [NEW, TEST_SECRET.encode()]
    token = Keyring.from_settings(plain).seal(b"v", b"c")
    assert Keyring.from_settings(rotated).open(token, b"c") == b"v"


def test_the_encryption_key_is_not_the_hashing_key() -> None:
    # HKDF separates purposes: knowing one derived key tells nothing about the other.
    keyring = Keyring([TEST_SECRET.encode()])
    assert TEST_SECRET not in keyring.seal(b"v", b"c")
