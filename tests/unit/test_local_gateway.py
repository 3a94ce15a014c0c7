"""The local gateway's identity: which routes it checks, its refusals, and the event it builds.

The gateway is driven as a WSGI application with a fake worker pool that records the events it
is given, so "never reaches the function" is observed, not assumed.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, cast

import pytest
from werkzeug.test import Client

from offline.authorizer import CognitoAuthorizer
from offline.definition import COGNITO_USER_POOLS, DEFINITION, Function, Route, http_routes
from offline.gateway import Gateway, GatewayResponses
from offline.lambda_runtime import Saturated, WorkerPool
from tests.support.tokens import jwks, rsa_key, signed

POOL_ID = "us-east-1_L0calP00l"
CLIENT_ID = "2b7frontdeskclient"
KID = "local-key"
KEY = rsa_key()
API = Function(name="api", handler="handler.handle", timeout_s=10, memory_mb=1024)
ROUTES = [
    Route("GET", "/orders", API, authorizer=COGNITO_USER_POOLS),
    Route("GET", "/health", API),
]
# As serverless.yml declares it (the packaged template holds the same properties).
UNAUTHORIZED = {
    "Type": "AWS::ApiGateway::GatewayResponse",
    "Properties": {
        "RestApiId": {"Ref": "ApiGatewayRestApi"},
        "ResponseType": "UNAUTHORIZED",
        "StatusCode": "401",
        "ResponseParameters": {
            "gatewayresponse.header.Content-Type": "'application/problem+json'",
            "gatewayresponse.header.WWW-Authenticate": "'Bearer'",
        },
        "ResponseTemplates": {
            "application/json": '{"type": "urn:orders:problem:unauthorized", "title": '
            '"Unauthorized", "status": 401, "detail": "Sign in and send your ID token."}'
        },
    },
}


class RecordingPool:
    """Stands in for the warm workers: answers 200 and keeps every event it was given."""

    size = 1

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def invoke(self, event: dict[str, Any], request_id: str, wait_s: float) -> dict[str, Any]:
        self.events.append(event)
        return {"statusCode": 200, "body": "{}"}


def gateway(pool: RecordingPool, *responses: dict[str, Any]) -> Client:
    authorizer = CognitoAuthorizer(POOL_ID, [CLIENT_ID], jwks(KEY, KID))
    template = {"Resources": {f"Response{i}": r for i, r in enumerate(responses)}}
    app = Gateway(
        ROUTES,
        {"api": cast(WorkerPool, pool)},
        authorizer,
        GatewayResponses(template),
        wait_s=1,
    )
    return Client(app)


def frontdesk_token() -> str:
    now = int(time.time())
    claims = {
        "sub": "0c5e2f9a-4b1d-4c8e-9f3a-7d6b5e4c3b2a",
        "aud": CLIENT_ID,
        "iss": f"https://cognito-idp.us-east-1.amazonaws.com/{POOL_ID}",
        "token_use": "id",
        "email": "recepcion@taller.example",
        "name": "Marta Recepción",
        "cognito:groups": ["frontdesk"],
        "auth_time": now,
        "iat": now,
        "exp": now + 3600,
    }
    return signed(claims, KEY, KID)


def test_a_refused_token_gets_the_templates_401_and_never_reaches_the_function() -> None:
    pool = RecordingPool()

    answer = gateway(pool, UNAUTHORIZED).get("/orders", headers={"Authorization": "Bearer x"})

    assert answer.status == "401 Unauthorized"
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert answer.headers["WWW-Authenticate"] == "Bearer"
    assert answer.json == {
        "type": "urn:orders:problem:unauthorized",
        "title": "Unauthorized",
        "status": 401,
        "detail": "Sign in and send your ID token.",
    }
    assert pool.events == []


def test_without_a_gateway_response_the_refusal_is_api_gateways_own() -> None:
    pool = RecordingPool()

    answer = gateway(pool).get("/orders")

    assert answer.status_code == 401
    assert answer.json == {"message": "Unauthorized"}
    assert answer.headers["x-amzn-ErrorType"] == "UnauthorizedException"
    assert pool.events == []


def test_a_valid_token_reaches_the_function_with_its_claims_and_no_api_key() -> None:
    pool = RecordingPool()
    token = frontdesk_token()

    answer = gateway(pool, UNAUTHORIZED).get(
        "/orders", headers={"Authorization": f"Bearer {token}"}
    )

    assert answer.status_code == 200
    (event,) = pool.events
    claims = event["requestContext"]["authorizer"]["claims"]
    assert claims["cognito:groups"] == "frontdesk"
    assert claims["name"] == "Marta Recepción"
    assert all(isinstance(value, str) for value in claims.values())
    assert set(event["requestContext"]["identity"]) == {"sourceIp", "userAgent"}
    assert event["headers"]["Authorization"] == f"Bearer {token}"


def test_a_route_without_an_authorizer_is_open_and_its_event_has_no_claims() -> None:
    pool = RecordingPool()

    answer = gateway(pool, UNAUTHORIZED).get("/health")

    assert answer.status_code == 200
    assert "authorizer" not in pool.events[0]["requestContext"]


def test_an_unknown_path_gets_the_templates_missing_token_answer_when_it_has_one() -> None:
    missing_token = {
        "Type": "AWS::ApiGateway::GatewayResponse",
        "Properties": {
            "ResponseType": "MISSING_AUTHENTICATION_TOKEN",
            "StatusCode": "404",
            "ResponseParameters": {
                "gatewayresponse.header.Content-Type": "'application/problem+json'",
                "gatewayresponse.header.X-Correlation-Id": "method.request.header.X-Correlation-Id",
            },
            "ResponseTemplates": {
                "application/json": '{"title": "Not Found", "detail": $context.error.messageString,'
                ' "requestId": "$context.requestId"}'
            },
        },
    }
    pool = RecordingPool()

    answer = gateway(pool, UNAUTHORIZED, missing_token).get(
        "/customers", headers={"X-Correlation-Id": "desk-42"}
    )

    assert answer.status == "404 Not Found"
    assert answer.headers["X-Correlation-Id"] == "desk-42"
    assert answer.json == {
        "title": "Not Found",
        "detail": "Missing Authentication Token",
        "requestId": answer.headers["x-amzn-RequestId"],
    }
    assert pool.events == []


def test_an_unknown_path_falls_back_to_default_4xx_then_to_api_gateways_403() -> None:
    default_4xx = {
        "Type": "AWS::ApiGateway::GatewayResponse",
        "Properties": {
            "ResponseType": "DEFAULT_4XX",
            "ResponseParameters": {"gatewayresponse.header.Content-Type": "'application/json'"},
            "ResponseTemplates": {"application/json": '{"message": $context.error.messageString}'},
        },
    }

    with_default = gateway(RecordingPool(), default_4xx).delete("/orders")
    without = gateway(RecordingPool()).delete("/orders")

    for answer in (with_default, without):
        assert answer.status_code == 403
        assert answer.json == {"message": "Missing Authentication Token"}


def test_a_gateway_response_the_local_gateway_cannot_map_is_refused_at_start() -> None:
    mapped_from_the_context = {
        "Type": "AWS::ApiGateway::GatewayResponse",
        "Properties": {
            "ResponseType": "UNAUTHORIZED",
            "ResponseParameters": {"gatewayresponse.header.X-Stage": "stageVariables.name"},
        },
    }

    with pytest.raises(ValueError, match=r"stageVariables\.name"):
        GatewayResponses({"Resources": {"R": mapped_from_the_context}})


def test_routes_with_an_authorizer_need_a_pool_to_check_with() -> None:
    with pytest.raises(ValueError, match="user pool"):
        Gateway(ROUTES, {}, None, GatewayResponses({"Resources": {}}), wait_s=1)


def test_every_route_of_serverless_yml_is_checked_by_the_cognito_authorizer() -> None:
    routes = http_routes(DEFINITION)

    assert routes
    assert {route.authorizer for route in routes} == {COGNITO_USER_POOLS}


def test_an_authorizer_the_local_gateway_cannot_run_is_named_at_start(tmp_path: Path) -> None:
    definition = tmp_path / "serverless.yml"
    event = {"http": {"method": "get", "path": "/orders", "authorizer": {"type": "aws_iam"}}}
    definition.write_text(json.dumps({"functions": {"api": {"handler": "h.h", "events": [event]}}}))

    with pytest.raises(ValueError, match="only Cognito user pool authorizers run locally"):
        http_routes(definition)


class SaturatedPool(RecordingPool):
    """Every worker stays busy: each request waits, then is told the stack is saturated."""

    def invoke(self, event: dict[str, Any], request_id: str, wait_s: float) -> dict[str, Any]:
        raise Saturated(wait_s)


@pytest.mark.parametrize(
    ("sent", "echoed"),
    [({"X-Correlation-Id": "till-2/receipt-0042"}, "till-2/receipt-0042"), ({}, None)],
)
def test_a_saturated_stack_answers_503_with_the_correlation_id_as_every_answer_has(
    sent: dict[str, str], echoed: str | None
) -> None:
    headers = {"Authorization": f"Bearer {frontdesk_token()}", **sent}

    answer = gateway(SaturatedPool()).get("/orders", headers=headers)

    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "1"
    assert answer.json["type"] == "urn:orders:problem:local-stack-saturated"
    assert answer.headers["X-Correlation-Id"] == (echoed or answer.headers["x-amzn-RequestId"])
