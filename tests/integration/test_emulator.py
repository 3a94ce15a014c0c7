"""The local stack's emulator patches to moto: transactions roll back from their own items."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends

from offline.emulator import back_up_only_the_items_a_transaction_touches
from tests.integration.conftest import REGION
from tests.support.stack import Stack


@pytest.fixture
def lean_transactions(stack: Stack) -> Iterator[str]:
    undo = back_up_only_the_items_a_transaction_touches()
    yield stack.environment["ORDERS_TABLE"]
    undo()


def _set(table: str, order_id: str, value: str, condition: str | None = None) -> dict[str, object]:
    update: dict[str, object] = {
        "TableName": table,
        "Key": {"orderId": {"S": order_id}},
        "UpdateExpression": "SET note = :v",
        "ExpressionAttributeValues": {":v": {"S": value}},
    }
    if condition:
        update["ConditionExpression"] = condition
    return {"Update": update}


def _notes(table: str) -> dict[str, str]:
    items = boto3.client("dynamodb").scan(TableName=table)["Items"]
    return {item["orderId"]["S"]: item["note"]["S"] for item in items}


def test_a_canceled_transaction_leaves_every_item_as_it_was(lean_transactions: str) -> None:
    table, dynamodb = lean_transactions, boto3.client("dynamodb")
    for order_id in ("a", "b"):
        dynamodb.put_item(TableName=table, Item={"orderId": {"S": order_id}, "note": {"S": "old"}})
    live = dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].tables[table]
    new_item = {"Put": {"TableName": table, "Item": {"orderId": {"S": "c"}, "note": {"S": "new"}}}}

    with pytest.raises(ClientError) as canceled:
        dynamodb.transact_write_items(
            TransactItems=[
                _set(table, "a", "new"),  # applied by moto before the next one fails
                new_item,
                _set(table, "b", "new", condition="attribute_not_exists(orderId)"),
            ]
        )

    assert canceled.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert _notes(table) == {"a": "old", "b": "old"}
    assert dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].tables[table] is live  # no table copy


def test_a_transaction_that_applies_writes_every_item(lean_transactions: str) -> None:
    table, dynamodb = lean_transactions, boto3.client("dynamodb")
    dynamodb.put_item(TableName=table, Item={"orderId": {"S": "a"}, "note": {"S": "old"}})

    dynamodb.transact_write_items(
        TransactItems=[_set(table, "a", "new", condition="attribute_exists(orderId)")]
    )

    assert _notes(table) == {"a": "new"}
