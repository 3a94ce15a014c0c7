"""Creates the service's data resources from the packaged CloudFormation template.

moto's CloudFormation creates no SES or Cognito resources, so the template's email identities
are applied through the SES API, and its user pools, app clients and groups through the
cognito-idp API, from the same template: the emulator then accepts mail from the sender, and
signs staff in to the pool the template declares.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore import xform_name

from offline.identity import UserPool

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
    user_pools: dict[str, UserPool] = field(default_factory=dict)  # by logical id


def create_data_stack(
    cloudformation: Any,
    template: dict[str, Any],
    name: str,
    sesv2: Any = None,
    cognito_idp: Any = None,
) -> Stack:
    """Create the table, queues, topics, sender identity and user pools as declared; resolve the
    environment.

    ``sesv2`` and ``cognito_idp`` (clients of the same account) apply the email identities and the
    user pools; by default ones in ``cloudformation``'s region, configured by this process's
    environment. Only the data resources are created: the functions run outside the emulator (in
    tests, or in the local gateway and the pump), so they need no Lambda resources or roles.
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
    if cognito_idp is None and _declares_user_pools(template):
        cognito_idp = boto3.client("cognito-idp", region_name=cloudformation.meta.region_name)
    pool_ids, user_pools = (
        create_user_pools(cognito_idp, template) if cognito_idp is not None else ({}, {})
    )
    summaries = cloudformation.list_stack_resources(StackName=name)["StackResourceSummaries"]
    physical_ids = {s["LogicalResourceId"]: s["PhysicalResourceId"] for s in summaries}
    physical_ids |= pool_ids
    references = physical_ids | {"AWS::StackId": created["StackId"]}
    variables = template["Resources"]["ApiLambdaFunction"]["Properties"]["Environment"]["Variables"]
    environment = {
        name: references[value["Ref"]] if isinstance(value, dict) else str(value)
        for name, value in variables.items()
    }
    return Stack(physical_ids, environment, user_pools)


# What creates each Cognito resource type (pools first: clients and groups name their pool by
# Ref), the CloudFormation properties the API names otherwise, and where the answer has the id.
_COGNITO = {
    "AWS::Cognito::UserPool": ("CreateUserPool", {"UserPoolName": "PoolName"}, ("UserPool", "Id")),
    "AWS::Cognito::UserPoolClient": ("CreateUserPoolClient", {}, ("UserPoolClient", "ClientId")),
    "AWS::Cognito::UserPoolGroup": ("CreateGroup", {}, ("Group", "GroupName")),
}


def _declares_user_pools(template: dict[str, Any]) -> bool:
    return any(r["Type"] in _COGNITO for r in template["Resources"].values())


def create_user_pools(
    cognito_idp: Any, template: dict[str, Any]
) -> tuple[dict[str, str], dict[str, UserPool]]:
    """The template's user pools, app clients and groups, created through the cognito-idp API.

    Each resource's properties are passed as the API's parameters (those it takes under that
    name: ``EnabledMfas``, which CloudFormation alone has, becomes the pool's MFA
    configuration). Returns the physical ids by logical id, and each pool as created.
    """
    resources = template["Resources"]
    ids: dict[str, str] = {}
    for resource_type, (operation, renamed, (answer, id_field)) in _COGNITO.items():
        accepted = cognito_idp.meta.service_model.operation_model(operation).input_shape.members
        for logical_id, resource in resources.items():
            if resource["Type"] != resource_type:
                continue
            properties = _resolve(resource.get("Properties", {}), ids)
            parameters = {renamed.get(k, k): v for k, v in properties.items()}
            call = getattr(cognito_idp, xform_name(operation))
            created = call(**{k: v for k, v in parameters.items() if k in accepted})
            ids[logical_id] = created[answer][id_field]
            if "SOFTWARE_TOKEN_MFA" in properties.get("EnabledMfas", []):
                cognito_idp.set_user_pool_mfa_config(
                    UserPoolId=ids[logical_id],
                    SoftwareTokenMfaConfiguration={"Enabled": True},
                    MfaConfiguration=properties.get("MfaConfiguration", "OPTIONAL"),
                )

    def of_pool(resource_type: str, logical_id: str) -> tuple[str, ...]:
        return tuple(
            ids[name]
            for name, resource in resources.items()
            if resource["Type"] == resource_type
            and resource["Properties"].get("UserPoolId") == {"Ref": logical_id}
        )

    pools = {
        logical_id: UserPool(
            pool_id=ids[logical_id],
            client_ids=of_pool("AWS::Cognito::UserPoolClient", logical_id),
            groups=of_pool("AWS::Cognito::UserPoolGroup", logical_id),
            password_policy=resource["Properties"].get("Policies", {}).get("PasswordPolicy", {}),
        )
        for logical_id, resource in resources.items()
        if resource["Type"] == "AWS::Cognito::UserPool"
    }
    return ids, pools


def _resolve(value: Any, ids: dict[str, str]) -> Any:
    """``{"Ref": "StaffUserPool"}`` -> the pool's id, wherever it appears in ``value``."""
    if isinstance(value, dict):
        if set(value) == {"Ref"} and value["Ref"] in ids:
            return ids[value["Ref"]]
        return {k: _resolve(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, ids) for v in value]
    return value
