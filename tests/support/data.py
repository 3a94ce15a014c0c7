"""Realistic request bodies for the tests."""

from __future__ import annotations

from typing import Any


def laptop_order(**overrides: Any) -> dict[str, Any]:
    """A realistic create body: a laptop that will not boot after a coffee spill."""
    order: dict[str, Any] = {
        "customer": {"name": "Lucía Fernández", "email": "lucia.fernandez@example.com"},
        "device": {"type": "laptop", "brand": "Lenovo", "model": "ThinkPad T14"},
        "issue": "Does not boot after a coffee spill on the keyboard.",
    }
    order.update(overrides)
    return order
