"""Status processing: tell the customer once per status entered, then record it on the order."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from orders.domain.errors import DependencyUnavailable, OrderNotFound
from orders.domain.messages import StatusMessage
from orders.domain.model import Order, Status
from orders.domain.notifications import notification_for
from orders.domain.timestamps import format_timestamp, utc_now
from orders.usecases.ports import Notifier, OrderStore, PublishOutcome

logger = logging.getLogger(__name__)


class StatusProcessor:
    """A processor's work for one status: notify the customer once, record it on the order."""

    def __init__(
        self,
        status: Status,
        orders: OrderStore,
        notifier: Notifier,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._status = status
        self._orders = orders
        self._notifier = notifier
        self._clock = clock

    def process(self, deliveries: Mapping[str, StatusMessage]) -> set[str]:
        """Process a batch of messages by delivery id; return the ids that failed.

        A delivery fails alone when its order is unknown, never entered this status, or could
        not be notified or recorded; duplicates (already recorded, or twice in this batch)
        succeed without a second notification.
        """
        failed = {
            delivery for delivery, message in deliveries.items() if message.status != self._status
        }
        wanted = {d: m for d, m in deliveries.items() if d not in failed}
        orders = self._orders.get_many(message.order_id for message in wanted.values())
        pending: dict[str, tuple[Order, StatusMessage]] = {}
        for delivery, message in wanted.items():
            order = orders.get(message.order_id)
            if order is None or not order.entered(self._status):
                logger.warning("no such order in this status", extra={"orderId": message.order_id})
                failed.add(delivery)
            elif self._status not in order.processing:
                pending[order.order_id] = (order, message)
        unfinished = self._notify_and_record(list(pending.values()))
        failed.update(d for d, m in wanted.items() if m.order_id in unfinished)
        return failed

    def _notify_and_record(self, pending: Sequence[tuple[Order, StatusMessage]]) -> set[str]:
        notifications = [notification_for(order, self._status) for order, _ in pending]
        outcome = self._notifier.publish(notifications) if notifications else PublishOutcome()
        unfinished: set[str] = set()
        for index, (order, message) in enumerate(pending):
            notification_id = outcome.published.get(index)
            if notification_id is None:
                unfinished.add(order.order_id)
                continue
            record = {
                "processedAt": format_timestamp(self._clock()),
                "notificationId": notification_id,
                "version": message.version,
            }
            try:
                self._orders.record_processing(order.order_id, self._status, record)
            except (OrderNotFound, DependencyUnavailable):
                unfinished.add(order.order_id)
                continue
            logger.info(
                "order processed", extra={"orderId": order.order_id, "status": self._status.value}
            )
        return unfinished
