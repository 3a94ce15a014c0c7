"""DynamoDB's typed items to and from plain documents and orders."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from orders.domain import documents
from orders.domain.model import Order


class _Deserializer(TypeDeserializer):  # type: ignore[misc]
    def _deserialize_n(self, value: str) -> int | Decimal:
        number = Decimal(value)
        return int(number) if number == number.to_integral_value() else number


_serializer = TypeSerializer()
_deserializer = _Deserializer()


def serialize(value: Any) -> dict[str, Any]:
    """One value in DynamoDB's typed form."""
    result: dict[str, Any] = _serializer.serialize(value)
    return result


def to_item(fields: Mapping[str, Any]) -> dict[str, Any]:
    """A plain document as a typed item."""
    return {name: _serializer.serialize(value) for name, value in fields.items()}


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """A typed item as a plain document (whole numbers as ``int``)."""
    return {name: _deserializer.deserialize(value) for name, value in item.items()}


def order_from_item(item: Mapping[str, Any]) -> Order:
    """The order a typed item holds."""
    return documents.order_from_document(from_item(item))


def failed_condition_item(error: ClientError) -> dict[str, Any] | None:
    """The stored item a failed condition returned (``ALL_OLD``), or ``None`` if there was none."""
    item = error.response.get("Item")
    return None if not item else from_item(item)
