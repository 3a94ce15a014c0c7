"""The Orders table: orders in and out, with every state check done by a DynamoDB condition."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from orders import documents
from orders.aws import error_code, unavailable_on_transient_errors
from orders.errors import DependencyUnavailable, InvalidCursor, OrderNotFound
from orders.messages import StatusMessage
from orders.model import Change, Customer, Device, Guard, Order, Status

STATUS_INDEX = "byStatus"
DISPATCH_INDEX = "byDispatchDue"
# Every order with a status message not yet confirmed by its processor carries this partition
# key (and ``dispatchDue``); the index is sparse, so the sweeper reads only those orders.
_DISPATCH_SHARD = "pending"
# A message is normally processed within a second; after this long it is sent again.
DISPATCH_GRACE = timedelta(minutes=2)
_BATCH_GET_LIMIT = 100
_UNPROCESSED_RETRIES = 5


class ConditionFailed(Exception):
    """A guarded write did not apply; ``current`` is the stored order (``None`` if none exists)."""

    def __init__(self, current: Order | None) -> None:
        self.current = current
        super().__init__("condition failed")


class AlreadyExists(Exception):
    """An order with this id exists; ``current`` is it, ``fingerprint`` the request that made it."""

    def __init__(self, current: Order, fingerprint: str | None) -> None:
        self.current = current
        self.fingerprint = fingerprint
        super().__init__(f"order {current.order_id} exists")


class DueDispatch(NamedTuple):
    """An order whose status messages (``messages``) no processor has confirmed yet."""

    order_id: str
    messages: tuple[StatusMessage, ...]
    attempts: int


class Page(NamedTuple):
    """One page of a listing and the cursor of the next, if there is one."""

    items: tuple[Order, ...]
    next_cursor: str | None


class _Deserializer(TypeDeserializer):  # type: ignore[misc]
    def _deserialize_n(self, value: str) -> int | Decimal:
        number = Decimal(value)
        return int(number) if number == number.to_integral_value() else number


_serializer = TypeSerializer()
_deserializer = _Deserializer()


def _to_item(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _serializer.serialize(value) for name, value in fields.items()}


def _from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _deserializer.deserialize(value) for name, value in item.items()}


class DynamoOrderRepository:
    """Reads and writes orders in one DynamoDB table (key ``orderId``, GSI ``byStatus``)."""

    def __init__(self, dynamodb: Any, table_name: str) -> None:
        self._dynamodb = dynamodb
        self._table = table_name
        # The cursor's check value is keyed by the table so a cursor never crosses tables.
        self._cursor_key = hashlib.blake2b(table_name.encode(), digest_size=16).digest()

    def add(self, order: Order, fingerprint: str | None = None) -> None:
        """Store a new order; raise ``AlreadyExists`` if its id is taken."""
        item = documents.order_to_document(order)
        entered = order.history[-1]
        item["pendingDispatch"] = {entered.status.value: documents.format_timestamp(entered.at)}
        item["dispatchShard"] = _DISPATCH_SHARD
        item["dispatchDue"] = documents.format_timestamp(entered.at + DISPATCH_GRACE)
        if fingerprint is not None:
            item["requestFingerprint"] = fingerprint
        try:
            with unavailable_on_transient_errors():
                self._dynamodb.put_item(
                    TableName=self._table,
                    Item=_to_item(item),
                    ConditionExpression="attribute_not_exists(orderId)",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
        except ClientError as error:
            old = _failed_condition_item(error)
            if old is None:
                raise
            raise AlreadyExists(_order(old), old.get("requestFingerprint")) from error

    def get(self, order_id: str) -> Order:
        """The stored order; raise ``OrderNotFound`` if there is none."""
        with unavailable_on_transient_errors():
            response = self._dynamodb.get_item(
                TableName=self._table, Key=_key(order_id), ConsistentRead=True
            )
        if "Item" not in response:
            raise OrderNotFound(order_id)
        return _order(_from_item(response["Item"]))

    def get_many(self, order_ids: Iterable[str]) -> dict[str, Order]:
        """The stored orders among ``order_ids``, by id; missing ids are simply absent."""
        wanted = sorted(set(order_ids))
        found: dict[str, Order] = {}
        for start in range(0, len(wanted), _BATCH_GET_LIMIT):
            keys = [_key(order_id) for order_id in wanted[start : start + _BATCH_GET_LIMIT]]
            for item in self._batch_get(keys):
                order = _order(_from_item(item))
                found[order.order_id] = order
        return found

    def update(self, order_id: str, change: Change, guard: Guard, at: datetime) -> Order:
        """Apply ``change`` if ``guard`` holds, else raise ``ConditionFailed``."""
        expression = _UpdateExpression(change, at)
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
                    Key=_key(order_id),
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
            old = _failed_condition_item(error)
            raise ConditionFailed(None if old is None else _order(old)) from error
        return _order(_from_item(response["Attributes"]))

    def record_processing(self, order_id: str, status: Status, record: Mapping[str, Any]) -> bool:
        """Record ``processing.<status>`` once; ``False`` if it was already recorded.

        Touches nothing else on the order, so a late record never regresses its status.
        """
        try:
            with unavailable_on_transient_errors():
                self._dynamodb.update_item(
                    TableName=self._table,
                    Key=_key(order_id),
                    UpdateExpression="SET #processing.#status = :record "
                    "REMOVE #pendingDispatch.#status",
                    ConditionExpression=(
                        "attribute_exists(orderId) AND attribute_not_exists(#processing.#status)"
                    ),
                    ExpressionAttributeNames={
                        "#processing": "processing",
                        "#pendingDispatch": "pendingDispatch",
                        "#status": status.value,
                    },
                    ExpressionAttributeValues={":record": _serializer.serialize(dict(record))},
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
        except ClientError as error:
            if error_code(error) != "ConditionalCheckFailedException":
                raise
            if _failed_condition_item(error) is None:
                raise OrderNotFound(order_id) from error
            return False
        return True

    def list_page(self, status: Status | None, limit: int, cursor: str | None) -> Page:
        """One page of orders: by status newest first through the index, otherwise all of them.

        Reads one item past the page to know whether another page exists, so the last page
        never hands out a cursor to an empty one.
        """
        request: dict[str, Any] = {"TableName": self._table, "Limit": limit + 1}
        if cursor is not None:
            request["ExclusiveStartKey"] = _to_item(self._decode_cursor(cursor, status))
        with unavailable_on_transient_errors():
            if status is None:
                response = self._dynamodb.scan(**request)
            else:
                response = self._dynamodb.query(
                    **request,
                    IndexName=STATUS_INDEX,
                    KeyConditionExpression="#status = :status",
                    ExpressionAttributeNames={"#status": "status"},
                    ExpressionAttributeValues={":status": {"S": status.value}},
                    ScanIndexForward=False,
                )
        orders = tuple(_order(_from_item(item)) for item in response.get("Items", []))
        if len(orders) <= limit and "LastEvaluatedKey" not in response:
            return Page(orders, None)
        if len(orders) <= limit:
            # DynamoDB stopped early (1 MB per page); continue from where it stopped.
            last_key = _from_item(response["LastEvaluatedKey"])
            return Page(orders, self._encode_cursor(last_key, status))
        page = orders[:limit]
        return Page(page, self._encode_cursor(_position(page[-1], status), status))

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
                    ":shard": {"S": _DISPATCH_SHARD},
                    ":now": {"S": documents.format_timestamp(now)},
                },
                Limit=limit,
            )
        due = []
        for item in response.get("Items", []):
            fields = _from_item(item)
            messages = tuple(
                StatusMessage(
                    fields["orderId"],
                    Status(status),
                    int(fields["version"]),
                    documents.parse_timestamp(occurred_at),
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
                ":until": {"S": documents.format_timestamp(until)},
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
                Key=_key(order_id),
                UpdateExpression="REMOVE dispatchShard, dispatchDue",
            )

    def _update_if(self, order_id: str, **request: Any) -> bool:
        """Apply a conditional update; ``False`` (nothing written) if its condition fails."""
        try:
            with unavailable_on_transient_errors():
                self._dynamodb.update_item(TableName=self._table, Key=_key(order_id), **request)
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True

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

    def _encode_cursor(self, position: Mapping[str, Any], status: Status | None) -> str:
        payload = json.dumps(
            {"s": None if status is None else status.value, "k": position},
            separators=(",", ":"),
            sort_keys=True,
        ).encode()
        return base64.urlsafe_b64encode(payload + self._check(payload)).decode().rstrip("=")

    def _decode_cursor(self, cursor: str, status: Status | None) -> dict[str, Any]:
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        except (binascii.Error, ValueError) as error:
            raise InvalidCursor(cursor) from error
        payload, check = raw[:-_CHECK_SIZE], raw[-_CHECK_SIZE:]
        if len(raw) <= _CHECK_SIZE or check != self._check(payload):
            raise InvalidCursor(cursor)
        decoded = json.loads(payload)
        if decoded["s"] != (None if status is None else status.value):
            raise InvalidCursor(cursor)
        position: dict[str, Any] = decoded["k"]
        return position

    def _check(self, payload: bytes) -> bytes:
        return hashlib.blake2b(payload, key=self._cursor_key, digest_size=_CHECK_SIZE).digest()


_CHECK_SIZE = 12


class _UpdateExpression:
    """Builds the UpdateExpression of a change: placeholders for every name and value."""

    def __init__(self, change: Change, at: datetime) -> None:
        self.names: dict[str, str] = {}
        self.values: dict[str, Any] = {}
        self.fields = [
            (name, _document_value(value)) for name, value in change.field_values().items()
        ]
        self._sets = [f"{self.name(n)} = {self.value(v)}" for n, v in self.fields]
        self._sets.append(
            f"{self.name('updatedAt')} = {self.value(documents.format_timestamp(at))}"
        )
        version = self.name("version")
        self._sets.append(f"{version} = {version} + {self.value(1)}")
        if change.entered is not None:
            entry = documents.history_entry_to_document(change.entered)
            self._sets.append(f"{self.name('status')} = {self.value(change.entered.status.value)}")
            history = self.name("history")
            self._sets.append(f"{history} = list_append({history}, {self.value([entry])})")
            # The new status's message is pending until its processor records it.
            due = self.name("dispatchDue")
            due_at = self.value(documents.format_timestamp(at + DISPATCH_GRACE))
            pending = f"{self.name('pendingDispatch')}.{self.name(change.entered.status.value)}"
            self._sets.append(f"{pending} = {self.value(entry['at'])}")
            self._sets.append(f"{due} = if_not_exists({due}, {due_at})")
            self._sets.append(f"{self.name('dispatchShard')} = {self.value(_DISPATCH_SHARD)}")

    def name(self, attribute: str) -> str:
        placeholder = f"#{attribute}"
        self.names[placeholder] = attribute
        return placeholder

    def value(self, value: Any) -> str:
        placeholder = f":v{len(self.values)}"
        self.values[placeholder] = _serializer.serialize(value)
        return placeholder

    def text(self) -> str:
        return "SET " + ", ".join(self._sets)


def _document_value(value: Customer | Device | str) -> Any:
    if isinstance(value, Customer):
        return documents.customer_to_document(value)
    if isinstance(value, Device):
        return documents.device_to_document(value)
    return str(value)


def _key(order_id: str) -> dict[str, Any]:
    return {"orderId": {"S": order_id}}


def _position(order: Order, status: Status | None) -> dict[str, Any]:
    position = {"orderId": order.order_id}
    if status is not None:
        position |= {
            "status": status.value,
            "createdAt": documents.format_timestamp(order.created_at),
        }
    return position


def _order(document: Mapping[str, Any]) -> Order:
    return documents.order_from_document(document)


def _failed_condition_item(error: ClientError) -> dict[str, Any] | None:
    item = error.response.get("Item")
    return None if not item else _from_item(item)
