"""Doing something to the store from a page: one transaction, errors in words, a flash message.

A page that changes something usually reruns right after, which would wipe a message shown
in the same run; ``flash`` keeps it for the next run and ``show_flash`` shows it once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

import streamlit as st
from sqlalchemy import Connection

from dashboard import cached, session
from dashboard.components.text import plain
from trust.errors import (
    ClaimConflictError,
    FourEyesError,
    PermissionDeniedError,
    TransientStoreError,
    TrustError,
)
from trust.store import transaction

T = TypeVar("T")
Level = Literal["success", "info", "warning", "error"]
_FLASH = "flash"


@dataclass(frozen=True, slots=True)
class Done(Generic[T]):
    """The result of an action that went through (``value`` may itself be None)."""

    value: T


def perform(what: str, action: Callable[[Connection], T]) -> Done[T] | None:
    """Run ``action`` in one transaction; on failure show why and return None."""
    try:
        with transaction(session.engine()) as conn:
            value = action(conn)
    except FourEyesError as exc:
        st.error(f"{what} was refused by the four-eyes rule: {plain(exc)}.")
    except PermissionDeniedError as exc:
        st.error(f"{what} was refused: {plain(exc)}. Ask a lead or an admin if you need it.")
    except ClaimConflictError as exc:
        st.warning(f"{what} did not happen: {plain(exc)}.")
    except TransientStoreError as exc:
        st.error(
            f"{what} did not happen because the store was busy or unreachable ({plain(exc)}). "
            "Nothing was changed; try again in a moment."
        )
    except TrustError as exc:
        st.error(f"{what} did not happen: {plain(exc)}.")
    else:
        cached.forget()
        return Done(value)
    return None


def flash(message: str, level: Level = "success") -> None:
    """Show ``message`` at the top of the next run of whichever page comes next."""
    st.session_state[_FLASH] = (level, message)


def show_flash() -> None:
    """Show (once) the message an action left for this run."""
    pending = st.session_state.pop(_FLASH, None)
    if pending:
        level, message = pending
        getattr(st, level)(message)
