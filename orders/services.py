"""Use cases: what happens, in what order, when an order is created, read, changed or processed."""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple, Protocol

from orders import documents
from orders.errors import (
    ConcurrentUpdate,
    DependencyUnavailable,
    IdempotencyKeyReused,
    OrderNotFound,
    VersionMismatch,
)
from orders.messages import StatusMessage
from orders.model import Change, Guard, Order, Status, optimistic_change
from orders.notifications import Notification, notification_for
from orders.notifier import PublishOutcome
from orders.repository import AlreadyExists, ConditionFailed, DueDispatch, Page
from orders.validation import (
    parse_idempotency_key,
    parse_list_query,
    parse_new_order,
    parse_order_patch,
)

logger = logging.getLogger(__name__)

# A guarded update that keeps losing to other writers gives up after this many reads.
_UPDATE_ATTEMPTS = 3
_IDEMPOTENCY_NAMESPACE = uuid.UUID("5b0f7a52-52a4-4c35-9f1e-5f1c0ab1d3a7")


class OrderRepository(Protocol):
    def add(self, order: Order, fingerprint: str | None = None) -> None: ...
    def get(self, order_id: str) -> Order: ...
    def get_many(self, order_ids: Iterable[str]) -> dict[str, Order]: ...
    def update(self, order_id: str, change: Change, guard: Guard, at: datetime) -> Order: ...
    def record_processing(
        self, order_id: str, status: Status, record: Mapping[str, Any]
    ) -> bool: ...
    def list_page(self, status: Status | None, limit: int, cursor: str | None) -> Page: ...


class DispatchLedger(Protocol):
    def due_dispatches(self, now: datetime, limit: int) -> list[DueDispatch]: ...
    def postpone_dispatch(self, order_id: str, until: datetime) -> None: ...
    def settle_dispatch(self, order_id: str) -> bool: ...
    def abandon_dispatch(self, order_id: str) -> None: ...


class Router(Protocol):
    def route(self, message: StatusMessage) -> None: ...


class Notifier(Protocol):
    def publish(self, notifications: Sequence[Notification]) -> PublishOutcome: ...


def utc_now() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


class Created(NamedTuple):
    """A created order; ``replayed`` when an ``Idempotency-Key`` found it already made."""

    order: Order
    replayed: bool = False


class OrderService:
    """The API's use cases: each validates first, then writes with a guard, then routes."""

    def __init__(
        self, orders: OrderRepository, router: Router, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self._orders = orders
        self._router = router
        self._clock = clock

    def create(self, body: object, idempotency_key: str | None = None) -> Created:
        """Store a new order and route it to the received queue.

        With an ``Idempotency-Key`` the order id is derived from the key, so a retry meets the
        stored order in the same conditional write that would have created it.
        """
        new = parse_new_order(body)
        key = parse_idempotency_key(idempotency_key)
        fingerprint = None
        order_id = str(uuid.uuid4())
        if key is not None:
            canonical = json.dumps(documents.new_order_to_document(new), sort_keys=True)
            fingerprint = hashlib.sha256(canonical.encode()).hexdigest()
            order_id = str(uuid.uuid5(_IDEMPOTENCY_NAMESPACE, key))
        order = Order.create(order_id, new, self._clock())
        try:
            self._orders.add(order, fingerprint)
        except AlreadyExists as existing:
            if key is None:
                raise
            if existing.fingerprint != fingerprint:
                raise IdempotencyKeyReused(key) from existing
            return Created(existing.current, replayed=True)
        self._route(StatusMessage.for_order(order))
        logger.info("order created", extra={"orderId": order.order_id})
        return Created(order)

    def get(self, order_id: str) -> Order:
        """The order with this id."""
        _require_order_id(order_id)
        return self._orders.get(order_id)

    def update(self, order_id: str, body: object, if_match: int | None = None) -> Order:
        """Apply a partial update; route the new status if the status changed.

        The first write is blind, guarded by what the patch needs to be legal, so a valid
        transition costs one write. Only when the guard fails is the order read, to tell a
        no-op from a missing order, a stale version or a forbidden transition.
        """
        patch = parse_order_patch(body)
        _require_order_id(order_id)
        now = self._clock()
        change, guard = optimistic_change(patch, now)
        guard = guard._replace(expected_version=if_match)
        for _ in range(_UPDATE_ATTEMPTS):
            try:
                if guard.status_in == frozenset():
                    raise ConditionFailed(self._orders.get(order_id))
                updated = self._orders.update(order_id, change, guard, now)
            except ConditionFailed as failure:
                current = failure.current
                if current is None:
                    raise OrderNotFound(order_id) from failure
                if if_match is not None and current.version != if_match:
                    raise VersionMismatch(if_match, current.version) from failure
                next_change = current.change_for(patch, now)
                if next_change is None:
                    return current
                change, guard = next_change, Guard(expected_version=current.version)
                continue
            if change.entered is not None:
                self._route(StatusMessage.for_order(updated))
                logger.info(
                    "order status changed",
                    extra={"orderId": order_id, "status": updated.status.value},
                )
            return updated
        raise ConcurrentUpdate(order_id)

    def list(self, parameters: Mapping[str, str]) -> Page:
        """One page of orders, filtered by status when asked."""
        query = parse_list_query(parameters)
        return self._orders.list_page(query.status, query.limit, query.cursor)

    def _route(self, message: StatusMessage) -> None:
        """Send the message; a failure is logged, not raised, once the write has succeeded.

        The write left the message pending on the order, so the dispatch sweeper sends it if
        this send fails (or the function dies first): the request has succeeded either way.
        """
        try:
            self._router.route(message)
        except Exception:
            logger.exception(
                "status message not sent; the dispatch sweeper will send it",
                extra={"orderId": message.order_id, "status": message.status.value},
            )


class StatusProcessor:
    """A processor's work for one status: notify the customer once, record it on the order."""

    def __init__(
        self,
        status: Status,
        orders: OrderRepository,
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
                "processedAt": documents.format_timestamp(self._clock()),
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


def _require_order_id(order_id: str) -> None:
    """Ids are UUIDs; anything else cannot name an order, so it is not found without a lookup."""
    try:
        if str(uuid.UUID(order_id)) == order_id:
            return
    except ValueError:
        pass
    raise OrderNotFound(order_id)


class SweepReport(NamedTuple):
    """What one sweep did."""

    orders: int
    resent: int
    settled: int
    abandoned: int


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
        router: Router,
        clock: Callable[[], datetime] = utc_now,
        retry_every: timedelta = timedelta(minutes=2),
        max_attempts: int = 5,
        page_size: int = 100,
        max_pages: int = 50,
    ) -> None:
        self._orders = orders
        self._router = router
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
                self._router.route(message)
                logger.warning(
                    "status message sent again", extra=extra | {"status": message.status}
                )
                counts["resent"] += 1
            self._orders.postpone_dispatch(pending.order_id, now + self._retry_every)
