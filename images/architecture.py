"""`make images`: draw images/architecture.png from the packaged CloudFormation template.

Every box is a resource of the template `make package` writes, and every arrow is read from it
too: the API's routes, the queues' event sources and redrive policies, the schedule, the alarms'
actions and, for what each function reads, writes, sends and publishes, the actions its own IAM
role allows. So the picture shows what `sls deploy` would create, and cannot drift from it.

``picture`` is the data (nodes and edges, no drawing); ``draw`` renders it with the ``diagrams``
package, which needs Graphviz's ``dot`` on the PATH.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from offline.provision import ROOT, load_template

OUTPUT = ROOT / "images" / "architecture.png"

API_CLUSTER = "API"
TABLE_CLUSTER = "Orders table"
STATUS_CLUSTER = "per status: queue, DLQ, processor"
RECOVERY_CLUSTER = "dispatch recovery"
NOTIFY_CLUSTER = "customers, order events & alarms"

Resources = Mapping[str, Mapping[str, Any]]
_SUB_ARN = re.compile(r"\$\{(\w+)\.Arn\}(?:/index/(\w+))?")
_SUB_IDENTITY = re.compile(r".*:identity/\$\{(\w+)\}")
# An SMS goes to a phone number, which has no ARN: the roles name it "*" (one statement).
SMS_KEY = "sms"


@dataclass(frozen=True)
class Node:
    """One box: ``key`` is the function's name in serverless.yml, else the logical id."""

    key: str
    kind: str
    label: str
    cluster: tuple[str, ...] = ()


@dataclass(frozen=True)
class Edge:
    """One arrow between two node keys."""

    source: str
    target: str
    label: str = ""
    dashed: bool = False


@dataclass(frozen=True)
class Picture:
    """What the architecture picture shows."""

    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]

    def keys(self, *kinds: str) -> set[str]:
        """The keys of the nodes of these kinds."""
        return {node.key for node in self.nodes if node.kind in kinds}


def function_name(logical_id: str) -> str:
    """A function's serverless.yml name from its logical id: ``ApiLambdaFunction`` → ``api``."""
    name = logical_id.removesuffix("LambdaFunction")
    return name[:1].lower() + name[1:]


