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


def _validator(schema: dict[str, Any]) -> OAS30Validator:
    registry = Registry().with_resource(_SPEC_URI, Resource.from_contents(spec(), DRAFT4))
    return OAS30Validator(
        {**schema, "$id": _SPEC_URI}
        if "$ref" not in schema
        else {"$ref": _SPEC_URI + schema["$ref"]},
        registry=registry,
        format_checker=OAS30Validator.FORMAT_CHECKER,
    )


def request_errors(
    path: str,
    method: str,
    headers: dict[str, str],
    query: dict[str, Any],
    body: Any = None,
) -> list[str]:
    """What in a request the document forbids: one line per broken rule, none if it allows all.

    Headers and query parameters are checked against their declared schemas (a query value
    that is all digits is read as the integer it spells), the body against the request body's.
    """
    route = spec()["paths"][path]
    operation = route[method.lower()]
    sent = {
        "header": {name.lower(): value for name, value in headers.items()},
        "query": query,
    }
    errors = []
    declared = [*route.get("parameters", []), *operation.get("parameters", [])]
    for parameter in map(_resolve, declared):
        if parameter["in"] not in sent:
            continue
        name = parameter["name"].lower() if parameter["in"] == "header" else parameter["name"]
        value = sent[parameter["in"]].get(name)
        if value is None:
            continue
        if (
            parameter["schema"].get("type") == "integer"
            and str(value).isascii()
            and str(value).isdigit()
        ):
            value = int(value)
        broken = _validator(parameter["schema"]).iter_errors(value)
        errors += [f"{parameter['name']}: {error.message}" for error in broken]
    if body is not None and "requestBody" in operation:
        schema = operation["requestBody"]["content"]["application/json"]["schema"]
        errors += [f"body: {error.message}" for error in _validator(schema).iter_errors(body)]
    return errors


def check_response(path: str, method: str, response: dict[str, Any]) -> None:
    """Fail unless the response's status, content type, headers and body are what the contract
    says: every header it sends is declared for that answer, with a value its schema allows."""
    status = str(response["statusCode"])
    responses = spec()["paths"][path][method.lower()]["responses"]
    assert status in responses, f"{method} {path} may not answer {status}"
    declared = _resolve(responses[status])
    content_type = response["headers"]["Content-Type"]
    assert content_type in declared["content"], f"{status} is not declared as {content_type}"
    headers = {
        name.lower(): _resolve(header) for name, header in declared.get("headers", {}).items()
    }
    sent = {name.lower(): value for name, value in response["headers"].items()}
    for name, header in headers.items():
        if header.get("required"):
            assert name in sent, f"{method} {path} {status} lacks the {name} header"
    for name, value in sent.items():
        if name == "content-type":  # declared as the content's media type
            continue
        assert name in headers, f"{method} {path} {status} sends the undocumented {name} header"
        broken = list(_validator(headers[name]["schema"]).iter_errors(value))
        assert not broken, f"{method} {path} {status} {name}: {broken[0].message}"
    validator = _validator(declared["content"][content_type]["schema"])
    body = json.loads(response["body"])
    errors = sorted(validator.iter_errors(body), key=str)
    assert not errors, f"{method} {path} {status} breaks the contract: {errors[0].message}"
