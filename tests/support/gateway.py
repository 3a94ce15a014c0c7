"""API Gateway's own answers (its gateway responses), as the packaged template declares them."""

from __future__ import annotations

import json
from typing import Any

# What API Gateway substitutes in a gateway response's template, as it would for one request.
CONTEXT_SAMPLES = {
    "$context.error.messageString": json.dumps("Invalid request body"),
    "$context.requestId": "c0a8f3e1-5b7d-4e2a-9c6f-1d3b5a7e9f20",
}


def gateway_responses(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each gateway response's properties, by response type (UNAUTHORIZED, DEFAULT_4XX, ...)."""
    return {
        resource["Properties"]["ResponseType"]: resource["Properties"]
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::ApiGateway::GatewayResponse"
    }


def rendered_body(properties: dict[str, Any]) -> dict[str, Any]:
    """The JSON body a gateway response sends, its variables filled in from CONTEXT_SAMPLES."""
    (body,) = properties["ResponseTemplates"].values()
    for variable, value in CONTEXT_SAMPLES.items():
        body = body.replace(variable, value)
    assert "$context" not in body, f"a variable without a sample: {body}"
    found: dict[str, Any] = json.loads(body)
    return found
