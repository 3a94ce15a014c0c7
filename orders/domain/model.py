"""Statuses and their graph, the order itself and how it changes. No I/O."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple

from orders.domain.errors import NoteNeedsStatusChange, OrderIsFinal, TransitionNotAllowed

if TYPE_CHECKING:
    from orders.domain.commands import NewOrder, OrderPatch


class Status(StrEnum):
    """Where a repair stands; each status has its own queue and processor."""

    RECEIVED = "received"
    INPROCESS = "inprocess"
    COMPLETED = "completed"
    CANCELED = "canceled"


class Priority(StrEnum):
    """How soon the shop should look at the device."""

    NORMAL = "normal"
    URGENT = "urgent"


TRANSITIONS: Mapping[Status, frozenset[Status]] = MappingProxyType(
    {
        Status.RECEIVED: frozenset({Status.INPROCESS, Status.CANCELED}),
        Status.INPROCESS: frozenset({Status.COMPLETED, Status.CANCELED}),
        Status.COMPLETED: frozenset(),
        Status.CANCELED: frozenset(),
    }
)
"""The status graph: each status mapped to the statuses an order may move to next."""

INITIAL_STATUS = Status.RECEIVED
# Where an order's fields may still change: every status it can leave (final ones it cannot).
EDITABLE: frozenset[Status] = frozenset(status for status, nexts in TRANSITIONS.items() if nexts)


@functools.cache  # the graph is fixed: every status change asks again
def predecessors(status: Status) -> frozenset[Status]:
    """The statuses from which an order may move to ``status``."""
    return frozenset(source for source, targets in TRANSITIONS.items() if status in targets)


class Language(StrEnum):
    """The languages the shop speaks to its customers in."""

    ES = "es"
    EN = "en"


class Customer(NamedTuple):
    """Who brought the device in, how to reach them, and their language (if they chose one)."""

    name: str
    email: str | None = None
    phone: str | None = None
    language: Language | None = None


class Device(NamedTuple):
    """What is being repaired."""

    type: str
    brand: str | None = None
    model: str | None = None
    serial_number: str | None = None


class Actor(NamedTuple):
    """A member of staff as the order records them: the user pool's ``sub`` and a display name."""

    sub: str
    name: str


class HistoryEntry(NamedTuple):
    """The moment an order entered a status, who made the change, and the note they gave.

    ``actor`` is ``None`` only on entries stored before staff signed in.
    """

    status: Status
    at: datetime
    note: str | None = None
    actor: Actor | None = None


class Change(NamedTuple):
    """What one update writes: the fields with new values and, for a status change, its entry."""

    customer: Customer | None = None
    device: Device | None = None
    issue: str | None = None
    priority: Priority | None = None
    entered: HistoryEntry | None = None

    def field_values(self) -> dict[str, Customer | Device | str]:
        """The plain fields this change sets, by name (the status travels in ``entered``)."""
        values = {
            "customer": self.customer,
            "device": self.device,
            "issue": self.issue,
            "priority": self.priority,
        }
        return {name: value for name, value in values.items() if value is not None}


class Guard(NamedTuple):
    """What the stored order must satisfy for a change to apply; checked atomically by the store.

    ``status_in`` enforces the status graph, and keeps a final order's fields as they are,
    without reading first; ``must_differ`` makes a blind update of plain fields a no-op when the
    stored values already equal the new ones.
    """

    expected_version: int | None = None
    status_in: frozenset[Status] | None = None
    must_differ: bool = False

    def admits(self, order: Order, change: Change) -> bool:
        """Whether ``change`` may be applied to ``order`` (the store's condition, in Python)."""
        if self.expected_version is not None and order.version != self.expected_version:
            return False
        if self.status_in is not None and order.status not in self.status_in:
            return False
        if self.must_differ:
            return any(
                getattr(order, name) != value for name, value in change.field_values().items()
            )
        return True


