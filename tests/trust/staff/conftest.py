"""Staff tests hash many passwords: use cheap argon2 parameters (the format is the same)."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr("trust.staff.accounts.password_hasher", cheap)
    monkeypatch.setattr("trust.staff.auth.password_hasher", cheap)
