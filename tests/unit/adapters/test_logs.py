"""The service's log lines as an operator reads them outside Lambda: one JSON object per line."""

from __future__ import annotations

import json
import logging

import pytest

from orders.adapters.logs import JsonFormatter, configure_logging, correlation_scope


def record_at(created: float, **extra: object) -> logging.LogRecord:
    record = logging.makeLogRecord({"name": "orders.usecases", "msg": "order created", **extra})
    record.created = created
    record.msecs = (created - int(created)) * 1000
    return record


@pytest.mark.parametrize("created", [1_773_480_605.123, 1_773_480_605.9999, 1_773_480_606.0])
def test_a_line_carries_the_time_as_logging_writes_it(created: float) -> None:
    formatter = JsonFormatter()
    formatter.format(record_at(created - 1))  # a line of the second before

    line = json.loads(formatter.format(record_at(created)))

    assert line["timestamp"] == logging.Formatter().formatTime(record_at(created))


def test_a_line_carries_its_extra_fields_and_the_requests_correlation_id() -> None:
    configure_logging()
    with correlation_scope("till-2/receipt-0042"):
        record = logging.getLogger("orders.usecases").makeRecord(
            "orders.usecases", logging.INFO, __file__, 1, "order created", (), None,
            extra={"orderId": "3f6c2a8e-51b4-4f7d-9a0e-6d2b8c1e7f45"},
        )  # fmt: skip

    line = json.loads(JsonFormatter().format(record))

    assert {k: line[k] for k in ("level", "logger", "message", "orderId", "correlationId")} == {
        "level": "INFO",
        "logger": "orders.usecases",
        "message": "order created",
        "orderId": "3f6c2a8e-51b4-4f7d-9a0e-6d2b8c1e7f45",
        "correlationId": "till-2/receipt-0042",
    }
