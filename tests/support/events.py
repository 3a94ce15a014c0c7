"""Canonical Lambda events, shaped as API Gateway (REST proxy) and SQS deliver them."""

from __future__ import annotations

import json
import uuid
from typing import Any

ORDER_ROUTE = "/orders/{orderId}"


def api_event(
    method: str,
    resource: str,
    *,
    body: object = None,
    raw_body: str | None = None,
    order_id: str | None = None,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    api_key_id: str = "t2kq8vd1xa",
    base_path: str = "/test",
) -> dict[str, Any]:
    """An API Gateway proxy event; ``body`` is sent as JSON unless ``raw_body`` is given.

    As on API Gateway's own domain, ``requestContext.path`` starts with the stage (``/test``);
    ``base_path`` gives a custom domain's base path instead, or ``""`` as serverless-offline.
    """
    text = raw_body if raw_body is not None else (None if body is None else json.dumps(body))
    default_headers = {"Content-Type": "application/json"} if text is not None else {}
    path = resource.replace("{orderId}", order_id or "")
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": {**default_headers, **(headers or {})},
        "multiValueHeaders": {},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": None
        if query is None
        else {name: [value] for name, value in query.items()},
        "pathParameters": None if order_id is None else {"orderId": order_id},
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "stage": "test",
            "path": f"{base_path}{path}",
            "identity": {"apiKeyId": api_key_id, "sourceIp": "198.51.100.7"},
        },
        "body": text,
        "isBase64Encoded": False,
    }


def sqs_event(*bodies: str, message_ids: list[str] | None = None) -> dict[str, Any]:
    """An SQS event with one record per body."""
    ids = message_ids or [str(uuid.uuid4()) for _ in bodies]
    return {
        "Records": [
            {
                "messageId": message_id,
                "receiptHandle": f"handle-{message_id}",
                "body": body,
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "eventSource": "aws:sqs",
                "awsRegion": "us-east-1",
            }
            for message_id, body in zip(ids, bodies, strict=True)
        ]
    }


class LambdaContext:
    """The few attributes of a Lambda context the handlers read."""

    def __init__(self) -> None:
        self.aws_request_id = str(uuid.uuid4())
        self.function_name = "orders-test"
        self.memory_limit_in_mb = 512

    def get_remaining_time_in_millis(self) -> int:
        return 10_000
