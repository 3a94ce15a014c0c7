"""Creates the service's data resources from the packaged CloudFormation template."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA_RESOURCE_TYPES = frozenset({"AWS::DynamoDB::Table", "AWS::SQS::Queue", "AWS::SNS::Topic"})


def template_path(stage: str) -> Path:
    """Where `make package` (dev) or `make package-local` (local) writes the template."""
    folder = ROOT / (".serverless" if stage == "dev" else f".serverless-{stage}")
    return folder / "cloudformation-template-update-stack.json"


def load_template(stage: str = "dev") -> dict[str, Any]:
    """The template `sls deploy --stage <stage>` would upload."""
    path = template_path(stage)
    if not path.exists():
        target = "package" if stage == "dev" else f"package-{stage}"
        raise FileNotFoundError(f"{path} is missing: run `make {target}` first")
    template: dict[str, Any] = json.loads(path.read_text())
    return template


@dataclass(frozen=True)
class Stack:
    """The created resources: physical ids by logical id, and the functions' environment."""

    physical_ids: dict[str, str]
    environment: dict[str, str]


def create_data_stack(cloudformation: Any, template: dict[str, Any], name: str) -> Stack:
    """Create the table, queues and topic exactly as declared; resolve the functions' environment.

    Only the data resources are created: the functions run outside the emulator (in tests, or
    in the local gateway and the pump), so they need no Lambda resources or roles.
    """
    resources = {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] in DATA_RESOURCE_TYPES
    }
    created = cloudformation.create_stack(
        StackName=name, TemplateBody=json.dumps({"Resources": resources})
    )
    summaries = cloudformation.list_stack_resources(StackName=name)["StackResourceSummaries"]
    physical_ids = {s["LogicalResourceId"]: s["PhysicalResourceId"] for s in summaries}
    references = physical_ids | {"AWS::StackId": created["StackId"]}
    variables = template["Resources"]["ApiLambdaFunction"]["Properties"]["Environment"]["Variables"]
    environment = {
        name: references[value["Ref"]] if isinstance(value, dict) else str(value)
        for name, value in variables.items()
    }
    return Stack(physical_ids, environment)
