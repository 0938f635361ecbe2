"""Rendering the queue and case screens headlessly (AppTest) for ``trust bench dashboard``.

The data reads are timed in ``trust.dashboard_bench``; this adds the whole screen: the
sign-in gate, navigation, every widget and table, with Streamlit's caches cleared before
each run so no figure hides behind a cache hit.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import streamlit as st
from streamlit.logger import set_log_level
from streamlit.testing.v1 import AppTest

from trust.dashboard_bench import Timing
from trust.errors import TrustError
from trust.staff import StaffMember

APP = Path(__file__).resolve().parent / "app.py"


def _render(app: AppTest) -> float:
    st.cache_data.clear()
    started = time.perf_counter()
    app.run()
    elapsed = time.perf_counter() - started
    if app.exception:
        raise TrustError(f"the screen failed to render: {app.exception[0].message}")
    return elapsed


@contextmanager
def _database(url: str) -> Iterator[None]:
    # The app reads its store from the environment, as when `trust up` starts it.
    before = os.environ.get("TRUST_DATABASE_URL")
    os.environ["TRUST_DATABASE_URL"] = url
    try:
        yield
    finally:
        if before is None:
            del os.environ["TRUST_DATABASE_URL"]
        else:
            os.environ["TRUST_DATABASE_URL"] = before


def render_timings(
    database_url: str, member: StaffMember, case_id: int, *, repeat: int = 3
) -> list[Timing]:
    """Seconds to render the queue screen and a case screen: first run, median of repeats."""
    with _database(database_url):
        return _render_both(member, case_id, repeat)


def _render_both(member: StaffMember, case_id: int, repeat: int) -> list[Timing]:
    # Outside a server Streamlit warns on every cache call; the figures are the output here.
    set_log_level("ERROR")
    app = AppTest.from_file(str(APP), default_timeout=300)
    app.session_state["staff"] = member
    queue = [_render(app) for _ in range(repeat + 1)]
    app.query_params["case"] = str(case_id)
    app.switch_page("screens/case.py")
    case = [_render(app) for _ in range(repeat + 1)]
    return [
        Timing("screen: queue (AppTest render, no cache)", queue[0], statistics.median(queue[1:])),
        Timing("screen: case (AppTest render, no cache)", case[0], statistics.median(case[1:])),
    ]
