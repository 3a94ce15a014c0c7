"""The commands the use cases receive: validated requests, already in domain values."""

from __future__ import annotations

from typing import NamedTuple

from orders.domain.model import Customer, Device, Priority, Status


class NewOrder(NamedTuple):
    """A validated request to create an order."""

    customer: Customer
    device: Device
    issue: str
    priority: Priority = Priority.NORMAL


class OrderPatch(NamedTuple):
    """A validated partial update; ``None`` means the field was not sent."""

    status: Status | None = None
    note: str | None = None
    customer: Customer | None = None
    device: Device | None = None
    issue: str | None = None
    priority: Priority | None = None


class ListQuery(NamedTuple):
    """A validated request for one page of orders, or for the order with a ticket number."""

    status: Status | None
    limit: int
    cursor: str | None = None
    ticket: str | None = None