def picture(template: Mapping[str, Any]) -> Picture:
    """The nodes and edges of the architecture, read from a packaged template."""
    resources: Resources = template["Resources"]
    stage = _stage(resources)
    functions = _of_type(resources, "AWS::Lambda::Function")
    queues = _of_type(resources, "AWS::SQS::Queue")
    dead_letters = {
        queue_id: _ref(queue["Properties"]["RedrivePolicy"]["deadLetterTargetArn"])
        for queue_id, queue in queues.items()
        if "RedrivePolicy" in queue["Properties"]
    }
    consumers = {
        _ref(mapping["Properties"]["EventSourceArn"]): (
            function_name(_ref(mapping["Properties"]["FunctionName"])),
            mapping["Properties"].get("BatchSize", 10),
        )
        for mapping in _of_type(resources, "AWS::Lambda::EventSourceMapping").values()
    }
    schedules = {
        function_name(_ref(target["Arn"])): rule["Properties"]["ScheduleExpression"]
        for rule in _of_type(resources, "AWS::Events::Rule").values()
        for target in rule["Properties"]["Targets"]
    }
    routes = _routes(resources)

    nodes: list[Node] = [Node("client", "client", "front desk\n(HTTP client)")]
    edges: list[Edge] = []
    api_id = next(iter(_of_type(resources, "AWS::ApiGateway::RestApi")))
    nodes.append(Node(api_id, "api", "API Gateway\nREST, Cognito authorizer", (API_CLUSTER,)))
    edges.append(Edge("client", api_id, "HTTPS + ID token"))
    groups = sorted(
        g["Properties"]["GroupName"]
        for g in _of_type(resources, "AWS::Cognito::UserPoolGroup").values()
    )
    for authorizer in _of_type(resources, "AWS::ApiGateway::Authorizer").values():
        for provider in authorizer["Properties"]["ProviderARNs"]:
            pool_id = provider["Fn::GetAtt"][0]
            label = "Cognito user pool\nstaff: " + ", ".join(groups)
            nodes.append(Node(pool_id, "pool", label, (API_CLUSTER,)))
            edges.append(Edge("client", pool_id, "sign in"))
            edges.append(Edge(api_id, pool_id, "verify token"))

    for logical_id, function in functions.items():
        name = function_name(logical_id)
        label = f"{name}\n{function['Properties']['Handler']}"
        if name in routes:
            nodes.append(Node(name, "function", label, (API_CLUSTER,)))
            edges.append(Edge(api_id, name, "\n".join(routes[name])))
        elif name in schedules:
            nodes.append(Node(name, "function", label, (RECOVERY_CLUSTER,)))
            rule = f"{name}Schedule"
            nodes.append(Node(rule, "schedule", "EventBridge\nschedule", (RECOVERY_CLUSTER,)))
            edges.append(Edge(rule, name, schedules[name]))
        else:
            queue_id = next(queue for queue, (consumer, _) in consumers.items() if consumer == name)
            status = _status_of(queues[queue_id]["Properties"]["QueueName"])
            nodes.append(Node(name, "function", label, (STATUS_CLUSTER, status)))

    for queue_id, dead_letter_id in dead_letters.items():
        status = _status_of(queues[queue_id]["Properties"]["QueueName"])
        lane = (STATUS_CLUSTER, status)
        nodes.append(Node(queue_id, "queue", f"{status}\nqueue", lane))
        nodes.append(Node(dead_letter_id, "dlq", f"{status}\nDLQ", lane))
        receives = queues[queue_id]["Properties"]["RedrivePolicy"]["maxReceiveCount"]
        edges.append(Edge(queue_id, dead_letter_id, f"after {receives} receives", dashed=True))
        if queue_id in consumers:
            consumer, batch_size = consumers[queue_id]
            edges.append(Edge(queue_id, consumer, f"batches of {batch_size}"))

    for table_id, table in _of_type(resources, "AWS::DynamoDB::Table").items():
        name = table["Properties"]["TableName"].replace(stage, "<stage>")
        nodes.append(Node(table_id, "table", f"{name}\non demand", (TABLE_CLUSTER,)))
        for index in table["Properties"].get("GlobalSecondaryIndexes", []):
            keys = ", ".join(key["AttributeName"] for key in index["KeySchema"])
            label = f"index {index['IndexName']}\n({keys})"
            nodes.append(
                Node(_index_key(table_id, index["IndexName"]), "index", label, (TABLE_CLUSTER,))
            )

    for topic_id, topic in _of_type(resources, "AWS::SNS::Topic").items():
        label = topic["Properties"]["TopicName"].replace(f"-{stage}-", "-<stage>-")
        nodes.append(Node(topic_id, "topic", f"SNS topic\n{label}", (NOTIFY_CLUSTER,)))

    for identity_id, identity in _of_type(resources, "AWS::SES::EmailIdentity").items():
        sender = identity["Properties"]["EmailIdentity"]
        label = f"SES identity\n{sender}\n(email to customers)"
        nodes.append(Node(identity_id, "ses", label, (NOTIFY_CLUSTER,)))
    if any(_grants_sms(resources[_ref(f["Properties"]["Role"])]) for f in functions.values()):
        nodes.append(Node(SMS_KEY, "sms", "SNS SMS\n(customers' phones)", (NOTIFY_CLUSTER,)))

    alarms = _of_type(resources, "AWS::CloudWatch::Alarm")
    if alarms:
        label = f"{len(alarms)} CloudWatch alarms\n5xx, errors, throttles,\nqueue age, DLQs"
        nodes.append(Node("alarms", "alarms", label, (NOTIFY_CLUSTER,)))
        for topic_id in sorted(
            {_ref(a) for x in alarms.values() for a in x["Properties"]["AlarmActions"]}
        ):
            edges.append(Edge("alarms", topic_id, "ALARM / OK"))
    for subscription_id, subscription in _of_type(resources, "AWS::SNS::Subscription").items():
        protocol = subscription["Properties"]["Protocol"]
        nodes.append(
            Node(subscription_id, protocol, f"{protocol}\n(alarmEmail)", (NOTIFY_CLUSTER,))
        )
        edges.append(Edge(_ref(subscription["Properties"]["TopicArn"]), subscription_id))

    for logical_id, function in functions.items():
        role = resources[_ref(function["Properties"]["Role"])]
        edges.extend(_permitted_calls(function_name(logical_id), role, consumers))
    return Picture(tuple(nodes), tuple(_check(nodes, edges)))


