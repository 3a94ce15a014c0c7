"""The order as a document: the shape the API serves and the table stores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from orders.domain.commands import NewOrder
from orders.domain.documents import (
    new_order_to_document,
    order_from_document,
    order_to_document,
)
from orders.domain.model import Customer, Device, HistoryEntry, Order, Priority, Status
from orders.domain.timestamps import format_timestamp, parse_timestamp
from tests.support.data import FRONT_DESK, TECHNICIAN
from tests.unit.fakes import order_in


def test_an_order_survives_the_round_trip_through_its_document() -> None:
    order = order_in(Status.COMPLETED)._replace(
        priority=Priority.URGENT,
        history=(
            HistoryEntry(Status.RECEIVED, datetime(2024, 3, 1, 8, 15, 0, 125000, tzinfo=UTC)),
            HistoryEntry(
                Status.INPROCESS,
                datetime(2024, 3, 1, 9, 15, tzinfo=UTC),
                "Keyboard ordered; logic board cleaned.",
            ),
            HistoryEntry(Status.COMPLETED, datetime(2024, 3, 2, 17, 40, tzinfo=UTC), "Fixed."),
        ),
        processing={
            Status.RECEIVED: {
                "processedAt": "2024-03-01T08:15:01.002Z",
                "notificationId": "note-1",
                "version": 1,
            },
            Status.INPROCESS: {"processedAt": "2024-03-01T09:15:03.000Z"},
        },
    )

    assert order_from_document(order_to_document(order)) == order


def test_the_document_uses_the_api_field_names() -> None:
    document = order_to_document(order_in(Status.INPROCESS))
    marta = {"sub": FRONT_DESK.sub, "name": "Marta Recepción"}
    jorge = {"sub": TECHNICIAN.sub, "name": "Jorge Técnico"}

    assert document == {
        "orderId": "3f6c2a8e-51b4-4f7d-9a0e-6d2b8c1e7f45",
        "status": "inprocess",
        "version": 2,
        "customer": {"name": "Lucía Fernández", "email": "lucia.fernandez@example.com"},
        "device": {
            "type": "laptop",
            "brand": "Lenovo",
            "model": "ThinkPad T14",
            "serialNumber": "PF-3XK9QZ",
        },
        "issue": "Does not boot after a coffee spill on the keyboard.",
        "priority": "normal",
        "createdAt": "2024-03-01T08:15:00.000Z",
        "updatedAt": "2024-03-01T09:15:00.000Z",
        "history": [
            {"status": "received", "at": "2024-03-01T08:15:00.000Z", "actor": marta},
            {"status": "inprocess", "at": "2024-03-01T09:15:00.000Z", "actor": jorge},
        ],
        "processing": {},
        "createdBy": marta,
    }


def test_optional_fields_that_were_not_given_are_left_out_not_null() -> None:
    order = order_in(
        Status.RECEIVED,
        customer=Customer(name="Jin Park", phone="010-5555-0199"),
        device=Device(type="tablet"),
    )

    document = order_to_document(order)

    assert document["customer"] == {"name": "Jin Park", "phone": "010-5555-0199"}
    assert document["device"] == {"type": "tablet"}
    assert document["history"] == [
        {"status": "received", "at": "2024-03-01T08:15:00.000Z", "actor": FRONT_DESK._asdict()}
    ]
    assert order_from_document(document) == order


def test_a_timestamp_is_utc_with_milliseconds_and_a_z() -> None:
    moment = datetime(2024, 3, 1, 8, 5, 9, 123987, tzinfo=UTC)

    assert format_timestamp(moment) == "2024-03-01T08:05:09.123Z"


def test_a_timestamp_in_another_timezone_is_converted_to_utc() -> None:
    madrid_summer = timezone(timedelta(hours=2))
    moment = datetime(2024, 7, 1, 1, 30, tzinfo=madrid_summer)

    assert format_timestamp(moment) == "2024-06-30T23:30:00.000Z"


def test_timestamps_sort_as_text_in_time_order() -> None:
    earlier = datetime(2024, 3, 1, 9, 59, 59, 999000, tzinfo=UTC)
    later = datetime(2024, 3, 1, 10, 0, tzinfo=timezone(timedelta(hours=-5)))

    assert format_timestamp(earlier) < format_timestamp(later)


def test_a_formatted_timestamp_parses_back_to_the_same_moment() -> None:
    moment = datetime(2024, 12, 31, 23, 59, 59, 999000, tzinfo=UTC)

    assert parse_timestamp(format_timestamp(moment)) == moment


def test_equal_create_requests_give_equal_documents() -> None:
    def request() -> NewOrder:
        return NewOrder(
            customer=Customer("Kwame Mensah", email="kwame@example.org"),
            device=Device("smartphone", brand="Samsung"),
            issue="Cracked screen.",
        )

    assert new_order_to_document(request()) == new_order_to_document(request())
    assert new_order_to_document(request()) == {
        "customer": {"name": "Kwame Mensah", "email": "kwame@example.org"},
        "device": {"type": "smartphone", "brand": "Samsung"},
        "issue": "Cracked screen.",
        "priority": "normal",
    }


def test_create_requests_that_differ_give_different_documents() -> None:
    laptop = NewOrder(Customer("Jin Park", phone="010"), Device("laptop"), "No power.")
    urgent = laptop._replace(priority=Priority.URGENT)

    assert new_order_to_document(laptop) != new_order_to_document(urgent)


def test_a_new_order_round_trips_with_its_one_history_entry() -> None:
    order = Order.create(
        "0d9e7b1c-2f4a-4e8b-8c6d-1a2b3c4d5e6f",
        NewOrder(Customer("Jin Park", phone="010-5555-0199"), Device("tablet"), "Won't charge."),
        datetime(2024, 3, 1, 8, 15, 42, 500000, tzinfo=UTC),
        FRONT_DESK,
    )

    assert order_from_document(order_to_document(order)) == order


def test_an_order_stored_before_staff_signed_in_reads_without_actors() -> None:
    document = order_to_document(order_in(Status.INPROCESS))
    del document["createdBy"]
    for entry in document["history"]:
        del entry["actor"]

    order = order_from_document(document)

    assert order.created_by is None
    assert [entry.actor for entry in order.history] == [None, None]
    assert order_to_document(order) == document
