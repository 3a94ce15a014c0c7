"""In-memory stand-ins for the adapters behind the protocols in ``orders.usecases.ports``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from orders.domain import documents
from orders.domain.commands import NewOrder
from orders.domain.customer_messages import CustomerMessage
from orders.domain.errors import DependencyUnavailable, OrderNotFound
from orders.domain.messages import OrderEvent, StatusMessage
from orders.domain.model import Change, Customer, Device, Guard, HistoryEntry, Order, Status
from orders.usecases.ports import (
    AlreadyExists,
    ConditionFailed,
    DeliveryRejected,
    Page,
    PublishOutcome,
)
from tests.support.data import FRONT_DESK, TECHNICIAN


class FakeOrderRepository:
    """Orders in a dict, with the table's conditions checked in Python; counts every write."""

    def __init__(self, *orders: Order) -> None:
        self.orders: dict[str, Order] = {order.order_id: order for order in orders}
        self.fingerprints: dict[str, str | None] = {}
        self.writes = 0

    def add(
        self, order: Order, fingerprint: str | None = None, correlation_id: str | None = None
    ) -> None:
        current = self.orders.get(order.order_id)
        if current is not None:
            raise AlreadyExists(current, self.fingerprints.get(order.order_id))
        self.orders[order.order_id] = order
        self.fingerprints[order.order_id] = fingerprint
        self.writes += 1

    def get(self, order_id: str) -> Order:
        try:
            return self.orders[order_id]
        except KeyError:
            raise OrderNotFound(order_id) from None

    def get_document(self, order_id: str) -> dict[str, Any]:
        return documents.order_to_document(self.get(order_id))

    def get_many(self, order_ids: Iterable[str]) -> dict[str, Order]:
        return {oid: self.orders[oid] for oid in set(order_ids) if oid in self.orders}

    def update(
        self,
        order_id: str,
        change: Change,
        guard: Guard,
        at: datetime,
        correlation_id: str | None = None,
    ) -> Order:
        current = self.orders.get(order_id)
        if current is None or not guard.admits(current, change):
            raise ConditionFailed(current)
        updated = current.with_change(change, at)
        self.orders[order_id] = updated
        self.writes += 1
        return updated

    def record_processing(self, order_id: str, status: Status, record: Mapping[str, Any]) -> bool:
        current = self.get(order_id)
        if status in current.processing:
            return False
        processing = {**current.processing, status: dict(record)}
        self.orders[order_id] = current._replace(processing=processing)
        self.writes += 1
        return True

    def record_many(self, status: Status, records: Mapping[str, Mapping[str, Any]]) -> set[str]:
        unrecorded = set()
        for order_id, record in records.items():
            try:
                self.record_processing(order_id, status, record)
            except OrderNotFound:
                unrecorded.add(order_id)
        return unrecorded

    def list_page(self, status: Status | None, limit: int, cursor: str | None) -> Page:
        matching = sorted(
            (o for o in self.orders.values() if status is None or o.status == status),
            key=lambda order: order.created_at,
            reverse=True,
        )
        start = int(cursor) if cursor is not None else 0
        end = start + limit
        page = tuple(documents.order_to_document(order) for order in matching[start:end])
        return Page(page, str(end) if end < len(matching) else None)

    def find_ticket(self, ticket: str, status: Status | None) -> Page:
        found = (
            o
            for o in self.orders.values()
            if o.ticket == ticket and (status is None or o.status == status)
        )
        return Page(tuple(documents.order_to_document(order) for order in found), None)


class FakeTicketCounter:
    """Each year's sequence in a dict, as the counter item would hold it."""

    def __init__(self) -> None:
        self.last: dict[int, int] = {}

    def next(self, year: int) -> int:
        self.last[year] = self.last.get(year, 0) + 1
        return self.last[year]


