"""What customers receive, against moto's SES and SNS: one message per status, in their language."""

from __future__ import annotations

import json

import boto3
import pytest

from orders import bootstrap
from tests.integration.conftest import Api, EventInbox, Inbox, Queues
from tests.support.data import FRONT_DESK, laptop_order
from tests.support.stack import Stack

SENDER = "orders@yourshop.example"  # the packaged stage's senderEmail
KWAME = {"name": "Kwame Mensah", "phone": "600 111 333"}

SUBJECTS = {
    "es": {
        "received": "Hemos recibido tu laptop Lenovo",
        "inprocess": "Hemos empezado a reparar tu laptop Lenovo",
        "completed": "Ya puedes recoger tu laptop Lenovo",
    },
    "en": {
        "received": "We have your Lenovo laptop",
        "inprocess": "Your Lenovo laptop repair has started",
        "completed": "Your Lenovo laptop is ready for pickup",
    },
}


def _customer(language: str) -> dict[str, str]:
    return {"name": "Lucía Fernández", "email": "lucia@example.com", "language": language}


@pytest.mark.parametrize("language", ["es", "en"])
def test_a_customer_gets_one_email_per_status_entered_in_their_language(
    api: Api, queues: Queues, inbox: Inbox, language: str
) -> None:
    order_id = api.create(laptop_order(customer=_customer(language))).body["orderId"]
    queues.deliver("received")
    for status in ("inprocess", "completed"):
        api.update(order_id, {"status": status})
        queues.deliver(status)
    queues.deliver("received")  # nothing waits: nothing more is sent

    emails = inbox.emails()

    assert [email.subject for email in emails] == list(SUBJECTS[language].values())
    for email in emails:
        assert email.sender == SENDER
        assert email.to == ("lucia@example.com",)
        assert order_id[:8] in email.body
        assert order_id in email.body
        assert "Lucía Fernández" in email.body
    assert api.get(order_id).body["customer"]["language"] == language


def test_a_canceled_order_is_told_so_in_the_stages_default_language(
    api: Api, queues: Queues, inbox: Inbox
) -> None:
    order_id = api.create(laptop_order()).body["orderId"]  # no customer.language
    api.update(order_id, {"status": "canceled"})

    queues.deliver("canceled")

    (email,) = inbox.emails()
    assert email.subject == f"Tu orden {order_id[:8]} ha sido cancelada"


