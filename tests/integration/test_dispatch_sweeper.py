"""The dispatch sweeper, the recovery path: resends only what is lost, once per grace, per order."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

import processors
from orders import bootstrap
from orders.adapters import clients
from orders.adapters.config import Settings
from orders.domain.timestamps import format_timestamp, parse_timestamp
from tests.integration.conftest import Api, Queues, Sweep
from tests.support.data import laptop_order
from tests.support.events import LambdaContext
from tests.support.figures import report_figure
from tests.support.stack import Stack


def item(stack: Stack, order_id: str) -> dict[str, Any]:
    """The order's item as stored (typed)."""
    stored: dict[str, Any] = boto3.client("dynamodb").get_item(
        TableName=stack.environment["ORDERS_TABLE"], Key={"orderId": {"S": order_id}}
    )["Item"]
    return stored


def fail_sends(times: int) -> None:
    """Make the service's next ``times`` SendMessage calls fail as an unavailable SQS would."""
    remaining = [times]

    def fail(**_: Any) -> None:
        if remaining[0] > 0:
            remaining[0] -= 1
            raise ClientError({"Error": {"Code": "ServiceUnavailable"}}, "SendMessage")

    clients.client("sqs").meta.events.register("before-call.sqs.SendMessage", fail)


# --- the grace comes from the queues ----------------------------------------------------------


def test_the_grace_is_the_time_a_message_may_spend_on_its_queue(stack: Stack) -> None:
    sqs = boto3.client("sqs")
    attributes = sqs.get_queue_attributes(
        QueueUrl=stack.environment["INPROCESS_QUEUE_URL"], AttributeNames=["All"]
    )["Attributes"]
    visibility = int(attributes["VisibilityTimeout"])
    receives = json.loads(attributes["RedrivePolicy"])["maxReceiveCount"]

    grace = Settings.from_environment(stack.environment).dispatch_grace

    assert grace == timedelta(seconds=visibility * int(receives)) == timedelta(minutes=5)


def test_nothing_is_resent_while_its_message_may_still_be_on_its_queue(
    api: Api, queues: Queues, sweep: Sweep
) -> None:
    api.create(laptop_order())  # its message waits on the queue: a backlog, not a loss

    assert sweep(minutes_later=2)["resent"] == 0
    assert sweep(minutes_later=4.5)["resent"] == 0
    assert sweep(minutes_later=5.5)["resent"] == 1
    # The copy may itself wait up to the grace: not sent again meanwhile.
    assert sweep(minutes_later=7.5)["resent"] == 0
    assert sweep(minutes_later=10.4)["resent"] == 0
    assert sweep(minutes_later=10.6)["resent"] == 1
    assert len(queues.drain("received")) == 3


# --- the version that entered the status ------------------------------------------------------


def test_the_resent_message_carries_the_version_that_entered_the_status(
    api: Api, queues: Queues, sweep: Sweep
) -> None:
    order_id = api.create(laptop_order()).body["orderId"]
    queues.drain("received")  # lost on the way
    api.update(order_id, {"priority": "urgent"})  # version 2, still received
    api.update(order_id, {"issue": "Also the hinge is loose."})  # version 3

    assert sweep()["resent"] == 1

    (resent,) = queues.bodies("received")
    assert (resent["orderId"], resent["version"]) == (order_id, 1)


def test_a_status_entered_by_a_blind_update_is_resent_with_its_own_version(
    api: Api, queues: Queues, sweep: Sweep
) -> None:
    order_id = api.create(laptop_order()).body["orderId"]
    queues.deliver("received")
    api.update(order_id, {"priority": "urgent"})  # version 2
    fail_sends(1)
    api.update(order_id, {"status": "inprocess"})  # version 3, its send fails
    api.update(order_id, {"issue": "Also the hinge is loose."})  # version 4

    assert sweep()["resent"] == 1
    assert [body["version"] for body in queues.bodies("inprocess")] == [3]


