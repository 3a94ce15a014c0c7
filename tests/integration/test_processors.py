"""The status processors against moto: tell once, publish once, record once, fail alone."""

from __future__ import annotations

import json

import processors
from tests.integration.conftest import Api, AwsCalls, EventInbox, Inbox, Queues
from tests.support.data import laptop_order
from tests.support.events import LambdaContext, sqs_event


def test_received_processor_emails_the_customer_publishes_and_records_processing(
    api: Api, queues: Queues, inbox: Inbox, events: EventInbox
) -> None:
    order_id = api.create(laptop_order()).body["orderId"]

    result = queues.deliver("received")

    assert result == {"batchItemFailures": []}
    (email,) = inbox.emails()
    assert email.to == ("lucia.fernandez@example.com",)
    assert email.subject == "Hemos recibido tu laptop Lenovo"
    assert order_id in email.body
    (event,) = events.events()
    assert (event["orderId"], event["status"]) == (order_id, "received")
    processed = api.get(order_id).body["processing"]["received"]
    assert processed["version"] == 1
    assert processed["processedAt"].endswith("Z")
    assert processed["channel"] == "email"
    assert processed["destination"] == "l***@example.com"
    assert processed["messageId"]
    assert processed["eventId"]


def test_each_status_is_processed_by_its_own_processor(
    api: Api, queues: Queues, events: EventInbox
) -> None:
    repaired = api.create(laptop_order()).body["orderId"]
    abandoned = api.create(laptop_order()).body["orderId"]
    queues.deliver("received")
    api.update(repaired, {"status": "inprocess"})
    queues.deliver("inprocess")
    api.update(repaired, {"status": "completed"})
    api.update(abandoned, {"status": "canceled"})

    assert queues.deliver("completed") == {"batchItemFailures": []}
    assert queues.deliver("canceled") == {"batchItemFailures": []}

    assert set(api.get(repaired).body["processing"]) == {"received", "inprocess", "completed"}
    assert set(api.get(abandoned).body["processing"]) == {"received", "canceled"}
    told = sorted((n["orderId"], n["status"]) for n in events.events())
    assert told == sorted(
        [
            (repaired, "received"),
            (abandoned, "received"),
            (repaired, "inprocess"),
            (repaired, "completed"),
            (abandoned, "canceled"),
        ]
    )


def test_a_redelivered_record_has_the_effect_of_one(api: Api, queues: Queues, inbox: Inbox) -> None:
    order_id = api.create(laptop_order()).body["orderId"]
    (message,) = queues.drain("received")
    event = sqs_event(message["Body"])
    processors.handle_received(event, LambdaContext())
    first = api.get(order_id).body
    assert len(inbox.emails()) == 1

    again = processors.handle_received(sqs_event(message["Body"]), LambdaContext())

    assert again == {"batchItemFailures": []}
    assert inbox.emails() == []
    assert api.get(order_id).body == first


def test_the_same_record_twice_in_one_batch_emails_once(
    api: Api, queues: Queues, inbox: Inbox
) -> None:
    api.create(laptop_order())
    (message,) = queues.drain("received")

    result = processors.handle_received(
        sqs_event(message["Body"], message["Body"]), LambdaContext()
    )

    assert result == {"batchItemFailures": []}
    assert len(inbox.emails()) == 1


def test_a_poison_record_fails_alone_and_the_rest_of_the_batch_is_applied(
    api: Api, queues: Queues, inbox: Inbox
) -> None:
    first = api.create(laptop_order()).body["orderId"]
    second = api.create(laptop_order()).body["orderId"]
    good = [m["Body"] for m in queues.drain("received")]
    unknown_order = json.dumps(
        {
            "orderId": "0b9f3c3e-5f52-4a0e-8d9e-1f1f2d2c3b4a",
            "status": "received",
            "version": 1,
            "occurredAt": "2026-11-29T10:00:00.000Z",
        }
    )
    bodies = [good[0], "this is not json", unknown_order, good[1], "[]"]
    ids = ["m-good-1", "m-garbage", "m-unknown", "m-good-2", "m-array"]

    result = processors.handle_received(sqs_event(*bodies, message_ids=ids), LambdaContext())

    failed = {item["itemIdentifier"] for item in result["batchItemFailures"]}
    assert failed == {"m-garbage", "m-unknown", "m-array"}
    assert "received" in api.get(first).body["processing"]
    assert "received" in api.get(second).body["processing"]
    assert len(inbox.emails()) == 2


def test_a_record_on_the_wrong_queue_fails_alone(api: Api, queues: Queues) -> None:
    api.create(laptop_order())
    (message,) = queues.drain("received")

    result = processors.handle_completed(
        sqs_event(message["Body"], message_ids=["m-misrouted"]), LambdaContext()
    )

    assert result == {"batchItemFailures": [{"itemIdentifier": "m-misrouted"}]}


def test_a_late_record_is_processed_without_regressing_the_order(api: Api, queues: Queues) -> None:
    order_id = api.create(laptop_order()).body["orderId"]
    api.update(order_id, {"status": "inprocess"})
    api.update(order_id, {"status": "completed"})

    # Out of order: completed is processed before received and inprocess.
    assert queues.deliver("completed") == {"batchItemFailures": []}
    assert queues.deliver("inprocess") == {"batchItemFailures": []}
    assert queues.deliver("received") == {"batchItemFailures": []}

    order = api.get(order_id).body
    assert order["status"] == "completed"
    assert order["version"] == 3
    assert set(order["processing"]) == {"received", "inprocess", "completed"}


def test_a_batch_costs_one_read_one_publish_and_one_write_plus_an_email_per_record(
    api: Api, queues: Queues, aws_calls: AwsCalls
) -> None:
    for _ in range(4):
        api.create(laptop_order())
    aws_calls.clear()

    assert queues.deliver("received") == {"batchItemFailures": []}

    assert aws_calls.of("dynamodb") == ["BatchGetItem", "TransactWriteItems"]
    assert aws_calls.of("sns") == ["PublishBatch"]
    assert aws_calls.of("sesv2") == ["SendEmail"] * 4


def test_a_failed_event_publish_fails_the_record_records_nothing_and_emails_nobody(
    api: Api, queues: Queues, inbox: Inbox
) -> None:
    from botocore.exceptions import ClientError

    from orders.adapters import clients

    order_id = api.create(laptop_order()).body["orderId"]
    (message,) = queues.drain("received")

    def unavailable(**_: object) -> None:
        raise ClientError({"Error": {"Code": "InternalError", "Message": "down"}}, "PublishBatch")

    clients.client("sns").meta.events.register("before-call.sns.PublishBatch", unavailable)

    result = processors.handle_received(
        sqs_event(message["Body"], message_ids=["m-1"]), LambdaContext()
    )

    assert result == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}
    assert api.get(order_id).body["processing"] == {}
    assert inbox.emails() == []