def draw(shown: Picture, output: Path = OUTPUT) -> Path:
    """Render the picture to ``output`` (PNG), left to right, one cluster per part."""
    from diagrams import Cluster, Diagram
    from diagrams import Edge as Arrow
    from diagrams.aws.compute import LambdaFunction
    from diagrams.aws.database import DynamodbGSI, DynamodbTable
    from diagrams.aws.engagement import SimpleEmailServiceSes
    from diagrams.aws.general import Users
    from diagrams.aws.integration import (
        EventbridgeRule,
        SimpleNotificationServiceSns,
        SimpleNotificationServiceSnsEmailNotification,
        SimpleNotificationServiceSnsTopic,
        SimpleQueueServiceSqsQueue,
    )
    from diagrams.aws.management import CloudwatchAlarm
    from diagrams.aws.network import APIGateway
    from diagrams.aws.security import Cognito

    icons = {
        "client": Users,
        "api": APIGateway,
        "pool": Cognito,
        "function": LambdaFunction,
        "table": DynamodbTable,
        "index": DynamodbGSI,
        "queue": SimpleQueueServiceSqsQueue,
        "dlq": SimpleQueueServiceSqsQueue,
        "schedule": EventbridgeRule,
        "topic": SimpleNotificationServiceSnsTopic,
        "alarms": CloudwatchAlarm,
        "email": SimpleNotificationServiceSnsEmailNotification,
        "ses": SimpleEmailServiceSes,
        "sms": SimpleNotificationServiceSns,
    }
    graph = {
        "splines": "spline",
        "nodesep": "0.5",
        "ranksep": "1.1",
        "fontsize": "20",
        "pad": "0.4",
    }
    drawn: dict[str, Any] = {}

    def place(path: tuple[str, ...]) -> None:
        """Draw the nodes of this cluster, then each cluster inside it, in order of appearance."""
        inner: dict[str, None] = {}
        for node in shown.nodes:
            if node.cluster == path:
                drawn[node.key] = icons[node.kind](node.label)
            elif node.cluster[: len(path)] == path and len(node.cluster) > len(path):
                inner[node.cluster[len(path)]] = None
        for name in inner:
            with Cluster(name):
                place((*path, name))

    with Diagram(
        "Orders service",
        filename=str(output.with_suffix("")),
        outformat="png",
        show=False,
        direction="LR",
        graph_attr=graph,
        node_attr={"fontsize": "12"},
    ):
        place(())
        column = {node.key: _column(node) for node in shown.nodes}
        for edge in shown.edges:
            # Arrows that point left (a processor recording on the table) do not move the boxes.
            span = column[edge.target] - column[edge.source]
            arrow = Arrow(
                label=edge.label,
                style="dashed" if edge.dashed else "solid",
                color="firebrick" if edge.dashed else ("gray30" if span > 0 else "gray60"),
                fontsize="10",
                constraint="true" if span > 0 else "false",
                minlen=str(max(span, 1)),
            )
            drawn[edge.source] >> arrow >> drawn[edge.target]
    return output


# Left to right: who calls, what is stored, where it is routed, who processes, who is told.
_COLUMNS = {
    "client": 0,
    "api": 1,
    "pool": 1,
    "schedule": 1,
    "table": 3,
    "index": 3,
    "queue": 4,
    "dlq": 5,
}
_COLUMNS |= {"alarms": 5, "topic": 6, "ses": 6, "sms": 6, "email": 7}


def _column(node: Node) -> int:
    if node.kind == "function":
        return 5 if node.cluster[:1] == (STATUS_CLUSTER,) else 2
    return _COLUMNS[node.kind]


def _permitted_calls(
    name: str, role: Mapping[str, Any], consumers: Mapping[str, tuple[str, int]]
) -> Iterator[Edge]:
    """One edge per resource the function's role lets it call, labelled with the calls."""
    calls: dict[str, list[str]] = {}
    for statement in _statements(role):
        actions = _listed(statement["Action"])
        for resource in _listed(statement["Resource"]):
            target = _resource_key(resource)
            for action in actions:
                service, _, call = action.partition(":")
                # Reading its own queue is the event source, drawn as queue → function.
                own_queue = consumers.get(target or "", ("",))[0] == name
                if target is None or service == "logs" or own_queue:
                    continue
                calls.setdefault(target, []).append(call)
    for target, names in calls.items():
        yield Edge(name, target, ", ".join(dict.fromkeys(names)))


