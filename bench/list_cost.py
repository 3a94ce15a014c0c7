"""List cost as the table grows: items DynamoDB reads for one page, ours beside a Scan baseline."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

import handler
from bench.common import CallLog, attach_to_service_clients, in_process_stack, order_in, to_item
from orders.domain.model import Status
from tests.support.events import LambdaContext, api_event

PAGE = 20
LISTED = Status.RECEIVED
# A working shop: most orders are finished; the front desk lists the ones just received.
_MIX = (Status.RECEIVED,) * 2 + (Status.INPROCESS,) + (Status.COMPLETED,) * 6 + (Status.CANCELED,)
_FIRST_ORDER = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
_BATCH_WRITE_LIMIT = 25


def measure(template: dict[str, Any], sizes: list[int]) -> list[dict[str, Any]]:
    """For each table size: items scanned for a page of ``PAGE`` by status, ours and by Scan."""
    with in_process_stack(template) as stack:
        log = CallLog()
        attach_to_service_clients(log)
        dynamodb = boto3.client("dynamodb")
        baseline = CallLog()
        baseline.attach(dynamodb)
        table = stack.environment["ORDERS_TABLE"]
        rows = []
        seeded = 0
        for size in sorted(sizes):
            _seed(dynamodb, table, seeded, size)
            seeded = size
            first, cursor = _our_page(log, None)
            second = _our_page(log, cursor)[0] if cursor else None
            baseline.take()
            newest_first = _scan_newest_first(dynamodb, table)
            newest_first["bytes"] = sum(call.bytes_received for call in baseline.take())
            any_page = _scan_until_page(dynamodb, table)
            rows.append(
                {
                    "orders": size,
                    "listed_status": LISTED.value,
                    "listed_share": _MIX.count(LISTED) / len(_MIX),
                    "ours_scanned_page1": first["scanned"],
                    "ours_scanned_page2": second and second["scanned"],
                    "ours_bytes_page1": first["bytes"],
                    "ours_calls_page1": first["calls"],
                    "scan_newest_first_scanned": newest_first["scanned"],
                    "scan_newest_first_calls": newest_first["calls"],
                    "scan_newest_first_bytes": newest_first["bytes"],
                    "scan_first_found_scanned": any_page["scanned"],
                    "scan_first_found_calls": any_page["calls"],
                    "ratio_newest_first": round(newest_first["scanned"] / first["scanned"], 1),
                }
            )
        return rows


def _seed(dynamodb: Any, table: str, start: int, stop: int) -> None:
    """Orders ``start`` to ``stop``, one a minute, each in the status the mix gives its index."""
    items = [
        to_item(order_in(_MIX[index % len(_MIX)], _FIRST_ORDER + timedelta(minutes=index)))
        for index in range(start, stop)
    ]
    for offset in range(0, len(items), _BATCH_WRITE_LIMIT):
        requests = [{"PutRequest": {"Item": item}} for item in items[offset : offset + 25]]
        pending: dict[str, Any] = {table: requests}
        while pending:
            pending = dynamodb.batch_write_item(RequestItems=pending).get("UnprocessedItems")


def _our_page(log: CallLog, cursor: str | None) -> tuple[dict[str, int], str | None]:
    query = {"status": LISTED.value, "limit": str(PAGE)} | ({"cursor": cursor} if cursor else {})
    log.take()
    response = handler.handle(api_event("GET", "/orders", query=query), LambdaContext())
    if response["statusCode"] != 200:
        raise RuntimeError(f"listing failed: {response}")
    calls = log.take()
    cost = {
        "scanned": sum(int(call.parsed.get("ScannedCount", 0)) for call in calls),
        "bytes": sum(call.bytes_received for call in calls),
        "calls": len(calls),
    }
    next_cursor: str | None = json.loads(response["body"])["nextCursor"]
    return cost, next_cursor


def _scan_newest_first(dynamodb: Any, table: str) -> dict[str, int]:
    """The newest page by status with a filtered Scan: the table is not in time order, so it
    must read every item and sort them."""
    scanned = calls = 0
    found: list[dict[str, Any]] = []
    request = _filtered_scan(table)
    while True:
        response = dynamodb.scan(**request)
        calls += 1
        scanned += response["ScannedCount"]
        found.extend(response["Items"])
        if "LastEvaluatedKey" not in response:
            break
        request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
    found.sort(key=lambda item: item["createdAt"]["S"], reverse=True)
    del found[PAGE:]
    return {"scanned": scanned, "calls": calls}


def _scan_until_page(dynamodb: Any, table: str) -> dict[str, int]:
    """A filtered Scan that stops once a page is full: bounded, but in no useful order."""
    scanned = calls = matched = 0
    request = _filtered_scan(table) | {"Limit": PAGE + 1}
    while matched <= PAGE:
        response = dynamodb.scan(**request)
        calls += 1
        scanned += response["ScannedCount"]
        matched += response["Count"]
        if "LastEvaluatedKey" not in response:
            break
        request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
    return {"scanned": scanned, "calls": calls}


def _filtered_scan(table: str) -> dict[str, Any]:
    return {
        "TableName": table,
        "FilterExpression": "#status = :status",
        "ExpressionAttributeNames": {"#status": "status"},
        "ExpressionAttributeValues": {":status": {"S": LISTED.value}},
    }
