"""No malformed event makes a handler raise: the API answers 4xx, processors report failures."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

import handler
import processors
from tests.integration.conftest import Api
from tests.support.contract import check_response
from tests.support.data import laptop_order
from tests.support.events import ORDER_ROUTE, LambdaContext, api_event
from tests.support.stack import Stack


def _post(**changes: Any) -> dict[str, Any]:
    event = api_event("POST", "/orders", body=laptop_order())
    event.update(changes)
    return event


MALFORMED_POSTS = {
    "no body": _post(body=None),
    "empty body": _post(body=""),
    "body null": _post(body="null"),
    "a JSON array": _post(body="[1, 2, 3]"),
    "a JSON string": _post(body='"order"'),
    "truncated JSON": _post(body='{"customer": {'),
    "NaN": _post(body='{"issue": NaN}'),
    "invalid UTF-8": _post(
        body=base64.b64encode(b'{"issue": "\xff\xfe"}').decode(), isBase64Encoded=True
    ),
    "base64 garbage": _post(body="!!!not base64!!!", isBase64Encoded=True),
    "deeply nested JSON": _post(body="[" * 100_000 + "]" * 100_000),
    "body not a string": _post(body={"customer": "x"}),
    "headers null": _post(headers=None),
    "headers not a map": _post(headers=["Content-Type"]),
    "header values not strings": _post(headers={"Content-Type": ["application/json"]}),
}


@pytest.mark.parametrize("event", MALFORMED_POSTS.values(), ids=MALFORMED_POSTS.keys())
def test_a_malformed_create_gets_a_4xx_problem(stack: Stack, event: dict[str, Any]) -> None:
    response = handler.handle(event, LambdaContext())

    assert 400 <= response["statusCode"] < 500
    assert response["headers"]["Content-Type"] == "application/problem+json"
    check_response("/orders", "POST", response)


MALFORMED_REQUESTS = {
    "missing path parameters": api_event("GET", ORDER_ROUTE) | {"pathParameters": None},
    "empty path parameters": api_event("PUT", ORDER_ROUTE, body={"status": "inprocess"})
    | {"pathParameters": {}},
    "an unknown route": api_event("GET", "/customers"),
    "a method the route lacks": api_event("DELETE", ORDER_ROUTE, order_id="x"),
    "no method": {"resource": "/orders"},
    "not an object": [],
    "nothing": None,
    "query parameters repeated": api_event("GET", "/orders", query={"status": "received"})
    | {"multiValueQueryStringParameters": {"status": ["received", "canceled"]}},
}


@pytest.mark.parametrize("event", MALFORMED_REQUESTS.values(), ids=MALFORMED_REQUESTS.keys())
def test_a_malformed_request_gets_a_4xx_problem(stack: Stack, event: Any) -> None:
    response = handler.handle(event, LambdaContext())

    assert 400 <= response["statusCode"] < 500
    assert json.loads(response["body"])["status"] == response["statusCode"]


def test_an_unexpected_failure_is_a_500_problem_without_internals(
    api: Api, stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ORDERS_TABLE")
    from orders import bootstrap

    bootstrap.reset()
    context = LambdaContext()

    response = handler.handle(api_event("POST", "/orders", body=laptop_order()), context)

    assert response["statusCode"] == 500
    body = json.loads(response["body"])
    assert context.aws_request_id in body["detail"]
    assert "ORDERS_TABLE" not in response["body"]
    assert "Traceback" not in response["body"]
    check_response("/orders", "POST", response)


MALFORMED_SQS_EVENTS = {
    "nothing": None,
    "no records": {},
    "records not a list": {"Records": "yes"},
    "a record without an id": {"Records": [{"body": "{}"}]},
    "a record without a body": {"Records": [{"messageId": "m-1"}]},
    "a body that is not a string": {"Records": [{"messageId": "m-1", "body": {"a": 1}}]},
}


@pytest.mark.parametrize("event", MALFORMED_SQS_EVENTS.values(), ids=MALFORMED_SQS_EVENTS.keys())
def test_a_malformed_sqs_event_never_raises(stack: Stack, event: Any) -> None:
    result = processors.handle_received(event, LambdaContext())

    assert set(result) == {"batchItemFailures"}
    assert all(item["itemIdentifier"] == "m-1" for item in result["batchItemFailures"])
