"""Orders in and out of the table by id, with every state check done by a DynamoDB condition."""

from __future__ import annotations

import functools
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from orders.adapters.clients import error_code, unavailable_on_transient_errors
from orders.adapters.orders_table.expressions import UpdateExpression
from orders.adapters.orders_table.items import (
    document_from_item,
    failed_condition_item,
    order_from_item,
    serialize,
    to_item,
)
from orders.adapters.orders_table.schema import (
    DISPATCH_SHARD,
    PENDING,
    key,
    pending_entry_keys,
)
from orders.domain import documents
from orders.domain.errors import DependencyUnavailable, OrderNotFound
from orders.domain.model import Change, Guard, Order, Status
from orders.domain.timestamps import format_timestamp
from orders.usecases.ports import AlreadyExists, ConditionFailed

_BATCH_GET_LIMIT = 100
_UNPROCESSED_RETRIES = 5


class DynamoOrderStore:
    """Guarded writes and consistent reads of orders in one DynamoDB table (key ``orderId``)."""

    def __init__(self, dynamodb: Any, table_name: str, grace: timedelta) -> None:
        self._dynamodb = dynamodb
        self._table = table_name
        # How long a status message may legitimately take before the sweeper sends it again.
        self._grace = grace

    def add(
        self, order: Order, fingerprint: str | None = None, correlation_id: str | None = None
    ) -> None:
        """Store a new order; raise ``AlreadyExists`` if its id is taken.

        ``correlation_id``: the request's, kept with its pending status message.
        """
        item = documents.order_to_document(order)
        entered = order.history[-1]
        at_key, version_key, _, _, correlation_key = pending_entry_keys(entered.status.value)
        item[PENDING] = {at_key: format_timestamp(entered.at), version_key: order.version}
        if correlation_id is not None:
            item[PENDING][correlation_key] = correlation_id
        item["dispatchShard"] = DISPATCH_SHARD
        item["dispatchDue"] = format_timestamp(entered.at + self._grace)
        if fingerprint is not None:
            item["requestFingerprint"] = fingerprint
        try:
            with unavailable_on_transient_errors():
                self._dynamodb.put_item(
                    TableName=self._table,
                    Item=to_item(item),
                    ConditionExpression="attribute_not_exists(orderId)",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
        except ClientError as error:
            old = failed_condition_item(error)
            if old is None:
                raise
            order = documents.order_from_document(old)
            raise AlreadyExists(order, old.get("requestFingerprint")) from error

    def get(self, order_id: str) -> Order:
        """The stored order; raise ``OrderNotFound`` if there is none."""
        return order_from_item(self._item(order_id))

    def get_document(self, order_id: str) -> dict[str, Any]:
        """The stored order as its document, with no ``Order`` built in between (see ``Page``)."""
        return document_from_item(self._item(order_id))

    def _item(self, order_id: str) -> Mapping[str, Any]:
        with unavailable_on_transient_errors():
            response = self._dynamodb.get_item(
                TableName=self._table, Key=key(order_id), ConsistentRead=True
            )
        if "Item" not in response:
            raise OrderNotFound(order_id)
        item: Mapping[str, Any] = response["Item"]
        return item

    def get_many(self, order_ids: Iterable[str]) -> dict[str, Order]:
        """The stored orders among ``order_ids``, by id; missing ids are simply absent."""
        wanted = sorted(set(order_ids))
        found: dict[str, Order] = {}
        for start in range(0, len(wanted), _BATCH_GET_LIMIT):
            keys = [key(order_id) for order_id in wanted[start : start + _BATCH_GET_LIMIT]]
            for item in self._batch_get(keys):
                order = order_from_item(item)
                found[order.order_id] = order
        return found

    def update(
        self,
        order_id: str,
        change: Change,
        guard: Guard,
        at: datetime,
        correlation_id: str | None = None,
    ) -> Order:
        """Apply ``change`` if ``guard`` holds, else raise ``ConditionFailed``.

        ``correlation_id``: the request's, kept with the message of a status it enters.
        """
        expression = UpdateExpression(change, at, self._grace, correlation_id)
        conditions = ["attribute_exists(orderId)"]
        if guard.expected_version is not None:
            conditions.append(
                f"{expression.name('version')} = {expression.value(guard.expected_version)}"
            )
        if guard.status_in is not None:
            allowed = ", ".join(
                expression.value(status.value) for status in sorted(guard.status_in)
            )
            conditions.append(f"{expression.name('status')} IN ({allowed})")
        if guard.must_differ:
            differs = [
                f"{expression.name(n)} <> {expression.value(v)}" for n, v in expression.fields
            ]
            conditions.append(f"({' OR '.join(differs)})")
        try:
            with unavailable_on_transient_errors():
                response = self._dynamodb.update_item(
                    TableName=self._table,
                    Key=key(order_id),
                    UpdateExpression=expression.text(),
                    ConditionExpression=" AND ".join(conditions),
                    ExpressionAttributeNames=expression.names,
                    ExpressionAttributeValues=expression.values,
                    ReturnValues="ALL_NEW",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
        except ClientError as error:
            if error_code(error) != "ConditionalCheckFailedException":
                raise
            old = failed_condition_item(error)
            raise ConditionFailed(
                None if old is None else documents.order_from_document(old)
            ) from error
        return order_from_item(response["Attributes"])

    def record_processing(self, order_id: str, status: Status, record: Mapping[str, Any]) -> bool:
        """Record ``processing.<status>`` once; ``False`` if it was already recorded.

        Touches nothing else on the order, so a late record never regresses its status. The
        status's pending entry goes with it, and when that entry was all that was pending the
        order leaves the dispatch index in the same write. The write first assumes the usual
        entry (``_usual_entry``: sent once); if the order holds more, it is written again from
        what the failed condition returned, so a status pending beside it keeps the index.
        """
        keys = pending_entry_keys(status.value)
        recorded, old = self._record(order_id, status, record, _usual_entry(status, record))
        if recorded is None:
            pending = set((old or {}).get(PENDING) or {})
            alone = tuple(name for name in keys if name in pending)
            recorded, _ = self._record(
                order_id, status, record, alone if pending == set(alone) else None
            )
        return bool(recorded)

    def _record(
        self,
        order_id: str,
        status: Status,
        record: Mapping[str, Any],
        all_pending: Sequence[str] | None,
    ) -> tuple[bool | None, dict[str, Any] | None]:
        """Whether it was recorded now (``False``: before; ``None``: ``all_pending`` was wrong).

        ``all_pending``: the keys believed to be everything in ``pendingDispatch``, checked by
        the condition; when right, the dispatch index keys go too. ``None``: just record.
        """
        try:
            with unavailable_on_transient_errors():
                self._dynamodb.update_item(
                    **self._record_update(order_id, status, record, all_pending),
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
        except ClientError as error:
            if error_code(error) != "ConditionalCheckFailedException":
                raise
            old = failed_condition_item(error)
            if old is None:
                raise OrderNotFound(order_id) from error
            if status.value in (old.get("processing") or {}):
                return False, old
            if all_pending is None:  # cannot happen: only processing.<status> can fail it
                raise
            return None, old
        return True, None

    def record_many(self, status: Status, records: Mapping[str, Mapping[str, Any]]) -> set[str]:
        """Record ``processing.<status>`` of several orders; the ids left unrecorded (to retry).

        One ``TransactWriteItems`` for the lot (one round trip instead of one per order). If it
        does not apply (an order already recorded by a racing delivery, a conflicting write,
        throttling), each record is written on its own, so one order never fails another.
        """
        if len(records) > 1:
            # Each as the usual single pending entry (``_usual_entry``); an order holding more
            # fails the lot, and the one-by-one writes below handle it.
            updates = [
                {
                    "Update": self._record_update(
                        order_id, status, record, _usual_entry(status, record)
                    )
                }
                for order_id, record in records.items()
            ]
            try:
                with unavailable_on_transient_errors():
                    self._dynamodb.transact_write_items(TransactItems=updates)
                return set()
            except (ClientError, DependencyUnavailable):
                pass  # one by one, below: each record succeeds or fails alone
        unrecorded: set[str] = set()
        for order_id, record in records.items():
            try:
                self.record_processing(order_id, status, record)
            except (OrderNotFound, DependencyUnavailable):
                unrecorded.add(order_id)
        return unrecorded

    def _record_update(
        self,
        order_id: str,
        status: Status,
        record: Mapping[str, Any],
        all_pending: Sequence[str] | None,
    ) -> dict[str, Any]:
        """The UpdateItem that records ``processing.<status>`` (see ``_record``)."""
        pending = None if all_pending is None else tuple(all_pending)
        update, condition, names = _record_expressions(status, pending)
        values: dict[str, Any] = {":record": serialize(dict(record))}
        if pending is not None:
            values[":size"] = serialize(len(pending))
        return {
            "TableName": self._table,
            "Key": key(order_id),
            "UpdateExpression": update,
            "ConditionExpression": condition,
            "ExpressionAttributeNames": dict(names),
            "ExpressionAttributeValues": values,
        }

    def _batch_get(self, keys: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        items: list[Mapping[str, Any]] = []
        pending: dict[str, Any] = {self._table: {"Keys": list(keys), "ConsistentRead": True}}
        for attempt in range(_UNPROCESSED_RETRIES):
            with unavailable_on_transient_errors():
                response = self._dynamodb.batch_get_item(RequestItems=pending)
            items.extend(response.get("Responses", {}).get(self._table, []))
            pending = response.get("UnprocessedKeys") or {}
            if not pending:
                return items
            time.sleep(0.05 * 2**attempt)
        raise DependencyUnavailable("BatchGetItem left keys unprocessed")


def _usual_entry(status: Status, record: Mapping[str, Any]) -> tuple[str, ...]:
    """The keys of a status's pending entry when its message was sent once: when it was entered,
    the version, and the request's correlation id, which the processing record repeats."""
    entered, version, _, _, correlation = pending_entry_keys(status.value)
    return (entered, version, correlation) if "correlationId" in record else (entered, version)


# A batch writes one of these per record, each the same but for the key and the record: made
# once per status and set of pending keys (each request gets its own copy of the names).
@functools.cache
def _record_expressions(
    status: Status, all_pending: tuple[str, ...] | None
) -> tuple[str, str, dict[str, str]]:
    """The update, the condition and the names of ``_record_update`` for ``status``."""
    names = {f"#p{index}": name for index, name in enumerate(pending_entry_keys(status.value))}
    removed = [f"#pendingDispatch.{placeholder}" for placeholder in names]
    condition = "attribute_exists(orderId) AND attribute_not_exists(#processing.#status)"
    if all_pending is not None:
        removed += ["dispatchShard", "dispatchDue"]
        condition += " AND size(#pendingDispatch) = :size"
        placeholders = {name: placeholder for placeholder, name in names.items()}
        for name in all_pending:
            condition += f" AND attribute_exists(#pendingDispatch.{placeholders[name]})"
    update = f"SET #processing.#status = :record REMOVE {', '.join(removed)}"
    every_name = {
        "#processing": "processing",
        "#pendingDispatch": PENDING,
        "#status": status.value,
        **names,
    }
    return update, condition, every_name
