"""The packaged CloudFormation template keeps the promises of docs/deploy.md and reliability.md.

These read the template `make package` writes (the dev stage) and, where a stage differs, the one
`sls package --stage prod` writes, so they test what `sls deploy` would upload.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from offline.provision import load_template
from tests.support.iam import as_deployed, functions, statements
from tests.support.packaging import copy_service, package
from tests.template.conftest import Resources

# Allowed statements with a wildcard, each with the reason AWS gives it.
KEY_POLICY_RESOURCE = "in a key policy, Resource '*' means the key itself (AWS requires it)"
KEY_POLICY_ACCOUNT = "the account's kms:* statement of AWS's default key policy keeps it manageable"
XRAY_ACTIONS = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]
XRAY_HAS_NO_RESOURCES = "X-Ray's two write actions take no resource (only with tracing on)"
SMS_TO_PHONE_NUMBERS = "an SMS goes to a phone number, which has no ARN to name"
SMS_ACTIONS = ["sns:Publish", "sns:CheckIfPhoneNumberIsOptedOut"]


@pytest.fixture(scope="module")
def prod_resources(tmp_path_factory: pytest.TempPathFactory) -> Resources:
    """The prod stage's template."""
    return package_in_copy(tmp_path_factory.mktemp("prod"), "--stage", "prod")["Resources"]


def package_in_copy(folder: Path, *options: str) -> dict[str, Any]:
    """The template `sls package` writes with ``options``, packaged in a copy of the service.

    Packaging clears the service's own .serverless/ folder whatever --package says, so it runs in
    a copy, with no AWS credentials, as `make package` does.
    """
    service = copy_service(folder)
    path = package(service, list(options)) / "cloudformation-template-update-stack.json"
    found: dict[str, Any] = json.loads(path.read_text())
    return found


def of_type(resources: Resources, resource_type: str) -> Resources:
    return {key: value for key, value in resources.items() if value["Type"] == resource_type}


def getatt(value: Any) -> str:
    """The logical id of a `{"Fn::GetAtt": [id, attribute]}` value."""
    assert isinstance(value, dict), value
    assert "Fn::GetAtt" in value, value
    logical_id: str = value["Fn::GetAtt"][0]
    return logical_id


def sqs_triggers(resources: Resources) -> list[tuple[dict[str, Any], str, str]]:
    """Each SQS event source mapping, with the logical ids of its queue and its function."""
    triggers = []
    for mapping in of_type(resources, "AWS::Lambda::EventSourceMapping").values():
        properties = mapping["Properties"]
        queue = getatt(properties["EventSourceArn"])
        if resources[queue]["Type"] == "AWS::SQS::Queue":
            triggers.append((properties, queue, getatt(properties["FunctionName"])))
    return triggers


def dead_letter_queues(resources: Resources) -> set[str]:
    return {
        getatt(queue["Properties"]["RedrivePolicy"]["deadLetterTargetArn"])
        for queue in of_type(resources, "AWS::SQS::Queue").values()
        if "RedrivePolicy" in queue["Properties"]
    }


def status_queues(resources: Resources) -> Resources:
    queues = of_type(resources, "AWS::SQS::Queue")
    dead_letters = dead_letter_queues(resources)
    return {key: queue for key, queue in queues.items() if key not in dead_letters}


def alarms_on(resources: Resources, metric: str, dimension: str) -> dict[Any, dict[str, Any]]:
    """The alarms on one metric, by the value of one of their dimensions."""
    found = {}
    for alarm in of_type(resources, "AWS::CloudWatch::Alarm").values():
        properties = alarm["Properties"]
        if properties.get("MetricName") != metric:
            continue
        for item in properties["Dimensions"]:
            if item["Name"] == dimension:
                found[json.dumps(item["Value"], sort_keys=True)] = properties
    return found


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# --- queues and their processors -----------------------------------------------------------


def test_every_status_queue_triggers_a_processor(resources: Resources) -> None:
    triggered = {queue for _, queue, _ in sqs_triggers(resources)}
    assert triggered == set(status_queues(resources))
    assert len(triggered) == 4


def test_each_processor_reports_batch_item_failures_in_batches_of_ten(
    resources: Resources,
) -> None:
    for properties, queue, function in sqs_triggers(resources):
        assert properties.get("FunctionResponseTypes") == ["ReportBatchItemFailures"], function
        assert properties["BatchSize"] == 10, function
        assert properties.get("Enabled", True) is True, queue


