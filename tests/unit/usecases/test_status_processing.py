"""Status processing, run against in-memory fakes of the table, the topic, SES and SMS."""

from __future__ import annotations

from dataclasses import dataclass, field

from orders.domain.customer_messages import Channel
from orders.domain.messages import StatusMessage
from orders.domain.model import Customer, Language, Status
from orders.usecases.ports import DeliveryPolicy
from orders.usecases.status_processing import (
    STAGE_DEFAULTS,
    RecordOutcome,
    Result,
    StatusProcessor,
)
from tests.unit.fakes import (
    KWAME_ID,
    LUCIA_ID,
    NOBODY_ID,
    NOW,
    Clock,
    FakeOrderEvents,
    FakeOrderRepository,
    FakeSender,
    order_in,
)

KWAME = Customer(name="Kwame Mensah", phone="600 111 333")
KWAME_EMAIL = "kwame.mensah@example.com"


@dataclass
class Rig:
    """A processor and the fakes it talks to."""

    orders: FakeOrderRepository
    status: Status
    policy: DeliveryPolicy = STAGE_DEFAULTS
    events: FakeOrderEvents = field(default_factory=FakeOrderEvents)
    email: FakeSender = field(default_factory=FakeSender)
    sms: FakeSender = field(default_factory=FakeSender)

    @property
    def processor(self) -> StatusProcessor:
        return StatusProcessor(
            self.status,
            self.orders,
            self.events,
            self.email,
            self.sms,
            self.policy,
            Clock(NOW),
        )

    def process(self, **messages: StatusMessage) -> dict[str, RecordOutcome]:
        return self.processor.process(messages)

    def told(self) -> list[tuple[str, str]]:
        """(destination, order id) of every email and SMS sent, emails first."""
        return [(to, m.order_id) for to, m in [*self.email.sent, *self.sms.sent]]


def failed(outcomes: dict[str, RecordOutcome]) -> set[str]:
    return {delivery for delivery, outcome in outcomes.items() if outcome.failed}


def message_of(rig: Rig, order_id: str = LUCIA_ID) -> StatusMessage:
    return StatusMessage.for_order(rig.orders.get(order_id))


# --- processing -----------------------------------------------------------------------------


def test_processing_emails_the_customer_once_publishes_and_records_it_on_the_order() -> None:
    rig = Rig(FakeOrderRepository(order_in(Status.RECEIVED)), Status.RECEIVED)

    outcomes = rig.process(d1=message_of(rig))

    assert outcomes == {"d1": RecordOutcome(Result.SENT, Channel.EMAIL)}
    assert rig.told() == [("lucia.fernandez@example.com", LUCIA_ID)]
    assert [(e.order_id, e.status, e.version) for e in rig.events.published] == [
        (LUCIA_ID, Status.RECEIVED, 1)
    ]
    assert rig.orders.get(LUCIA_ID).processing == {
        Status.RECEIVED: {
            "processedAt": "2024-03-04T09:30:00.000Z",
            "version": 1,
            "eventId": "event-1",
            "channel": "email",
            "destination": "l***@example.com",
            "messageId": "sent-1",
        }
    }


def test_a_customer_without_a_language_is_told_in_the_stages_default() -> None:
    orders = FakeOrderRepository(order_in(Status.RECEIVED))
    spanish = Rig(orders, Status.RECEIVED)
    english = Rig(orders, Status.RECEIVED, DeliveryPolicy(default_language=Language.EN))

    spanish.process(d=message_of(spanish))
    orders.orders[LUCIA_ID] = orders.get(LUCIA_ID)._replace(processing={})
    english.process(d=message_of(english))

    assert [m.language for _, m in spanish.email.sent] == [Language.ES]
    assert [m.language for _, m in english.email.sent] == [Language.EN]


def test_a_customers_own_language_wins_over_the_default() -> None:
    lucia = order_in(Status.RECEIVED)
    english = lucia._replace(customer=lucia.customer._replace(language=Language.EN))
    rig = Rig(FakeOrderRepository(english), Status.RECEIVED)

    rig.process(d=message_of(rig))

    assert [m.language for _, m in rig.email.sent] == [Language.EN]


