"""Status processing: tell the customer once per status entered, publish the event, record it.

Per record: the order event is published first (so a retry may repeat an event, never an
email), then the customer is told by email, or by SMS when they gave only a phone, then
``processing.<status>`` records what happened. A permanent delivery failure is recorded and
not retried; a transient one sends the record back to its queue.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any, NamedTuple

from orders.domain.contacts import e164, mask_email, mask_phone
from orders.domain.customer_messages import Channel, message_for
from orders.domain.errors import DependencyUnavailable
from orders.domain.messages import OrderEvent, StatusMessage
from orders.domain.model import Order, Status
from orders.domain.timestamps import format_timestamp, utc_now
from orders.usecases.ports import (
    DeliveryPolicy,
    DeliveryRejected,
    EmailSender,
    Metric,
    Metrics,
    NoMetrics,
    OrderEvents,
    OrderStore,
    PublishOutcome,
    SmsSender,
)

logger = logging.getLogger(__name__)


STAGE_DEFAULTS = DeliveryPolicy()


class Result(StrEnum):
    """What became of one record."""

    SENT = "sent"  # the customer was told, and it is recorded
    NOT_DELIVERED = "not-delivered"  # permanently undeliverable: recorded, not retried
    RETRY = "retry"  # a transient failure: nothing recorded, the record goes back to its queue
    DUPLICATE = "duplicate"  # already processed (or twice in this batch): nothing sent again
    INVALID = "invalid"  # no such order in this status: retried, then dead-lettered


class RecordOutcome(NamedTuple):
    """One record's result and, once a delivery was tried, its channel (for logs and metrics)."""

    result: Result
    channel: Channel | None = None

    @property
    def failed(self) -> bool:
        """Whether the record goes back to its queue (``batchItemFailures``)."""
        return self.result in (Result.RETRY, Result.INVALID)


class Delivery(NamedTuple):
    """One attempt to tell a customer: the channel, the masked destination and how it went."""

    channel: Channel
    destination: str | None = None
    message_id: str | None = None
    reason: str | None = None
    transient: bool = False
    subject: str | None = None

    def record(self) -> dict[str, str]:
        """What ``processing.<status>`` keeps of it (never the address or number itself)."""
        fields = {
            "channel": self.channel.value,
            "destination": self.destination,
            "messageId": self.message_id,
            "reason": self.reason,
        }
        return {name: value for name, value in fields.items() if value is not None}


