"""Integration tier: the real handlers against moto, with resources built from the template."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends
from moto.sns.models import sns_backends

import handler
import processors
from offline.emulator import serialize_dynamodb_writes
from orders import bootstrap
from orders.adapters import clients
from tests.support.contract import check_response
from tests.support.events import ORDER_ROUTE, LambdaContext, api_event, sqs_event
from tests.support.iam import CallLog, functions
from tests.support.stack import Stack, create_data_stack, load_template

STATUSES = ("received", "inprocess", "completed", "canceled")
REGION = "us-east-1"
AWS_SERVICES = ("dynamodb", "sqs", "sns", "sesv2")  # every client the service's code creates
PROCESSORS = {
    "received": processors.handle_received,
    "inprocess": processors.handle_inprocess,
    "completed": processors.handle_completed,
    "canceled": processors.handle_canceled,
}


def use_moto_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and no endpoint, so boto3 talks to moto's mock and nothing else."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture(scope="session")
def template() -> dict[str, Any]:
    return load_template()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run tests marked ``after_all`` last, so they see what every other test did."""
    items.sort(key=lambda item: item.get_closest_marker("after_all") is not None)


@pytest.fixture(scope="session")
def call_log(template: dict[str, Any]) -> CallLog:
    """Every AWS action the integration tests made each function's code perform."""
    return CallLog({function.code: function.name for function in functions(template)})


@pytest.fixture
def stack(
    template: dict[str, Any], call_log: CallLog, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Stack]:
    """A fresh moto account holding the table, queues and topic of the packaged template."""
    use_moto_credentials(monkeypatch)
    with mock_aws():
        created = create_data_stack(boto3.client("cloudformation"), template, "orders-test")
        for name, value in created.environment.items():
            monkeypatch.setenv(name, value)
        bootstrap.reset()
        for service in AWS_SERVICES:
            clients.client(service).meta.events.register("before-call.*.*", call_log.record)
        yield created
    bootstrap.reset()


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: Any


class Api:
    """Calls ``handler.handle`` as API Gateway would, checking each answer against openapi.yaml."""

    def call(self, method: str, resource: str, **kwargs: Any) -> Response:
        raw = handler.handle(api_event(method, resource, **kwargs), LambdaContext())
        check_response(resource, method, raw)
        return Response(raw["statusCode"], raw["headers"], json.loads(raw["body"]))

    def create(self, body: object, **kwargs: Any) -> Response:
        return self.call("POST", "/orders", body=body, **kwargs)

    def get(self, order_id: str) -> Response:
        return self.call("GET", ORDER_ROUTE, order_id=order_id)

    def update(self, order_id: str, body: object, **kwargs: Any) -> Response:
        return self.call("PUT", ORDER_ROUTE, order_id=order_id, body=body, **kwargs)

    def list(self, **query: str) -> Response:
        return self.call("GET", "/orders", query=query or None)


def stored_orders(stack: Stack) -> list[dict[str, Any]]:
    """Every order in the table, as items: the table also holds each year's ticket counter."""
    orders: list[dict[str, Any]] = boto3.client("dynamodb").scan(
        TableName=stack.environment["ORDERS_TABLE"],
        FilterExpression="attribute_exists(#status)",
        ExpressionAttributeNames={"#status": "status"},
    )["Items"]
    return orders


@pytest.fixture
def api(stack: Stack) -> Api:
    return Api()


@dataclass
class Queues:
    """Reads what the service put on its status queues (and removes it)."""

    stack: Stack

    def url(self, status: str) -> str:
        return self.stack.environment[f"{status.upper()}_QUEUE_URL"]

    def drain(self, status: str) -> list[dict[str, Any]]:
        """Every message on the status's queue, as received from SQS."""
        sqs = boto3.client("sqs")
        messages: list[dict[str, Any]] = []
        while batch := sqs.receive_message(
            QueueUrl=self.url(status), MaxNumberOfMessages=10, MessageAttributeNames=["All"]
        ).get("Messages", []):
            messages.extend(batch)
            for message in batch:
                sqs.delete_message(
                    QueueUrl=self.url(status), ReceiptHandle=message["ReceiptHandle"]
                )
        return messages

    def bodies(self, status: str) -> list[dict[str, Any]]:
        return [json.loads(message["Body"]) for message in self.drain(status)]

    def deliver(self, status: str) -> dict[str, Any]:
        """Run the status's processor on everything waiting on its queue, as Lambda would."""
        messages = self.drain(status)
        event = sqs_event(
            *(m["Body"] for m in messages), message_ids=[m["MessageId"] for m in messages]
        )
        result: dict[str, Any] = PROCESSORS[status](event, LambdaContext())
        return result


