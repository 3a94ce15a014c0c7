"""The API's use cases, run against in-memory fakes of the table and the queues.

Each request goes through the HTTP edge's validation first, as the handler sends it."""

from __future__ import annotations

import pytest

from orders.api.validation import parse_idempotency_key, parse_new_order, parse_order_patch
from orders.domain import documents
from orders.domain.errors import (
    IdempotencyKeyReused,
    NoteNeedsStatusChange,
    OrderIsFinal,
    OrderNotFound,
    TransitionNotAllowed,
    ValidationFailed,
    VersionMismatch,
)
from orders.domain.messages import StatusMessage
from orders.domain.model import Actor, HistoryEntry, Order, Priority, Status
from orders.usecases.order_service import Created, OrderService
from tests.support.data import FRONT_DESK, TECHNICIAN, laptop_order
from tests.unit.fakes import (
    LUCIA_ID,
    NOBODY_ID,
    NOW,
    Clock,
    FakeOrderRepository,
    FakeRouter,
    FakeTicketCounter,
    order_in,
)


class Shop:
    """The order service wired to fakes, with some orders already stored."""

    def __init__(self, *orders: Order, queues_down_for: int = 0) -> None:
        self.orders = FakeOrderRepository(*orders)
        self.router = FakeRouter(unavailable_for=queues_down_for)
        self.tickets = FakeTicketCounter()
        self.service = OrderService(self.orders, self.orders, self.router, self.tickets, Clock(NOW))

    def create(
        self, body: object, idempotency_key: str | None = None, by: Actor = FRONT_DESK
    ) -> Created:
        """Create from a request body and key, validated as the HTTP edge does."""
        new = parse_new_order(body)
        return self.service.create(new, by, parse_idempotency_key(idempotency_key))

    def update(
        self, order_id: str, body: object, if_match: int | None = None, by: Actor = TECHNICIAN
    ) -> Order:
        """Update from a request body, validated as the HTTP edge does."""
        return self.service.update(order_id, parse_order_patch(body), by, if_match)


# --- create ---------------------------------------------------------------------------------


def test_creating_an_order_stores_it_as_received_and_routes_one_received_message() -> None:
    shop = Shop()

    created = shop.create(laptop_order())

    order = created.order
    assert not created.replayed
    assert (order.status, order.version, order.created_at) == (Status.RECEIVED, 1, NOW)
    assert order.history == (HistoryEntry(Status.RECEIVED, NOW, actor=FRONT_DESK),)
    assert order.created_by == FRONT_DESK
    assert order.ticket == "R-2024-000001"
    assert shop.orders.get(order.order_id) == order
    assert shop.router.messages == [StatusMessage(order.order_id, Status.RECEIVED, 1, NOW)]


def test_each_new_order_gets_the_next_ticket_number_of_its_year() -> None:
    shop = Shop()
    shop.tickets.last[2024] = 122

    tickets = [shop.create(laptop_order()).order.ticket for _ in range(2)]

    assert tickets == ["R-2024-000123", "R-2024-000124"]


def test_an_idempotent_retry_keeps_the_ticket_number_it_was_given() -> None:
    shop = Shop()

    first = shop.create(laptop_order(), idempotency_key="till-2-receipt-0042")
    retry = shop.create(laptop_order(), idempotency_key="till-2-receipt-0042")

    assert retry.replayed
    assert retry.order.ticket == first.order.ticket == "R-2024-000001"


def test_an_invalid_create_request_stores_and_routes_nothing() -> None:
    shop = Shop()

    with pytest.raises(ValidationFailed):
        shop.create(laptop_order(issue=""))

    assert (shop.orders.writes, shop.router.messages) == (0, [])


def test_retrying_a_create_with_the_same_idempotency_key_returns_the_same_order() -> None:
    shop = Shop()

    first = shop.create(laptop_order(), idempotency_key="till-2-receipt-0042")
    retry = shop.create(laptop_order(), idempotency_key="till-2-receipt-0042")

    assert retry.order == first.order
    assert (first.replayed, retry.replayed) == (False, True)
    assert len(shop.orders.orders) == 1
    assert len(shop.router.messages) == 1