def test_each_queue_hides_a_message_for_six_times_its_processors_timeout(
    resources: Resources,
) -> None:
    for _, queue, function in sqs_triggers(resources):
        visibility = resources[queue]["Properties"]["VisibilityTimeout"]
        timeout = resources[function]["Properties"]["Timeout"]
        assert visibility >= 6 * timeout, f"{queue}: {visibility} s < 6 x {function} {timeout} s"


def test_each_status_queue_dead_letters_after_five_receives(resources: Resources) -> None:
    queues = of_type(resources, "AWS::SQS::Queue")
    for key, queue in status_queues(resources).items():
        redrive = queue["Properties"]["RedrivePolicy"]
        assert redrive["maxReceiveCount"] == 5, key
        assert getatt(redrive["deadLetterTargetArn"]) in queues, key
    assert len(dead_letter_queues(resources)) == len(status_queues(resources))


def test_every_queue_is_encrypted_at_rest(resources: Resources) -> None:
    for key, queue in of_type(resources, "AWS::SQS::Queue").items():
        properties = queue["Properties"]
        assert properties.get("SqsManagedSseEnabled") is True or properties.get("KmsMasterKeyId"), (
            key
        )


def test_every_topic_is_encrypted_at_rest(resources: Resources) -> None:
    topics = of_type(resources, "AWS::SNS::Topic")
    assert len(topics) == 2  # customer notifications and alarms
    for key, topic in topics.items():
        assert topic["Properties"].get("KmsMasterKeyId"), key


# --- the table ------------------------------------------------------------------------------


