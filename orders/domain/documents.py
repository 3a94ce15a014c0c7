"""The order as a plain document (camelCase keys, RFC 3339 times).

One shape for the API's bodies, the table's items and the idempotency fingerprint, so it
lives with the domain rather than in any one edge.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orders.domain.commands import NewOrder
from orders.domain.model import (
    Actor,
    Customer,
    Device,
    HistoryEntry,
    Language,
    Order,
    Priority,
    Status,
)
from orders.domain.timestamps import format_timestamp, parse_timestamp


def order_to_document(order: Order) -> dict[str, Any]:
    """The order as the API serves it (``createdBy`` only on orders that record it)."""
    document = {
        "orderId": order.order_id,
        "status": order.status.value,
        "version": order.version,
        "customer": customer_to_document(order.customer),
        "device": device_to_document(order.device),
        "issue": order.issue,
        "priority": order.priority.value,
        "createdAt": format_timestamp(order.created_at),
        "updatedAt": format_timestamp(order.updated_at),
        "history": [history_entry_to_document(entry) for entry in order.history],
        "processing": {status.value: dict(record) for status, record in order.processing.items()},
    }
    if order.created_by is not None:
        document["createdBy"] = actor_to_document(order.created_by)
    if order.ticket is not None:
        document["ticket"] = order.ticket
    return document


def order_from_document(document: Mapping[str, Any]) -> Order:
    """The order from its document; the document is trusted (it came from the table)."""
    return Order(
        order_id=document["orderId"],
        status=Status(document["status"]),
        version=int(document["version"]),
        # Read field by field: a stored attribute this version does not know (written by a
        # newer deploy, or by hand) is ignored rather than failing every read of the order.
        customer=customer_from_document(document["customer"]),
        device=Device(
            type=document["device"]["type"],
            brand=document["device"].get("brand"),
            model=document["device"].get("model"),
            serial_number=document["device"].get("serialNumber"),
        ),
        issue=document["issue"],
        priority=Priority(document["priority"]),
        created_at=parse_timestamp(document["createdAt"]),
        updated_at=parse_timestamp(document["updatedAt"]),
        history=tuple(
            HistoryEntry(
                Status(entry["status"]),
                parse_timestamp(entry["at"]),
                entry.get("note"),
                _actor_from_document(entry.get("actor")),
            )
            for entry in document["history"]
        ),
        processing={
            Status(status): dict(record)
            for status, record in document.get("processing", {}).items()
        },
        created_by=_actor_from_document(document.get("createdBy")),
        ticket=document.get("ticket"),
    )


def new_order_to_document(new: NewOrder) -> dict[str, Any]:
    """The validated create request, canonical: equal requests give equal documents."""
    return {
        "customer": customer_to_document(new.customer),
        "device": device_to_document(new.device),
        "issue": new.issue,
        "priority": new.priority.value,
    }


def customer_to_document(customer: Customer) -> dict[str, str]:
    return _without_none(
        {
            "name": customer.name,
            "email": customer.email,
            "phone": customer.phone,
            "language": None if customer.language is None else customer.language.value,
        }
    )


def customer_from_document(document: Mapping[str, Any]) -> Customer:
    """The customer from its document (orders stored before ``language`` existed have none)."""
    language = document.get("language")
    return Customer(
        name=document["name"],
        email=document.get("email"),
        phone=document.get("phone"),
        language=None if language is None else Language(language),
    )


def device_to_document(device: Device) -> dict[str, str]:
    return _without_none(
        {
            "type": device.type,
            "brand": device.brand,
            "model": device.model,
            "serialNumber": device.serial_number,
        }
    )


def history_entry_to_document(entry: HistoryEntry) -> dict[str, Any]:
    document: dict[str, Any] = {"status": entry.status.value, "at": format_timestamp(entry.at)}
    if entry.note is not None:
        document["note"] = entry.note
    if entry.actor is not None:
        document["actor"] = actor_to_document(entry.actor)
    return document


def actor_to_document(actor: Actor) -> dict[str, str]:
    return {"sub": actor.sub, "name": actor.name}


def _actor_from_document(document: Mapping[str, Any] | None) -> Actor | None:
    """The actor of an entry or an order; ``None`` on those stored before staff signed in."""
    return None if document is None else Actor(document["sub"], document["name"])


def _without_none(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in fields.items() if value is not None}
