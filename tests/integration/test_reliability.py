"""The reliability promises of DESIGN.md §7 under faults: nothing lost, nothing twice."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

import processors
from ops.redrive import main as redrive
from orders import bootstrap
from orders.adapters import clients
from orders.adapters.orders_table.dispatch import DynamoDispatchLedger
from orders.domain.model import Status
from tests.integration.conftest import Api, Inbox, Queues, Sweep, stored_orders
from tests.support.data import laptop_order
from tests.support.events import LambdaContext, sqs_event
from tests.support.figures import report_figure
from tests.support.stack import Stack

FAULTS_INJECTED: list[str] = []


@pytest.fixture(scope="module", autouse=True)
def _report_faults(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    kinds = sorted(set(FAULTS_INJECTED))
    report_figure(
        request.config,
        f"faults injected: {len(FAULTS_INJECTED)} ({len(kinds)} kinds: {', '.join(kinds)})",
    )


def inject(service: str, operation: str, code: str = "ServiceUnavailable", times: int = 1) -> None:
    """Make the service's next ``times`` calls of ``operation`` fail with ``code``."""
    remaining = [times]

    def fail(**_: Any) -> None:
        if remaining[0] > 0:
            remaining[0] -= 1
            FAULTS_INJECTED.append(f"{service}.{operation}:{code}")
            raise ClientError({"Error": {"Code": code, "Message": "injected"}}, operation)

    clients.client(service).meta.events.register(f"before-call.{service}.{operation}", fail)


# --- no order left unrouted -------------------------------------------------------------------


def test_a_failed_send_after_the_write_still_reaches_the_processor(
    api: Api, queues: Queues, sweep: Sweep
) -> None:
    inject("sqs", "SendMessage", "ServiceUnavailable")

    created = api.create(laptop_order())

    assert created.status == 201  # the order is stored; its message is pending on it
    assert queues.drain("received") == []
    assert sweep(minutes_later=4)["resent"] == 0  # within the grace period nothing is resent
    assert sweep()["resent"] == 1
    assert queues.deliver("received") == {"batchItemFailures": []}
    assert "received" in api.get(created.body["orderId"]).body["processing"]
    assert sweep(minutes_later=20)["orders"] == 0  # the processor took it off the index


def test_a_function_that_dies_after_the_write_loses_no_status_change(
    api: Api, queues: Queues, sweep: Sweep
) -> None:
    order_id = api.create(laptop_order()).body["orderId"]
    queues.deliver("received")

    def die(**_: Any) -> None:
        raise SystemExit("the Lambda runtime stopped here")

    clients.client("sqs").meta.events.register("before-call.sqs.SendMessage", die)
    with pytest.raises(SystemExit):
        api.update(order_id, {"status": "inprocess"})
    clients.client("sqs").meta.events.unregister("before-call.sqs.SendMessage", die)

    assert sweep()["resent"] == 1
    assert queues.deliver("inprocess") == {"batchItemFailures": []}
    order = api.get(order_id).body
    assert order["status"] == "inprocess"
    assert set(order["processing"]) == {"received", "inprocess"}


def test_messages_that_arrive_are_not_sent_again(api: Api, queues: Queues, sweep: Sweep) -> None:
    for _ in range(3):
        api.create(laptop_order())
    queues.deliver("received")

    report = sweep()

    assert report["orders"] == 0  # each processor's record took its order off the index
    assert queues.drain("received") == []


def test_the_sweeper_gives_up_after_five_attempts(api: Api, queues: Queues, sweep: Sweep) -> None:
    api.create(laptop_order())
    queues.drain("received")  # lost on the way: never processed

    reports = [sweep(minutes_later=6 + 6 * attempt) for attempt in range(6)]

    assert [r["resent"] for r in reports] == [1, 1, 1, 1, 1, 0]
    assert (reports[-1]["abandoned"], reports[-1]["settled"]) == (1, 1)
    assert sweep(minutes_later=60)["orders"] == 0