@pytest.fixture
def queues(stack: Stack) -> Queues:
    return Queues(stack)


@dataclass
class EventInbox:
    """An SQS queue subscribed to the order-events topic: what integrations were told."""

    url: str

    def events(self) -> list[dict[str, Any]]:
        """Every event since the last look: its body, with its message attributes beside it."""
        sqs = boto3.client("sqs")
        received: list[dict[str, Any]] = []
        while batch := sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10).get(
            "Messages", []
        ):
            for message in batch:
                envelope = json.loads(message["Body"])
                attributes = {k: v["Value"] for k, v in envelope["MessageAttributes"].items()}
                received.append(
                    {
                        "message": envelope["Message"],
                        "subject": envelope.get("Subject"),
                        "attributes": attributes,
                        **attributes,
                    }
                )
                sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
        return received


@pytest.fixture
def events(stack: Stack) -> EventInbox:
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="order-events-inbox")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    boto3.client("sns").subscribe(
        TopicArn=stack.environment["ORDER_EVENTS_TOPIC_ARN"], Protocol="sqs", Endpoint=arn
    )
    return EventInbox(url)


@dataclass(frozen=True)
class Email:
    """One email SES accepted, as moto recorded it."""

    sender: str
    to: tuple[str, ...]
    subject: str
    body: str


@dataclass(frozen=True)
class Text:
    """One SMS SNS accepted, as moto recorded it."""

    to: str
    message: str


@dataclass
class Inbox:
    """What customers received: the emails and SMS moto's SES and SNS recorded, each shown once."""

    emails_seen: int = 0
    texts_seen: int = 0

    def emails(self) -> list[Email]:
        """The emails sent since the last look."""
        sent = ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages[self.emails_seen :]
        self.emails_seen += len(sent)
        return [
            Email(m.source, tuple(m.destinations["ToAddresses"]), m.subject, m.body) for m in sent
        ]

    def texts(self) -> list[Text]:
        """The SMS sent since the last look."""
        sent = list(sns_backends[DEFAULT_ACCOUNT_ID][REGION].sms_messages.values())
        new = sent[self.texts_seen :]
        self.texts_seen += len(new)
        return [Text(phone, message) for phone, message in new]


@pytest.fixture
def inbox(stack: Stack) -> Inbox:
    return Inbox()


@dataclass
class AwsCalls:
    """Every AWS operation the service's own clients performed, in order."""

    calls: list[tuple[str, str]] = field(default_factory=list)

    def record(self, model: Any, **_: Any) -> None:
        self.calls.append((model.service_model.service_name, model.name))

    def of(self, service: str) -> list[str]:
        return [operation for name, operation in self.calls if name == service]

    def clear(self) -> None:
        self.calls.clear()


@pytest.fixture
def aws_calls(stack: Stack) -> AwsCalls:
    recorder = AwsCalls()
    for service in AWS_SERVICES:
        clients.client(service).meta.events.register("before-call.*.*", recorder.record)
    return recorder


Sweep = Callable[..., dict[str, int]]


@pytest.fixture
def sweep(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Sweep:
    """Run the scheduled sweeper through its entry point, as if ``minutes_later`` had passed."""

    def run(minutes_later: float = 6) -> dict[str, int]:
        later = datetime.now(UTC) + timedelta(minutes=minutes_later)
        monkeypatch.setattr(bootstrap.dispatch_sweeper(), "_clock", lambda: later)
        report: dict[str, int] = processors.sweep_dispatches({"source": "aws.events"}, None)
        return report

    return run


@pytest.fixture
def atomic_moto_writes() -> Iterator[None]:
    """Make moto apply each write atomically, as DynamoDB does (moto alone does not)."""
    undo = serialize_dynamodb_writes()
    yield
    undo()
