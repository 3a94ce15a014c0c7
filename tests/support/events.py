"""Canonical Lambda events, shaped as API Gateway (REST proxy) and SQS deliver them."""

from __future__ import annotations

import json
import uuid
from typing import Any

from tests.support.data import FRONT_DESK, TECHNICIAN

ORDER_ROUTE = "/orders/{orderId}"
POOL_ID = "us-east-1_Staff0001"
CLIENT_ID = "4frontdesk0client0id000001"
_UNSET: Any = object()


def staff_claims(
    groups: str = "admin",
    *,
    sub: str = FRONT_DESK.sub,
    name: str | None = _UNSET,
    email: str = "marta@taller.example",
    token_use: str = "id",
) -> dict[str, str]:
    """The claims of an ID token as API Gateway's Cognito authorizer passes them: strings.

    ``groups`` as API Gateway writes ``cognito:groups`` (comma-separated); ``""`` leaves the
    claim out, as Cognito does for a user in no group. ``name=None`` leaves the name out.
    """
    claims = {
        "sub": sub,
        "email": email,
        "email_verified": "true",
        "name": FRONT_DESK.name if name is _UNSET else name,
        "cognito:username": sub,
        "cognito:groups": groups,
        "token_use": token_use,
        "aud": CLIENT_ID,
        "iss": f"https://cognito-idp.us-east-1.amazonaws.com/{POOL_ID}",
        "auth_time": "Fri Mar 01 08:00:00 UTC 2024",
        "iat": "Fri Mar 01 08:00:00 UTC 2024",
        "exp": "Fri Mar 01 09:00:00 UTC 2024",
    }
    return {k: v for k, v in claims.items() if v is not None and (k != "cognito:groups" or v)}


TECHNICIAN_CLAIMS = staff_claims(
    "technician", sub=TECHNICIAN.sub, name=TECHNICIAN.name, email="jorge@taller.example"
)


def api_event(
    method: str,
    resource: str,
    *,
    body: object = None,
    raw_body: str | None = None,
    order_id: str | None = None,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    claims: dict[str, str] | None = _UNSET,
    base_path: str = "/test",
) -> dict[str, Any]:
    """An API Gateway proxy event; ``body`` is sent as JSON unless ``raw_body`` is given.

    As on API Gateway's own domain, ``requestContext.path`` starts with the stage (``/test``);
    ``base_path`` gives a custom domain's base path instead, or ``""`` as serverless-offline.
    ``claims``: what the Cognito authorizer verified (by default an admin's; ``None``: none).
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
            "identity": {"sourceIp": "198.51.100.7"},
            **(
                {}
                if claims is None
                else {"authorizer": {"claims": staff_claims() if claims is _UNSET else claims}}
            ),
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