def test_one_sweep_pages_through_everything_that_is_due(
    api: Api, queues: Queues, sweep: Sweep, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(5):
        api.create(laptop_order())
    queues.drain("received")  # all five lost on the way
    monkeypatch.setattr(bootstrap.dispatch_sweeper(), "_page_size", 2)

    report = sweep()

    assert (report["orders"], report["resent"], report["failed"]) == (5, 5, 0)
    assert len(queues.drain("received")) == 5


def test_postponing_an_order_that_left_the_index_writes_nothing(
    api: Api, queues: Queues, stack: Stack
) -> None:
    order_id = api.create(laptop_order()).body["orderId"]
    queues.deliver("received")
    # Its own client: these calls belong to no function (least privilege ignores them).
    orders = DynamoDispatchLedger(boto3.client("dynamodb"), stack.environment["ORDERS_TABLE"])
    assert orders.settle_dispatch(order_id) is False  # the processor's record settled it

    orders.postpone_dispatch(order_id, datetime.now(UTC))

    item = boto3.client("dynamodb").get_item(
        TableName=stack.environment["ORDERS_TABLE"], Key={"orderId": {"S": order_id}}
    )["Item"]
    assert "dispatchDue" not in item
    assert "dispatchShard" not in item


# --- idempotent create --------------------------------------------------------------------------


def test_concurrent_creates_with_one_key_make_one_order(
    api: Api, queues: Queues, atomic_moto_writes: None
) -> None:
    barrier = threading.Barrier(8)

    def create() -> Any:
        barrier.wait()
        return api.create(laptop_order(), headers={"Idempotency-Key": "desk-7-retry-storm"})

    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(lambda _: create(), range(8)))

    assert {r.status for r in responses} == {201}
    assert len({r.body["orderId"] for r in responses}) == 1
    assert len(queues.drain("received")) == 1
    assert len(api.list().body["items"]) == 1


# --- faults -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operation", "code"),
    [
        ("PutItem", "ProvisionedThroughputExceededException"),
        ("PutItem", "ThrottlingException"),
        ("PutItem", "InternalServerError"),
    ],
)
def test_a_throttled_or_failing_table_on_create_gets_503_and_stores_nothing(
    api: Api, queues: Queues, stack: Stack, operation: str, code: str
) -> None:
    inject("dynamodb", operation, code, times=3)

    response = api.create(laptop_order())

    assert response.status == 503
    assert response.headers["Retry-After"] == "1"
    # No order (the ticket number it drew stays unused: a gap, see test_tickets.py).
    assert stored_orders(stack) == []
    assert queues.drain("received") == []


def test_a_throttled_table_on_update_gets_503_and_changes_nothing(api: Api, queues: Queues) -> None:
    order = api.create(laptop_order()).body
    queues.drain("received")
    inject("dynamodb", "UpdateItem", "ProvisionedThroughputExceededException", times=3)

    response = api.update(order["orderId"], {"status": "inprocess"})

    assert response.status == 503
    assert api.get(order["orderId"]).body == order
    assert queues.drain("inprocess") == []


def test_an_unreachable_table_on_read_gets_503(api: Api) -> None:
    order_id = api.create(laptop_order()).body["orderId"]
    inject("dynamodb", "GetItem", "ServiceUnavailable", times=3)

    assert api.get(order_id).status == 503


def test_a_failed_event_publish_is_retried_and_the_customer_emailed_once(
    api: Api, queues: Queues, inbox: Inbox
) -> None:
    order_id = api.create(laptop_order()).body["orderId"]
    (message,) = queues.drain("received")
    inject("sns", "PublishBatch", "InternalError")

    first = processors.handle_received(sqs_event(message["Body"], message_ids=["m-1"]), None)
    retried = processors.handle_received(sqs_event(message["Body"], message_ids=["m-1"]), None)

    assert first == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}
    assert retried == {"batchItemFailures": []}
    assert len(inbox.emails()) == 1
    assert api.get(order_id).body["processing"]["received"]["version"] == 1


def test_a_throttled_email_is_retried_and_sent_once(api: Api, queues: Queues, inbox: Inbox) -> None:
    order_id = api.create(laptop_order()).body["orderId"]
    (message,) = queues.drain("received")
    inject("sesv2", "SendEmail", "TooManyRequestsException")

    first = processors.handle_received(sqs_event(message["Body"], message_ids=["m-1"]), None)
    assert api.get(order_id).body["processing"] == {}
    retried = processors.handle_received(sqs_event(message["Body"], message_ids=["m-1"]), None)

    assert first == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}
    assert retried == {"batchItemFailures": []}
    assert len(inbox.emails()) == 1
    assert api.get(order_id).body["processing"]["received"]["messageId"]


