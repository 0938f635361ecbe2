"""Bring a store's schema up to date with Alembic, on SQLite or PostgreSQL.

Alembic is imported only when a migration runs (~60 ms of import a process that opens an
up-to-date store does not need).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text

from trust.store.database import reading

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Revision ids are the numbers that start the migrations' file names ("0016_....py"), one
# line of history, so the newest file holds the head (a test checks it against Alembic's).
_REVISION_FILE = re.compile(r"^(\d{4})_\w+\.py$")


def alembic_config(url: str) -> Config:
    """An Alembic configuration pointing at our migrations and ``url``."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply every migration up to ``revision`` (idempotent)."""
    from alembic import command

    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


def head_revision() -> str:
    """The newest migration's revision id, read from the file names (no script is loaded)."""
    return max(
        match.group(1)
        for path in (MIGRATIONS_DIR / "versions").iterdir()
        if (match := _REVISION_FILE.match(path.name))
    )


def is_current(engine: Engine) -> bool:
    """True when the store's schema is at the head revision: one cheap query.

    ``upgrade`` costs ~10 ms of CPU even when there is nothing to do (Alembic loads every
    migration script), which a short command such as ``trust decide`` pays on every call.
    """
    with reading(engine) as conn:
        if not inspect(conn).has_table("alembic_version"):
            return False
        stored = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return stored == [head_revision()]


def upgrade_if_behind(engine: Engine) -> None:
    """``upgrade`` to the head, skipped when the version check says it is there already."""
    if not is_current(engine):
        upgrade(engine)


def downgrade(engine: Engine, revision: str = "base") -> None:
    """Undo migrations down to ``revision``."""
    from alembic import command

    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, revision)
