"""The API's use cases: create, read, change and list orders, each write guarded, then routed."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, NamedTuple

from orders.domain import documents
from orders.domain.commands import ListQuery, NewOrder, OrderPatch
from orders.domain.errors import (
    ConcurrentUpdate,
    IdempotencyKeyReused,
    OrderNotFound,
    VersionMismatch,
)
from orders.domain.messages import StatusMessage
from orders.domain.model import Actor, Guard, Order, optimistic_change
from orders.domain.tickets import ticket_number
from orders.domain.timestamps import utc_now
from orders.usecases.ports import (
    AlreadyExists,
    ConditionFailed,
    Metric,
    Metrics,
    NoMetrics,
    OrderListing,
    OrderStore,
    Page,
    StatusQueues,
    TicketCounter,
)

logger = logging.getLogger(__name__)

# A guarded update that keeps losing to other writers gives up after this many reads.
_UPDATE_ATTEMPTS = 3
_IDEMPOTENCY_NAMESPACE = uuid.UUID("5b0f7a52-52a4-4c35-9f1e-5f1c0ab1d3a7")
# A UUID as str(uuid.UUID(...)) writes it, as every order id is written: lower case, hyphenated.
_ORDER_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class Created(NamedTuple):
    """A created order; ``replayed`` when an ``Idempotency-Key`` found it already made."""

    order: Order
    replayed: bool = False


class OrderService:
    """The API's use cases: each receives a validated command, writes with a guard, then routes."""

    def __init__(
        self,
        orders: OrderStore,
        listing: OrderListing,
        queues: StatusQueues,
        tickets: TicketCounter,
        clock: Callable[[], datetime] = utc_now,
        metrics: Metrics | None = None,
    ) -> None:
        self._orders = orders
        self._listing = listing
        self._queues = queues
        self._tickets = tickets
        self._clock = clock
        self._metrics = metrics or NoMetrics()

    def create(
        self,
        new: NewOrder,
        actor: Actor,
        idempotency_key: str | None = None,
        correlation_id: str | None = None,
    ) -> Created:
        """Store a new order taken in by ``actor`` and route it to the received queue.

        With an ``Idempotency-Key`` the order id is derived from the actor and the key, so a
        retry meets the stored order in the same conditional write that would have created it,
        and two members of staff who pick the same key never meet each other's order.
        """
        fingerprint = None
        order_id = str(uuid.uuid4())
        if idempotency_key is not None:
            canonical = json.dumps(documents.new_order_to_document(new), sort_keys=True)
            fingerprint = hashlib.sha256(canonical.encode()).hexdigest()
            # A newline cannot occur in either part, so no two (sub, key) pairs share a name.
            scoped = f"{actor.sub}\n{idempotency_key}"
            order_id = str(uuid.uuid5(_IDEMPOTENCY_NAMESPACE, scoped))
        now = self._clock()
        # Taken before the write, which stores it: a replay keeps the stored order's number
        # and leaves this one unused (a gap, never a number given twice).
        ticket = ticket_number(now.year, self._tickets.next(now.year))
        order = Order.create(order_id, new, now, actor, ticket)
        try:
            self._orders.add(order, fingerprint, correlation_id=correlation_id)
        except AlreadyExists as existing:
            if idempotency_key is None:
                raise
            if existing.fingerprint != fingerprint:
                raise IdempotencyKeyReused(idempotency_key) from existing
            return Created(existing.current, replayed=True)
        self._route(StatusMessage.for_order(order, correlation_id))
        logger.info("order created", extra={"orderId": order.order_id})
        self._metrics.emit(
            [Metric("OrdersCreated", 1), _status_entered(order)],
            {"orderId": order.order_id, "correlationId": correlation_id},
        )
        return Created(order)

    def get(self, order_id: str) -> dict[str, Any]:
        """The order with this id, as its document: a read only shows it (see ``Page``)."""
        _require_order_id(order_id)
        return self._orders.get_document(order_id)

    def update(
        self,
        order_id: str,
        patch: OrderPatch,
        actor: Actor,
        if_match: int | None = None,
        correlation_id: str | None = None,
    ) -> Order:
        """Apply ``actor``'s partial update; route the new status if the status changed.

        The first write is blind, guarded by what the patch needs to be legal, so a valid
        transition costs one write. Only when the guard fails is the order read, to tell a
        no-op from a missing order, a stale version or a forbidden transition.
        """
        _require_order_id(order_id)
        now = self._clock()
        change, guard = optimistic_change(patch, now, actor)
        guard = guard._replace(expected_version=if_match)
        for _ in range(_UPDATE_ATTEMPTS):
            try:
                if guard.status_in == frozenset():
                    raise ConditionFailed(self._orders.get(order_id))
                updated = self._orders.update(
                    order_id, change, guard, now, correlation_id=correlation_id
                )
            except ConditionFailed as failure:
                current = failure.current
                if current is None:
                    raise OrderNotFound(order_id) from failure
                if if_match is not None and current.version != if_match:
                    raise VersionMismatch(if_match, current.version) from failure
                next_change = current.change_for(patch, now, actor)
                if next_change is None:
                    return current
                change, guard = next_change, Guard(expected_version=current.version)
                continue
            if change.entered is not None:
                self._route(StatusMessage.for_order(updated, correlation_id))
                logger.info(
                    "order status changed",
                    extra={"orderId": order_id, "status": updated.status.value},
                )
                self._metrics.emit(
                    [_status_entered(updated)],
                    {"orderId": order_id, "correlationId": correlation_id},
                )
            return updated
        raise ConcurrentUpdate(order_id)

    def list(self, query: ListQuery) -> Page:
        """One page of orders, filtered by status when asked; or the order with a ticket."""
        if query.ticket is not None:
            return self._listing.find_ticket(query.ticket, query.status)
        return self._listing.list_page(query.status, query.limit, query.cursor)

    def _route(self, message: StatusMessage) -> None:
        """Send the message; a failure is logged, not raised, once the write has succeeded.

        The write left the message pending on the order, so the dispatch sweeper sends it if
        this send fails (or the function dies first): the request has succeeded either way.
        """
        try:
            self._queues.route(message)
        except Exception:
            logger.exception(
                "status message not sent; the dispatch sweeper will send it",
                extra={"orderId": message.order_id, "status": message.status.value},
            )


def _status_entered(order: Order) -> Metric:
    return Metric("StatusEntered", 1, dimensions={"Status": order.status.value})


def _require_order_id(order_id: str) -> None:
    """Ids are UUIDs; anything else cannot name an order, so it is not found without a lookup."""
    if not _ORDER_ID.fullmatch(order_id):
        raise OrderNotFound(order_id)