def test_an_unreachable_email_service_fails_only_that_customers_record(
    api: Api, queues: Queues, inbox: Inbox
) -> None:
    emailed = api.create(laptop_order()).body["orderId"]
    texted = api.create(laptop_order(customer={"name": "Kwame", "phone": "600111333"}))
    bodies = [m["Body"] for m in queues.drain("received")]
    inject("sesv2", "SendEmail", "InternalFailure")

    result = processors.handle_received(sqs_event(*bodies, message_ids=["a", "b"]), None)

    failed = [item["itemIdentifier"] for item in result["batchItemFailures"]]
    assert len(failed) == 1
    assert api.get(emailed).body["processing"] == {}
    assert api.get(texted.body["orderId"]).body["processing"]["received"]["channel"] == "sms"
    assert len(inbox.texts()) == 1


def test_a_rejected_address_is_recorded_and_not_retried(
    api: Api, queues: Queues, inbox: Inbox
) -> None:
    order_id = api.create(laptop_order()).body["orderId"]
    (message,) = queues.drain("received")
    inject("sesv2", "SendEmail", "MessageRejected")

    first = processors.handle_received(sqs_event(message["Body"], message_ids=["m-1"]), None)
    again = processors.handle_received(sqs_event(message["Body"], message_ids=["m-1"]), None)

    assert first == again == {"batchItemFailures": []}
    assert inbox.emails() == []  # the redelivery sent nothing either
    record = api.get(order_id).body["processing"]["received"]
    assert record["channel"] == "email"
    assert record["destination"] == "l***@example.com"
    assert "MessageRejected" in record["reason"]
    assert "messageId" not in record


def test_a_throttled_batch_record_falls_back_to_one_write_per_order_and_loses_none(
    api: Api, queues: Queues, inbox: Inbox
) -> None:
    order_ids = [api.create(laptop_order()).body["orderId"] for _ in range(3)]
    bodies = [m["Body"] for m in queues.drain("received")]
    inject("dynamodb", "TransactWriteItems", "ThrottlingException")

    result = processors.handle_received(sqs_event(*bodies), None)

    assert result == {"batchItemFailures": []}
    assert all("received" in api.get(order_id).body["processing"] for order_id in order_ids)
    assert len(inbox.emails()) == 3


def test_one_order_recorded_meanwhile_does_not_fail_the_rest_of_the_batch(
    api: Api, queues: Queues, stack: Stack
) -> None:
    first, second = (api.create(laptop_order()).body["orderId"] for _ in range(2))
    bodies = [m["Body"] for m in queues.drain("received")]
    raced = []

    def racing_delivery_records_the_first(**_: Any) -> None:
        # Between this batch's read and its write, another delivery records the first order.
        if not raced:
            raced.append(first)
            boto3.client("dynamodb").update_item(
                TableName=stack.environment["ORDERS_TABLE"],
                Key={"orderId": {"S": first}},
                UpdateExpression="SET #p.#s = :record",
                ExpressionAttributeNames={"#p": "processing", "#s": "received"},
                ExpressionAttributeValues={
                    ":record": {
                        "M": {
                            "processedAt": {"S": "2026-11-29T10:00:00.000Z"},
                            "version": {"N": "1"},
                        }
                    }
                },
            )

    clients.client("dynamodb").meta.events.register(
        "before-call.dynamodb.TransactWriteItems", racing_delivery_records_the_first
    )

    result = processors.handle_received(sqs_event(*bodies), None)

    assert result == {"batchItemFailures": []}
    assert raced == [first]
    raced_record = {"processedAt": "2026-11-29T10:00:00.000Z", "version": 1}
    assert api.get(first).body["processing"]["received"] == raced_record  # kept, not overwritten
    assert api.get(second).body["processing"]["received"]["channel"] == "email"


