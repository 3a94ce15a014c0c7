"""Domain errors: one type per failure a caller can see; the API edge maps each to a status."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple


class FieldError(NamedTuple):
    """One invalid input field, named by its dotted path (e.g. ``customer.email``)."""

    field: str
    message: str


class OrdersError(Exception):
    """Base class of every failure the service reports to its callers."""


class ValidationFailed(OrdersError):
    """The input breaks one or more rules; ``errors`` says which fields and why."""

    def __init__(self, errors: Iterable[FieldError]) -> None:
        self.errors = tuple(errors)
        super().__init__(f"{len(self.errors)} invalid field(s)")


class OrderNotFound(OrdersError):
    """No order has this id."""

    def __init__(self, order_id: str) -> None:
        self.order_id = order_id
        super().__init__(f"order {order_id} does not exist")


class TransitionNotAllowed(OrdersError):
    """The status graph has no edge from the order's status to the requested one."""

    def __init__(self, current: str, requested: str, allowed: Iterable[str]) -> None:
        self.current = current
        self.requested = requested
        self.allowed = tuple(sorted(allowed))
        super().__init__(f"cannot move from {current} to {requested}")


class OrderIsFinal(OrdersError):
    """The order is in a final status, so its fields no longer change."""

    def __init__(self, status: str) -> None:
        self.status = status
        super().__init__(f"the order is {status}, which is final")


class NoteNeedsStatusChange(OrdersError):
    """A note for the status the order already has, other than the note it entered it with."""

    def __init__(self, status: str) -> None:
        self.status = status
        super().__init__(f"the order is already {status}")


class VersionMismatch(OrdersError):
    """The caller's ``If-Match`` version is not the stored one."""

    def __init__(self, expected: int, actual: int) -> None:
        self.expected = expected
        self.actual = actual
        super().__init__(f"expected version {expected}, found {actual}")


class ConcurrentUpdate(OrdersError):
    """Other writers kept changing the order while this update was retried."""


class Forbidden(OrdersError):
    """The caller's groups do not allow ``permission``; nothing was done."""

    def __init__(self, permission: str, groups: Iterable[str]) -> None:
        self.permission = permission
        self.groups = tuple(groups)
        super().__init__(f"{permission} not allowed for groups {self.groups}")


class IdempotencyKeyReused(OrdersError):
    """An ``Idempotency-Key`` already created an order from a different request body."""


class InvalidCursor(OrdersError):
    """A list cursor was not issued by this service for this listing."""


class DependencyUnavailable(OrdersError):
    """An AWS dependency is throttling or unreachable; the caller should retry later."""

    retry_after_seconds = 1
