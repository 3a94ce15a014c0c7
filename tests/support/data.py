"""Realistic request bodies for the tests."""

from __future__ import annotations

from typing import Any

from orders.domain.model import Actor, Device


def laptop_order(**overrides: Any) -> dict[str, Any]:
    """A realistic create body: a laptop that will not boot after a coffee spill."""
    order: dict[str, Any] = {
        "customer": {"name": "Lucía Fernández", "email": "lucia.fernandez@example.com"},
        "device": {"type": "laptop", "brand": "Lenovo", "model": "ThinkPad T14"},
        "issue": "Does not boot after a coffee spill on the keyboard.",
    }
    order.update(overrides)
    return order


# Members of staff as the orders record them (the user pool's sub and a display name).
FRONT_DESK = Actor("7c1e9a52-3b4d-4f60-8a71-2e5d9c0b4f13", "Marta Recepción")
TECHNICIAN = Actor("b2f4d6e8-1a3c-4e5f-9b7d-6c8e0a2f4b61", "Jorge Técnico")
LAPTOP_DEVICE = Device("laptop", "Lenovo", "ThinkPad T14")
