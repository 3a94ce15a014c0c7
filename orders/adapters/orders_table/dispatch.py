"""The dispatch ledger: status messages pending on their orders, read through a sparse index."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from orders.adapters.clients import error_code, unavailable_on_transient_errors
from orders.adapters.orders_table.items import from_item, serialize
from orders.adapters.orders_table.schema import (
    DISPATCH_INDEX,
    DISPATCH_SHARD,
    PENDING,
    key,
    pending_entry_keys,
)
from orders.domain.messages import StatusMessage
from orders.domain.model import Status
from orders.domain.timestamps import format_timestamp, parse_timestamp
from orders.usecases.ports import DueDispatch, DuePage, PendingMessage


class DynamoDispatchLedger:
    """What the sweeper reads and writes on the Orders table (GSI ``byDispatchDue``)."""

    def __init__(self, dynamodb: Any, table_name: str) -> None:
        self._dynamodb = dynamodb
        self._table = table_name

    def due_dispatches(
        self, now: datetime, limit: int = 100, start: Mapping[str, Any] | None = None
    ) -> DuePage:
        """One page of the orders due for a look at ``now`` (oldest due first).

        A Query on the sparse dispatch index: its cost follows the pending orders, not the table.
        An entry this version cannot read is reported by name, never raised, so that one order
        cannot stop a sweep.
        """
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": DISPATCH_INDEX,
            "KeyConditionExpression": "dispatchShard = :shard AND dispatchDue <= :now",
            "ExpressionAttributeValues": {
                ":shard": {"S": DISPATCH_SHARD},
                ":now": {"S": format_timestamp(now)},
            },
            "Limit": limit,
        }
        if start is not None:
            request["ExclusiveStartKey"] = dict(start)
        with unavailable_on_transient_errors():
            response = self._dynamodb.query(**request)
        items = tuple(_due(item) for item in response.get("Items", []))
        return DuePage(items, response.get("LastEvaluatedKey"))

    def record_resend(self, order_id: str, pending: PendingMessage, at: datetime) -> bool:
        """Count one more send of ``pending`` at ``at``; ``False`` if it is no longer pending."""
        entered, _, resends, sent_at, _ = pending_entry_keys(pending.message.status.value)
        return self._update_if(
            order_id,
            UpdateExpression="SET #pending.#resends = :resends, #pending.#sentAt = :at",
            ConditionExpression="#pending.#entered = :entered",
            ExpressionAttributeNames={
                "#pending": PENDING,
                "#entered": entered,
                "#resends": resends,
                "#sentAt": sent_at,
            },
            ExpressionAttributeValues={
                ":resends": {"N": str(pending.resends + 1)},
                ":at": {"S": format_timestamp(at)},
                ":entered": {"S": format_timestamp(pending.message.occurred_at)},
            },
        )

    def abandon_dispatch(self, order_id: str, pending: PendingMessage) -> bool:
        """Give up on ``pending``: take its entry off the order, if it is still the one read.

        Only that status's entry goes: another status entered meanwhile keeps its own entry,
        its full number of attempts, and the order's place on the index.
        """
        names = dict(
            zip(
                ("#e", "#v", "#r", "#s", "#c"),
                pending_entry_keys(pending.message.status.value),
                strict=True,
            )
        )
        return self._update_if(
            order_id,
            UpdateExpression=(
                "REMOVE #pending.#e, #pending.#v, #pending.#r, #pending.#s, #pending.#c"
            ),
            ConditionExpression="#pending.#e = :entered",
            ExpressionAttributeNames={"#pending": PENDING, **names},
            ExpressionAttributeValues={
                ":entered": {"S": format_timestamp(pending.message.occurred_at)}
            },
        )

    def postpone_dispatch(self, order_id: str, until: datetime) -> None:
        """Look at this order again at ``until``.

        Nothing happens if the order left the index meanwhile (settled by another sweep).
        """
        self._update_if(
            order_id,
            UpdateExpression="SET dispatchDue = :until",
            ConditionExpression="attribute_exists(dispatchShard)",
            ExpressionAttributeValues={":until": {"S": format_timestamp(until)}},
        )

    def settle_dispatch(self, order_id: str) -> bool:
        """Take the order off the dispatch index if nothing is pending; whether it was.

        ``False`` when a status was entered meanwhile: the order stays on the index.
        """
        return settle(self._dynamodb, self._table, order_id)

    def _update_if(self, order_id: str, **request: Any) -> bool:
        return update_if(self._dynamodb, self._table, order_id, **request)


def settle(dynamodb: Any, table: str, order_id: str) -> bool:
    """Take an order off the dispatch index if its ``pendingDispatch`` is empty; whether it was."""
    return update_if(
        dynamodb,
        table,
        order_id,
        # dispatchAttempts: the order-wide count of an earlier version, cleared with the keys.
        UpdateExpression="REMOVE dispatchShard, dispatchDue, dispatchAttempts",
        ConditionExpression="attribute_exists(dispatchShard) AND size(#pending) = :none",
        ExpressionAttributeNames={"#pending": PENDING},
        ExpressionAttributeValues={":none": serialize(0)},
    )


def update_if(dynamodb: Any, table: str, order_id: str, **request: Any) -> bool:
    """Apply a conditional update; ``False`` (nothing written) if its condition fails."""
    try:
        with unavailable_on_transient_errors():
            dynamodb.update_item(TableName=table, Key=key(order_id), **request)
    except ClientError as error:
        if error_code(error) == "ConditionalCheckFailedException":
            return False
        raise
    return True


def _due(item: Mapping[str, Any]) -> DueDispatch:
    fields = from_item(item)
    marks: Mapping[str, Any] = fields.get(PENDING) or {}
    # An entry written before versions were kept falls back to the order-wide values.
    legacy_resends = fields.get("dispatchAttempts", 0)
    pending: list[PendingMessage] = []
    unreadable: list[str] = []
    for name, entered in sorted(marks.items()):
        if ":" in name:
            continue
        try:
            status = Status(name)
            _, version_key, resends_key, sent_key, correlation_key = pending_entry_keys(name)
            occurred_at = parse_timestamp(entered)
            version = marks.get(version_key, fields["version"])
            resends = marks.get(resends_key, 0 if version_key in marks else legacy_resends)
            last_sent = parse_timestamp(marks[sent_key]) if sent_key in marks else occurred_at
            correlation_id = marks.get(correlation_key)
            if type(version) is not int or type(resends) is not int:
                raise TypeError("version and resends are whole numbers")
            if not (correlation_id is None or isinstance(correlation_id, str)):
                raise TypeError("a correlation id is text")
        except (ValueError, TypeError, KeyError) as error:
            unreadable.append(f"{name}: {error}")
            continue
        message = StatusMessage(fields["orderId"], status, version, occurred_at, correlation_id)
        pending.append(PendingMessage(message, resends, last_sent))
    return DueDispatch(fields["orderId"], tuple(pending), tuple(unreadable))
