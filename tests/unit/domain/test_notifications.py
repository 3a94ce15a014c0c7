"""What the customer is told when their order enters each status."""

from __future__ import annotations

import pytest

from orders.domain.model import Customer, Device, Status
from orders.domain.notifications import notification_for
from tests.unit.fakes import order_in

ORDER_ID = "3f6c2a8e-51b4-4f7d-9a0e-6d2b8c1e7f45"


@pytest.mark.parametrize("status", list(Status))
def test_every_notification_names_the_device_and_the_order(status: Status) -> None:
    notification = notification_for(order_in(status), status)

    assert (notification.order_id, notification.status) == (ORDER_ID, status)
    assert "Lenovo laptop" in notification.message
    assert ORDER_ID in notification.message
    assert "Lucía Fernández" in notification.message


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (Status.RECEIVED, "we received your"),
        (Status.INPROCESS, "repair of your Lenovo laptop has started"),
        (Status.COMPLETED, "ready for pickup"),
        (Status.CANCELED, "was canceled"),
    ],
)
def test_each_status_tells_the_customer_what_happened(status: Status, expected: str) -> None:
    assert expected in notification_for(order_in(status), status).message


def test_a_device_without_a_brand_is_named_by_its_type() -> None:
    order = order_in(
        Status.RECEIVED, customer=Customer("Jin Park", phone="010"), device=Device("tablet")
    )

    notification = notification_for(order, Status.RECEIVED)

    assert "your tablet (order" in notification.message
    assert notification.subject == "We received your tablet"


@pytest.mark.parametrize("status", list(Status))
def test_a_subject_stays_under_the_sns_limit_of_100_characters(status: Status) -> None:
    device = Device(type="t" * 100, brand="b" * 100)
    order = order_in(status, device=device)

    subject = notification_for(order, status).subject

    assert len(subject) < 100
    assert len(subject) == 99 or status == Status.CANCELED


def test_a_subject_holds_no_line_break_or_control_character_even_from_old_data() -> None:
    # Stored before today's validation, or written by hand: the subject must still publish.
    device = Device(type="laptop\r\nBcc: x", brand="Acer\x85\u202e\t")
    order = order_in(Status.COMPLETED, device=device)

    assert notification_for(order, Status.COMPLETED).subject == "Your Acer laptop Bcc: x is ready"