def test_a_failed_record_write_is_retried_without_regressing_anything(
    api: Api, queues: Queues
) -> None:
    order_id = api.create(laptop_order()).body["orderId"]
    (message,) = queues.drain("received")
    inject("dynamodb", "UpdateItem", "ProvisionedThroughputExceededException")

    first = processors.handle_received(sqs_event(message["Body"], message_ids=["m-1"]), None)
    retried = processors.handle_received(sqs_event(message["Body"], message_ids=["m-1"]), None)

    assert first == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}
    assert retried == {"batchItemFailures": []}
    assert set(api.get(order_id).body["processing"]) == {"received"}


# --- processors under redelivery --------------------------------------------------------------


@pytest.mark.usefixtures("atomic_moto_writes")
def test_two_workers_delivering_one_batch_at_once_record_it_once(
    api: Api, queues: Queues, inbox: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    order_ids = [api.create(laptop_order()).body["orderId"] for _ in range(3)]
    bodies = [m["Body"] for m in queues.drain("received")]
    barrier = threading.Barrier(2)
    # Every record write that reports it recorded, per order: the final item cannot show a
    # second record (it would look the same), so count the writes that claim one.
    store = bootstrap.status_processor(Status.RECEIVED)._orders
    record = store.record_processing
    record_many = store.record_many
    recorded: list[str] = []
    attempts: list[str] = []

    def counting(order_id: str, status: Status, fields: dict[str, Any]) -> bool:
        attempts.append(order_id)
        done = record(order_id, status, fields)
        if done:
            recorded.append(order_id)
        return done

    def counting_many(status: Status, records: dict[str, Any]) -> set[str]:
        # A batch is recorded in one transaction, or one by one (through ``counting``) when
        # the transaction does not apply: count the transaction's records when it did.
        before = len(attempts)
        unrecorded = record_many(status, records)
        if len(attempts) == before:
            recorded.extend(order_id for order_id in records if order_id not in unrecorded)
        return unrecorded

    monkeypatch.setattr(store, "record_processing", counting)
    monkeypatch.setattr(store, "record_many", counting_many)
    # Both workers read the batch's orders before either records: the race, every time.
    read = store.get_many
    both_read = threading.Barrier(2)

    def read_then_wait(order_ids: Any) -> Any:
        found = read(order_ids)
        both_read.wait(timeout=10)
        return found

    monkeypatch.setattr(store, "get_many", read_then_wait)

    def worker(_: int) -> dict[str, Any]:
        barrier.wait()
        result: dict[str, Any] = processors.handle_received(sqs_event(*bodies), LambdaContext())
        return result

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(worker, range(2)))

    assert results == [{"batchItemFailures": []}] * 2
    assert sorted(recorded) == sorted(order_ids), "an order was recorded twice, or not at all"
    records = [api.get(order_id).body["processing"]["received"] for order_id in order_ids]
    assert all(record["version"] == 1 for record in records)
    sent = inbox.emails()
    told = {order_id for order_id in order_ids if any(order_id in e.body for e in sent)}
    assert told == set(order_ids)  # at least once each (twice only in a true race)


# --- redrive ------------------------------------------------------------------------------------


def test_redrive_moves_dead_letters_back_only_when_asked(
    queues: Queues, stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    sqs = boto3.client("sqs")
    dead_letters = stack.physical_ids["ReceivedDeadLetterQueue"]
    for n in range(3):
        sqs.send_message(QueueUrl=dead_letters, MessageBody=json.dumps({"poison": n}))

    assert redrive(["--queue", "received"]) == 0
    assert "3 message(s) in the DLQ (dry run" in capsys.readouterr().out
    assert queues.drain("received") == []

    assert redrive(["--queue", "received", "--apply"]) == 0

    assert "moved 3 of 3" in capsys.readouterr().out
    assert sorted(json.loads(m["Body"])["poison"] for m in queues.drain("received")) == [0, 1, 2]
    assert sqs.receive_message(QueueUrl=dead_letters).get("Messages", []) == []


def test_redrive_names_a_missing_queue_clearly(
    capsys: pytest.CaptureFixture[str], stack: Stack
) -> None:
    assert redrive(["--stage", "nonexistent"]) == 1
    assert "redrive failed" in capsys.readouterr().err
