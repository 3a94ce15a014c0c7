"""The dispatch ledger: status messages pending on their orders, read through a sparse index."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from orders.adapters.clients import error_code, unavailable_on_transient_errors
from orders.adapters.orders_table.items import from_item
from orders.adapters.orders_table.schema import DISPATCH_INDEX, DISPATCH_SHARD, key
from orders.domain.messages import StatusMessage
from orders.domain.model import Status
from orders.domain.timestamps import format_timestamp, parse_timestamp
from orders.usecases.ports import DueDispatch


class DynamoDispatchLedger:
    """What the sweeper reads and writes on the Orders table (GSI ``byDispatchDue``)."""

    def __init__(self, dynamodb: Any, table_name: str) -> None:
        self._dynamodb = dynamodb
        self._table = table_name

    def due_dispatches(self, now: datetime, limit: int = 100) -> list[DueDispatch]:
        """Orders whose status messages are still unconfirmed at ``now`` (oldest first).

        A Query on the sparse dispatch index: its cost follows the pending orders, not the table.
        """
        with unavailable_on_transient_errors():
            response = self._dynamodb.query(
                TableName=self._table,
                IndexName=DISPATCH_INDEX,
                KeyConditionExpression="dispatchShard = :shard AND dispatchDue <= :now",
                ExpressionAttributeValues={
                    ":shard": {"S": DISPATCH_SHARD},
                    ":now": {"S": format_timestamp(now)},
                },
                Limit=limit,
            )
        due = []
        for item in response.get("Items", []):
            fields = from_item(item)
            messages = tuple(
                StatusMessage(
                    fields["orderId"],
                    Status(status),
                    int(fields["version"]),
                    parse_timestamp(occurred_at),
                )
                for status, occurred_at in sorted(fields.get("pendingDispatch", {}).items())
            )
            due.append(DueDispatch(fields["orderId"], messages, fields.get("dispatchAttempts", 0)))
        return due

    def postpone_dispatch(self, order_id: str, until: datetime) -> None:
        """Look at this order's pending messages again at ``until``; count the attempt.

        Nothing happens if another sweep took the order off the index meanwhile.
        """
        self._update_if(
            order_id,
            UpdateExpression="SET dispatchDue = :until ADD dispatchAttempts :one",
            ConditionExpression="attribute_exists(dispatchShard)",
            ExpressionAttributeValues={
                ":until": {"S": format_timestamp(until)},
                ":one": {"N": "1"},
            },
        )

    def settle_dispatch(self, order_id: str) -> bool:
        """Take the order off the dispatch index if nothing is pending; whether it was.

        ``False`` when a status was entered meanwhile: the order stays on the index.
        """
        return self._update_if(
            order_id,
            UpdateExpression="REMOVE dispatchShard, dispatchDue, dispatchAttempts",
            ConditionExpression="size(pendingDispatch) = :none",
            ExpressionAttributeValues={":none": {"N": "0"}},
        )

    def abandon_dispatch(self, order_id: str) -> None:
        """Take the order off the dispatch index although messages are pending (gave up)."""
        with unavailable_on_transient_errors():
            self._dynamodb.update_item(
                TableName=self._table,
                Key=key(order_id),
                UpdateExpression="REMOVE dispatchShard, dispatchDue",
            )

    def _update_if(self, order_id: str, **request: Any) -> bool:
        """Apply a conditional update; ``False`` (nothing written) if its condition fails."""
        try:
            with unavailable_on_transient_errors():
                self._dynamodb.update_item(TableName=self._table, Key=key(order_id), **request)
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True
