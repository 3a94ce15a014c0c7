"""What the use cases need from the outside world, as Protocols, and the values they exchange.

The adapters implement these; the unit tests give fakes. Nothing here imports an SDK.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from orders.domain.model import Change, Guard, Language, Order, Status

if TYPE_CHECKING:  # named in signatures only: the API function never loads customer messages
    from orders.domain.customer_messages import CustomerMessage
    from orders.domain.messages import OrderEvent, StatusMessage


class ConditionFailed(Exception):
    """A guarded write did not apply; ``current`` is the stored order (``None`` if none exists)."""

    def __init__(self, current: Order | None) -> None:
        self.current = current
        super().__init__("condition failed")


class AlreadyExists(Exception):
    """An order with this id exists; ``current`` is it, ``fingerprint`` the request that made it."""

    def __init__(self, current: Order, fingerprint: str | None) -> None:
        self.current = current
        self.fingerprint = fingerprint
        super().__init__(f"order {current.order_id} exists")


class Page(NamedTuple):
    """One page of a listing, as order documents, and the cursor of the next, if there is one.

    Documents (``documents.order_to_document``'s shape), not ``Order`` values: a listing only
    shows orders, and a page of them built as values only to be turned back into documents cost
    several times the request itself.
    """

    items: tuple[dict[str, Any], ...]
    next_cursor: str | None


class PendingMessage(NamedTuple):
    """A status message no processor has confirmed: how often it was sent again, and when last."""

    message: StatusMessage
    resends: int
    last_sent: datetime


class DueDispatch(NamedTuple):
    """An order due for a look: its unconfirmed messages, and pending marks it cannot read."""

    order_id: str
    pending: tuple[PendingMessage, ...]
    unreadable: tuple[str, ...] = ()


class DuePage(NamedTuple):
    """One page of orders due for a look, and where the next page starts (``None``: last)."""

    items: tuple[DueDispatch, ...]
    next_start: Mapping[str, Any] | None


class DeliveryRejected(Exception):
    """The provider refused a message for good (bad address, unverified sender): do not retry."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class PublishOutcome:
    """Which events were accepted (with the provider's message id) and which refused."""

    def __init__(self) -> None:
        self.published: dict[int, str] = {}
        self.failed: set[int] = set()


class OrderStore(Protocol):
    """Orders by id, every write guarded by a condition the store checks atomically."""

    def add(
        self, order: Order, fingerprint: str | None = None, correlation_id: str | None = None
    ) -> None: ...
    def get(self, order_id: str) -> Order: ...
    def get_document(self, order_id: str) -> dict[str, Any]: ...
    def get_many(self, order_ids: Iterable[str]) -> dict[str, Order]: ...
    def update(
        self,
        order_id: str,
        change: Change,
        guard: Guard,
        at: datetime,
        correlation_id: str | None = None,
    ) -> Order: ...
    def record_processing(
        self, order_id: str, status: Status, record: Mapping[str, Any]
    ) -> bool: ...
    def record_many(self, status: Status, records: Mapping[str, Mapping[str, Any]]) -> set[str]: ...


class OrderListing(Protocol):
    """Pages of orders, by status newest first or all of them, behind an opaque cursor."""

    def list_page(self, status: Status | None, limit: int, cursor: str | None) -> Page: ...
    def find_ticket(self, ticket: str, status: Status | None) -> Page: ...


class TicketCounter(Protocol):
    """Hands out each year's ticket sequence, atomically: a number is never given twice."""

    def next(self, year: int) -> int: ...


class DispatchLedger(Protocol):
    """The status messages written with each status change and not yet confirmed."""

    def due_dispatches(
        self, now: datetime, limit: int, start: Mapping[str, Any] | None = None
    ) -> DuePage: ...
    def record_resend(self, order_id: str, pending: PendingMessage, at: datetime) -> bool: ...
    def abandon_dispatch(self, order_id: str, pending: PendingMessage) -> bool: ...
    def postpone_dispatch(self, order_id: str, until: datetime) -> None: ...
    def settle_dispatch(self, order_id: str) -> bool: ...


class StatusQueues(Protocol):
    """Delivers a status message to its status's queue."""

    def route(self, message: StatusMessage) -> None: ...


class OrderEvents(Protocol):
    """Publishes order events; the outcome is keyed by each event's index in the sequence."""

    def publish(self, events: Sequence[OrderEvent]) -> PublishOutcome: ...


class EmailSender(Protocol):
    """Sends one email from the stage's sender; returns the provider's message id.

    Raises ``DeliveryRejected`` when the provider refuses it for good, and
    ``DependencyUnavailable`` when a later attempt may succeed.
    """

    def send(self, to: str, message: CustomerMessage) -> str: ...


class SmsSender(Protocol):
    """Sends one SMS to an E.164 number; returns the provider's message id.

    Raises ``DeliveryRejected`` (invalid or opted-out number) or ``DependencyUnavailable``.
    """

    def send(self, phone: str, message: CustomerMessage) -> str: ...


class DeliveryPolicy(NamedTuple):
    """The stage's choices: the language of customers who chose none, SMS on or off, +country."""

    default_language: Language = Language.ES
    sms_enabled: bool = True
    default_country_code: str = "+34"


class Metric(NamedTuple):
    """One business measurement: a count or a duration, with the dimensions it is kept under.

    ``rollup`` keeps it also without its dimensions, so one alarm can watch every status at once.
    """

    name: str
    value: float
    unit: str = "Count"
    dimensions: Mapping[str, str] = MappingProxyType({})
    rollup: bool = False


class Metrics(Protocol):
    """Where business metrics go; ``properties`` (order id, correlation id) make them findable."""

    def emit(self, metrics: Sequence[Metric], properties: Mapping[str, Any]) -> None: ...


class NoMetrics:
    """Metrics that go nowhere: for use cases wired without a sink (scripts, some tests)."""

    def emit(self, metrics: Sequence[Metric], properties: Mapping[str, Any]) -> None:
        """Drop them."""
