"""Each year's ticket sequence: one counter item in the Orders table, incremented atomically."""

from __future__ import annotations

from typing import Any

from orders.adapters.clients import unavailable_on_transient_errors
from orders.adapters.orders_table.schema import ticket_counter_key


class DynamoTicketCounter:
    """``UpdateItem ADD`` on the year's counter item: one call, and no number is given twice.

    A transaction (counter and order written together) would leave no gaps, but costs twice the
    write units and fails whole on any conflict; a gap after a failed create or an idempotent
    replay costs nothing, since a ticket only has to be unique.
    """

    def __init__(self, dynamodb: Any, table_name: str) -> None:
        self._dynamodb = dynamodb
        self._table = table_name

    def next(self, year: int) -> int:
        """The next number of ``year``'s sequence, starting at 1."""
        with unavailable_on_transient_errors():
            response = self._dynamodb.update_item(
                TableName=self._table,
                Key=ticket_counter_key(year),
                UpdateExpression="ADD #next :one",
                ExpressionAttributeNames={"#next": "next"},
                ExpressionAttributeValues={":one": {"N": "1"}},
                ReturnValues="UPDATED_NEW",
            )
        return int(response["Attributes"]["next"]["N"])