def test_a_customer_with_only_a_phone_gets_an_sms_with_the_default_country_code() -> None:
    rig = Rig(
        FakeOrderRepository(order_in(Status.RECEIVED, KWAME_ID, customer=KWAME)), Status.RECEIVED
    )

    outcomes = rig.process(d=message_of(rig, KWAME_ID))

    assert outcomes == {"d": RecordOutcome(Result.SENT, Channel.SMS)}
    assert [to for to, _ in rig.sms.sent] == ["+34600111333"]
    record = rig.orders.get(KWAME_ID).processing[Status.RECEIVED]
    assert (record["channel"], record["destination"]) == ("sms", "+34 6** *** 333")


def test_a_customer_with_an_email_and_a_phone_is_emailed() -> None:
    both = KWAME._replace(email=KWAME_EMAIL)
    rig = Rig(
        FakeOrderRepository(order_in(Status.RECEIVED, KWAME_ID, customer=both)), Status.RECEIVED
    )

    rig.process(d=message_of(rig, KWAME_ID))

    assert rig.told() == [(KWAME_EMAIL, KWAME_ID)]


def test_with_sms_off_a_phone_only_customer_is_recorded_as_not_told() -> None:
    orders = FakeOrderRepository(order_in(Status.RECEIVED, KWAME_ID, customer=KWAME))
    rig = Rig(orders, Status.RECEIVED, DeliveryPolicy(sms_enabled=False))

    outcomes = rig.process(d=message_of(rig, KWAME_ID))

    assert outcomes == {"d": RecordOutcome(Result.NOT_DELIVERED, Channel.NONE)}
    assert rig.told() == []
    record = orders.get(KWAME_ID).processing[Status.RECEIVED]
    assert record["channel"] == "none"
    assert record["reason"] == "no email, and SMS is off on this stage"
    assert "messageId" not in record


def test_a_phone_that_makes_no_valid_number_is_recorded_and_not_retried() -> None:
    short = KWAME._replace(phone="12 34")
    orders = FakeOrderRepository(order_in(Status.RECEIVED, KWAME_ID, customer=short))
    rig = Rig(orders, Status.RECEIVED)

    outcomes = rig.process(d=message_of(rig, KWAME_ID))

    assert outcomes == {"d": RecordOutcome(Result.NOT_DELIVERED, Channel.SMS)}
    assert orders.get(KWAME_ID).processing[Status.RECEIVED]["reason"] == (
        "not a valid international phone number"
    )


def test_a_rejected_address_is_recorded_with_its_reason_and_not_retried() -> None:
    orders = FakeOrderRepository(order_in(Status.RECEIVED))
    rig = Rig(orders, Status.RECEIVED)
    rig.email = FakeSender(rejected={"lucia.fernandez@example.com": "the address was rejected"})

    outcomes = rig.process(d=message_of(rig))

    assert outcomes == {"d": RecordOutcome(Result.NOT_DELIVERED, Channel.EMAIL)}
    record = orders.get(LUCIA_ID).processing[Status.RECEIVED]
    assert record["reason"] == "the address was rejected"
    assert record["destination"] == "l***@example.com"
    assert "messageId" not in record


def test_a_throttled_send_fails_only_its_record_and_records_nothing_for_it() -> None:
    orders = FakeOrderRepository(
        order_in(Status.COMPLETED),
        order_in(Status.COMPLETED, KWAME_ID, customer=KWAME._replace(email=KWAME_EMAIL)),
    )
    rig = Rig(orders, Status.COMPLETED)
    rig.email = FakeSender(unavailable={KWAME_EMAIL})

    outcomes = rig.process(lucia=message_of(rig), kwame=message_of(rig, KWAME_ID))

    assert outcomes["kwame"] == RecordOutcome(Result.RETRY, Channel.EMAIL)
    assert failed(outcomes) == {"kwame"}
    assert Status.COMPLETED in orders.get(LUCIA_ID).processing
    assert orders.get(KWAME_ID).processing == {}