def test_the_table_has_point_in_time_recovery_and_the_status_index(resources: Resources) -> None:
    (table,) = of_type(resources, "AWS::DynamoDB::Table").values()
    properties = table["Properties"]
    assert properties["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert properties["SSESpecification"]["SSEEnabled"] is True
    indexes = {index["IndexName"]: index for index in properties["GlobalSecondaryIndexes"]}
    assert indexes["byStatus"]["KeySchema"] == [
        {"AttributeName": "status", "KeyType": "HASH"},
        {"AttributeName": "createdAt", "KeyType": "RANGE"},
    ]


def test_the_prod_table_is_protected_from_deletion(prod_resources: Resources) -> None:
    (table,) = of_type(prod_resources, "AWS::DynamoDB::Table").values()
    assert table["Properties"]["DeletionProtectionEnabled"] is True
    assert table["DeletionPolicy"] == "Retain"
    assert table["UpdateReplacePolicy"] == "Retain"


def test_the_dev_table_can_be_deleted_with_its_stack(resources: Resources) -> None:
    (table,) = of_type(resources, "AWS::DynamoDB::Table").values()
    assert table["Properties"]["DeletionProtectionEnabled"] is False
    assert table["DeletionPolicy"] == "Delete"


def test_the_prod_staff_pool_is_protected_from_deletion(prod_resources: Resources) -> None:
    # Deleting a user pool deletes every staff account and their MFA: no backup brings them back.
    (pool,) = of_type(prod_resources, "AWS::Cognito::UserPool").values()
    assert pool["Properties"]["DeletionProtection"] == "ACTIVE"
    assert pool["DeletionPolicy"] == "Retain"
    assert pool["UpdateReplacePolicy"] == "Retain"


# --- functions and logs ---------------------------------------------------------------------


def test_every_function_runs_on_arm64_with_explicit_memory_and_timeout(
    resources: Resources,
) -> None:
    functions = of_type(resources, "AWS::Lambda::Function")
    assert len(functions) >= 5
    for key, function in functions.items():
        properties = function["Properties"]
        assert properties["Architectures"] == ["arm64"], key
        assert isinstance(properties.get("MemorySize"), int), key
        assert isinstance(properties.get("Timeout"), int), key


def test_every_function_logs_json_lines_at_info(resources: Resources) -> None:
    for key, function in of_type(resources, "AWS::Lambda::Function").items():
        logging = function["Properties"].get("LoggingConfig", {})
        assert logging.get("LogFormat") == "JSON", key
        assert logging.get("ApplicationLogLevel") == "INFO", key


def test_every_log_group_has_a_retention_and_every_function_has_one(
    resources: Resources,
) -> None:
    log_groups = of_type(resources, "AWS::Logs::LogGroup")
    for key, log_group in log_groups.items():
        assert log_group["Properties"].get("RetentionInDays"), key
    names = {log_group["Properties"]["LogGroupName"] for log_group in log_groups.values()}
    for key, function in of_type(resources, "AWS::Lambda::Function").items():
        assert f"/aws/lambda/{function['Properties']['FunctionName']}" in names, key


# --- the API --------------------------------------------------------------------------------


# Who may call which route: tests/template/test_staff_sign_in.py.


def test_the_stage_is_throttled_for_every_caller_together(resources: Resources) -> None:
    # A usage plan throttles per API key; with staff signing in there are no keys and no plan.
    (deployment,) = of_type(resources, "AWS::ApiGateway::Deployment").values()
    settings = deployment["Properties"]["StageDescription"]["MethodSettings"]
    (default,) = [s for s in settings if s["HttpMethod"] == "*" and s["ResourcePath"] == "/*"]
    assert default["ThrottlingBurstLimit"] > 0
    assert default["ThrottlingRateLimit"] > 0
    assert of_type(resources, "AWS::ApiGateway::UsagePlan") == {}


# --- least privilege ------------------------------------------------------------------------


def policy_statements(template: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Every statement of every policy document, as deployed: (logical id, resource type,
    statement)."""
    for key, resource in template["Resources"].items():
        properties = resource.get("Properties", {})
        documents = [properties.get("PolicyDocument"), properties.get("KeyPolicy")]
        if resource["Type"].startswith("AWS::IAM::"):  # a user pool's Policies are passwords'
            documents += [policy["PolicyDocument"] for policy in properties.get("Policies", [])]
        for document in filter(None, documents):
            for statement in as_list(as_deployed(template, document["Statement"])):
                yield key, resource["Type"], statement


def wildcard_exemption(resource_type: str, statement: dict[str, Any], part: str) -> str | None:
    """Why AWS needs this wildcard, or None if nothing does."""
    if part == "Resource" and sorted(as_list(statement["Action"])) == XRAY_ACTIONS:
        return XRAY_HAS_NO_RESOURCES
    if resource_type == "AWS::IAM::Role" and part == "Resource":
        sms = statement.get("Sid") == "SmsToPhoneNumbers" and statement["Action"] == SMS_ACTIONS
        return SMS_TO_PHONE_NUMBERS if sms else None
    if resource_type != "AWS::KMS::Key":
        return None
    if part == "Resource":
        return KEY_POLICY_RESOURCE
    principal = statement.get("Principal", {}).get("AWS", {})
    if ":root" in json.dumps(principal) and as_list(statement["Action"]) == ["kms:*"]:
        return KEY_POLICY_ACCOUNT
    return None


def wildcards(statement: dict[str, Any]) -> Iterator[str]:
    """The parts of a statement ("Action", "Resource") that hold a wildcard."""
    if any("*" in action for action in as_list(statement.get("Action", []))):
        yield "Action"
    if "*" in as_list(statement.get("Resource", [])):
        yield "Resource"


def sms_grants(template: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Each processor role's statements on every resource, as the stack deploys them."""
    return {
        function.role: [s for s in statements(template, function.role) if s["Resource"] == "*"]
        for function in functions(template)
        if function.name.startswith("process")
    }


def test_with_sms_each_processor_may_text_a_phone_number(template: dict[str, Any]) -> None:
    grants = sms_grants(template)

    assert len(grants) == 4
    assert {role: [s["Sid"] for s in found] for role, found in grants.items()} == {
        role: ["SmsToPhoneNumbers"] for role in grants
    }


def test_without_sms_no_role_is_granted_anything_on_every_resource(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    template = package_in_copy(
        tmp_path_factory.mktemp("no-sms"), "--stage", "dev", "--param=smsEnabled=false"
    )

    grants = sms_grants(template)

    assert len(grants) == 4
    assert grants == {role: [] for role in grants}
    variables = template["Resources"]["ApiLambdaFunction"]["Properties"]["Environment"]
    assert variables["Variables"]["SMS_ENABLED"] == "false"


def test_no_policy_allows_a_wildcard_action_or_resource(template: dict[str, Any]) -> None:
    statements = list(policy_statements(template))
    assert len(statements) > 20  # the five roles and the alarms key are all read
    offending = [
        (key, statement[part])
        for key, resource_type, statement in statements
        # A wildcard in a Deny (the deployment bucket's deny without TLS) only narrows access.
        if statement["Effect"] == "Allow"
        for part in wildcards(statement)
        if not wildcard_exemption(resource_type, statement, part)
    ]
    assert offending == []


# --- alarms ---------------------------------------------------------------------------------


def test_every_alarm_notifies_the_alarms_topic_when_it_fires_and_clears(
    resources: Resources,
) -> None:
    alarms = of_type(resources, "AWS::CloudWatch::Alarm")
    functions = of_type(resources, "AWS::Lambda::Function")
    # API 5xx; errors and throttles per function; age per queue and messages per DLQ; the four
    # on the service's own metrics (tests/template/test_observability.py)
    assert len(alarms) == 1 + 2 * len(functions) + 2 * len(status_queues(resources)) + 4
    for key, alarm in alarms.items():
        properties = alarm["Properties"]
        assert properties["AlarmActions"] == [{"Ref": "AlarmsTopic"}], key
        assert properties["OKActions"] == [{"Ref": "AlarmsTopic"}], key
        assert properties["TreatMissingData"] == "notBreaching", key


def test_cloudwatch_may_use_the_alarms_topics_key(resources: Resources) -> None:
    # CloudWatch cannot publish to a topic encrypted with the AWS managed aws/sns key.
    alias = resources["AlarmsTopic"]["Properties"]["KmsMasterKeyId"]
    assert alias != "alias/aws/sns"
    (alias_resource,) = [
        value
        for value in of_type(resources, "AWS::KMS::Alias").values()
        if value["Properties"]["AliasName"] == alias
    ]
    key = resources[alias_resource["Properties"]["TargetKeyId"]["Ref"]]["Properties"]
    assert key["EnableKeyRotation"] is True
    allowed = {
        action
        for statement in key["KeyPolicy"]["Statement"]
        if statement["Principal"].get("Service") == "cloudwatch.amazonaws.com"
        for action in as_list(statement["Action"])
    }
    assert allowed >= {"kms:GenerateDataKey", "kms:Decrypt"}


def test_each_dead_letter_queue_alarms_on_its_first_message(resources: Resources) -> None:
    alarms = alarms_on(resources, "ApproximateNumberOfMessagesVisible", "QueueName")
    for queue in dead_letter_queues(resources):
        alarm = alarms[json.dumps({"Fn::GetAtt": [queue, "QueueName"]})]
        assert alarm["Threshold"] == 0, queue
        assert alarm["ComparisonOperator"] == "GreaterThanThreshold", queue


def test_each_status_queue_alarms_when_a_message_waits_over_five_minutes(
    resources: Resources,
) -> None:
    alarms = alarms_on(resources, "ApproximateAgeOfOldestMessage", "QueueName")
    for queue in status_queues(resources):
        alarm = alarms[json.dumps({"Fn::GetAtt": [queue, "QueueName"]})]
        assert 0 < alarm["Threshold"] <= 300, queue
        assert alarm["ComparisonOperator"] == "GreaterThanThreshold", queue


def test_each_function_alarms_on_errors_and_throttles(resources: Resources) -> None:
    for metric in ("Errors", "Throttles"):
        alarms = alarms_on(resources, metric, "FunctionName")
        for function in of_type(resources, "AWS::Lambda::Function"):
            alarm = alarms[json.dumps({"Ref": function})]
            assert alarm["Namespace"] == "AWS/Lambda", function
            assert alarm["Threshold"] == 0, function


def test_the_api_alarms_on_server_errors(resources: Resources) -> None:
    (api,) = of_type(resources, "AWS::ApiGateway::RestApi").values()
    (alarm,) = alarms_on(resources, "5XXError", "ApiName").values()
    dimensions = {item["Name"]: item["Value"] for item in alarm["Dimensions"]}
    assert dimensions["ApiName"] == api["Properties"]["Name"]
    (deployment,) = of_type(resources, "AWS::ApiGateway::Deployment").values()
    assert dimensions["Stage"] == deployment["Properties"]["StageName"]


def test_the_alarm_email_is_subscribed_only_when_given(template: dict[str, Any]) -> None:
    subscription = template["Resources"]["AlarmsEmailSubscription"]
    assert subscription["Properties"]["Endpoint"] == {"Ref": "AlarmEmail"}
    condition = template["Conditions"][subscription["Condition"]]
    assert condition == {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmEmail"}, ""]}]}
    assert template["Parameters"]["AlarmEmail"]["Default"] == ""  # no --param given


def snapstart_by_function(resources: Resources) -> dict[str, Any]:
    return {
        name: function["Properties"].get("SnapStart")
        for name, function in of_type(resources, "AWS::Lambda::Function").items()
    }


def test_snapstart_is_off_by_default(resources: Resources) -> None:
    assert set(snapstart_by_function(resources).values()) == {None}
    assert of_type(resources, "AWS::Lambda::Alias") == {}


def test_the_snapstart_param_turns_it_on_for_the_api_function_only() -> None:
    resources = load_template("snapstart")["Resources"]  # make package-snapstart
    switched_on = {
        name: setting for name, setting in snapstart_by_function(resources).items() if setting
    }

    assert switched_on == {"ApiLambdaFunction": {"ApplyOn": "PublishedVersions"}}
    (alias,) = of_type(resources, "AWS::Lambda::Alias").values()
    assert alias["Properties"]["Name"] == "snapstart"
