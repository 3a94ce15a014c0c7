"""Status processing, run against in-memory fakes of the table and the topic."""

from __future__ import annotations

from datetime import UTC, datetime

from orders.domain.messages import StatusMessage
from orders.domain.model import Status
from orders.usecases.status_processing import StatusProcessor
from tests.unit.fakes import Clock, FakeNotifier, FakeOrderRepository, order_in

NOW = datetime(2024, 3, 4, 9, 30, tzinfo=UTC)
LUCIA_ID = "3f6c2a8e-51b4-4f7d-9a0e-6d2b8c1e7f45"
KWAME_ID = "7b1d9c2e-4a3f-4e6b-8d5c-2f1a0e9b8c7d"
NOBODY_ID = "00000000-0000-4000-8000-000000000000"


def processor_for(
    status: Status, orders: FakeOrderRepository, notifier: FakeNotifier | None = None
) -> tuple[StatusProcessor, FakeNotifier]:
    notifier = notifier or FakeNotifier()
    return StatusProcessor(status, orders, notifier, Clock(NOW)), notifier


# --- processing -----------------------------------------------------------------------------


def test_processing_notifies_the_customer_once_and_records_it_on_the_order() -> None:
    orders = FakeOrderRepository(order_in(Status.RECEIVED))
    processor, notifier = processor_for(Status.RECEIVED, orders)
    message = StatusMessage.for_order(orders.get(LUCIA_ID))

    failed = processor.process({"delivery-1": message})

    assert failed == set()
    assert [(n.order_id, n.status) for n in notifier.sent] == [(LUCIA_ID, Status.RECEIVED)]
    assert orders.get(LUCIA_ID).processing == {
        Status.RECEIVED: {
            "processedAt": "2024-03-04T09:30:00.000Z",
            "notificationId": "note-1",
            "version": 1,
        }
    }


def test_a_message_delivered_again_after_processing_succeeds_without_a_second_notice() -> None:
    orders = FakeOrderRepository(order_in(Status.RECEIVED))
    processor, notifier = processor_for(Status.RECEIVED, orders)
    message = StatusMessage.for_order(orders.get(LUCIA_ID))
    processor.process({"delivery-1": message})
    recorded = orders.get(LUCIA_ID)

    failed = processor.process({"delivery-1-again": message})

    assert failed == set()
    assert len(notifier.sent) == 1
    assert orders.get(LUCIA_ID) == recorded


def test_the_same_message_twice_in_one_batch_notifies_once_and_both_succeed() -> None:
    orders = FakeOrderRepository(order_in(Status.RECEIVED))
    processor, notifier = processor_for(Status.RECEIVED, orders)
    message = StatusMessage.for_order(orders.get(LUCIA_ID))

    failed = processor.process({"delivery-1": message, "delivery-2": message})

    assert failed == set()
    assert len(notifier.sent) == 1
    assert Status.RECEIVED in orders.get(LUCIA_ID).processing


def test_a_message_for_an_unknown_order_fails_alone() -> None:
    orders = FakeOrderRepository(order_in(Status.RECEIVED))
    processor, notifier = processor_for(Status.RECEIVED, orders)
    ghost = StatusMessage(NOBODY_ID, Status.RECEIVED, 1, NOW)

    failed = processor.process(
        {"lucia": StatusMessage.for_order(orders.get(LUCIA_ID)), "ghost": ghost}
    )

    assert failed == {"ghost"}
    assert [n.order_id for n in notifier.sent] == [LUCIA_ID]
    assert Status.RECEIVED in orders.get(LUCIA_ID).processing


def test_a_message_for_another_status_fails_alone() -> None:
    orders = FakeOrderRepository(
        order_in(Status.INPROCESS), order_in(Status.INPROCESS, order_id=KWAME_ID)
    )
    processor, notifier = processor_for(Status.INPROCESS, orders)
    misrouted = StatusMessage(KWAME_ID, Status.RECEIVED, 1, NOW)

    failed = processor.process(
        {"lucia": StatusMessage.for_order(orders.get(LUCIA_ID)), "misrouted": misrouted}
    )

    assert failed == {"misrouted"}
    assert [n.order_id for n in notifier.sent] == [LUCIA_ID]
    assert orders.get(KWAME_ID).processing == {}


def test_a_message_for_an_order_that_never_entered_the_status_fails_alone() -> None:
    orders = FakeOrderRepository(order_in(Status.CANCELED))
    processor, notifier = processor_for(Status.COMPLETED, orders)

    failed = processor.process({"d": StatusMessage(LUCIA_ID, Status.COMPLETED, 3, NOW)})

    assert failed == {"d"}
    assert (notifier.sent, orders.writes) == ([], 0)


def test_a_refused_notification_fails_only_its_delivery_and_records_nothing_for_it() -> None:
    orders = FakeOrderRepository(
        order_in(Status.COMPLETED), order_in(Status.COMPLETED, order_id=KWAME_ID)
    )
    notifier = FakeNotifier(failing_order_ids={KWAME_ID})
    processor, _ = processor_for(Status.COMPLETED, orders, notifier)

    failed = processor.process(
        {
            "lucia": StatusMessage.for_order(orders.get(LUCIA_ID)),
            "kwame": StatusMessage.for_order(orders.get(KWAME_ID)),
        }
    )

    assert failed == {"kwame"}
    assert Status.COMPLETED in orders.get(LUCIA_ID).processing
    assert orders.get(KWAME_ID).processing == {}


def test_a_late_received_message_is_processed_without_moving_a_completed_order_back() -> None:
    orders = FakeOrderRepository(order_in(Status.COMPLETED))
    completed, _ = processor_for(Status.COMPLETED, orders)
    received, notifier = processor_for(Status.RECEIVED, orders)
    completed.process({"c": StatusMessage(LUCIA_ID, Status.COMPLETED, 3, NOW)})

    failed = received.process({"r": StatusMessage(LUCIA_ID, Status.RECEIVED, 1, NOW)})

    order = orders.get(LUCIA_ID)
    assert failed == set()
    assert (order.status, order.version) == (Status.COMPLETED, 3)
    assert set(order.processing) == {Status.COMPLETED, Status.RECEIVED}
    assert [n.status for n in notifier.sent] == [Status.RECEIVED]
