"""Staff sign in to the stack's Cognito user pool, and API Gateway lets no one else in.

These read the packaged templates: every /orders route names the one Cognito authorizer; the
pool, its client and its groups are what staff accounts need, and API Gateway's own refusals are
problem+json like the function's.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from offline.provision import load_template
from tests.support.gateway import CONTEXT_SAMPLES, gateway_responses, rendered_body
from tests.template.conftest import Resources
from tests.template.test_template import of_type

ROUTES = {
    ("POST", "ApiGatewayResourceOrders"),
    ("GET", "ApiGatewayResourceOrders"),
    ("GET", "ApiGatewayResourceOrdersOrderidVar"),
    ("PUT", "ApiGatewayResourceOrdersOrderidVar"),
}
GROUPS = {"frontdesk", "technician", "admin"}
PROBLEM_JSON = "'application/problem+json'"


def staff_pool(resources: Resources) -> dict[str, Any]:
    (pool,) = of_type(resources, "AWS::Cognito::UserPool").values()
    return pool


# --- the authorizer on every route ----------------------------------------------------------


@pytest.mark.parametrize("package", ["dev", "local", "snapstart"])
def test_every_route_is_checked_by_the_one_staff_authorizer(package: str) -> None:
    resources = load_template(package)["Resources"]
    methods = of_type(resources, "AWS::ApiGateway::Method")
    routes = {
        (method["Properties"]["HttpMethod"], method["Properties"]["ResourceId"]["Ref"])
        for method in methods.values()
    }

    # No OPTIONS (no CORS yet): every method is a route, and every route is an /orders one.
    assert routes == ROUTES
    assert len(methods) == len(ROUTES)
    for key, method in methods.items():
        properties = method["Properties"]
        assert properties["AuthorizationType"] == "COGNITO_USER_POOLS", key
        assert properties["AuthorizerId"] == {"Ref": "StaffAuthorizer"}, key
        assert properties["ApiKeyRequired"] is False, key


def test_the_one_authorizer_trusts_the_staff_pool_only(resources: Resources) -> None:
    (name, authorizer), *others = of_type(resources, "AWS::ApiGateway::Authorizer").items()

    assert others == []
    assert name == "StaffAuthorizer"
    properties = authorizer["Properties"]
    assert properties["Type"] == "COGNITO_USER_POOLS"
    assert properties["ProviderARNs"] == [{"Fn::GetAtt": ["StaffUserPool", "Arn"]}]
    assert properties["IdentitySource"] == "method.request.header.Authorization"
    assert properties["RestApiId"] == {"Ref": "ApiGatewayRestApi"}
    assert resources["StaffUserPool"]["Type"] == "AWS::Cognito::UserPool"


def test_no_method_is_reachable_without_an_authorizer(resources: Resources) -> None:
    # A CORS preflight (OPTIONS) would be the one method allowed to go without: none exists yet.
    methods = of_type(resources, "AWS::ApiGateway::Method")
    open_methods = {
        key
        for key, method in methods.items()
        if method["Properties"]["HttpMethod"] != "OPTIONS"
        and (
            method["Properties"].get("AuthorizationType", "NONE") == "NONE"
            or "AuthorizerId" not in method["Properties"]
        )
    }

    assert len(methods) == 4
    assert open_methods == set()


def test_no_api_key_or_usage_plan_is_left(resources: Resources) -> None:
    for gone in (
        "AWS::ApiGateway::ApiKey",
        "AWS::ApiGateway::UsagePlan",
        "AWS::ApiGateway::UsagePlanKey",
    ):
        assert of_type(resources, gone) == {}, gone


# --- the user pool, its client and groups ---------------------------------------------------


def test_staff_sign_in_with_their_email_in_any_case(resources: Resources) -> None:
    properties = staff_pool(resources)["Properties"]

    assert properties["UsernameAttributes"] == ["email"]
    assert properties["UsernameConfiguration"] == {"CaseSensitive": False}
    assert properties["AutoVerifiedAttributes"] == ["email"]


def test_only_an_admin_creates_staff_accounts(resources: Resources) -> None:
    properties = staff_pool(resources)["Properties"]

    assert properties["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True


def test_passwords_are_long_and_mixed_and_temporary_ones_expire_in_a_week(
    resources: Resources,
) -> None:
    policy = staff_pool(resources)["Properties"]["Policies"]["PasswordPolicy"]

    assert policy["MinimumLength"] >= 12
    assert policy["RequireLowercase"] is True
    assert policy["RequireUppercase"] is True
    assert policy["RequireNumbers"] is True
    assert policy["TemporaryPasswordValidityDays"] == 7


def test_staff_may_add_an_authenticator_app_and_nothing_else(resources: Resources) -> None:
    properties = staff_pool(resources)["Properties"]

    assert properties["MfaConfiguration"] == "OPTIONAL"
    assert properties["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]  # TOTP; no SMS role needed


def test_the_dev_pool_goes_with_its_stack(resources: Resources) -> None:
    pool = staff_pool(resources)

    assert pool["Properties"]["DeletionProtection"] == "INACTIVE"
    assert pool["DeletionPolicy"] == "Delete"


def test_the_client_is_public_and_signs_in_three_ways_only(resources: Resources) -> None:
    (client,) = of_type(resources, "AWS::Cognito::UserPoolClient").values()
    properties = client["Properties"]

    assert properties["UserPoolId"] == {"Ref": "StaffUserPool"}
    assert properties["GenerateSecret"] is False  # a browser app cannot keep a secret
    assert sorted(properties["ExplicitAuthFlows"]) == [
        "ALLOW_REFRESH_TOKEN_AUTH",
        "ALLOW_USER_PASSWORD_AUTH",
        "ALLOW_USER_SRP_AUTH",
    ]
    assert properties["PreventUserExistenceErrors"] == "ENABLED"
    assert properties["EnableTokenRevocation"] is True


def test_token_lifetimes_are_stated_an_hour_for_id_tokens_a_working_day_to_refresh(
    resources: Resources,
) -> None:
    (client,) = of_type(resources, "AWS::Cognito::UserPoolClient").values()
    properties = client["Properties"]
    units = properties["TokenValidityUnits"]
    minutes = {"minutes": 1, "hours": 60, "days": 24 * 60}
    lifetimes = {
        token: properties[f"{token}Validity"] * minutes[units[token]]
        for token in ("IdToken", "AccessToken", "RefreshToken")
    }

    assert lifetimes == {"IdToken": 60, "AccessToken": 60, "RefreshToken": 12 * 60}


def test_the_id_token_names_the_user_for_the_history(resources: Resources) -> None:
    (client,) = of_type(resources, "AWS::Cognito::UserPoolClient").values()

    assert {"email", "name"} <= set(client["Properties"]["ReadAttributes"])


def test_three_groups_are_the_roles(resources: Resources) -> None:
    groups = of_type(resources, "AWS::Cognito::UserPoolGroup")

    assert {group["Properties"]["GroupName"] for group in groups.values()} == GROUPS
    assert len(groups) == len(GROUPS)
    for key, group in groups.items():
        assert group["Properties"]["UserPoolId"] == {"Ref": "StaffUserPool"}, key
        assert group["Properties"]["Description"], key


def test_the_stack_outputs_what_staff_tools_sign_in_with(template: dict[str, Any]) -> None:
    outputs = template["Outputs"]

    assert outputs["StaffUserPoolId"]["Value"] == {"Ref": "StaffUserPool"}
    assert outputs["StaffUserPoolClientId"]["Value"] == {"Ref": "StaffUserPoolClient"}


# --- API Gateway's own answers --------------------------------------------------------------


def test_api_gateways_own_refusals_are_problem_json(template: dict[str, Any]) -> None:
    responses = gateway_responses(template)

    assert set(responses) == {
        "UNAUTHORIZED",
        "ACCESS_DENIED",
        "MISSING_AUTHENTICATION_TOKEN",
        "THROTTLED",
        "DEFAULT_4XX",
        "DEFAULT_5XX",
    }
    assert len(of_type(template["Resources"], "AWS::ApiGateway::GatewayResponse")) == len(responses)
    for response_type, properties in responses.items():
        assert properties["RestApiId"] == {"Ref": "ApiGatewayRestApi"}, response_type
        headers = properties["ResponseParameters"]
        assert headers["gatewayresponse.header.Content-Type"] == PROBLEM_JSON, response_type
        body = rendered_body(properties)
        assert re.fullmatch(r"urn:orders:problem:[a-z-]+", body["type"]), response_type
        assert body["title"], response_type
        assert body["detail"], response_type


@pytest.mark.parametrize(
    ("response_type", "status", "problem"),
    [
        ("UNAUTHORIZED", 401, "unauthorized"),
        ("ACCESS_DENIED", 403, "forbidden"),
        ("MISSING_AUTHENTICATION_TOKEN", 403, "no-such-route"),
        ("THROTTLED", 429, "too-many-requests"),
    ],
)
def test_each_named_refusal_states_its_status_in_the_header_and_the_body(
    template: dict[str, Any], response_type: str, status: int, problem: str
) -> None:
    properties = gateway_responses(template)[response_type]
    body = rendered_body(properties)

    assert properties["StatusCode"] == str(status)
    assert body["status"] == status
    assert body["type"] == f"urn:orders:problem:{problem}"


def test_a_missing_or_bad_token_asks_for_a_bearer_token(template: dict[str, Any]) -> None:
    properties = gateway_responses(template)["UNAUTHORIZED"]

    assert properties["ResponseParameters"]["gatewayresponse.header.WWW-Authenticate"] == (
        "'Bearer'"
    )
    assert "Authorization: Bearer" in rendered_body(properties)["detail"]


def test_a_throttled_caller_is_told_when_to_retry(template: dict[str, Any]) -> None:
    headers = gateway_responses(template)["THROTTLED"]["ResponseParameters"]

    assert headers["gatewayresponse.header.Retry-After"] == "'1'"


def test_the_fallbacks_keep_each_causes_own_status(template: dict[str, Any]) -> None:
    # A status on DEFAULT_4XX/5XX would become the status of every cause they cover (a 413 and
    # a 415 alike), and a template cannot read the status: their bodies state none.
    responses = gateway_responses(template)
    request_id = CONTEXT_SAMPLES["$context.requestId"]

    for response_type in ("DEFAULT_4XX", "DEFAULT_5XX"):
        assert "StatusCode" not in responses[response_type], response_type
        assert "status" not in rendered_body(responses[response_type]), response_type
    assert request_id in rendered_body(responses["DEFAULT_5XX"])["detail"]


def test_the_stage_is_deployed_after_every_gateway_response(resources: Resources) -> None:
    # A stage serves the API as it was when its deployment was made: a deployment created before
    # the responses would answer with API Gateway's defaults until the next deploy.
    (deployment,) = of_type(resources, "AWS::ApiGateway::Deployment").values()
    responses = of_type(resources, "AWS::ApiGateway::GatewayResponse")

    assert len(responses) == 6
    assert set(responses) <= set(deployment["DependsOn"])
