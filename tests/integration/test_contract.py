"""openapi.yaml is a valid OpenAPI document and describes the routes serverless.yml deploys."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jsonschema_rs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openapi_spec_validator import validate

from orders.api.problems import _PROBLEMS
from orders.api.validation import parse_order_patch
from orders.domain.errors import ValidationFailed
from tests.integration.conftest import Api, Queues
from tests.support.contract import spec
from tests.support.data import laptop_order
from tests.support.gateway import gateway_responses, rendered_body

OPERATIONS = {"get", "post", "put", "delete", "patch"}


def test_the_openapi_document_is_valid() -> None:
    validate(spec())


def test_the_document_and_the_template_declare_the_same_routes(template: dict[str, Any]) -> None:
    documented = {
        (method.upper(), path)
        for path, operations in spec()["paths"].items()
        for method in operations
        if method in OPERATIONS
    }
    deployed = set()
    resources = template["Resources"]
    paths = {
        logical_id: resource["Properties"]["PathPart"]
        for logical_id, resource in resources.items()
        if resource["Type"] == "AWS::ApiGateway::Resource"
    }
    parents = {
        logical_id: resource["Properties"]["ParentId"]
        for logical_id, resource in resources.items()
        if resource["Type"] == "AWS::ApiGateway::Resource"
    }

    def full_path(logical_id: str) -> str:
        parent = parents[logical_id]
        prefix = full_path(parent["Ref"]) if "Ref" in parent else ""
        return f"{prefix}/{paths[logical_id]}"

    for resource in resources.values():
        if resource["Type"] == "AWS::ApiGateway::Method":
            properties = resource["Properties"]
            deployed.add((properties["HttpMethod"], full_path(properties["ResourceId"]["Ref"])))
            assert properties["AuthorizationType"] == "COGNITO_USER_POOLS"
            assert properties["AuthorizerId"] == {"Ref": "StaffAuthorizer"}

    assert documented == deployed


def test_every_operation_takes_the_staff_id_token_and_declares_401_and_403() -> None:
    document = spec()
    scheme = document["components"]["securitySchemes"]["StaffIdToken"]
    operations = [
        operation
        for operations in document["paths"].values()
        for method, operation in operations.items()
        if method in OPERATIONS
    ]

    assert (scheme["type"], scheme["scheme"], scheme["bearerFormat"]) == ("http", "bearer", "JWT")
    assert document["security"] == [{"StaffIdToken": []}]
    assert len(operations) == 4
    for operation in operations:
        assert operation["security"] == [{"StaffIdToken": []}], operation["operationId"]
        responses = operation["responses"]
        assert responses["401"] == {"$ref": "#/components/responses/Unauthorized"}
        assert responses["403"] == {"$ref": "#/components/responses/Forbidden"}


def _problem_examples() -> list[dict[str, Any]]:
    examples = []
    for response in spec()["components"]["responses"].values():
        content = response.get("content", {}).get("application/problem+json")
        if content is None:
            continue
        if "example" in content:
            examples.append(content["example"])
        examples.extend(example["value"] for example in content.get("examples", {}).values())
    return examples


def test_every_error_example_is_a_problem_the_service_really_answers(
    template: dict[str, Any],
) -> None:
    # The (type, title) pairs the one table of problems.py, the HTTP edge and API Gateway's own
    # answers (the template's gateway responses) produce.
    real = {(f"urn:orders:problem:{p.slug}", p.title) for p in _PROBLEMS.values()}
    gateway = [rendered_body(response) for response in gateway_responses(template).values()]
    assert len(gateway) == 6
    real |= {(body["type"], body["title"]) for body in gateway}
    real |= {
        (f"urn:orders:problem:{title.lower().replace(' ', '-')}", title)
        for title in ("Bad Request", "Content Too Large", "Unsupported Media Type")
    }
    real |= {
        ("urn:orders:problem:precondition-failed", "Precondition Failed"),
        ("urn:orders:problem:internal-error", "Internal error"),
    }
    examples = _problem_examples()

    assert len(examples) >= 10
    for example in examples:
        assert (example["type"], example["title"]) in real, example


def test_every_field_a_processor_records_is_documented(api: Api, queues: Queues) -> None:
    order_id = api.create(laptop_order(), headers={"X-Correlation-Id": "till-2/receipt-0042"}).body[
        "orderId"
    ]
    queues.deliver("received")

    record = api.get(order_id).body["processing"]["received"]

    documented = spec()["components"]["schemas"]["ProcessingRecord"]["properties"]
    assert record["correlationId"] == "till-2/receipt-0042"
    assert set(record) <= set(documented)


def _patterns(node: Any, where: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "pattern" and isinstance(value, str):
                yield where, value
            else:
                yield from _patterns(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _patterns(value, f"{where}/{index}")


def test_every_pattern_is_a_regular_expression_json_schema_tools_can_read() -> None:
    # JSON Schema patterns are ECMA-262 regular expressions over Unicode text. A surrogate
    # range (which Python's re accepts) is not one: validators in other languages refuse the
    # whole pattern, and test generators then ignore it.
    unreadable = []
    for where, pattern in _patterns(spec()):
        try:
            jsonschema_rs.validator_for({"type": "string", "pattern": pattern})
        except jsonschema_rs.ValidationError:
            unreadable.append(where)
    assert not unreadable, f"not ECMA-262 regular expressions: {unreadable}"


# Characters where the document's patterns and the service's checks could part ways: white space
# Python trims (some of which the rules refuse inside text), controls, bidirectional marks,
# U+FFFD, format characters (alone they show nothing), private-use characters and noncharacters
# in and beyond the BMP, letters, emoji and the characters of emails and phone numbers.
_TRICKY = (
    "\t\n\x0b\x0c\r\x1c\x1f \x85\xa0\u2000\u2028\u2029\u3000\x00\x07\x7f\x9f\u202e\u2066\ufffd"
    "\ufeff\u200d\u200b\xad\U000e0001\U000e007f\ue000\uf8ff\ufdd0\uffff\U0001fffe\U000f0000"
    "\U0010ffff"
)
_PLAIN = "aZé😀🔧@.0+-()_"
_TEXT_FIELDS = {  # the request that carries the value, the limit, and a valid value
    "Label": (lambda s: {"device": {"type": s}}, 100, "ThinkPad"),
    "IssueText": (lambda s: {"issue": s}, 2000, "Does not boot."),
    "NoteText": (lambda s: {"status": "inprocess", "note": s}, 500, "Screen ordered."),
    "Email": (lambda s: {"customer": {"name": "Ana", "email": s}}, 254, "ana@example.com"),
    "Phone": (lambda s: {"customer": {"name": "Ana", "phone": s}}, 32, "+34 612 345 678"),
}


@st.composite
def _near_the_limit(draw: st.DrawFn, limit: int, valid: str) -> str:
    """A valid value (or none) with tricky text at its ends or inside, sometimes padded with
    plain letters up to about the field's limit."""
    text = draw(st.sampled_from(["", valid]))
    for _ in range(draw(st.sampled_from([0, 0, 1, 2, 3]))):
        where = draw(st.sampled_from([0, len(text), draw(st.integers(0, len(text)))]))
        tricky = draw(st.text(st.sampled_from(_TRICKY + _PLAIN), min_size=1, max_size=4))
        text = text[:where] + tricky + text[where:]
    padding = draw(st.sampled_from([0, 0, limit - 20, limit - 2, limit - 1, limit, limit + 1]))
    middle = draw(st.integers(0, len(text)))
    return text[:middle] + "a" * max(padding, 0) + text[middle:]


@pytest.mark.parametrize("name", sorted(_TEXT_FIELDS))
def test_the_documents_text_patterns_accept_exactly_what_the_service_accepts(name: str) -> None:
    build, limit, valid = _TEXT_FIELDS[name]
    validator = jsonschema_rs.validator_for(spec()["components"]["schemas"][name])

    verdicts: list[bool] = []

    @settings(max_examples=400, deadline=None, database=None)
    @given(_near_the_limit(limit, valid))
    def agree(text: str) -> None:
        try:
            parse_order_patch(build(text))
            accepted = True
        except ValidationFailed:
            accepted = False
        verdicts.append(accepted)
        assert validator.is_valid(text) == accepted, f"{name} {text!r}: service {accepted}"

    agree()
    # Both verdicts were tried often, so neither a pattern refusing everything nor one
    # accepting everything could pass.
    assert min(verdicts.count(True), verdicts.count(False)) >= 5, name
