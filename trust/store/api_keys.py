"""API keys: created with their scopes, shown once, kept as a SHA-256 of the token.

A token is ``tpk_<prefix>_<secret>``: 32 random bytes of secret (so a plain SHA-256 is as
good as a slow hash), and a short prefix that identifies the key in listings and audit
without revealing it.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from trust.store.tables import api_keys

TOKEN_PREFIX = "tpk"
SCOPES = (
    "events:write",
    "decisions:write",
    "decisions:read",
    "accounts:read",
    "cases:read",
    "metrics:read",
)


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A stored key (never its token)."""

    id: int
    name: str
    prefix: str
    scopes: frozenset[str]
    created_by: str
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None

    @property
    def active(self) -> bool:
        """False once revoked."""
        return self.revoked_at is None


@dataclass(frozen=True, slots=True)
class NewApiKey:
    """A key just created: the token is here once and nowhere else."""

    key: ApiKey
    token: str


def token_hash(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _key(row: Any) -> ApiKey:
    return ApiKey(
        row.id,
        row.name,
        row.prefix,
        frozenset(row.scopes),
        row.created_by,
        row.created_at,
        row.revoked_at,
        row.last_used_at,
    )


def unknown_scopes(scopes: set[str]) -> list[str]:
    """Scopes not in ``SCOPES`` (sorted), to refuse with a clear message."""
    return sorted(scopes - set(SCOPES))


def create_api_key(
    conn: Connection, name: str, scopes: set[str], *, created_by: str, now: datetime | None = None
) -> NewApiKey:
    """Store a new key with ``scopes``; the returned token is never stored."""
    if bad := unknown_scopes(scopes):
        raise ValueError(f"unknown scope(s) {', '.join(bad)}; known: {', '.join(SCOPES)}")
    prefix = secrets.token_hex(4)
    token = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    row = conn.execute(
        insert(api_keys)
        .values(
            name=name[:64],
            prefix=prefix,
            token_hash=token_hash(token),
            scopes=sorted(scopes),
            created_by=created_by[:64],
            created_at=now or datetime.now(UTC),
        )
        .returning(*api_keys.c)
    ).one()
    return NewApiKey(_key(row), token)


def key_for_token(conn: Connection, token: str) -> ApiKey | None:
    """The active key ``token`` belongs to, or None."""
    row = conn.execute(
        select(api_keys).where(
            api_keys.c.token_hash == token_hash(token), api_keys.c.revoked_at.is_(None)
        )
    ).first()
    return _key(row) if row is not None else None


def list_api_keys(conn: Connection) -> list[ApiKey]:
    """Every key, revoked ones included, oldest first."""
    return [_key(r) for r in conn.execute(select(api_keys).order_by(api_keys.c.id))]


def revoke_api_key(conn: Connection, prefix: str, now: datetime | None = None) -> bool:
    """Revoke the key with ``prefix``; False when no active key has it."""
    done = conn.execute(
        update(api_keys)
        .where(api_keys.c.prefix == prefix, api_keys.c.revoked_at.is_(None))
        .values(revoked_at=now or datetime.now(UTC))
    )
    return done.rowcount == 1


def touch_api_keys(conn: Connection, key_ids: set[int], now: datetime) -> None:
    """Record that these keys were used (batched by the API's usage recorder)."""
    if key_ids:
        conn.execute(
            update(api_keys).where(api_keys.c.id.in_(sorted(key_ids))).values(last_used_at=now)
        )
