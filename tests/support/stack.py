"""Builds the service's data resources in moto from the packaged CloudFormation template."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / ".serverless" / "cloudformation-template-update-stack.json"
DATA_RESOURCE_TYPES = frozenset({"AWS::DynamoDB::Table", "AWS::SQS::Queue", "AWS::SNS::Topic"})


def load_template() -> dict[str, Any]:
    """The template `sls deploy` would upload (written by `make package`)."""
    if not TEMPLATE.exists():
        raise FileNotFoundError(f"{TEMPLATE} is missing: run `make package` first")
    template: dict[str, Any] = json.loads(TEMPLATE.read_text())
    return template


@dataclass(frozen=True)
class Stack:
    """The created resources: physical ids by logical id, and the functions' environment."""

    physical_ids: dict[str, str]
    environment: dict[str, str]


def create_data_stack(cloudformation: Any, template: dict[str, Any], name: str) -> Stack:
    """Create the table, queues and topic exactly as declared, and resolve the environment."""
    resources = {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] in DATA_RESOURCE_TYPES
    }
    cloudformation.create_stack(StackName=name, TemplateBody=json.dumps({"Resources": resources}))
    summaries = cloudformation.list_stack_resources(StackName=name)["StackResourceSummaries"]
    physical_ids = {s["LogicalResourceId"]: s["PhysicalResourceId"] for s in summaries}
    variables = template["Resources"]["ApiLambdaFunction"]["Properties"]["Environment"]["Variables"]
    environment = {
        name: physical_ids[value["Ref"]] if isinstance(value, dict) else str(value)
        for name, value in variables.items()
    }
    return Stack(physical_ids, environment)
