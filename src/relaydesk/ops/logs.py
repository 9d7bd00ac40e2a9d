"""Logging setup: plain text by default, RELAYDESK_LOG_FORMAT=json for one JSON object per line.

Each JSON line has time, level, logger, message, and the request id and account id when the line
was written while handling a request. Request bodies are never logged (the access line has the
method, path, status and time only).
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from relaydesk.ops.context import current

_EXTRA = ("method", "path", "status")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(current())
        for key in _EXTRA:
            if hasattr(record, key):
                line[key] = getattr(record, key)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        request_id = current().get("request_id")
        return f"{text} [{request_id}]" if request_id else text


def configure(log_format: str, level: int = logging.INFO) -> dict[str, Any] | None:
    """Set up the root logger; returns the log_config to give uvicorn (None: use ours)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
    # Our access line replaces uvicorn's (same facts, plus the request id).
    logging.getLogger("uvicorn.access").disabled = True
    return None
