"""What `make run` shows of the business metrics: nothing by default, a few words with VERBOSE=1."""

from __future__ import annotations

import io

from offline.stack import metrics_line
from orders.adapters.metrics import EmfMetrics
from orders.usecases.ports import Metric


def emf(*metrics: Metric, **properties: object) -> str:
    out = io.StringIO()
    EmfMetrics("Orders/local", stream=lambda: out).emit(metrics, properties)
    return out.getvalue()


def test_a_metric_record_reads_as_one_compact_line() -> None:
    line = emf(
        Metric("StatusEntered", 1, dimensions={"Status": "received"}),
        orderId="26d283a4-97ee-52c5-b4c9-3e8b38185665",
        correlationId="desk-1",
    )

    assert metrics_line(line) == "StatusEntered=1 status=received order=26d283a4"


def test_samples_and_counts_without_dimensions_read_too() -> None:
    assert metrics_line(emf(Metric("OrdersCreated", 1))) == "OrdersCreated=1"
    lag = emf(*(Metric("ProcessingLag", v, "Milliseconds") for v in (87, 120.5)))
    assert metrics_line(lag) == "ProcessingLag=87,120.5"


def test_other_lines_are_not_metrics() -> None:
    for line in ('{"level": "INFO", "message": "order created"}', "[pump] ready", "{not json"):
        assert metrics_line(line) is None
