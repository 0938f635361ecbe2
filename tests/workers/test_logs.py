"""Worker logs are JSON lines that name queue messages without their records."""

from __future__ import annotations

import json
import logging

import dramatiq
import pytest
from dramatiq.broker import MessageProxy

from workers.logs import configure_logging


def test_a_failed_message_is_logged_by_id_and_count_never_by_its_records(
    capsys: pytest.CaptureFixture[str],
) -> None:
    records = [{"event_id": "rv-1", "text": "call me on +44 7700 900123"}]
    message = dramatiq.Message(
        queue_name="q", actor_name="process_events", args=(records,), kwargs={}, options={}
    )
    configure_logging()
    try:
        # What dramatiq's worker logs for every failed attempt.
        logging.getLogger("dramatiq.worker.WorkerThread").error(
            "Failed to process message %s with unhandled exception.", MessageProxy(message)
        )
    finally:
        logging.getLogger().handlers[:] = [
            h for h in logging.getLogger().handlers if not getattr(h, "_trust_json", False)
        ]
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert json.loads(line)["message"] == (
        f"Failed to process message process_events({message.message_id}, 1 records) "
        "with unhandled exception."
    )
    assert "7700" not in line
