"""The roles table: what each staff group may do, and what each kind of update needs."""

from __future__ import annotations

import pytest

from orders.domain.commands import OrderPatch
from orders.domain.errors import Forbidden
from orders.domain.model import Priority, Status
from orders.domain.roles import ROLES, Permission, Staff, permissions_for
from tests.support.data import FRONT_DESK, LAPTOP_DEVICE, TECHNICIAN

ALLOWED = {
    "frontdesk": {"orders:create", "orders:read", "orders:edit", "orders:cancel"},
    "technician": {"orders:read", "orders:start", "orders:complete"},
    "admin": {p.value for p in Permission},
}
PAIRS = [(group, permission) for group in ALLOWED for permission in Permission]


def test_the_table_names_exactly_the_three_groups_of_the_user_pool() -> None:
    assert set(ROLES) == {"frontdesk", "technician", "admin"}


@pytest.mark.parametrize(("group", "permission"), PAIRS)
def test_each_group_is_allowed_exactly_its_permissions(group: str, permission: Permission) -> None:
    staff = Staff(FRONT_DESK, frozenset({group}))

    if permission.value in ALLOWED[group]:
        staff.require([permission])
    else:
        with pytest.raises(Forbidden) as refused:
            staff.require([permission])
        assert (refused.value.permission, refused.value.groups) == (permission.value, (group,))


def test_someone_in_two_groups_may_do_what_either_allows() -> None:
    both = Staff(TECHNICIAN, frozenset({"technician", "frontdesk"}))

    both.require([Permission.CREATE, Permission.START, Permission.CANCEL])


@pytest.mark.parametrize("groups", [frozenset(), frozenset({"owners", "Admin"})])
def test_no_group_or_an_unknown_one_allows_nothing(groups: frozenset[str]) -> None:
    staff = Staff(TECHNICIAN, groups)

    assert staff.permissions() == frozenset()
    with pytest.raises(Forbidden) as refused:
        staff.require([Permission.READ])
    assert refused.value.groups == tuple(sorted(groups))


def test_the_refusal_names_the_first_missing_permission_of_several() -> None:
    technician = Staff(TECHNICIAN, frozenset({"technician"}))

    with pytest.raises(Forbidden) as refused:
        technician.require([Permission.START, Permission.EDIT])

    assert refused.value.permission == "orders:edit"


@pytest.mark.parametrize(
    ("patch", "needed"),
    [
        (OrderPatch(status=Status.INPROCESS), {Permission.START}),
        (OrderPatch(status=Status.COMPLETED, note="Screen replaced."), {Permission.COMPLETE}),
        (OrderPatch(status=Status.CANCELED, note="Customer declined."), {Permission.CANCEL}),
        (OrderPatch(status=Status.RECEIVED), {Permission.READ}),
        (OrderPatch(priority=Priority.URGENT), {Permission.EDIT}),
        (OrderPatch(issue="Also the hinge is loose."), {Permission.EDIT}),
        (OrderPatch(device=LAPTOP_DEVICE), {Permission.EDIT}),
        (
            OrderPatch(status=Status.INPROCESS, priority=Priority.URGENT),
            {Permission.START, Permission.EDIT},
        ),
    ],
)
def test_an_update_needs_its_status_changes_permission_and_editing_for_fields(
    patch: OrderPatch, needed: set[Permission]
) -> None:
    assert permissions_for(patch) == needed
