"""A rehearsal of `sls deploy` in moto's CloudFormation, then one order through what it created.

`sls deploy` creates a stack holding the deployment bucket, uploads the zip, then updates the
stack with the full template. moto cannot run Lambda code without Docker, so the handlers run
here in-process, configured from the deployed functions' own environment.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

import handler
import processors
from offline.provision import ROOT
from orders import bootstrap
from tests.integration.conftest import use_moto_credentials
from tests.support import moto_lambda_alias
from tests.support.data import laptop_order
from tests.support.events import LambdaContext, api_event, sqs_event

pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse AWS::")

# `make package` and `make package-snapstart` (the same stage with --param=snapStart=true).
PACKAGES = {"default": ROOT / ".serverless", "snapStart": ROOT / ".serverless-snapstart"}
STACK = "orders-dev"
_DONE = {"CREATE_COMPLETE", "UPDATE_COMPLETE"}
MOTO_UNSUPPORTED_TYPES = {
    "AWS::S3::BucketPolicy",
    "AWS::CloudWatch::Alarm",
    "AWS::SNS::Subscription",
    "AWS::Lambda::EventInvokeConfig",
    "AWS::ApiGateway::Account",
    "AWS::SES::EmailIdentity",  # the local stack and the tests apply it through the SES API
    # Staff sign-in: the local stack creates the pool, its client and groups through the
    # cognito-idp API from these same resources. moto's API Gateway would not enforce an
    # authorizer anyway: the local gateway checks tokens, and tests/template what deploys.
    "AWS::Cognito::UserPool",
    "AWS::Cognito::UserPoolClient",
    "AWS::Cognito::UserPoolGroup",
    "AWS::ApiGateway::Authorizer",
    "AWS::ApiGateway::GatewayResponse",
}


def _template(package: Path, name: str) -> str:
    return (package / f"cloudformation-template-{name}-stack.json").read_text()


@pytest.fixture(params=sorted(PACKAGES))
def deployed(
    monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[dict[str, Any]]:
    """The dev stack, deployed the way `sls deploy` does it; yields its resources by logical id."""
    package = PACKAGES[request.param]
    moto_lambda_alias.install()
    use_moto_credentials(monkeypatch)
    with mock_aws():
        cloudformation = boto3.client("cloudformation")
        cloudformation.create_stack(StackName=STACK, TemplateBody=_template(package, "create"))
        bucket = _physical_ids(cloudformation)["ServerlessDeploymentBucket"]
        template = json.loads(_template(package, "update"))
        key = template["Resources"]["ApiLambdaFunction"]["Properties"]["Code"]["S3Key"]
        boto3.client("s3").upload_file(str(package / "orders.zip"), bucket, key)
        cloudformation.update_stack(
            StackName=STACK,
            TemplateBody=json.dumps(template),
            Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
        )
        # moto's event source mappings try to invoke the (Docker-less) functions on every send,
        # which only bumps receive counts; switch them off, as the processors run here instead.
        lambda_client = boto3.client("lambda")
        for mapping in lambda_client.list_event_source_mappings()["EventSourceMappings"]:
            lambda_client.update_event_source_mapping(UUID=mapping["UUID"], Enabled=False)
        yield {
            "variant": request.param,
            "template": template,
            "resources": _summaries(cloudformation),
        }
    bootstrap.reset()


def _summaries(cloudformation: Any) -> list[dict[str, Any]]:
    pages = cloudformation.get_paginator("list_stack_resources").paginate(StackName=STACK)
    return [summary for page in pages for summary in page["StackResourceSummaries"]]


def _physical_ids(cloudformation: Any) -> dict[str, str]:
    return {s["LogicalResourceId"]: s["PhysicalResourceId"] for s in _summaries(cloudformation)}


def test_every_resource_of_the_template_is_created(deployed: dict[str, Any]) -> None:
    # Resources behind a condition (the alarm email, X-Ray) are off with the default params.
    declared = {
        name: resource
        for name, resource in deployed["template"]["Resources"].items()
        if "Condition" not in resource
    }
    statuses = {s["LogicalResourceId"]: s["ResourceStatus"] for s in deployed["resources"]}
    not_created = {name: declared[name]["Type"] for name in set(declared) - set(statuses)}

    # moto's CloudFormation has no implementation of these types and skips them (with a
    # warning); any other resource missing or incomplete is a failed rehearsal.
    assert set(not_created.values()) <= MOTO_UNSUPPORTED_TYPES, not_created
    incomplete = {n: s for n, s in statuses.items() if n in declared and s not in _DONE}
    assert incomplete == {}


def test_an_order_flows_through_the_deployed_resources(
    deployed: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    lambda_client = boto3.client("lambda")
    functions = {f["FunctionName"]: f for f in lambda_client.list_functions()["Functions"]}
    environment = functions["orders-dev-api"]["Environment"]["Variables"]
    assert environment == functions["orders-dev-processReceived"]["Environment"]["Variables"]
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    bootstrap.reset()

    created = handler.handle(api_event("POST", "/orders", body=laptop_order()), LambdaContext())
    assert created["statusCode"] == 201
    order_id = json.loads(created["body"])["orderId"]
    sqs = boto3.client("sqs")
    (message,) = sqs.receive_message(
        QueueUrl=environment["RECEIVED_QUEUE_URL"], MaxNumberOfMessages=10
    )["Messages"]
    assert json.loads(message["Body"])["orderId"] == order_id

    result = processors.handle_received(sqs_event(message["Body"]), LambdaContext())

    assert result == {"batchItemFailures": []}
    fetched = handler.handle(
        api_event("GET", "/orders/{orderId}", order_id=order_id), LambdaContext()
    )
    assert "received" in json.loads(fetched["body"])["processing"]


def test_every_deployed_route_asks_for_a_cognito_token_and_no_api_key(
    deployed: dict[str, Any],
) -> None:
    # moto keeps each method's authorization type; the authorizer it names is not created.
    apigateway = boto3.client("apigateway")
    (api,) = apigateway.get_rest_apis()["items"]
    methods = [
        apigateway.get_method(restApiId=api["id"], resourceId=resource["id"], httpMethod=verb)
        for resource in apigateway.get_resources(restApiId=api["id"])["items"]
        for verb in resource.get("resourceMethods", {})
    ]

    assert len(methods) == 4
    assert {(m["authorizationType"], m["apiKeyRequired"]) for m in methods} == {
        ("COGNITO_USER_POOLS", False)
    }


def test_the_deployed_functions_use_the_packaged_handlers(deployed: dict[str, Any]) -> None:
    functions = boto3.client("lambda").list_functions()["Functions"]
    handlers = {f["FunctionName"].removeprefix("orders-dev-"): f["Handler"] for f in functions}

    assert handlers == {
        "api": "handler.handle",
        "processReceived": "processors.handle_received",
        "processInprocess": "processors.handle_inprocess",
        "processCompleted": "processors.handle_completed",
        "processCanceled": "processors.handle_canceled",
        "sweepDispatches": "processors.sweep_dispatches",
    }
    assert {f["Runtime"] for f in functions} == {"python3.12"}


def test_only_snapstart_puts_the_api_behind_a_snapstart_alias(deployed: dict[str, Any]) -> None:
    lambda_client = boto3.client("lambda")
    aliases = {
        a["Name"] for a in lambda_client.list_aliases(FunctionName="orders-dev-api")["Aliases"]
    }
    permissions = [
        resource["Properties"]["FunctionName"]
        for resource in deployed["template"]["Resources"].values()
        if resource["Type"] == "AWS::Lambda::Permission"
        and resource["Properties"]["Principal"] == "apigateway.amazonaws.com"
    ]

    if deployed["variant"] == "snapStart":
        assert aliases == {"snapstart"}
        assert '"snapstart"' in json.dumps(permissions)
    else:
        assert aliases == set()
        assert "snapstart" not in json.dumps(permissions)
