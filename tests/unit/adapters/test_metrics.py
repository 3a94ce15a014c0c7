"""Business metrics as CloudWatch's Embedded Metric Format: one valid object per line."""

from __future__ import annotations

import io

from orders.adapters.metrics import EmfMetrics
from orders.usecases.ports import Metric
from tests.support.emf import metric_values, parse_emf_line

NOW = 1_733_000_000.123


def emitted(*metrics: Metric, **properties: object) -> list[str]:
    out = io.StringIO()
    EmfMetrics("Orders/dev", stream=lambda: out, clock=lambda: NOW).emit(metrics, properties)
    return out.getvalue().splitlines(keepends=True)


def test_an_order_created_is_one_emf_line_counting_it() -> None:
    (line,) = emitted(Metric("OrdersCreated", 1), orderId="26d283a4", correlationId="req-1")

    record = parse_emf_line(line)

    assert record["_aws"]["Timestamp"] == 1_733_000_000_123
    assert record["_aws"]["CloudWatchMetrics"] == [
        {
            "Namespace": "Orders/dev",
            "Dimensions": [[]],
            "Metrics": [{"Name": "OrdersCreated", "Unit": "Count"}],
        }
    ]
    assert (record["OrdersCreated"], record["orderId"], record["correlationId"]) == (
        1,
        "26d283a4",
        "req-1",
    )


def test_metrics_with_other_dimensions_go_to_separate_objects() -> None:
    lines = emitted(
        Metric("OrdersCreated", 1),
        Metric("StatusEntered", 1, dimensions={"Status": "received"}),
    )

    found = [metric_values(parse_emf_line(line)) for line in lines]

    assert found == [
        {"OrdersCreated": (1, {})},
        {"StatusEntered": (1, {"Status": "received"})},
    ]


def test_samples_of_one_metric_stay_samples_so_percentiles_hold() -> None:
    (line,) = emitted(
        Metric("ProcessingLag", 120, "Milliseconds", {"Status": "received"}, rollup=True),
        Metric("ProcessingLag", 340, "Milliseconds", {"Status": "received"}, rollup=True),
    )

    record = parse_emf_line(line)

    assert record["ProcessingLag"] == [120, 340]
    assert record["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["Status"], []]


def test_more_than_a_hundred_metrics_or_values_are_split_across_objects() -> None:
    many_names = [Metric(f"Metric{i}", 1) for i in range(150)]
    many_values = [Metric("ProcessingLag", float(i), "Milliseconds") for i in range(250)]

    lines = emitted(*many_names) + emitted(*many_values)

    records = [parse_emf_line(line) for line in lines]
    assert len(records) == 2 + 3
    assert sum(len(r["_aws"]["CloudWatchMetrics"][0]["Metrics"]) for r in records[:2]) == 150
    assert sum(len(r["ProcessingLag"]) for r in records[2:]) == 250


def test_nothing_to_emit_writes_nothing() -> None:
    assert emitted() == []


def test_properties_without_a_value_are_left_out() -> None:
    (line,) = emitted(Metric("OrdersCreated", 1), correlationId=None)

    assert "correlationId" not in parse_emf_line(line)
