"""Pages of orders: by status newest first through the status index, or the whole table."""

from __future__ import annotations

from typing import Any

from orders.adapters.clients import unavailable_on_transient_errors
from orders.adapters.orders_table.cursors import CursorCodec
from orders.adapters.orders_table.items import document_from_item, from_item, to_item
from orders.adapters.orders_table.schema import STATUS_INDEX, TICKET_INDEX
from orders.domain.model import Status
from orders.usecases.ports import Page

# A position in each listing: the table's key, plus the status index's keys.
_ALL_FIELDS = frozenset({"orderId"})
_STATUS_FIELDS = frozenset({"orderId", "status", "createdAt"})


class DynamoOrderListing:
    """Lists orders a page at a time; the cost of a page does not grow with the table."""

    def __init__(self, dynamodb: Any, table_name: str, cursor_key: str) -> None:
        self._dynamodb = dynamodb
        self._table = table_name
        # Keyed by a value made at deploy time, which no client can know: a cursor cannot be
        # forged, and never crosses stacks.
        self._cursors = CursorCodec(cursor_key.encode())

    def list_page(self, status: Status | None, limit: int, cursor: str | None) -> Page:
        """One page of orders: by status newest first through the index, otherwise all of them.

        Reads one item past the page to know whether another page exists, so the last page
        never hands out a cursor to an empty one.
        """
        request: dict[str, Any] = {"TableName": self._table, "Limit": limit + 1}
        if cursor is not None:
            fields = _ALL_FIELDS if status is None else _STATUS_FIELDS
            request["ExclusiveStartKey"] = to_item(self._cursors.decode(cursor, status, fields))
        with unavailable_on_transient_errors():
            if status is None:
                # Orders only: the table also holds each year's ticket counter.
                response = self._dynamodb.scan(
                    **request,
                    FilterExpression="attribute_exists(#status)",
                    ExpressionAttributeNames={"#status": "status"},
                )
            else:
                response = self._dynamodb.query(
                    **request,
                    IndexName=STATUS_INDEX,
                    KeyConditionExpression="#status = :status",
                    ExpressionAttributeNames={"#status": "status"},
                    ExpressionAttributeValues={":status": {"S": status.value}},
                    ScanIndexForward=False,
                )
        items = response.get("Items", [])
        # The item past the page only tells that another page exists: it is not converted.
        orders = tuple(document_from_item(item) for item in items[:limit])
        if len(items) <= limit and "LastEvaluatedKey" not in response:
            return Page(orders, None)
        if len(items) <= limit:
            # DynamoDB stopped early (1 MB per page); continue from where it stopped.
            last_key = from_item(response["LastEvaluatedKey"])
            return Page(orders, self._cursors.encode(last_key, status))
        return Page(orders, self._cursors.encode(_position(orders[-1], status), status))

    def find_ticket(self, ticket: str, status: Status | None) -> Page:
        """The order with this ticket number (if in ``status``), as a page of one or none: one
        Query."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": TICKET_INDEX,
            "KeyConditionExpression": "ticket = :ticket",
            "ExpressionAttributeValues": {":ticket": {"S": ticket}},
        }
        if status is not None:
            request["FilterExpression"] = "#status = :status"
            request["ExpressionAttributeNames"] = {"#status": "status"}
            request["ExpressionAttributeValues"][":status"] = {"S": status.value}
        with unavailable_on_transient_errors():
            response = self._dynamodb.query(**request)
        return Page(tuple(document_from_item(item) for item in response.get("Items", [])), None)


def _position(order: dict[str, Any], status: Status | None) -> dict[str, Any]:
    position = {"orderId": order["orderId"]}
    if status is not None:
        position |= {"status": status.value, "createdAt": order["createdAt"]}
    return position
