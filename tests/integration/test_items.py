"""The table's typed items become the API's documents, without boto3's TypeDeserializer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from boto3.dynamodb.types import TypeSerializer

from orders.adapters.orders_table.items import document_from_item, from_item, to_item
from orders.api.validation import parse_new_order
from orders.domain import documents
from orders.domain.commands import OrderPatch
from orders.domain.model import Order, Status
from tests.support.data import FRONT_DESK, TECHNICIAN, laptop_order

CREATED = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)


def repaired_laptop() -> Order:
    """An order with a history, a note, and processing records holding numbers."""
    order = Order.create(
        "0b6d3c1e-8f0a-4d8e-9a55-3f1c2b7d9e10", parse_new_order(laptop_order()), CREATED, FRONT_DESK
    )
    for hours, status in ((2, Status.INPROCESS), (26, Status.COMPLETED)):
        at = CREATED + timedelta(hours=hours)
        change = order.change_for(
            OrderPatch(status=status, note=f"{status} by Jorge"), at, TECHNICIAN
        )
        assert change is not None
        order = order.with_change(change, at)
    processing = {
        Status.RECEIVED: {"processedAt": "2026-03-14T09:30:01Z", "version": 1, "delivered": True},
        Status.INPROCESS: {"processedAt": "2026-03-14T11:30:01Z", "version": 2, "reason": None},
    }
    return order._replace(processing=processing)


def test_a_stored_item_becomes_exactly_the_document_the_api_serves() -> None:
    order = repaired_laptop()
    stored = documents.order_to_document(order) | {
        "pendingDispatch": {"completed": "2026-03-15T11:30:00Z"},
        "dispatchShard": "pending",
        "dispatchDue": "2026-03-15T11:32:00Z",
        "dispatchAttempts": 2,
        "requestFingerprint": "9f2c",
    }

    document = document_from_item(to_item(stored))

    assert document == documents.order_to_document(order)
    assert list(document) == list(documents.order_to_document(order))


def test_an_order_never_processed_still_shows_an_empty_processing() -> None:
    stored = documents.order_to_document(repaired_laptop())
    del stored["processing"]

    assert document_from_item(to_item(stored))["processing"] == {}


def test_numbers_stay_whole_or_exact_and_other_types_still_convert() -> None:
    values = {"whole": 42, "fraction": Decimal("2.50"), "tags": {"urgent", "vip"}, "blob": b"\x00"}

    plain = from_item(to_item(values))

    assert plain["whole"] == 42
    assert type(plain["whole"]) is int
    assert plain["fraction"] == Decimal("2.50")
    assert plain["tags"] == {"urgent", "vip"}
    assert bytes(plain["blob"]) == b"\x00"


def test_an_item_of_an_unexpected_shape_still_converts_in_full() -> None:
    stored = documents.order_to_document(repaired_laptop())
    stored["version"] = Decimal("3.0")  # written by hand as a decimal: not the usual shape

    document = document_from_item(to_item(stored))

    assert document == documents.order_to_document(repaired_laptop()) | {"version": 3}


def test_documents_are_typed_exactly_as_boto3_types_them() -> None:
    document = documents.order_to_document(repaired_laptop()) | {
        "flags": (True, None, Decimal("2.5")),
        "tags": {"urgent"},
        "empty": {},
    }

    assert to_item(document) == {
        name: TypeSerializer().serialize(value) for name, value in document.items()
    }


def test_a_float_is_refused_as_boto3_refuses_it() -> None:
    with pytest.raises(TypeError, match="Float types are not supported"):
        to_item({"price": 19.99})