def test_a_stage_can_default_to_english(
    api: Api, queues: Queues, inbox: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEFAULT_LANGUAGE", "en")
    bootstrap.reset()
    api.create(laptop_order())

    queues.deliver("received")

    assert [email.subject for email in inbox.emails()] == ["We have your Lenovo laptop"]


def test_a_phone_only_customer_gets_one_sms_and_the_record_masks_the_number(
    api: Api, queues: Queues, inbox: Inbox
) -> None:
    order_id = api.create(laptop_order(customer=KWAME)).body["orderId"]

    assert queues.deliver("received") == {"batchItemFailures": []}

    (text,) = inbox.texts()
    assert text.to == "+34600111333"
    assert text.message == f"Hemos recibido tu laptop Lenovo, orden {order_id[:8]}. Te avisaremos."
    assert inbox.emails() == []
    record = api.get(order_id).body["processing"]["received"]
    assert record["channel"] == "sms"
    assert record["destination"] == "+34 6** *** 333"
    assert record["messageId"]


def test_a_customer_with_an_email_and_a_phone_gets_only_the_email(
    api: Api, queues: Queues, inbox: Inbox
) -> None:
    api.create(laptop_order(customer={**KWAME, "email": "kwame@example.com"}))

    queues.deliver("received")

    assert [email.to for email in inbox.emails()] == [("kwame@example.com",)]
    assert inbox.texts() == []


def test_with_sms_off_a_phone_only_customer_is_recorded_as_not_told(
    api: Api, queues: Queues, inbox: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMS_ENABLED", "false")
    bootstrap.reset()
    order_id = api.create(laptop_order(customer=KWAME)).body["orderId"]

    assert queues.deliver("received") == {"batchItemFailures": []}

    assert inbox.texts() == []
    record = api.get(order_id).body["processing"]["received"]
    assert record["channel"] == "none"
    assert record["reason"] == "no email, and SMS is off on this stage"


def test_an_opted_out_phone_is_recorded_and_not_retried(
    api: Api, queues: Queues, inbox: Inbox
) -> None:
    # moto's SNS takes numbers ending in 99 as opted out, as AWS does those that replied STOP.
    opted_out = {"name": "Olivia Brown", "phone": "+44 7700 900199"}
    order_id = api.create(laptop_order(customer=opted_out)).body["orderId"]

    assert queues.deliver("received") == {"batchItemFailures": []}

    assert inbox.texts() == []
    record = api.get(order_id).body["processing"]["received"]
    assert record["reason"] == "the phone number has opted out of SMS"
    assert record["destination"] == "+44 7 *** *** 199"
    assert "messageId" not in record


def test_an_unverified_sender_is_recorded_as_not_delivered_and_not_retried(
    api: Api, queues: Queues, inbox: Inbox
) -> None:
    boto3.client("sesv2").delete_email_identity(EmailIdentity=SENDER)
    order_id = api.create(laptop_order()).body["orderId"]

    assert queues.deliver("received") == {"batchItemFailures": []}

    assert inbox.emails() == []
    record = api.get(order_id).body["processing"]["received"]
    assert record["channel"] == "email"
    assert "MessageRejected" in record["reason"]
    assert "messageId" not in record


def test_a_device_name_of_any_length_still_makes_a_deliverable_one_line_subject(
    api: Api, queues: Queues, inbox: Inbox
) -> None:
    long_device = {"type": "portátil " * 11, "brand": "Lenovo ThinkPad " * 6}
    api.create(laptop_order(device=long_device))

    assert queues.deliver("received") == {"batchItemFailures": []}

    (email,) = inbox.emails()
    assert len(email.subject) < 100
    assert email.subject.isprintable()


def test_order_events_name_no_customer_and_carry_the_status_to_filter_on(
    api: Api, queues: Queues, events: EventInbox
) -> None:
    order_id = api.create(laptop_order(customer={**KWAME, "email": "kwame@example.com"}))
    order_id = order_id.body["orderId"]

    queues.deliver("received")

    (event,) = events.events()
    body = json.loads(event["message"])
    assert body.keys() == {
        "type",
        "orderId",
        "status",
        "version",
        "occurredAt",
        "processedAt",
        "correlationId",  # the id of the request that entered the status: no personal data
        "actorSub",  # who entered the status, by user pool id only: no staff name or email
    }
    assert body["actorSub"] == FRONT_DESK.sub
    assert (body["orderId"], body["status"], body["version"]) == (order_id, "received", 1)
    assert event["attributes"] == {"orderId": order_id, "status": "received"}
    assert event["subject"] is None
    for personal in ("Kwame", "kwame@example.com", "600 111 333", "600111333", "Marta"):
        assert personal not in json.dumps(event)


def test_a_subscriber_can_take_the_events_of_one_status_with_a_filter_policy(
    api: Api, queues: Queues, stack: Stack
) -> None:
    # docs/deploy.md's recipe: an SQS queue subscribed with {"status": ["completed"]}.
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="invoicing-completed")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    boto3.client("sns").subscribe(
        TopicArn=stack.environment["ORDER_EVENTS_TOPIC_ARN"],
        Protocol="sqs",
        Endpoint=arn["QueueArn"],
        Attributes={
            "FilterPolicy": json.dumps({"status": ["completed"]}),
            "RawMessageDelivery": "true",
        },
    )
    order_id = api.create(laptop_order()).body["orderId"]
    queues.deliver("received")
    for status in ("inprocess", "completed"):
        api.update(order_id, {"status": status})
        queues.deliver(status)

    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])

    assert [json.loads(m["Body"])["status"] for m in received] == ["completed"]
    assert json.loads(received[0]["Body"])["orderId"] == order_id
