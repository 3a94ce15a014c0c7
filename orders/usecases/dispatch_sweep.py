"""The dispatch sweep: send again every status message no processor has confirmed in time."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import NamedTuple

from orders.domain.timestamps import utc_now
from orders.usecases.ports import DispatchLedger, DueDispatch, Metric, StatusQueues

logger = logging.getLogger(__name__)


class SweepReport(NamedTuple):
    """What one sweep did."""

    orders: int
    resent: int
    settled: int
    abandoned: int

    def metrics(self) -> list[Metric]:
        """What an operator watches of a sweep: resent, given up, and still pending after it."""
        pending = self.orders - self.settled - self.abandoned
        return [
            Metric("DispatchesResent", self.resent),
            Metric("DispatchesAbandoned", self.abandoned),
            Metric("DispatchesPending", pending),
        ]


class DispatchSweeper:
    """Sends again every status message whose processor has not confirmed it in time.

    Each write that enters a status leaves the message pending on the order; the processor
    clears it when it records its processing. Whatever is still pending after the grace period
    (a failed send, a function that died after its write, a message lost on the way) is sent
    again here, a few times, and then given up with an error log (the DLQ alarm will already
    be ringing for a message its processor cannot handle).
    """

    def __init__(
        self,
        orders: DispatchLedger,
        queues: StatusQueues,
        clock: Callable[[], datetime] = utc_now,
        retry_every: timedelta = timedelta(minutes=2),
        max_attempts: int = 5,
        page_size: int = 100,
        max_pages: int = 50,
    ) -> None:
        self._orders = orders
        self._queues = queues
        self._clock = clock
        self._retry_every = retry_every
        self._max_attempts = max_attempts
        # 50 pages of 100 stay well inside the function's 30 s timeout.
        self._page_size = page_size
        self._max_pages = max_pages

    def sweep(self) -> SweepReport:
        """Handle every order due now, a page at a time (each handled order leaves the page)."""
        now = self._clock()
        counts = dict.fromkeys(("orders", "resent", "settled", "abandoned"), 0)
        for _ in range(self._max_pages):
            due = self._orders.due_dispatches(now, self._page_size)
            for pending in due:
                self._handle(pending, now, counts)
            counts["orders"] += len(due)
            if len(due) < self._page_size:
                break
        return SweepReport(**counts)

    def _handle(self, pending: DueDispatch, now: datetime, counts: dict[str, int]) -> None:
        extra = {"orderId": pending.order_id}
        if not pending.messages:
            if self._orders.settle_dispatch(pending.order_id):
                counts["settled"] += 1
            else:  # a status was entered since the page was read: look again later
                self._orders.postpone_dispatch(pending.order_id, now + self._retry_every)
        elif pending.attempts >= self._max_attempts:
            logger.error("gave up sending pending status messages", extra=extra)
            self._orders.abandon_dispatch(pending.order_id)
            counts["abandoned"] += 1
        else:
            for message in pending.messages:
                self._queues.route(message)
                logger.warning(
                    "status message sent again", extra=extra | {"status": message.status}
                )
                counts["resent"] += 1
            self._orders.postpone_dispatch(pending.order_id, now + self._retry_every)