def test_reusing_an_idempotency_key_for_another_request_is_refused() -> None:
    shop = Shop()
    shop.create(laptop_order(), idempotency_key="till-2-receipt-0042")

    with pytest.raises(IdempotencyKeyReused):
        shop.create(
            laptop_order(issue="Battery swells and the trackpad clicks by itself."),
            idempotency_key="till-2-receipt-0042",
        )

    assert len(shop.orders.orders) == 1
    assert len(shop.router.messages) == 1


def test_creates_without_an_idempotency_key_are_separate_orders() -> None:
    shop = Shop()

    first = shop.create(laptop_order())
    second = shop.create(laptop_order())

    assert first.order.order_id != second.order.order_id
    assert len(shop.router.messages) == 2


# --- update ---------------------------------------------------------------------------------


def test_starting_the_repair_moves_the_order_and_routes_one_inprocess_message() -> None:
    shop = Shop(order_in(Status.RECEIVED))

    updated = shop.update(LUCIA_ID, {"status": "inprocess", "note": "Keyboard ordered."})

    assert (updated.status, updated.version) == (Status.INPROCESS, 2)
    assert updated.history[-1] == HistoryEntry(
        Status.INPROCESS, NOW, "Keyboard ordered.", TECHNICIAN
    )
    assert shop.orders.get(LUCIA_ID) == updated
    assert shop.router.messages == [StatusMessage(LUCIA_ID, Status.INPROCESS, 2, NOW)]


def test_changing_a_field_writes_a_new_version_and_routes_nothing() -> None:
    shop = Shop(order_in(Status.INPROCESS))

    updated = shop.update(LUCIA_ID, {"priority": "urgent"})

    assert (updated.priority, updated.version, updated.status) == (
        Priority.URGENT,
        3,
        Status.INPROCESS,
    )
    assert shop.orders.writes == 1
    assert shop.router.messages == []


@pytest.mark.parametrize(
    "body",
    [
        {"status": "inprocess"},
        {"priority": "normal"},
        {"issue": "Does not boot after a coffee spill on the keyboard."},
        {
            "status": "inprocess",
            "device": {
                "type": "laptop",
                "brand": "Lenovo",
                "model": "ThinkPad T14",
                "serialNumber": "PF-3XK9QZ",
            },
        },
    ],
)
def test_an_update_that_changes_nothing_writes_nothing_and_routes_nothing(
    body: dict[str, object],
) -> None:
    stored = order_in(Status.INPROCESS)
    shop = Shop(stored)

    assert shop.update(LUCIA_ID, body) == stored
    assert shop.orders.writes == 0
    assert shop.router.messages == []


def test_a_note_with_the_status_the_order_already_has_is_refused_and_writes_nothing() -> None:
    stored = order_in(Status.INPROCESS)
    shop = Shop(stored)

    with pytest.raises(NoteNeedsStatusChange) as refused:
        shop.update(LUCIA_ID, {"status": "inprocess", "note": "Waiting for the new battery."})

    assert refused.value.status == Status.INPROCESS
    assert shop.orders.writes == 0
    assert shop.router.messages == []


def test_retrying_a_status_change_with_a_note_answers_the_order_as_it_is() -> None:
    shop = Shop(order_in(Status.RECEIVED))
    change = {"status": "inprocess", "note": "Keyboard ordered."}
    first = shop.update(LUCIA_ID, change)

    again = shop.update(LUCIA_ID, change)

    assert again == first
    assert shop.orders.writes == 1
    assert shop.router.messages == [StatusMessage(LUCIA_ID, Status.INPROCESS, 2, NOW)]


@pytest.mark.parametrize("status", [Status.COMPLETED, Status.CANCELED])
@pytest.mark.parametrize(
    "body",
    [
        {"issue": "Also the screen flickers."},
        {"priority": "urgent"},
        {"status": "completed", "priority": "urgent"},
    ],
)
def test_a_final_order_refuses_field_edits_and_writes_nothing(
    status: Status, body: dict[str, object]
) -> None:
    stored = order_in(status)
    shop = Shop(stored)

    with pytest.raises((OrderIsFinal, TransitionNotAllowed)) as refused:
        shop.update(LUCIA_ID, body)

    if body.get("status", status) == status:
        assert isinstance(refused.value, OrderIsFinal)
        assert refused.value.status == status
    assert shop.orders.get(LUCIA_ID) == stored
    assert (shop.orders.writes, shop.router.messages) == (0, [])


