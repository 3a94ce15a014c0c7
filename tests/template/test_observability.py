"""What an operator of a deployed stage looks at: the dashboard, the alarms, the access logs."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.template.conftest import Resources
from tests.template.test_template import of_type, package_in_copy

STATUSES = ("received", "inprocess", "completed", "canceled")
NAMESPACE = "Orders/dev"


def dashboard_metrics(resources: Resources) -> list[list[Any]]:
    (dashboard,) = of_type(resources, "AWS::CloudWatch::Dashboard").values()
    body = json.loads(dashboard["Properties"]["DashboardBody"]["Fn::Sub"])
    return [metric for w in body["widgets"] for metric in w["properties"]["metrics"]]


def drawn(metrics: list[list[Any]], namespace: str, name: str) -> list[list[Any]]:
    return [m for m in metrics if m[:2] == [namespace, name]]


def own_alarm(resources: Resources, metric: str) -> dict[str, Any]:
    (alarm,) = [
        a["Properties"]
        for a in of_type(resources, "AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("MetricName") == metric
        and a["Properties"].get("Namespace") == NAMESPACE
    ]
    return alarm


# --- dashboard ------------------------------------------------------------------------------


def test_the_dashboard_draws_the_api_requests_latency_and_errors(resources: Resources) -> None:
    metrics = dashboard_metrics(resources)

    for name in ("Count", "Latency", "IntegrationLatency", "4XXError", "5XXError"):
        (first, *_) = drawn(metrics, "AWS/ApiGateway", name)
        assert first[2:6] == ["ApiName", "dev-orders", "Stage", "dev"], name


def test_the_dashboard_draws_each_status_queue_its_age_and_its_dead_letters(
    resources: Resources,
) -> None:
    metrics = dashboard_metrics(resources)

    visible = {m[3] for m in drawn(metrics, "AWS/SQS", "ApproximateNumberOfMessagesVisible")}
    aged = {m[3] for m in drawn(metrics, "AWS/SQS", "ApproximateAgeOfOldestMessage")}
    queues = {q["Properties"]["QueueName"] for q in of_type(resources, "AWS::SQS::Queue").values()}
    assert visible == {f"orders-dev-{s}" for s in STATUSES} | {
        f"orders-dev-{s}-dlq" for s in STATUSES
    }
    assert aged == {f"orders-dev-{s}" for s in STATUSES}
    assert visible <= queues


def test_the_dashboard_draws_the_business_metrics(resources: Resources) -> None:
    metrics = dashboard_metrics(resources)

    lag = drawn(metrics, NAMESPACE, "ProcessingLag")
    assert {m[3] for m in lag} == set(STATUSES)
    assert {m[3] for m in drawn(metrics, NAMESPACE, "DeliveriesFailed")} >= {"email", "sms"}
    for name in ("OrdersCreated", "DispatchesResent", "DispatchesAbandoned", "DispatchesPending"):
        assert drawn(metrics, NAMESPACE, name), name


# --- alarms on the service's own metrics ----------------------------------------------------


def test_any_abandoned_dispatch_pages(resources: Resources) -> None:
    alarm = own_alarm(resources, "DispatchesAbandoned")

    assert (alarm["Statistic"], alarm["Threshold"], alarm["EvaluationPeriods"]) == ("Sum", 0, 1)


def test_resends_page_only_when_sustained(resources: Resources) -> None:
    alarm = own_alarm(resources, "DispatchesResent")

    assert (alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"]) == (3, 3)


def test_processing_lag_pages_on_its_p90_over_every_status(resources: Resources) -> None:
    alarm = own_alarm(resources, "ProcessingLag")

    assert alarm["ExtendedStatistic"] == "p90"
    assert "Dimensions" not in alarm  # the rollup the processors emit beside each status
    assert alarm["Threshold"] == 60_000


def test_delivery_failures_page_above_a_small_rate(resources: Resources) -> None:
    (alarm,) = [
        a["Properties"]
        for a in of_type(resources, "AWS::CloudWatch::Alarm").values()
        if "Metrics" in a["Properties"]
    ]
    queries = {query["Id"]: query for query in alarm["Metrics"]}
    returned = [query for query in alarm["Metrics"] if query.get("ReturnData", True)]

    assert [query["Id"] for query in returned] == ["rate"]
    assert 0 < alarm["Threshold"] <= 0.1
    stats = [q["MetricStat"]["Metric"] for q in queries.values() if "MetricStat" in q]
    assert {(m["MetricName"], m["Dimensions"][0]["Value"]) for m in stats} >= {
        ("DeliveriesFailed", "email"),
        ("DeliveriesFailed", "sms"),
        ("DeliveriesSent", "email"),
        ("DeliveriesSent", "sms"),
    }
    assert all(m["Namespace"] == NAMESPACE for m in stats)


def test_no_error_alarm_pages_for_a_single_blip(resources: Resources) -> None:
    for key, alarm in of_type(resources, "AWS::CloudWatch::Alarm").items():
        properties = alarm["Properties"]
        if properties.get("MetricName") in ("Errors", "Throttles", "5XXError"):
            assert properties["DatapointsToAlarm"] >= 2, key


def test_the_functions_know_their_metrics_namespace(resources: Resources) -> None:
    for key, function in of_type(resources, "AWS::Lambda::Function").items():
        variables = function["Properties"]["Environment"]["Variables"]
        assert variables["METRICS_NAMESPACE"] == NAMESPACE, key


# --- access logs ----------------------------------------------------------------------------


def test_the_api_writes_one_json_access_log_line_per_request(resources: Resources) -> None:
    (deployment,) = of_type(resources, "AWS::ApiGateway::Deployment").values()
    setting = deployment["Properties"]["StageDescription"]["AccessLogSetting"]
    (group_key,) = setting["DestinationArn"]["Fn::GetAtt"][:1]
    fields = json.loads(setting["Format"])

    assert resources[group_key]["Properties"]["RetentionInDays"] == 30
    assert {
        "requestId": "$context.requestId",
        "actorSub": "$context.authorizer.claims.sub",
        "method": "$context.httpMethod",
        "route": "$context.resourcePath",
        "status": "$context.status",
        "latencyMs": "$context.responseLatency",
        "integrationLatencyMs": "$context.integrationLatency",
        "errorType": "$context.error.responseType",
    }.items() <= fields.items()


def test_the_access_log_names_staff_by_sub_only(resources: Resources) -> None:
    # The sub finds the person in the user pool; an email or a name in every line would spread
    # personal data into logs kept 30 days. API keys are gone, and so is their id.
    (deployment,) = of_type(resources, "AWS::ApiGateway::Deployment").values()
    fields = json.loads(deployment["Properties"]["StageDescription"]["AccessLogSetting"]["Format"])

    assert [value for value in fields.values() if "claims" in value] == [
        "$context.authorizer.claims.sub"
    ]
    assert [value for value in fields.values() if "apiKey" in value] == []


def test_api_gateway_may_write_its_logs(resources: Resources) -> None:
    (account,) = of_type(resources, "AWS::ApiGateway::Account").values()
    role_key = account["Properties"]["CloudWatchRoleArn"]["Fn::GetAtt"][0]

    (managed,) = resources[role_key]["Properties"]["ManagedPolicyArns"]
    assert "AmazonAPIGatewayPushToCloudWatchLogs" in managed["Fn::Sub"]


# --- tracing --------------------------------------------------------------------------------


def test_tracing_is_off_unless_asked_for(resources: Resources) -> None:
    (deployment,) = of_type(resources, "AWS::ApiGateway::Deployment").values()

    assert "TracingEnabled" not in deployment["Properties"]["StageDescription"]
    for key, function in of_type(resources, "AWS::Lambda::Function").items():
        assert "TracingConfig" not in function["Properties"], key


@pytest.fixture(scope="module")
def traced(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return package_in_copy(
        tmp_path_factory.mktemp("traced"), "--stage", "dev", "--param", "tracing=true"
    )


def test_with_tracing_every_function_and_the_api_stage_are_traced(traced: dict[str, Any]) -> None:
    resources = traced["Resources"]
    (deployment,) = of_type(resources, "AWS::ApiGateway::Deployment").values()

    assert deployment["Properties"]["StageDescription"]["TracingEnabled"] is True
    for key, function in of_type(resources, "AWS::Lambda::Function").items():
        assert function["Properties"]["TracingConfig"] == {"Mode": "Active"}, key


def test_with_tracing_every_role_may_write_traces_through_one_statement(
    traced: dict[str, Any],
) -> None:
    resources = traced["Resources"]
    (policy,) = of_type(resources, "AWS::IAM::ManagedPolicy").values()
    roles = {role["Ref"] for role in policy["Properties"]["Roles"]}

    assert roles == set(of_type(resources, "AWS::IAM::Role")) - {"ApiGatewayLogsRole"}
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert sorted(statement["Action"]) == ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]
    assert traced["Parameters"]["Tracing"]["Default"] == "true"
    assert policy["Condition"] == "TracingEnabled"