class Order(NamedTuple):
    """A repair order as stored and served."""

    order_id: str
    status: Status
    version: int
    customer: Customer
    device: Device
    issue: str
    priority: Priority
    created_at: datetime
    updated_at: datetime
    history: tuple[HistoryEntry, ...]
    processing: Mapping[Status, Mapping[str, Any]] = MappingProxyType({})
    # Who took the device in; ``None`` only on orders stored before staff signed in.
    created_by: Actor | None = None
    # The number on the customer's receipt (``R-2026-000123``); ``None`` on orders from before.
    ticket: str | None = None

    @classmethod
    def create(
        cls, order_id: str, new: NewOrder, at: datetime, actor: Actor, ticket: str | None = None
    ) -> Order:
        """A new order, in the initial status, at version 1, taken in by ``actor``."""
        return cls(
            order_id=order_id,
            status=INITIAL_STATUS,
            version=1,
            customer=new.customer,
            device=new.device,
            issue=new.issue,
            priority=new.priority,
            created_at=at,
            updated_at=at,
            history=(HistoryEntry(INITIAL_STATUS, at, actor=actor),),
            created_by=actor,
            ticket=ticket,
        )

    def change_for(self, patch: OrderPatch, at: datetime, actor: Actor) -> Change | None:
        """The change ``patch`` makes to this order, or ``None`` if it changes nothing.

        Raises ``TransitionNotAllowed`` when the patch asks for a status the graph forbids, and
        ``NoteNeedsStatusChange`` for a note with the status the order already has (a note
        belongs to a status change, so it would be dropped), unless the status and the note are
        those of the last history entry: that is the change that made it, sent again. Raises
        ``OrderIsFinal`` when the patch would change a field of an order in a final status.
        """
        entered = None
        if (
            patch.note is not None
            and patch.status == self.status
            and patch.note != self.history[-1].note
        ):
            raise NoteNeedsStatusChange(self.status)
        if patch.status is not None and patch.status != self.status:
            allowed = TRANSITIONS[self.status]
            if patch.status not in allowed:
                raise TransitionNotAllowed(self.status, patch.status, allowed)
            entered = HistoryEntry(patch.status, at, patch.note, actor)
        change = Change(
            customer=_changed(self.customer, patch.customer),
            device=_changed(self.device, patch.device),
            issue=_changed(self.issue, patch.issue),
            priority=_changed(self.priority, patch.priority),
            entered=entered,
        )
        if change == Change():
            return None
        if self.status not in EDITABLE:  # final: no status to move to, so a field changes
            raise OrderIsFinal(self.status)
        return change

    def with_change(self, change: Change, at: datetime) -> Order:
        """This order after ``change``: one version later, and in the new status if any."""
        updated = self._replace(
            customer=change.customer or self.customer,
            device=change.device or self.device,
            issue=change.issue or self.issue,
            priority=change.priority or self.priority,
            version=self.version + 1,
            updated_at=at,
        )
        if change.entered is None:
            return updated
        return updated._replace(
            status=change.entered.status, history=(*self.history, change.entered)
        )

    def entered(self, status: Status) -> bool:
        """Whether the order has ever been in ``status``."""
        return any(entry.status == status for entry in self.history)

    def entry(self, status: Status) -> HistoryEntry | None:
        """The history entry of ``status``, if the order has entered it (a status is entered
        at most once: the graph has no cycle)."""
        return next((entry for entry in self.history if entry.status == status), None)


def optimistic_change(patch: OrderPatch, at: datetime, actor: Actor) -> tuple[Change, Guard]:
    """The change and guard for applying ``patch`` without reading the order first.

    A status change is guarded by the statuses it may come from; a change of plain fields by
    "the order is not final and something differs". When the guard fails, read the order and
    use ``Order.change_for``.
    """
    entered = None if patch.status is None else HistoryEntry(patch.status, at, patch.note, actor)
    change = Change(
        customer=patch.customer,
        device=patch.device,
        issue=patch.issue,
        priority=patch.priority,
        entered=entered,
    )
    if patch.status is not None:
        return change, Guard(status_in=predecessors(patch.status))
    return change, Guard(status_in=EDITABLE, must_differ=True)


def _changed[T](current: T, requested: T | None) -> T | None:
    return requested if requested is not None and requested != current else None
