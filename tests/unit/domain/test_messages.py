"""The status message that travels on a status queue."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from orders.domain.messages import MalformedMessage, StatusMessage
from orders.domain.model import Status
from tests.unit.fakes import order_in

ORDER_ID = "3f6c2a8e-51b4-4f7d-9a0e-6d2b8c1e7f45"


def body(**overrides: object) -> str:
    fields: dict[str, object] = {
        "orderId": ORDER_ID,
        "status": "inprocess",
        "version": 2,
        "occurredAt": "2024-03-01T09:15:00.250Z",
    }
    fields.update(overrides)
    return json.dumps({name: value for name, value in fields.items() if value is not ...})


def test_a_message_survives_the_round_trip_through_json() -> None:
    message = StatusMessage(
        ORDER_ID, Status.COMPLETED, 3, datetime(2024, 3, 2, 17, 40, 0, 125000, tzinfo=UTC)
    )

    assert StatusMessage.from_json(message.to_json()) == message


def test_the_json_body_carries_the_contract_fields() -> None:
    message = StatusMessage.for_order(order_in(Status.INPROCESS))

    assert json.loads(message.to_json()) == {
        "orderId": ORDER_ID,
        "status": "inprocess",
        "version": 2,
        "occurredAt": "2024-03-01T09:15:00.000Z",
    }


def test_the_correlation_id_of_the_request_travels_with_the_message() -> None:
    message = StatusMessage.for_order(order_in(Status.INPROCESS), "front-desk-7f3a")

    assert json.loads(message.to_json())["correlationId"] == "front-desk-7f3a"
    assert StatusMessage.from_json(message.to_json()).correlation_id == "front-desk-7f3a"


def test_a_message_from_an_earlier_version_without_a_correlation_id_still_reads() -> None:
    assert StatusMessage.from_json(body()).correlation_id is None


def test_the_message_for_an_order_names_the_status_it_just_entered() -> None:
    order = order_in(Status.CANCELED)

    assert StatusMessage.for_order(order) == StatusMessage(
        ORDER_ID, Status.CANCELED, 2, order.history[-1].at
    )


def test_extra_fields_in_a_message_are_tolerated() -> None:
    message = StatusMessage.from_json(body(traceId="abc"))

    assert message.status == Status.INPROCESS


@pytest.mark.parametrize(
    ("what", "text"),
    [
        ("not JSON", "order 3f6c2a8e entered inprocess"),
        ("empty", ""),
        ("a JSON array", json.dumps([ORDER_ID, "inprocess", 2])),
        ("a JSON string", json.dumps("inprocess")),
        ("a JSON number", "42"),
        ("no orderId", body(orderId=...)),
        ("no status", body(status=...)),
        ("no version", body(version=...)),
        ("no occurredAt", body(occurredAt=...)),
        ("an orderId that is not a uuid", body(orderId="order-17")),
        ("an orderId that is a number", body(orderId=17)),
        ("an unknown status", body(status="shipped")),
        ("version 0", body(version=0)),
        ("version as text", body(version="1")),
        ("version true", body(version=True)),
        ("version fractional", body(version=1.5)),
        ("a timestamp that is not one", body(occurredAt="yesterday afternoon")),
        ("a timestamp that is a number", body(occurredAt=1709284500)),
        ("a timestamp without a UTC offset", body(occurredAt="2024-03-01T09:15:00")),
        ("a correlation id that is not text", body(correlationId={"id": 7})),
    ],
)
def test_a_body_that_is_not_a_status_message_is_malformed(what: str, text: str) -> None:
    with pytest.raises(MalformedMessage):
        StatusMessage.from_json(text)