def _grants_sms(role: Mapping[str, Any]) -> bool:
    return any(
        statement["Resource"] == "*" and "sns:Publish" in _listed(statement["Action"])
        for statement in _statements(role)
    )


def _statements(role: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """The role's policy statements as a stage with the default parameters has them: a
    statement under ``Fn::If`` is drawn as granted (its condition's default, e.g. SMS on)."""
    for policy in role["Properties"].get("Policies", []):
        for statement in policy["PolicyDocument"]["Statement"]:
            if "Fn::If" in statement:
                statement = statement["Fn::If"][1]
            if "Action" in statement:
                yield statement


def _resource_key(resource: Any) -> str | None:
    """The node a policy's resource names: a logical id, a table's index, or SMS ("*")."""
    if resource == "*":
        return SMS_KEY
    if isinstance(resource, Mapping) and "Fn::Sub" in resource:
        text = resource["Fn::Sub"]
        text = text if isinstance(text, str) else text[0]
        if identity := _SUB_IDENTITY.fullmatch(text):
            return identity[1]
        match = _SUB_ARN.fullmatch(text)
        if match is None:
            return None
        return _index_key(match[1], match[2]) if match[2] else match[1]
    return _ref(resource) if isinstance(resource, Mapping) else None


def _routes(resources: Resources) -> dict[str, list[str]]:
    """``METHOD /path`` of every API method, by the name of the function it invokes."""
    paths: dict[str, str] = {}

    def path(resource_id: str) -> str:
        if resource_id not in paths:
            properties = resources[resource_id]["Properties"]
            parent = properties["ParentId"]
            prefix = path(parent["Ref"]) if "Ref" in parent else ""
            paths[resource_id] = f"{prefix}/{properties['PathPart']}"
        return paths[resource_id]

    routes: dict[str, list[str]] = {}
    for method in _of_type(resources, "AWS::ApiGateway::Method").values():
        properties = method["Properties"]
        function = next(_get_atts(properties["Integration"]["Uri"]))
        route = f"{properties['HttpMethod']} {path(properties['ResourceId']['Ref'])}"
        routes.setdefault(function_name(function), []).append(route)
    return routes


def _get_atts(value: Any) -> Iterator[str]:
    """The logical ids a value names with ``Fn::GetAtt``, depth first."""
    if isinstance(value, Mapping):
        if "Fn::GetAtt" in value:
            yield value["Fn::GetAtt"][0]
        for inner in value.values():
            yield from _get_atts(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _get_atts(inner)


def _check(nodes: list[Node], edges: list[Edge]) -> list[Edge]:
    keys = [node.key for node in nodes]
    if len(keys) != len(set(keys)):
        raise ValueError(f"two nodes share a key: {sorted(keys)}")
    loose = [edge for edge in edges if {edge.source, edge.target} - set(keys)]
    if loose:
        raise ValueError(f"edges to nodes that are not drawn: {loose}")
    return edges


def _of_type(resources: Resources, kind: str) -> dict[str, Mapping[str, Any]]:
    return {logical_id: r for logical_id, r in resources.items() if r["Type"] == kind}


def _ref(value: Any) -> str:
    """The logical id of a ``Ref`` or ``Fn::GetAtt``."""
    if "Ref" in value:
        return str(value["Ref"])
    return str(value["Fn::GetAtt"][0])


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _index_key(table_id: str, index: str) -> str:
    return f"{table_id}/index/{index}"


def _stage(resources: Resources) -> str:
    deployment = next(iter(_of_type(resources, "AWS::ApiGateway::Deployment").values()))
    return str(deployment["Properties"]["StageName"])


def _status_of(queue_name: str) -> str:
    """``orders-dev-received`` → ``received``."""
    return queue_name.rsplit("-", 1)[-1]


def main() -> int:
    try:
        template = load_template()
    except FileNotFoundError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"wrote {draw(picture(template)).relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
