"""Structured logs: on Lambda the runtime writes JSON lines; elsewhere this module does the same."""

from __future__ import annotations

import contextvars
import logging
import os
import sys
import time
from collections.abc import Mapping
from typing import Any

from orders.json_text import compact_json_any

# The correlation id of the request or record being handled, put on every log line meanwhile.
_correlation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "correlation_id", default=None
)

# Attributes every LogRecord has; anything else on a record came from ``extra=`` and is logged.
_STANDARD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the record's ``extra`` fields (e.g. ``orderId``)."""

    def __init__(self) -> None:
        super().__init__()
        # The lines of one second share their date and time: formatted once, as formatTime would.
        self._second: tuple[int, str] = (-1, "")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        """``2026-03-14 09:30:05,123``, as ``logging.Formatter`` writes it, a second at a time."""
        if datefmt is not None:
            return super().formatTime(record, datefmt)
        second = int(record.created)
        if second != self._second[0]:
            self._second = (second, time.strftime(self.default_time_format, self.converter(second)))
        return f"{self._second[1]},{int(record.msecs):03d}"

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
        return compact_json_any(line)


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
    _put_correlation_id_on_every_record()
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


def correlation_scope(correlation_id: str | None) -> _CorrelationScope:
    """Put ``correlationId`` on every log line written inside the block."""
    return _CorrelationScope(correlation_id)


# A plain class, not @contextmanager: every request enters one, and a generator-based context
# manager costs several times more per use.
class _CorrelationScope:
    def __init__(self, correlation_id: str | None) -> None:
        self._correlation_id = correlation_id
        self._token: contextvars.Token[str | None] | None = None

    def __enter__(self) -> None:
        self._token = _correlation_id.set(self._correlation_id)

    def __exit__(self, *_: object) -> None:
        if self._token is not None:
            _correlation_id.reset(self._token)


def current_correlation_id() -> str | None:
    """The correlation id of the block being run, if any."""
    return _correlation_id.get()


def _put_correlation_id_on_every_record() -> None:
    """Wrap the record factory once, so records of any logger (and Lambda's) carry the id."""
    factory = logging.getLogRecordFactory()
    if getattr(factory, "adds_correlation_id", False):
        return

    def record_with_correlation_id(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        correlation_id = _correlation_id.get()
        if correlation_id is not None and not hasattr(record, "correlationId"):
            record.correlationId = correlation_id
        return record

    record_with_correlation_id.adds_correlation_id = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(record_with_correlation_id)
