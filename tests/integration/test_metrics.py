"""Business metrics as an operator's dashboard receives them: EMF lines on the functions' stdout."""

from __future__ import annotations

import pytest

from tests.integration.conftest import Api, Queues, Sweep
from tests.support.data import laptop_order
from tests.support.emf import metric_values, parse_emf_line

Captured = pytest.CaptureFixture[str]


def emitted(capsys: Captured) -> list[dict[str, object]]:
    """The EMF records printed since the last call, each checked against the format."""
    lines = capsys.readouterr().out.splitlines(keepends=True)
    return [parse_emf_line(line) for line in lines if line.startswith('{"')]


def test_a_created_order_is_counted_with_the_status_it_entered(api: Api, capsys: Captured) -> None:
    capsys.readouterr()
    created = api.create(laptop_order(), headers={"X-Correlation-Id": "desk-31"})

    records = emitted(capsys)

    assert [metric_values(record) for record in records] == [
        {"OrdersCreated": (1, {})},
        {"StatusEntered": (1, {"Status": "received"})},
    ]
    assert all(r["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Orders/dev" for r in records)
    assert {(r["orderId"], r["correlationId"]) for r in records} == {
        (created.body["orderId"], "desk-31")
    }


def test_a_replayed_create_counts_nothing(api: Api, capsys: Captured) -> None:
    api.create(laptop_order(), headers={"Idempotency-Key": "till-2-receipt-0042"})
    capsys.readouterr()

    api.create(laptop_order(), headers={"Idempotency-Key": "till-2-receipt-0042"})

    assert emitted(capsys) == []


def test_a_status_change_counts_the_status_entered_and_a_field_change_nothing(
    api: Api, capsys: Captured
) -> None:
    order_id = api.create(laptop_order()).body["orderId"]
    capsys.readouterr()

    api.update(order_id, {"priority": "urgent"})
    api.update(order_id, {"status": "inprocess"})

    assert [metric_values(r) for r in emitted(capsys)] == [
        {"StatusEntered": (1, {"Status": "inprocess"})}
    ]


def test_a_sweep_reports_what_it_resent_and_what_is_still_pending(
    api: Api, queues: Queues, sweep: Sweep, capsys: Captured
) -> None:
    for _ in range(2):
        api.create(laptop_order())
    queues.drain("received")  # lost on the way: nothing recorded them
    capsys.readouterr()

    sweep(minutes_later=6)  # past the grace: visibility timeout x receives, 5 minutes

    (record,) = emitted(capsys)
    assert metric_values(record) == {
        "DispatchesResent": (2, {}),
        "DispatchesAbandoned": (0, {}),
        "DispatchesPending": (2, {}),
    }


def test_a_sweep_that_gives_up_reports_it(
    api: Api, queues: Queues, sweep: Sweep, capsys: Captured
) -> None:
    api.create(laptop_order())
    queues.drain("received")
    for attempt in range(5):
        sweep(minutes_later=6 + 6 * attempt)
        queues.drain("received")
    capsys.readouterr()

    sweep(minutes_later=36)

    (record,) = emitted(capsys)
    assert metric_values(record)["DispatchesAbandoned"] == (1, {})
    assert metric_values(record)["DispatchesPending"] == (0, {})


def test_processing_reports_the_lag_and_the_delivery_by_channel(
    api: Api, queues: Queues, capsys: Captured
) -> None:
    order_id = api.create(laptop_order(), headers={"X-Correlation-Id": "desk-50"}).body["orderId"]
    capsys.readouterr()

    queues.deliver("received")

    records = emitted(capsys)
    found = {name: value for r in records for name, value in metric_values(r).items()}
    lag, by_status = found["ProcessingLag"]
    assert by_status == {"Status": "received"}
    assert 0 <= lag < 60_000
    (lag_record,) = [r for r in records if "ProcessingLag" in r]
    assert lag_record["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["Status"], []]
    assert found["DeliveriesSent"] == (1, {"Channel": "email"})
    assert {(r["orderId"], r["correlationId"]) for r in records} == {(order_id, "desk-50")}


def test_a_message_that_cannot_be_delivered_counts_as_a_failed_delivery(
    api: Api, queues: Queues, capsys: Captured
) -> None:
    body = laptop_order()
    body["customer"] = {"name": "Kwame Mensah", "phone": "12"}  # no country would take it
    assert api.create(body).status == 201
    capsys.readouterr()

    queues.deliver("received")

    found = {name: value for r in emitted(capsys) for name, value in metric_values(r).items()}
    assert found["DeliveriesFailed"] == (1, {"Channel": "sms"})
    assert "DeliveriesSent" not in found
