"""What every command needs: settings, the store, a console."""

from __future__ import annotations

from rich.console import Console

from trust.datadir import make_private
from trust.settings import Settings, get_settings
from trust.store import Store

console = Console()
err_console = Console(stderr=True)


def settings() -> Settings:
    """The settings of this invocation."""
    return get_settings()


def open_store(current: Settings | None = None) -> Store:
    """The configured store, migrated; use it in a ``with`` block so it is always closed.

    The data folder is made private first (``trust.datadir``): the store's files are
    created 0600 inside a 0700 folder.
    """
    current = current or settings()
    make_private(current.data_dir)
    return Store.from_settings(current)
