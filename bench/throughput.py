"""Local end-to-end throughput: orders POSTed concurrently to `make run`'s stack until processed.

Beside it, the emulator's raw rate of the same two writes (put the order, send its message) from
the same number of threads, measured in the same run: the ratio says how much of the local
stack's time is ours (the local gateway, handler, pump, processor) rather than the emulator's.
"""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import requests

from bench.common import emulator_client, median, order_in, percentile, to_item
from orders.domain.messages import StatusMessage
from orders.domain.model import Status
from orders.domain.timestamps import parse_timestamp
from tests.e2e.conftest import LocalStack, start_stack
from tests.support.data import laptop_order

_PROCESSING_DEADLINE_S = 120


def measure(orders: int, concurrency: int) -> dict[str, Any]:
    """Start the local stack, measure the raw emulator rate, then ``orders`` orders end to end."""
    stack = start_stack()
    try:
        stack.wait_until_ready()
        dynamodb, sqs = (emulator_client(stack.emulator_url, s) for s in ("dynamodb", "sqs"))
        table = _table_name(dynamodb)
        raw = _raw_rate(dynamodb, sqs, table, orders, concurrency)
        # Each API worker and each poller creates its AWS clients on its first request: warm
        # them, so the figures are the warm stack's.
        started = time.perf_counter()
        _end_to_end(stack, dynamodb, table, 1, 1)
        first = time.perf_counter() - started
        _end_to_end(stack, dynamodb, table, 2 * concurrency, concurrency)
        ours = _end_to_end(stack, dynamodb, table, orders, concurrency)
    finally:
        stack.stop()
    return ours | {
        "orders": orders,
        "concurrency": concurrency,
        "raw_put_and_send_per_s": round(raw, 1),
        "ratio_to_raw": round(ours["orders_per_s"] / raw, 3),
        "first_order_on_fresh_stack_ms": round(first * 1000, 1),
    }


def _table_name(dynamodb: Any) -> str:
    (table,) = [name for name in dynamodb.list_tables()["TableNames"] if name.startswith("Orders")]
    return str(table)


def _raw_rate(dynamodb: Any, sqs: Any, table: str, count: int, concurrency: int) -> float:
    """Pairs per second of PutItem + SendMessage straight to the emulator, on a scratch queue."""
    queue = sqs.create_queue(QueueName=f"bench-raw-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    orders = [order_in(Status.RECEIVED, datetime.now(UTC), processed=False) for _ in range(count)]
    pairs = [(to_item(order), StatusMessage.for_order(order).to_json()) for order in orders]

    def put_and_send(index: int) -> None:
        item, message = pairs[index]
        dynamodb.put_item(
            TableName=table, Item=item, ConditionExpression="attribute_not_exists(orderId)"
        )
        sqs.send_message(
            QueueUrl=queue,
            MessageBody=message,
            MessageAttributes={"status": {"DataType": "String", "StringValue": "received"}},
        )

    try:
        started = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(put_and_send, range(count)))
        return count / (time.perf_counter() - started)
    finally:
        sqs.delete_queue(QueueUrl=queue)


def _end_to_end(
    stack: LocalStack, dynamodb: Any, table: str, count: int, concurrency: int
) -> dict[str, Any]:
    sessions = threading.local()
    posted: dict[str, tuple[float, float]] = {}
    auth = stack.headers("frontdesk")  # signed in before the clock starts

    def post(_: int) -> None:
        if not hasattr(sessions, "http"):
            sessions.http = requests.Session()
        started = time.time()
        response = sessions.http.post(
            f"{stack.api_url}/orders",
            json=laptop_order(),
            headers=auth,
            timeout=30,
        )
        answered = time.time()
        if response.status_code != 201:
            raise RuntimeError(f"POST answered {response.status_code}: {response.text}")
        posted[response.json()["orderId"]] = (started, answered)

    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(post, range(count)))
    processed = _wait_until_processed(dynamodb, table, set(posted))
    first_post = min(started for started, _ in posted.values())
    latencies = [processed[order_id] - posted[order_id][0] for order_id in posted]
    post_latencies = [answered - started for started, answered in posted.values()]
    elapsed = max(processed.values()) - first_post
    return {
        "orders_per_s": round(count / elapsed, 1),
        "post_to_processed_p50_ms": round(median(latencies) * 1000, 1),
        "post_to_processed_p95_ms": round(percentile(latencies, 0.95) * 1000, 1),
        "post_response_p50_ms": round(median(post_latencies) * 1000, 1),
        "post_response_p95_ms": round(percentile(post_latencies, 0.95) * 1000, 1),
        "elapsed_s": round(elapsed, 2),
    }


def _wait_until_processed(dynamodb: Any, table: str, order_ids: set[str]) -> dict[str, float]:
    """When each order's ``processing.received`` was recorded (epoch seconds)."""
    deadline = time.monotonic() + _PROCESSING_DEADLINE_S
    processed: dict[str, float] = {}
    while time.monotonic() < deadline:
        request: dict[str, Any] = {
            "TableName": table,
            "ProjectionExpression": "orderId, #processing",
            "ExpressionAttributeNames": {"#processing": "processing"},
        }
        while True:
            page = dynamodb.scan(**request)
            for item in page["Items"]:
                received = item.get("processing", {}).get("M", {}).get("received")
                if item["orderId"]["S"] in order_ids and received:
                    at = received["M"]["processedAt"]["S"]
                    processed[item["orderId"]["S"]] = parse_timestamp(at).timestamp()
            if "LastEvaluatedKey" not in page:
                break
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        if len(processed) == len(order_ids):
            return processed
        time.sleep(0.25)
    missing = len(order_ids) - len(processed)
    raise RuntimeError(f"{missing} orders were not processed within {_PROCESSING_DEADLINE_S} s")
