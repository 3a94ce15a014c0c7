"""Structured logs: on Lambda the runtime writes JSON lines; elsewhere this module does the same."""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Mapping

# Attributes every LogRecord has; anything else on a record came from ``extra=`` and is logged.
_STANDARD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the record's ``extra`` fields (e.g. ``orderId``)."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "timestamp": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line |= {k: v for k, v in vars(record).items() if k not in _STANDARD_ATTRIBUTES}
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def log_level(environment: Mapping[str, str] = os.environ) -> int:
    """The level ``LOG_LEVEL`` names (DEBUG, INFO, WARNING, ERROR); INFO if unset or unknown."""
    name = environment.get("LOG_LEVEL", "").strip().upper()
    level = logging.getLevelNamesMapping().get(name)
    return level if level is not None and name != "NOTSET" else logging.INFO


def configure_logging() -> None:
    """Log the service's lines as JSON, from the level ``LOG_LEVEL`` names (INFO by default).

    On Lambda with the JSON log format the runtime's handler already writes JSON with the
    request id; anywhere else (serverless-offline, the pump, tests) this module's handler does.
    """
    service_logger = logging.getLogger("orders")
    # Read here, before any settings exist, so that even a failure to read them is logged.
    service_logger.setLevel(log_level())
    # Set by the Lambda runtime itself, so read here rather than in the service's settings.
    if os.environ.get("AWS_LAMBDA_LOG_FORMAT") == "JSON" or service_logger.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    service_logger.addHandler(handler)
    service_logger.propagate = False
