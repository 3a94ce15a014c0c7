"""Creates the service's data resources from the packaged CloudFormation template.

moto's CloudFormation creates no SES resources, so the template's email identities are applied
through the SES API, from the same template: the emulator then accepts mail from the sender.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

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


def create_data_stack(
    cloudformation: Any, template: dict[str, Any], name: str, sesv2: Any = None
) -> Stack:
    """Create the table, queues, topics and sender identity as declared; resolve the environment.

    ``sesv2`` (a client of the same account) applies the email identities; by default one in
    ``cloudformation``'s region, configured by this process's environment. Only the data
    resources are created: the functions run outside the emulator (in tests, or in
    the local gateway and the pump), so they need no Lambda resources or roles.
    """
    resources = {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] in DATA_RESOURCE_TYPES
    }
    created = cloudformation.create_stack(
        StackName=name, TemplateBody=json.dumps({"Resources": resources})
    )
    identities = [
        resource["Properties"]["EmailIdentity"]
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::SES::EmailIdentity"
    ]
    if identities and sesv2 is None:
        sesv2 = boto3.client("sesv2", region_name=cloudformation.meta.region_name)
    for identity in identities:
        # The emulator verifies an identity at once (in AWS, the address's owner clicks a link).
        sesv2.create_email_identity(EmailIdentity=identity)
    summaries = cloudformation.list_stack_resources(StackName=name)["StackResourceSummaries"]
    physical_ids = {s["LogicalResourceId"]: s["PhysicalResourceId"] for s in summaries}
    references = physical_ids | {"AWS::StackId": created["StackId"]}
    variables = template["Resources"]["ApiLambdaFunction"]["Properties"]["Environment"]["Variables"]
    environment = {
        name: references[value["Ref"]] if isinstance(value, dict) else str(value)
        for name, value in variables.items()
    }
    return Stack(physical_ids, environment)
