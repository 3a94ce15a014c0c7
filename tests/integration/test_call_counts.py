"""What each request costs in AWS calls, pinned: counts are stable where times are not.

On Lambda every call is a round trip the caller waits for and a request AWS bills, so a change
that adds one should fail here and be a decision, not an accident. `make bench` reports the same
counts beside the rest of the performance figures.
"""

from __future__ import annotations

import pytest

import processors
from tests.integration.conftest import Api, AwsCalls, Queues
from tests.support.data import laptop_order
from tests.support.events import LambdaContext, sqs_event

PUT_ITEM = ("dynamodb", "PutItem")
GET_ITEM = ("dynamodb", "GetItem")
UPDATE_ITEM = ("dynamodb", "UpdateItem")
BATCH_GET = ("dynamodb", "BatchGetItem")
PUBLISH_BATCH = ("sns", "PublishBatch")
SEND_EMAIL = ("sesv2", "SendEmail")
TRANSACT_WRITE = ("dynamodb", "TransactWriteItems")
SEND = ("sqs", "SendMessage")


def test_creating_an_order_costs_a_ticket_number_one_write_and_one_send(
    api: Api, aws_calls: AwsCalls
) -> None:
    assert api.create(laptop_order()).status == 201

    assert aws_calls.calls == [UPDATE_ITEM, PUT_ITEM, SEND]


def test_replaying_an_idempotent_create_costs_a_ticket_number_and_the_conditional_write(
    api: Api, aws_calls: AwsCalls
) -> None:
    key = {"Idempotency-Key": "desk-2026-11-29-0042"}
    api.create(laptop_order(), headers=key)
    aws_calls.clear()

    assert api.create(laptop_order(), headers=key).status == 201

    assert aws_calls.calls == [UPDATE_ITEM, PUT_ITEM]


def test_reading_an_order_costs_one_get(api: Api, aws_calls: AwsCalls) -> None:
    order_id = api.create(laptop_order()).body["orderId"]
    aws_calls.clear()

    assert api.get(order_id).status == 200

    assert aws_calls.calls == [GET_ITEM]


def test_a_status_change_costs_one_guarded_update_and_one_send(
    api: Api, aws_calls: AwsCalls
) -> None:
    order_id = api.create(laptop_order()).body["orderId"]
    aws_calls.clear()

    response = api.update(order_id, {"status": "inprocess", "note": "Drying the board."})

    assert response.status == 200
    assert aws_calls.calls == [UPDATE_ITEM, SEND]


@pytest.mark.parametrize(
    ("unchanged", "calls"),
    [
        # No status leads to received, so there is no guard to try: one read tells it is a no-op.
        pytest.param({"status": "received"}, [GET_ITEM], id="same initial status"),
        pytest.param({"status": "inprocess"}, [UPDATE_ITEM], id="same status"),
        pytest.param(
            {"issue": laptop_order()["issue"], "priority": "normal"},
            [UPDATE_ITEM],
            id="same field values",
        ),
    ],
)
def test_a_put_that_changes_nothing_costs_one_call_and_no_send(
    api: Api, aws_calls: AwsCalls, unchanged: dict[str, str], calls: list[tuple[str, str]]
) -> None:
    order_id = api.create(laptop_order()).body["orderId"]
    if unchanged.get("status") == "inprocess":
        api.update(order_id, {"status": "inprocess"})
    aws_calls.clear()

    assert api.update(order_id, unchanged).status == 200

    assert aws_calls.calls == calls


def test_each_page_of_a_listing_by_status_costs_one_query(api: Api, aws_calls: AwsCalls) -> None:
    for _ in range(5):
        api.create(laptop_order())
    aws_calls.clear()

    first = api.list(status="received", limit="2").body
    api.list(status="received", limit="2", cursor=first["nextCursor"])

    assert aws_calls.calls == [("dynamodb", "Query")] * 2


def test_a_page_of_every_order_costs_one_scan(api: Api, aws_calls: AwsCalls) -> None:
    api.create(laptop_order())
    aws_calls.clear()

    assert api.list(limit="20").status == 200

    assert aws_calls.calls == [("dynamodb", "Scan")]


def test_a_processor_batch_of_one_costs_four_calls(
    api: Api, queues: Queues, aws_calls: AwsCalls
) -> None:
    # Read, publish the event, email, record: one call each. Batching amortises the read, the
    # event and the record (next test); only the email is per customer.
    api.create(laptop_order())
    aws_calls.clear()

    assert queues.deliver("received") == {"batchItemFailures": []}

    assert aws_calls.calls == [BATCH_GET, PUBLISH_BATCH, SEND_EMAIL, UPDATE_ITEM]


def test_a_processor_batch_of_ten_costs_a_read_a_publish_a_write_and_an_email_each(
    api: Api, queues: Queues, aws_calls: AwsCalls
) -> None:
    for _ in range(10):
        api.create(laptop_order())
    aws_calls.clear()

    assert queues.deliver("received") == {"batchItemFailures": []}

    assert aws_calls.calls == [BATCH_GET, PUBLISH_BATCH, *[SEND_EMAIL] * 10, TRANSACT_WRITE]
    assert len(aws_calls.calls) / 10 == 1.3


def test_an_sms_costs_an_opt_out_check_and_a_publish(
    api: Api, queues: Queues, aws_calls: AwsCalls
) -> None:
    api.create(laptop_order(customer={"name": "Kwame Mensah", "phone": "600 111 333"}))
    aws_calls.clear()

    assert queues.deliver("received") == {"batchItemFailures": []}

    assert aws_calls.calls == [
        BATCH_GET,
        PUBLISH_BATCH,
        ("sns", "CheckIfPhoneNumberIsOptedOut"),
        ("sns", "Publish"),
        UPDATE_ITEM,
    ]


def test_a_redelivered_batch_costs_only_the_read(
    api: Api, queues: Queues, aws_calls: AwsCalls
) -> None:
    for _ in range(10):
        api.create(laptop_order())
    messages = queues.drain("received")
    ids = [message["MessageId"] for message in messages]
    event = sqs_event(*(message["Body"] for message in messages), message_ids=ids)
    processors.handle_received(event, LambdaContext())
    aws_calls.clear()

    assert processors.handle_received(event, LambdaContext()) == {"batchItemFailures": []}

    assert aws_calls.calls == [BATCH_GET]
