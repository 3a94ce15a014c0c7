"""DynamoDB's typed items to and from plain documents and orders."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from orders.domain import documents
from orders.domain.model import Order


# boto3's converters, for the shapes the code below leaves to them. Imported on first use:
# orders never need them on the usual paths, and importing them costs half a millisecond of
# every cold start.
@functools.cache
def _boto3_serializer() -> Any:
    from boto3.dynamodb.types import TypeSerializer

    return TypeSerializer()


@functools.cache
def _boto3_deserializer() -> Any:
    from boto3.dynamodb.types import TypeDeserializer

    class WholeNumbersAsInt(TypeDeserializer):  # type: ignore[misc]
        def _deserialize_n(self, value: str) -> int | Decimal:
            number = Decimal(value)
            return int(number) if number == number.to_integral_value() else number

    return WholeNumbersAsInt()


def _plain(typed: Mapping[str, Any]) -> Any:
    """One typed value as a plain one: the types orders use directly, the rest through boto3.

    boto3's TypeDeserializer dispatches through getattr and builds a Decimal for every number;
    a list page converts hundreds of values, so the common tags are handled here.
    """
    for tag, value in typed.items():
        if tag == "S":
            return value
        if tag == "M":
            return {name: _plain(inner) for name, inner in value.items()}
        if tag == "L":
            return [_plain(inner) for inner in value]
        if tag == "N":
            try:
                return int(value)
            except ValueError:
                return _boto3_deserializer().deserialize(typed)
        if tag == "BOOL":
            return value
        if tag == "NULL":
            return None
    return _boto3_deserializer().deserialize(typed)


def serialize(value: Any) -> dict[str, Any]:
    """One value in DynamoDB's typed form: the types orders use directly, the rest via boto3."""
    kind = type(value)
    if kind is str:
        return {"S": value}
    if kind is dict:
        return {"M": {name: serialize(inner) for name, inner in value.items()}}
    if kind is list:
        return {"L": [serialize(inner) for inner in value]}
    if kind is int:
        return {"N": str(value)}
    if kind is bool:
        return {"BOOL": value}
    if value is None:
        return {"NULL": True}
    # Decimal, sets, bytes, tuples, subclasses; and a float is refused there, as boto3 does.
    result: dict[str, Any] = _boto3_serializer().serialize(value)
    return result


def to_item(fields: Mapping[str, Any]) -> dict[str, Any]:
    """A plain document as a typed item."""
    return {name: serialize(value) for name, value in fields.items()}


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """A typed item as a plain document (whole numbers as ``int``)."""
    return {name: _plain(value) for name, value in item.items()}


def order_from_item(item: Mapping[str, Any]) -> Order:
    """The order a typed item holds."""
    return documents.order_from_document(document_from_item(item))


# The fields of each part of the document this version knows; an attribute written by a newer
# deploy (or by hand) is left out, as ``documents.order_from_document`` leaves it out.
_CUSTOMER_FIELDS = ("name", "email", "phone", "language")
_DEVICE_FIELDS = ("type", "brand", "model", "serialNumber")
_HISTORY_FIELDS = ("status", "at", "note")
_ACTOR_FIELDS = ("sub", "name")


def _strings(typed: Mapping[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    """The known ``fields`` of a map whose values are strings (customer, device, an entry)."""
    # A loop, not a comprehension: a page reads sixty of these maps, and this is a third faster.
    strings = {}
    try:
        for name in fields:
            value = typed.get(name)
            if value is not None:
                strings[name] = value["S"]
    except KeyError:
        return {name: _plain(typed[name]) for name in fields if name in typed}
    return strings


def _entry(typed: Mapping[str, Any]) -> dict[str, Any]:
    """A history entry: its strings, and who made the change when the entry says."""
    entry = _strings(typed, _HISTORY_FIELDS)
    actor = typed.get("actor")
    if actor is not None:
        entry["actor"] = _strings(actor["M"], _ACTOR_FIELDS)
    return entry


def _record(typed: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value["S"] if "S" in value else _plain(value) for name, value in typed.items()}


def document_from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """The order's document (``documents.order_to_document``'s shape) straight from its item.

    The table stores that document as written, so a listing needs no ``Order`` in between. The
    shape of an order's item is known, so each attribute is read as what it is; an item of
    another shape takes the general path.
    """
    try:
        processing = item.get("processing")
        document = {
            "orderId": item["orderId"]["S"],
            "status": item["status"]["S"],
            "version": int(item["version"]["N"]),
            "customer": _strings(item["customer"]["M"], _CUSTOMER_FIELDS),
            "device": _strings(item["device"]["M"], _DEVICE_FIELDS),
            "issue": item["issue"]["S"],
            "priority": item["priority"]["S"],
            "createdAt": item["createdAt"]["S"],
            "updatedAt": item["updatedAt"]["S"],
            "history": [_entry(entry["M"]) for entry in item["history"]["L"]],
            "processing": {}
            if processing is None
            else {status: _record(record["M"]) for status, record in processing["M"].items()},
        }
        created_by = item.get("createdBy")
        if created_by is not None:
            document["createdBy"] = _strings(created_by["M"], _ACTOR_FIELDS)
        ticket = item.get("ticket")
        if ticket is not None:
            document["ticket"] = ticket["S"]
        return document
    except (KeyError, ValueError):
        return documents.order_to_document(documents.order_from_document(from_item(item)))


def failed_condition_item(error: ClientError) -> dict[str, Any] | None:
    """The stored item a failed condition returned (``ALL_OLD``), or ``None`` if there was none."""
    item = error.response.get("Item")
    return None if not item else from_item(item)
