"""Checks HTTP responses against openapi.yaml, the published contract."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import yaml
from openapi_schema_validator import OAS30Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

SPEC_PATH = Path(__file__).resolve().parents[2] / "openapi.yaml"
_SPEC_URI = "urn:orders:openapi"


@functools.cache
def spec() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text())
    return document


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = spec()
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def check_response(path: str, method: str, response: dict[str, Any]) -> None:
    """Fail unless the response's status, content type and body are what the contract says."""
    status = str(response["statusCode"])
    responses = spec()["paths"][path][method.lower()]["responses"]
    assert status in responses, f"{method} {path} may not answer {status}"
    declared = _resolve(responses[status])
    content_type = response["headers"]["Content-Type"]
    assert content_type in declared["content"], f"{status} is not declared as {content_type}"
    schema = declared["content"][content_type]["schema"]
    registry = Registry().with_resource(_SPEC_URI, Resource.from_contents(spec(), DRAFT4))
    validator = OAS30Validator(
        {**schema, "$id": _SPEC_URI}
        if "$ref" not in schema
        else {"$ref": _SPEC_URI + schema["$ref"]},
        registry=registry,
        format_checker=OAS30Validator.FORMAT_CHECKER,
    )
    body = json.loads(response["body"])
    errors = sorted(validator.iter_errors(body), key=str)
    assert not errors, f"{method} {path} {status} breaks the contract: {errors[0].message}"
