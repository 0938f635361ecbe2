"""Structured logs: one JSON object per line, with the fields passed as ``extra=``.

A queue message's records are events, personal data included. dramatiq logs a failed
message as ``actor(args)``, the whole batch, once per attempt; ``MessageRedactor`` turns
every message in a log call into its actor, id and record count.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

import dramatiq
from dramatiq.broker import MessageProxy

# Attributes every LogRecord has; anything else came from ``extra=`` and is worth keeping.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """Formats a record as JSON: time, level, logger, message, process and extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def describe_message(message: dramatiq.Message[Any] | MessageProxy) -> str:
    """``actor(message id, N records)``: a message named without its arguments."""
    records = message.args[0] if message.args else ()
    count = len(records) if isinstance(records, list | tuple) else 1
    return f"{message.actor_name}({message.message_id}, {count} records)"


class MessageRedactor(logging.Filter):
    """Replaces queue messages among a log call's arguments by ``describe_message``."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and any(isinstance(a, _MESSAGES) for a in args):
            record.args = tuple(
                describe_message(a) if isinstance(a, _MESSAGES) else a for a in args
            )
        return True


_MESSAGES = (dramatiq.Message, MessageProxy)


def configure_logging(level: str = "INFO") -> None:
    """Send every logger's records to stderr as JSON lines (idempotent)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_trust_json", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(MessageRedactor())
    handler._trust_json = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    # dramatiq logs each retry at INFO with the message repr; keep its chatter at WARNING.
    logging.getLogger("dramatiq").setLevel(logging.WARNING)
