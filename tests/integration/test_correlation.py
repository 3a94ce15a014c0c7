"""One correlation id from the front desk's request to the status message on its queue."""

from __future__ import annotations

import json
import logging

import pytest

import handler
from tests.integration.conftest import Api, EventInbox, Queues
from tests.support.data import laptop_order
from tests.support.events import LambdaContext, api_event

NOBODY = "00000000-0000-4000-8000-000000000000"


def test_a_sent_correlation_id_is_echoed_and_travels_on_the_status_message(
    api: Api, queues: Queues
) -> None:
    created = api.create(laptop_order(), headers={"X-Correlation-Id": "till-2/receipt-0042"})

    assert created.headers["X-Correlation-Id"] == "till-2/receipt-0042"
    (message,) = queues.drain("received")
    assert json.loads(message["Body"])["correlationId"] == "till-2/receipt-0042"


def test_a_status_change_carries_the_correlation_id_of_its_own_request(
    api: Api, queues: Queues
) -> None:
    order_id = api.create(laptop_order()).body["orderId"]
    queues.drain("received")

    api.update(order_id, {"status": "inprocess"}, headers={"X-Correlation-Id": "bench-3"})

    (message,) = queues.drain("inprocess")
    assert json.loads(message["Body"])["correlationId"] == "bench-3"


def test_without_one_the_api_gateway_request_id_serves_as_the_correlation_id(
    api: Api, queues: Queues
) -> None:
    event = api_event("POST", "/orders", body=laptop_order())

    response = handler.handle(event, LambdaContext())

    request_id = event["requestContext"]["requestId"]
    assert response["headers"]["X-Correlation-Id"] == request_id
    (message,) = queues.drain("received")
    assert json.loads(message["Body"])["correlationId"] == request_id


@pytest.mark.parametrize(
    "sent", ["", "x" * 129, "café-1", "a b", "line\nbreak", "<script>"], ids=repr
)
def test_a_malformed_correlation_id_is_refused_naming_the_header(api: Api, sent: str) -> None:
    response = api.create(laptop_order(), headers={"X-Correlation-Id": sent})

    assert response.status == 400
    assert response.body["errors"] == [
        {"field": "X-Correlation-Id", "message": response.body["errors"][0]["message"]}
    ]
    assert response.headers["X-Correlation-Id"] != sent


def test_error_answers_carry_the_correlation_id_too(api: Api) -> None:
    response = api.call(
        "GET", "/orders/{orderId}", order_id=NOBODY, headers={"X-Correlation-Id": "desk-9"}
    )

    assert (response.status, response.headers["X-Correlation-Id"]) == (404, "desk-9")


def test_every_log_line_of_the_request_names_its_correlation_id(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="orders"):
        api.create(laptop_order(), headers={"X-Correlation-Id": "desk-12"})

    lines = [r for r in caplog.records if r.name.startswith("orders")]
    assert lines
    assert {getattr(r, "correlationId", None) for r in lines} == {"desk-12"}


def test_the_correlation_id_reaches_the_processor_its_record_and_the_order_event(
    api: Api, queues: Queues, events: EventInbox, caplog: pytest.LogCaptureFixture
) -> None:
    order_id = api.create(laptop_order(), headers={"X-Correlation-Id": "desk-40"}).body["orderId"]

    with caplog.at_level(logging.INFO, logger="orders"):
        queues.deliver("received")

    processed = api.get(order_id).body["processing"]["received"]
    assert processed["correlationId"] == "desk-40"
    (event,) = events.events()
    assert json.loads(event["message"])["correlationId"] == "desk-40"
    lines = [r for r in caplog.records if getattr(r, "orderId", None) == order_id]
    assert lines
    assert {getattr(r, "correlationId", None) for r in lines} == {"desk-40"}
