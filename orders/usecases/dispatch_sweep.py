"""The dispatch sweep: send again every status message no processor has confirmed in time."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from orders.domain.timestamps import utc_now
from orders.usecases.ports import DispatchLedger, DueDispatch, Metric, StatusQueues

logger = logging.getLogger(__name__)


class SweepReport(NamedTuple):
    """What one sweep did; ``stopped_early`` when it left work for the next run."""

    orders: int
    resent: int
    settled: int
    abandoned: int
    failed: int
    stopped_early: bool

    def metrics(self) -> list[Metric]:
        """What an operator watches of a sweep: resent, given up, and still pending after it."""
        pending = (
            self.orders - self.settled
        )  # an abandoned order with nothing else pending is settled too
        return [
            Metric("DispatchesResent", self.resent),
            Metric("DispatchesAbandoned", self.abandoned),
            Metric("DispatchesPending", pending),
        ]


def _unlimited() -> float:
    return float("inf")


class DispatchSweeper:
    """Sends again every status message whose processor has not confirmed it in time.

    Each write that enters a status leaves its message pending on the order; the processor
    clears it when it records its processing. A message may legitimately stay on its queue
    for ``grace`` (every receive hides it for a visibility timeout, and only after the last
    receive does it go to the DLQ), so only a status whose last send is older than that is
    sent again (a failed send, a function that died after its write, a message lost on the
    way), up to ``max_resends`` times; then it is given up with an error log, and only it.
    """

    def __init__(
        self,
        orders: DispatchLedger,
        queues: StatusQueues,
        *,
        grace: timedelta,
        clock: Callable[[], datetime] = utc_now,
        max_resends: int = 5,
        page_size: int = 100,
    ) -> None:
        self._orders = orders
        self._queues = queues
        self._grace = grace
        self._clock = clock
        self._max_resends = max_resends
        self._page_size = page_size

    def sweep(
        self, seconds_left: Callable[[], float] = _unlimited, margin: float = 8.0
    ) -> SweepReport:
        """Handle every order due now, one at a time, until done or ``margin`` s remain.

        ``margin`` covers the slowest single order (a few AWS calls at their timeouts), so the
        run ends on its own before the function's timeout; the next run picks up the rest.
        """
        now = self._clock()
        counts = dict.fromkeys(("orders", "resent", "settled", "abandoned", "failed"), 0)
        start: Mapping[str, Any] | None = None
        while True:
            if seconds_left() < margin:
                return SweepReport(**counts, stopped_early=True)
            page = self._orders.due_dispatches(now, self._page_size, start)
            for due in page.items:
                if seconds_left() < margin:
                    return SweepReport(**counts, stopped_early=True)
                counts["orders"] += 1
                try:
                    self._handle(due, now, counts)
                except Exception:  # one order never stops the sweep: log, count, go on
                    logger.exception(
                        "dispatch sweep failed for an order", extra={"orderId": due.order_id}
                    )
                    counts["failed"] += 1
            if page.next_start is None:
                return SweepReport(**counts, stopped_early=False)
            start = page.next_start

    def _handle(self, due: DueDispatch, now: datetime, counts: dict[str, int]) -> None:
        extra = {"orderId": due.order_id}
        next_looks: list[datetime] = []
        for pending in due.pending:
            status = pending.message.status.value
            if now - pending.last_sent < self._grace:  # it may still be on its queue
                next_looks.append(pending.last_sent + self._grace)
            elif pending.resends >= self._max_resends:
                if self._orders.abandon_dispatch(due.order_id, pending):
                    logger.error(
                        "gave up sending a status message",
                        extra=extra | {"status": status, "version": pending.message.version},
                    )
                    counts["abandoned"] += 1
            else:
                self._queues.route(pending.message)
                if self._orders.record_resend(due.order_id, pending, now):
                    logger.warning("status message sent again", extra=extra | {"status": status})
                    counts["resent"] += 1
                    next_looks.append(now + self._grace)
        if due.unreadable:
            # Written by another version, or by hand: kept for a person, looked at again later.
            logger.error(
                "pending status messages this version cannot read",
                extra=extra | {"entries": list(due.unreadable)},
            )
            counts["failed"] += 1
            next_looks.append(now + self._grace)
        if next_looks:
            self._orders.postpone_dispatch(due.order_id, min(next_looks))
        elif self._orders.settle_dispatch(due.order_id):
            counts["settled"] += 1
        # Otherwise a status was entered since the page was read; that write set its own due.
