"""openapi.yaml is a valid OpenAPI document and describes the routes serverless.yml deploys."""

from __future__ import annotations

from typing import Any

from openapi_spec_validator import validate

from tests.support.contract import spec


def test_the_openapi_document_is_valid() -> None:
    validate(spec())


def test_the_document_and_the_template_declare_the_same_routes(template: dict[str, Any]) -> None:
    documented = {
        (method.upper(), path)
        for path, operations in spec()["paths"].items()
        for method in operations
        if method in {"get", "post", "put", "delete", "patch"}
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
            assert properties["ApiKeyRequired"] is True

    assert documented == deployed
