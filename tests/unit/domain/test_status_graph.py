"""The status graph, checked over every (current, requested) pair."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from orders.domain.commands import OrderPatch
from orders.domain.errors import NoteNeedsStatusChange, OrderIsFinal, TransitionNotAllowed
from orders.domain.model import (
    Customer,
    Device,
    Guard,
    HistoryEntry,
    Priority,
    Status,
    optimistic_change,
    predecessors,
)
from tests.support.data import TECHNICIAN
from tests.unit.fakes import order_in

RECEIVED, INPROCESS, COMPLETED, CANCELED = (
    Status.RECEIVED,
    Status.INPROCESS,
    Status.COMPLETED,
    Status.CANCELED,
)
AT = datetime(2024, 3, 5, 14, 0, tzinfo=UTC)

MOVES = "moves"
NO_CHANGE = "no change"

# Written out by hand, so the test does not trust TRANSITIONS to check TRANSITIONS.
PAIRS = [
    (RECEIVED, RECEIVED, NO_CHANGE),
    (RECEIVED, INPROCESS, MOVES),
    (RECEIVED, COMPLETED, ("canceled", "inprocess")),
    (RECEIVED, CANCELED, MOVES),
    (INPROCESS, RECEIVED, ("canceled", "completed")),
    (INPROCESS, INPROCESS, NO_CHANGE),
    (INPROCESS, COMPLETED, MOVES),
    (INPROCESS, CANCELED, MOVES),
    (COMPLETED, RECEIVED, ()),
    (COMPLETED, INPROCESS, ()),
    (COMPLETED, COMPLETED, NO_CHANGE),
    (COMPLETED, CANCELED, ()),
    (CANCELED, RECEIVED, ()),
    (CANCELED, INPROCESS, ()),
    (CANCELED, COMPLETED, ()),
    (CANCELED, CANCELED, NO_CHANGE),
]


def test_the_pair_table_covers_every_pair_once() -> None:
    assert sorted((current, requested) for current, requested, _ in PAIRS) == sorted(
        (current, requested) for current in Status for requested in Status
    )


@pytest.mark.parametrize(("current", "requested", "expected"), PAIRS)
def test_requesting_a_status_moves_changes_nothing_or_names_the_allowed_next_statuses(
    current: Status, requested: Status, expected: object
) -> None:
    order = order_in(current)
    patch = OrderPatch(status=requested, note="Customer approved the quote by phone.")

    if expected == MOVES:
        change = order.change_for(patch, AT, TECHNICIAN)
        assert change is not None
        assert change.entered == HistoryEntry(
            requested, AT, "Customer approved the quote by phone.", TECHNICIAN
        )
        assert order.with_change(change, AT).status == requested
    elif expected == NO_CHANGE:
        assert order.change_for(patch._replace(note=None), AT, TECHNICIAN) is None
        # The note would be dropped: there is no status change to keep it on.
        with pytest.raises(NoteNeedsStatusChange) as refused:
            order.change_for(patch, AT, TECHNICIAN)
        assert refused.value.status == current
    else:
        with pytest.raises(TransitionNotAllowed) as refused:
            order.change_for(patch, AT, TECHNICIAN)
        assert refused.value.allowed == expected
        assert (refused.value.current, refused.value.requested) == (current, requested)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (RECEIVED, frozenset()),
        (INPROCESS, frozenset({RECEIVED})),
        (COMPLETED, frozenset({INPROCESS})),
        (CANCELED, frozenset({RECEIVED, INPROCESS})),
    ],
)
def test_predecessors_are_the_statuses_an_order_may_come_from(
    status: Status, expected: frozenset[Status]
) -> None:
    assert predecessors(status) == expected


def test_an_optimistic_status_change_is_guarded_by_the_statuses_it_may_come_from() -> None:
    change, guard = optimistic_change(
        OrderPatch(status=CANCELED, note="Customer declined."), AT, TECHNICIAN
    )

    assert change.entered == HistoryEntry(CANCELED, AT, "Customer declined.", TECHNICIAN)
    assert guard == Guard(status_in=frozenset({RECEIVED, INPROCESS}))
    assert guard.admits(order_in(INPROCESS), change)
    assert not guard.admits(order_in(COMPLETED), change)


def test_an_optimistic_change_to_received_is_guarded_by_no_status_at_all() -> None:
    change, guard = optimistic_change(OrderPatch(status=RECEIVED), AT, TECHNICIAN)

    assert guard.status_in == frozenset()
    assert not any(guard.admits(order_in(status), change) for status in Status)


def test_an_optimistic_field_change_is_guarded_by_something_differing() -> None:
    change, guard = optimistic_change(OrderPatch(priority=Priority.URGENT), AT, TECHNICIAN)

    assert change.entered is None
    assert change.field_values() == {"priority": Priority.URGENT}
    assert guard.must_differ
    assert guard.admits(order_in(RECEIVED), change)


def test_a_field_change_that_repeats_the_stored_values_is_not_admitted() -> None:
    order = order_in(INPROCESS)
    change, guard = optimistic_change(
        OrderPatch(customer=order.customer, issue=order.issue), AT, TECHNICIAN
    )

    assert not guard.admits(order, change)


def test_a_field_change_is_admitted_when_any_one_field_differs() -> None:
    order = order_in(INPROCESS)
    moved = Customer(name=order.customer.name, phone="+34 612 345 678")
    change, guard = optimistic_change(OrderPatch(customer=moved, issue=order.issue), AT, TECHNICIAN)

    assert guard.admits(order, change)


def test_a_stale_expected_version_is_not_admitted() -> None:
    order = order_in(INPROCESS)  # version 2
    change, _ = optimistic_change(OrderPatch(priority=Priority.URGENT), AT, TECHNICIAN)

    assert Guard(expected_version=2).admits(order, change)
    assert not Guard(expected_version=1).admits(order, change)


# --- retries ----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [INPROCESS, COMPLETED, CANCELED])
def test_repeating_the_status_change_that_made_the_last_entry_changes_nothing(
    status: Status,
) -> None:
    """A client that retries after a timeout sends the change that already happened."""
    order = order_in(status)
    last = order.history[-1]._replace(note="Customer approved the quote by phone.")
    order = order._replace(history=(*order.history[:-1], last))

    repeat = OrderPatch(status=status, note="Customer approved the quote by phone.")

    assert order.change_for(repeat, AT, TECHNICIAN) is None


# --- final orders -----------------------------------------------------------------------------

EDITS = [
    OrderPatch(issue="Does not charge either."),
    OrderPatch(priority=Priority.URGENT),
    OrderPatch(device=Device("laptop", "Lenovo", "ThinkPad X1")),
    OrderPatch(customer=Customer("Lucía Fernández", phone="+34 612 345 678")),
]


@pytest.mark.parametrize("status", [COMPLETED, CANCELED])
@pytest.mark.parametrize("edit", EDITS)
def test_a_final_order_refuses_every_field_edit_naming_its_status(
    status: Status, edit: OrderPatch
) -> None:
    order = order_in(status)

    with pytest.raises(OrderIsFinal) as refused:
        order.change_for(edit, AT, TECHNICIAN)
    with pytest.raises(OrderIsFinal):
        order.change_for(edit._replace(status=status), AT, TECHNICIAN)

    assert refused.value.status == status


@pytest.mark.parametrize("status", [COMPLETED, CANCELED])
def test_a_final_order_takes_a_repeat_of_its_own_values_as_no_change(status: Status) -> None:
    order = order_in(status)
    repeat = OrderPatch(status=status, issue=order.issue, priority=order.priority)

    assert order.change_for(repeat, AT, TECHNICIAN) is None


def test_fields_change_in_the_same_update_that_makes_an_order_final() -> None:
    order = order_in(INPROCESS)

    change = order.change_for(
        OrderPatch(status=COMPLETED, issue="Keyboard and battery replaced."), AT, TECHNICIAN
    )

    assert change is not None
    assert change.issue == "Keyboard and battery replaced."
    assert change.entered is not None
    assert change.entered.status == COMPLETED


@pytest.mark.parametrize("edit", EDITS)
def test_an_optimistic_field_edit_is_not_admitted_on_a_final_order(edit: OrderPatch) -> None:
    """The blind first write must not let an edit through: the store's condition knows."""
    change, guard = optimistic_change(edit, AT, TECHNICIAN)

    assert guard.admits(order_in(RECEIVED), change)
    assert guard.admits(order_in(INPROCESS), change)
    assert not guard.admits(order_in(COMPLETED), change)
    assert not guard.admits(order_in(CANCELED), change)
