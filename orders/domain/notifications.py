"""What the customer is told when their order enters each status. No I/O."""

from __future__ import annotations

import re
from typing import NamedTuple

from orders.domain.model import Order, Status

_MESSAGES = {
    Status.RECEIVED: "Hello {name}, we received your {device} (order {order_id}). "
    "We will let you know when the repair starts.",
    Status.INPROCESS: "Hello {name}, the repair of your {device} has started (order {order_id}).",
    Status.COMPLETED: "Hello {name}, your {device} is repaired and ready for pickup "
    "(order {order_id}).",
    Status.CANCELED: "Hello {name}, your order {order_id} for your {device} was canceled.",
}
_SUBJECTS = {
    Status.RECEIVED: "We received your {device}",
    Status.INPROCESS: "Your {device} repair has started",
    Status.COMPLETED: "Your {device} is ready",
    Status.CANCELED: "Your order was canceled",
}


# SNS refuses a subject of 100 characters or more, or with line breaks or control characters:
# the publish fails and the record is retried into the DLQ.
MAX_SUBJECT = 99
_NOT_IN_A_SUBJECT = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]+")


def subject_line(text: str) -> str:
    """``text`` as SNS takes a subject: one line, no control characters, under 100 characters."""
    line = " ".join(_NOT_IN_A_SUBJECT.sub(" ", text).split())
    return line if len(line) <= MAX_SUBJECT else line[: MAX_SUBJECT - 1].rstrip() + "…"


class Notification(NamedTuple):
    """One message to one customer about one status of one order."""

    order_id: str
    status: Status
    subject: str
    message: str


def notification_for(order: Order, status: Status) -> Notification:
    """The notification for ``order`` having entered ``status``."""
    device = " ".join(part for part in (order.device.brand, order.device.type) if part)
    fields = {"name": order.customer.name, "device": device, "order_id": order.order_id}
    subject = subject_line(_SUBJECTS[status].format(**fields))
    return Notification(order.order_id, status, subject, _MESSAGES[status].format(**fields))