class FakeRouter:
    """Keeps every routed message, in order; can be told the queues are down for a few sends."""

    def __init__(self, unavailable_for: int = 0) -> None:
        self.messages: list[StatusMessage] = []
        self.unavailable_for = unavailable_for

    def route(self, message: StatusMessage) -> None:
        if self.unavailable_for > 0:
            self.unavailable_for -= 1
            raise DependencyUnavailable("SendMessage throttled")
        self.messages.append(message)


class FakeOrderEvents:
    """Keeps every published event; refuses those for the orders told to fail."""

    def __init__(self, failing_order_ids: Iterable[str] = ()) -> None:
        self.published: list[OrderEvent] = []
        self.failing_order_ids = set(failing_order_ids)

    def publish(self, events: Sequence[OrderEvent]) -> PublishOutcome:
        outcome = PublishOutcome()
        for index, event in enumerate(events):
            if event.order_id in self.failing_order_ids:
                outcome.failed.add(index)
            else:
                self.published.append(event)
                outcome.published[index] = f"event-{len(self.published)}"
        return outcome


class FakeSender:
    """An email or SMS provider: keeps what it sent; refuses some destinations, for good or not.

    ``rejected`` maps a destination to the provider's reason (a permanent refusal);
    ``unavailable`` lists destinations for which it is throttled (a transient failure).
    """

    def __init__(
        self, rejected: Mapping[str, str] | None = None, unavailable: Iterable[str] = ()
    ) -> None:
        self.sent: list[tuple[str, CustomerMessage]] = []
        self.rejected = dict(rejected or {})
        self.unavailable = set(unavailable)

    def send(self, destination: str, message: CustomerMessage) -> str:
        if destination in self.rejected:
            raise DeliveryRejected(self.rejected[destination])
        if destination in self.unavailable:
            raise DependencyUnavailable("TooManyRequestsException")
        self.sent.append((destination, message))
        return f"sent-{len(self.sent)}"


class Clock:
    """A clock that reads ``start``, then one second later on every call (UTC)."""

    def __init__(self, start: datetime = datetime(2024, 3, 4, 9, 30, tzinfo=UTC)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        moment = self.now
        self.now += timedelta(seconds=1)
        return moment


# The moment the unit tests run at, and the ids of their orders.
NOW = datetime(2024, 3, 4, 9, 30, tzinfo=UTC)
LUCIA_ID = "3f6c2a8e-51b4-4f7d-9a0e-6d2b8c1e7f45"
KWAME_ID = "7b1d9c2e-4a3f-4e6b-8d5c-2f1a0e9b8c7d"
NOBODY_ID = "00000000-0000-4000-8000-000000000000"
LUCIA = Customer(name="Lucía Fernández", email="lucia.fernandez@example.com")
THINKPAD = Device(type="laptop", brand="Lenovo", model="ThinkPad T14", serial_number="PF-3XK9QZ")
COFFEE_SPILL = "Does not boot after a coffee spill on the keyboard."
_PATHS = {
    Status.RECEIVED: (Status.RECEIVED,),
    Status.INPROCESS: (Status.RECEIVED, Status.INPROCESS),
    Status.COMPLETED: (Status.RECEIVED, Status.INPROCESS, Status.COMPLETED),
    Status.CANCELED: (Status.RECEIVED, Status.CANCELED),
}


def order_in(
    status: Status,
    order_id: str = "3f6c2a8e-51b4-4f7d-9a0e-6d2b8c1e7f45",
    *,
    customer: Customer = LUCIA,
    device: Device = THINKPAD,
    created_at: datetime = datetime(2024, 3, 1, 8, 15, tzinfo=UTC),
) -> Order:
    """Lucía's coffee-soaked ThinkPad, walked along the graph to ``status``, one hour a step."""
    new = NewOrder(customer=customer, device=device, issue=COFFEE_SPILL)
    order = Order.create(order_id, new, created_at, FRONT_DESK)
    for hours, next_status in enumerate(_PATHS[status][1:], start=1):
        entry = HistoryEntry(next_status, created_at + timedelta(hours=hours), actor=TECHNICIAN)
        order = order.with_change(Change(entered=entry), entry.at)
    return order
