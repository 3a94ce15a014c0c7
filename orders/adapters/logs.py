"""Structured logs: on Lambda the runtime writes JSON lines; elsewhere this module does the same."""

from __future__ import annotations

import json
import logging
import os
import sys

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


def configure_logging() -> None:
    """Log the service's INFO lines as JSON.

    On Lambda with the JSON log format the runtime's handler already writes JSON with the
    request id; anywhere else (serverless-offline, the pump, tests) this module's handler does.
    """
    service_logger = logging.getLogger("orders")
    service_logger.setLevel(logging.INFO)
    # Set by the Lambda runtime itself, so read here rather than in the service's settings.
    if os.environ.get("AWS_LAMBDA_LOG_FORMAT") == "JSON" or service_logger.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    service_logger.addHandler(handler)
    service_logger.propagate = False