def test_a_refused_event_fails_only_its_record_and_tells_that_customer_nothing() -> None:
    orders = FakeOrderRepository(
        order_in(Status.COMPLETED), order_in(Status.COMPLETED, order_id=KWAME_ID)
    )
    rig = Rig(orders, Status.COMPLETED, events=FakeOrderEvents(failing_order_ids={KWAME_ID}))

    outcomes = rig.process(lucia=message_of(rig), kwame=message_of(rig, KWAME_ID))

    assert failed(outcomes) == {"kwame"}
    assert rig.told() == [("lucia.fernandez@example.com", LUCIA_ID)]
    assert orders.get(KWAME_ID).processing == {}


def test_a_message_delivered_again_after_processing_sends_nothing_again() -> None:
    rig = Rig(FakeOrderRepository(order_in(Status.RECEIVED)), Status.RECEIVED)
    rig.process(d1=message_of(rig))
    recorded = rig.orders.get(LUCIA_ID)

    outcomes = rig.process(d1_again=message_of(rig))

    assert outcomes == {"d1_again": RecordOutcome(Result.DUPLICATE)}
    assert (len(rig.email.sent), len(rig.events.published)) == (1, 1)
    assert rig.orders.get(LUCIA_ID) == recorded


def test_the_same_message_twice_in_one_batch_is_sent_once_and_both_succeed() -> None:
    rig = Rig(FakeOrderRepository(order_in(Status.RECEIVED)), Status.RECEIVED)

    outcomes = rig.process(d1=message_of(rig), d2=message_of(rig))

    assert outcomes == {
        "d1": RecordOutcome(Result.SENT, Channel.EMAIL),
        "d2": RecordOutcome(Result.DUPLICATE),
    }
    assert len(rig.email.sent) == 1


def test_a_message_for_an_unknown_order_fails_alone() -> None:
    rig = Rig(FakeOrderRepository(order_in(Status.RECEIVED)), Status.RECEIVED)
    ghost = StatusMessage(NOBODY_ID, Status.RECEIVED, 1, NOW)

    outcomes = rig.process(lucia=message_of(rig), ghost=ghost)

    assert outcomes["ghost"] == RecordOutcome(Result.INVALID)
    assert failed(outcomes) == {"ghost"}
    assert rig.told() == [("lucia.fernandez@example.com", LUCIA_ID)]


def test_a_message_for_another_status_fails_alone() -> None:
    orders = FakeOrderRepository(
        order_in(Status.INPROCESS), order_in(Status.INPROCESS, order_id=KWAME_ID)
    )
    rig = Rig(orders, Status.INPROCESS)
    misrouted = StatusMessage(KWAME_ID, Status.RECEIVED, 1, NOW)

    outcomes = rig.process(lucia=message_of(rig), misrouted=misrouted)

    assert failed(outcomes) == {"misrouted"}
    assert [order_id for _, order_id in rig.told()] == [LUCIA_ID]
    assert orders.get(KWAME_ID).processing == {}


def test_a_message_for_an_order_that_never_entered_the_status_fails_alone() -> None:
    rig = Rig(FakeOrderRepository(order_in(Status.CANCELED)), Status.COMPLETED)

    outcomes = rig.process(d=StatusMessage(LUCIA_ID, Status.COMPLETED, 3, NOW))

    assert failed(outcomes) == {"d"}
    assert (rig.told(), rig.orders.writes) == ([], 0)


def test_a_late_received_message_is_processed_without_moving_a_completed_order_back() -> None:
    orders = FakeOrderRepository(order_in(Status.COMPLETED))
    completed = Rig(orders, Status.COMPLETED)
    received = Rig(orders, Status.RECEIVED)
    completed.process(c=StatusMessage(LUCIA_ID, Status.COMPLETED, 3, NOW))

    outcomes = received.process(r=StatusMessage(LUCIA_ID, Status.RECEIVED, 1, NOW))

    order = orders.get(LUCIA_ID)
    assert failed(outcomes) == set()
    assert (order.status, order.version) == (Status.COMPLETED, 3)
    assert set(order.processing) == {Status.COMPLETED, Status.RECEIVED}
    assert [m.status for _, m in received.email.sent] == [Status.RECEIVED]