def test_a_resent_message_carries_the_correlation_id_of_the_request_that_entered_its_status(
    api: Api, queues: Queues, sweep: Sweep
) -> None:
    order_id = api.create(laptop_order(), headers={"X-Correlation-Id": "till-2/receipt-0042"}).body[
        "orderId"
    ]
    queues.drain("received")  # lost on the way
    api.update(order_id, {"priority": "urgent"}, headers={"X-Correlation-Id": "desk-edit-7"})
    fail_sends(1)
    api.update(order_id, {"status": "inprocess"}, headers={"X-Correlation-Id": "bench-3"})

    assert sweep()["resent"] == 2

    (received,) = queues.bodies("received")
    (inprocess,) = queues.bodies("inprocess")
    assert received["correlationId"] == "till-2/receipt-0042"
    assert inprocess["correlationId"] == "bench-3"


# --- index keys -------------------------------------------------------------------------------


def test_a_new_status_gets_its_whole_grace_even_if_an_earlier_one_is_due_sooner(
    api: Api, queues: Queues, stack: Stack
) -> None:
    order_id = api.create(laptop_order()).body["orderId"]
    queues.drain("received")  # lost: received stays pending, due 5 minutes after creation
    time.sleep(0.05)
    entered = api.update(order_id, {"status": "inprocess"}).body["updatedAt"]

    due = item(stack, order_id)["dispatchDue"]["S"]

    assert due == format_timestamp(parse_timestamp(entered) + timedelta(minutes=5))


def test_recording_the_last_pending_status_takes_the_order_off_the_index(
    api: Api, queues: Queues, stack: Stack
) -> None:
    order_id = api.create(laptop_order()).body["orderId"]
    queues.deliver("received")
    api.update(order_id, {"status": "inprocess"})
    assert "dispatchShard" in item(stack, order_id)

    queues.deliver("inprocess")

    stored = item(stack, order_id)
    assert "dispatchShard" not in stored
    assert "dispatchDue" not in stored
    assert stored["pendingDispatch"] == {"M": {}}


def test_recording_one_of_two_pending_statuses_keeps_the_order_on_the_index(
    api: Api, queues: Queues, stack: Stack, sweep: Sweep
) -> None:
    order_id = api.create(laptop_order()).body["orderId"]
    received = queues.drain("received")  # held back: delivered after inprocess
    api.update(order_id, {"status": "inprocess"})
    queues.deliver("inprocess")

    stored = item(stack, order_id)
    assert "dispatchShard" in stored
    assert sweep()["resent"] == 1  # received is still owed
    assert len(received) == 1


# --- giving up --------------------------------------------------------------------------------


def test_giving_up_on_one_status_leaves_the_next_status_its_full_recovery(
    api: Api, queues: Queues, sweep: Sweep
) -> None:
    order_id = api.create(laptop_order()).body["orderId"]
    queues.drain("received")  # lost, every time
    reports = [sweep(minutes_later=6 * (attempt + 1)) for attempt in range(6)]
    assert [r["resent"] for r in reports] == [1, 1, 1, 1, 1, 0]
    assert reports[-1]["abandoned"] == 1
    queues.drain("received")

    fail_sends(1)
    api.update(order_id, {"status": "inprocess"})  # its send fails: the sweeper must send it

    report = sweep(minutes_later=6)
    assert (report["resent"], report["abandoned"]) == (1, 0)
    assert queues.deliver("inprocess") == {"batchItemFailures": []}
    assert "inprocess" in api.get(order_id).body["processing"]
    assert sweep(minutes_later=60)["orders"] == 0