def test_completing_an_order_and_editing_it_in_the_same_update_applies_both() -> None:
    shop = Shop(order_in(Status.INPROCESS))

    updated = shop.update(LUCIA_ID, {"status": "completed", "issue": "Keyboard replaced."})

    assert (updated.status, updated.issue, updated.version) == (
        Status.COMPLETED,
        "Keyboard replaced.",
        3,
    )


def test_an_update_with_the_current_version_in_if_match_applies() -> None:
    shop = Shop(order_in(Status.INPROCESS))

    updated = shop.update(LUCIA_ID, {"status": "completed"}, if_match=2)

    assert (updated.status, updated.version) == (Status.COMPLETED, 3)


@pytest.mark.parametrize("body", [{"status": "completed"}, {"priority": "urgent"}])
def test_an_update_with_a_stale_if_match_is_refused_and_writes_nothing(
    body: dict[str, object],
) -> None:
    shop = Shop(order_in(Status.INPROCESS))

    with pytest.raises(VersionMismatch) as refused:
        shop.update(LUCIA_ID, body, if_match=1)

    assert (refused.value.expected, refused.value.actual) == (1, 2)
    assert (shop.orders.writes, shop.router.messages) == (0, [])


# --- read -----------------------------------------------------------------------------------


def test_reading_an_order_shows_the_document_the_api_serves() -> None:
    stored = order_in(Status.INPROCESS)
    shop = Shop(stored)

    assert shop.service.get(LUCIA_ID) == documents.order_to_document(stored)


@pytest.mark.parametrize(
    "order_id",
    [
        LUCIA_ID.upper(),  # the same UUID, but not as the service writes it
        LUCIA_ID.replace("-", ""),
        f"{{{LUCIA_ID}}}",
        f"urn:uuid:{LUCIA_ID}",
        f"{LUCIA_ID}\n",
        "not-an-order-id",
        "",
    ],
)
def test_an_id_not_written_as_the_service_writes_ids_names_no_order(order_id: str) -> None:
    shop = Shop(order_in(Status.RECEIVED)._replace(order_id=order_id))  # even if stored so

    with pytest.raises(OrderNotFound):
        shop.service.get(order_id)


@pytest.mark.parametrize("order_id", [NOBODY_ID, "not-an-order-id", ""])
def test_updating_an_unknown_order_is_not_found(order_id: str) -> None:
    shop = Shop(order_in(Status.RECEIVED))

    with pytest.raises(OrderNotFound):
        shop.update(order_id, {"status": "canceled"})

    assert (shop.orders.writes, shop.router.messages) == (0, [])


@pytest.mark.parametrize(
    ("current", "requested", "allowed"),
    [
        (Status.RECEIVED, "completed", ("canceled", "inprocess")),
        (Status.INPROCESS, "received", ("canceled", "completed")),
        (Status.COMPLETED, "canceled", ()),
        (Status.CANCELED, "inprocess", ()),
    ],
)
def test_a_transition_off_the_graph_is_refused_and_writes_nothing(
    current: Status, requested: str, allowed: tuple[str, ...]
) -> None:
    stored = order_in(current)
    shop = Shop(stored)

    with pytest.raises(TransitionNotAllowed) as refused:
        shop.update(LUCIA_ID, {"status": requested, "priority": "urgent"})

    assert refused.value.allowed == allowed
    assert shop.orders.get(LUCIA_ID) == stored
    assert (shop.orders.writes, shop.router.messages) == (0, [])


def test_validation_comes_before_looking_the_order_up() -> None:
    shop = Shop()

    with pytest.raises(ValidationFailed):
        shop.update(NOBODY_ID, {"status": "repaired"})
