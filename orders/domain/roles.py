"""What each staff group may do: the one table of roles, and the permissions a request needs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import NamedTuple

from orders.domain.commands import OrderPatch
from orders.domain.errors import Forbidden
from orders.domain.model import Actor, Status


class Permission(StrEnum):
    """One thing a member of staff may be allowed to do to orders."""

    CREATE = "orders:create"
    READ = "orders:read"
    EDIT = "orders:edit"  # customer, device, issue, priority
    START = "orders:start"  # received -> inprocess
    COMPLETE = "orders:complete"  # inprocess -> completed
    CANCEL = "orders:cancel"


ROLES: Mapping[str, frozenset[Permission]] = MappingProxyType(
    {
        "frontdesk": frozenset(
            {Permission.CREATE, Permission.READ, Permission.EDIT, Permission.CANCEL}
        ),
        "technician": frozenset({Permission.READ, Permission.START, Permission.COMPLETE}),
        "admin": frozenset(Permission),
    }
)
"""The user pool's groups and what each allows; a group not named here allows nothing."""

# Entering a status is allowed by this permission (a note goes with its status change).
# ``received`` is only entered by creating an order: asking for it again changes nothing (the
# order is received) or is refused by the status graph (409), so reading is all it needs.
_ENTERING: Mapping[Status, Permission] = MappingProxyType(
    {
        Status.RECEIVED: Permission.READ,
        Status.INPROCESS: Permission.START,
        Status.COMPLETED: Permission.COMPLETE,
        Status.CANCELED: Permission.CANCEL,
    }
)


class Staff(NamedTuple):
    """The signed-in member of staff making a request, and the groups they belong to."""

    actor: Actor
    groups: frozenset[str]

    def permissions(self) -> frozenset[Permission]:
        """Everything this member of staff's groups allow together."""
        return frozenset().union(*(ROLES.get(group, frozenset()) for group in self.groups))

    def require(self, needed: Iterable[Permission]) -> None:
        """Raise ``Forbidden`` naming the first of ``needed`` this member of staff lacks."""
        allowed = self.permissions()
        for permission in sorted(needed):
            if permission not in allowed:
                raise Forbidden(permission.value, sorted(self.groups))


def permissions_for(patch: OrderPatch) -> frozenset[Permission]:
    """The permissions an update needs: its status change's, and editing for any field."""
    needed = set()
    if patch.status is not None:
        needed.add(_ENTERING[patch.status])
    edits = (patch.customer, patch.device, patch.issue, patch.priority)
    if any(value is not None for value in edits):
        needed.add(Permission.EDIT)
    return frozenset(needed)