def test_giving_up_never_removes_a_status_entered_meanwhile(
    api: Api, queues: Queues, stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    order_id = api.create(laptop_order()).body["orderId"]
    queues.drain("received")
    sweeper = bootstrap.dispatch_sweeper()
    later = datetime.now(UTC) + timedelta(minutes=6)
    monkeypatch.setattr(sweeper, "_clock", lambda: later)
    monkeypatch.setattr(sweeper, "_max_resends", 0)  # give up at the first look
    ledger = sweeper._orders
    read = ledger.due_dispatches

    def read_then_the_shop_moves_on(*args: Any, **kwargs: Any) -> Any:
        page = read(*args, **kwargs)
        if page.items:  # between the sweeper's read and its write
            api.update(order_id, {"status": "inprocess"})
        return page

    monkeypatch.setattr(ledger, "due_dispatches", read_then_the_shop_moves_on)

    report = processors.sweep_dispatches({}, None)

    stored = item(stack, order_id)
    assert report["abandoned"] == 1
    assert set(stored["pendingDispatch"]["M"]) == {
        "inprocess",
        "inprocess:version",
        "inprocess:correlationId",
    }
    assert "dispatchShard" in stored


# --- one order never stops a sweep ------------------------------------------------------------


def test_a_failed_resend_fails_only_its_order(api: Api, queues: Queues, sweep: Sweep) -> None:
    for _ in range(3):
        api.create(laptop_order())
    queues.drain("received")
    fail_sends(1)

    report = sweep()

    assert (report["orders"], report["resent"], report["failed"]) == (3, 2, 1)
    assert len(queues.drain("received")) == 2
    assert sweep(minutes_later=7)["resent"] == 1  # the failed one is tried again next run


def test_a_pending_mark_this_version_cannot_read_fails_only_its_order(
    api: Api, queues: Queues, stack: Stack, sweep: Sweep
) -> None:
    odd = api.create(laptop_order()).body["orderId"]
    api.create(laptop_order())
    queues.drain("received")
    boto3.client("dynamodb").update_item(
        TableName=stack.environment["ORDERS_TABLE"],
        Key={"orderId": {"S": odd}},
        UpdateExpression="SET pendingDispatch.shipped = :at",
        ExpressionAttributeValues={":at": {"S": "2026-01-05T10:00:00.000Z"}},
    )

    report = sweep()

    assert (report["orders"], report["resent"], report["failed"]) == (2, 2, 1)
    assert len(queues.drain("received")) == 2


def test_a_sweep_stops_with_a_margin_before_its_timeout(api: Api, queues: Queues) -> None:
    for _ in range(3):
        api.create(laptop_order())
    queues.drain("received")
    context = LambdaContext()
    # 9 s left: the margin (8 s) allows one more order before it stops.
    budget = iter([9.9, 9.5, 9.2, 7.9, 7.5])  # the run's start, its page, then each order
    context.get_remaining_time_in_millis = lambda: int(next(budget) * 1000)  # type: ignore[method-assign]
    sweeper = bootstrap.dispatch_sweeper()
    later = datetime.now(UTC) + timedelta(minutes=6)
    sweeper._clock = lambda: later

    report = processors.sweep_dispatches({}, context)

    assert (report["orders"], report["resent"], report["stopped_early"]) == (1, 1, 1)


def test_how_many_orders_one_sweep_handles_in_its_30_seconds(
    api: Api, queues: Queues, stack: Stack, request: pytest.FixtureRequest
) -> None:
    orders = 150
    for _ in range(orders):
        api.create(laptop_order())
    queues.drain("received")
    sweeper = bootstrap.dispatch_sweeper()
    later = datetime.now(UTC) + timedelta(minutes=6)
    sweeper._clock = lambda: later
    started = time.perf_counter()
    context = LambdaContext()
    # The sweeper's own timeout, counting down as on Lambda.
    context.get_remaining_time_in_millis = lambda: int(  # type: ignore[method-assign]
        (30 - (time.perf_counter() - started)) * 1000
    )

    report = processors.sweep_dispatches({}, context)

    elapsed = time.perf_counter() - started
    assert report["orders"] == report["resent"] == orders
    per_run = int(orders / elapsed * (30 - 8))
    report_figure(
        request.config,
        f"sweeper against moto: {orders} lost messages resent in {elapsed:.1f} s "
        f"({orders / elapsed:.0f} orders/s, ~{per_run} orders per 30 s run with its 8 s margin)",
    )