class StatusProcessor:
    """A processor's work for one status: tell each customer once, publish, record."""

    def __init__(
        self,
        status: Status,
        orders: OrderStore,
        events: OrderEvents,
        email: EmailSender,
        sms: SmsSender,
        policy: DeliveryPolicy = STAGE_DEFAULTS,
        clock: Callable[[], datetime] = utc_now,
        metrics: Metrics | None = None,
    ) -> None:
        self._status = status
        self._orders = orders
        self._events = events
        self._email = email
        self._sms = sms
        self._policy = policy
        self._clock = clock
        self._metrics = metrics or NoMetrics()

    def process(self, deliveries: Mapping[str, StatusMessage]) -> dict[str, RecordOutcome]:
        """Process a batch of messages by delivery id; return each delivery's outcome.

        A delivery fails alone when its order is unknown, never entered this status, or could
        not be published, told or recorded for a transient reason; duplicates (already
        recorded, or twice in this batch) succeed without telling the customer again.
        """
        outcomes: dict[str, RecordOutcome] = {}
        wanted = {}
        for delivery, message in deliveries.items():
            if message.status != self._status:
                outcomes[delivery] = RecordOutcome(Result.INVALID)
            else:
                wanted[delivery] = message
        orders = self._orders.get_many(message.order_id for message in wanted.values())
        first_delivery: dict[str, str] = {}
        pending: list[tuple[Order, StatusMessage]] = []
        for delivery, message in wanted.items():
            order = orders.get(message.order_id)
            if order is None or not order.entered(self._status):
                logger.warning("no such order in this status", extra={"orderId": message.order_id})
                outcomes[delivery] = RecordOutcome(Result.INVALID)
            elif self._status in order.processing:
                outcomes[delivery] = RecordOutcome(Result.DUPLICATE)
            elif order.order_id not in first_delivery:
                first_delivery[order.order_id] = delivery
                pending.append((order, message))
        done = self._tell_and_record(pending)
        for delivery, message in wanted.items():
            if delivery in outcomes:
                continue
            outcome = done[message.order_id]
            is_first = first_delivery[message.order_id] == delivery
            duplicate = not (is_first or outcome.failed)
            outcomes[delivery] = RecordOutcome(Result.DUPLICATE) if duplicate else outcome
        return outcomes

    def _tell_and_record(
        self, pending: Sequence[tuple[Order, StatusMessage]]
    ) -> dict[str, RecordOutcome]:
        now = self._clock()
        events = [
            OrderEvent(
                order.order_id,
                self._status,
                message.version,
                message.occurred_at,
                now,
                message.correlation_id,
                _actor_sub(order, self._status),
            )
            for order, message in pending
        ]
        published = self._events.publish(events) if events else PublishOutcome()
        done: dict[str, RecordOutcome] = {}
        told: dict[str, Delivery] = {}
        messages = {order.order_id: message for order, message in pending}
        records: dict[str, dict[str, Any]] = {}
        for index, (order, message) in enumerate(pending):
            event_id = published.published.get(index)
            if event_id is None:
                done[order.order_id] = RecordOutcome(Result.RETRY)
                continue
            delivery = self._deliver(order)
            if delivery.transient:
                logger.warning(
                    "delivery failed, will retry: %s",
                    delivery.reason,
                    extra=self._log_fields(order.order_id, delivery, message),
                )
                done[order.order_id] = RecordOutcome(Result.RETRY, delivery.channel)
                continue
            told[order.order_id] = delivery
            records[order.order_id] = {
                "processedAt": format_timestamp(now),
                "version": message.version,
                "eventId": event_id,
                **delivery.record(),
            }
            if message.correlation_id is not None:
                records[order.order_id]["correlationId"] = message.correlation_id
        # Every record in one write when it can: the customers are already told.
        unrecorded = self._orders.record_many(self._status, records) if records else set()
        for order_id, delivery in told.items():
            if order_id in unrecorded:
                done[order_id] = RecordOutcome(Result.RETRY, delivery.channel)
                continue
            result = Result.SENT if delivery.message_id is not None else Result.NOT_DELIVERED
            fields = self._log_fields(order_id, delivery, messages[order_id])
            logger.info("order processed", extra={**fields, "result": result.value})
            self._measure(messages[order_id], delivery, result, now)
            done[order_id] = RecordOutcome(result, delivery.channel)
        return done

    def _measure(
        self, message: StatusMessage, delivery: Delivery, result: Result, now: datetime
    ) -> None:
        """How long the customer waited to be told, and how the telling went, by channel."""
        lag = (now - message.occurred_at).total_seconds() * 1000
        outcome = "DeliveriesSent" if result is Result.SENT else "DeliveriesFailed"
        self._metrics.emit(
            [
                Metric(
                    "ProcessingLag",
                    round(lag),
                    "Milliseconds",
                    {"Status": self._status.value},
                    True,
                ),
                Metric(outcome, 1, dimensions={"Channel": delivery.channel.value}),
            ],
            {"orderId": message.order_id, "correlationId": message.correlation_id},
        )

    def _log_fields(
        self, order_id: str, delivery: Delivery, message: StatusMessage
    ) -> dict[str, str | None]:
        """What a log line says of one record: never the address or number, only masked."""
        return {
            "orderId": order_id,
            "status": self._status.value,
            "correlationId": message.correlation_id,
            "channel": delivery.channel.value,
            "destination": delivery.destination,
            "subject": delivery.subject,
            "reason": delivery.reason,
        }

    def _deliver(self, order: Order) -> Delivery:
        customer = order.customer
        language = customer.language or self._policy.default_language
        message = message_for(order, self._status, language)
        if customer.email:
            address = customer.email
            send_email = functools.partial(self._email.send, address, message)
            return _attempt(Channel.EMAIL, mask_email(address), message.subject, send_email)
        country = self._policy.default_country_code
        if customer.phone and self._policy.sms_enabled:
            number = e164(customer.phone, country)
            if number is None:
                return Delivery(Channel.SMS, reason="not a valid international phone number")
            send_sms = functools.partial(self._sms.send, number, message)
            return _attempt(Channel.SMS, mask_phone(number, country), message.sms, send_sms)
        if customer.phone:
            return Delivery(Channel.NONE, reason="no email, and SMS is off on this stage")
        return Delivery(Channel.NONE, reason="no email or phone")


def _attempt(
    channel: Channel,
    destination: str,
    subject: str,
    send: Callable[[], str],
) -> Delivery:
    try:
        message_id = send()
    except DeliveryRejected as rejected:
        return Delivery(channel, destination, reason=rejected.reason, subject=subject)
    except DependencyUnavailable as error:
        return Delivery(channel, destination, reason=str(error), transient=True, subject=subject)
    return Delivery(channel, destination, message_id=message_id, subject=subject)


def _actor_sub(order: Order, status: Status) -> str | None:
    """Who moved ``order`` into ``status``, by ``sub`` only (``None`` on orders from before)."""
    entry = order.entry(status)
    return None if entry is None or entry.actor is None else entry.actor.sub
