"""AWS calls per operation: what each request costs in round trips, counted by a botocore hook."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3

import handler
import processors
from bench.common import Call, CallLog, attach_to_service_clients, in_process_stack
from tests.support.data import laptop_order
from tests.support.events import ORDER_ROUTE, LambdaContext, api_event, sqs_event


@dataclass(frozen=True)
class Target:
    """What an operation may cost: at most ``calls`` AWS calls, per record for a processor."""

    calls: float
    per_record: bool = False

    def text(self) -> str:
        return f"<= {self.calls:g}" + (" per record" if self.per_record else "")


TARGETS = {
    "POST /orders": Target(3),  # a ticket number, the write, the send
    "POST /orders (Idempotency-Key replay)": Target(2),
    "GET /orders/{id}": Target(1),
    "PUT status change": Target(2),
    "PUT status unchanged": Target(1),
    "PUT status unchanged (received)": Target(1),
    "PUT field change": Target(1),
    "GET /orders?status= (one page)": Target(1),
    "GET /orders?status= (next page, cursor)": Target(1),
    "GET /orders (no status, one page)": Target(1),
    "processor, batch of 1": Target(2, per_record=True),
    "processor, batch of 10": Target(2, per_record=True),
    "processor, batch of 10 redelivered": Target(2, per_record=True),
    "processor, batch of 1, SMS customer": Target(2, per_record=True),
}


def measure(template: dict[str, Any]) -> list[dict[str, Any]]:
    """Run every operation once against the template's stack and count what it called."""
    with in_process_stack(template) as stack:
        log = CallLog()
        attach_to_service_clients(log)
        sqs = boto3.client("sqs")
        received_queue = stack.environment["RECEIVED_QUEUE_URL"]
        rows: list[dict[str, Any]] = []

        def run(name: str, operation: Callable[[], Any], records: int = 1) -> Any:
            log.take()
            result = operation()
            rows.append(_row(name, log.take(), records))
            return result

        def api(method: str, resource: str, **kwargs: Any) -> dict[str, Any]:
            response = handler.handle(api_event(method, resource, **kwargs), LambdaContext())
            if response["statusCode"] >= 400:
                raise RuntimeError(f"{method} {resource} answered {response}")
            body: dict[str, Any] = json.loads(response["body"])
            return body

        def deliver(expected: int) -> dict[str, Any]:
            bodies, ids = _drain(sqs, received_queue)
            if len(bodies) != expected:
                raise RuntimeError(f"expected {expected} messages, found {len(bodies)}")
            event = sqs_event(*bodies, message_ids=ids)
            result: dict[str, Any] = processors.handle_received(event, LambdaContext())
            if result["batchItemFailures"]:
                raise RuntimeError(f"the processor failed records: {result}")
            return event

        order = run("POST /orders", lambda: api("POST", "/orders", body=laptop_order()))
        order_id = order["orderId"]
        keyed = {"headers": {"Idempotency-Key": "desk-2026-11-29-0042"}, "body": laptop_order()}
        api("POST", "/orders", **keyed)
        run("POST /orders (Idempotency-Key replay)", lambda: api("POST", "/orders", **keyed))
        run("GET /orders/{id}", lambda: api("GET", ORDER_ROUTE, order_id=order_id))
        change = {"status": "inprocess", "note": "Keyboard removed, drying the board."}
        run(
            "PUT status change",
            lambda: api("PUT", ORDER_ROUTE, order_id=order_id, body=change),
        )
        run(
            "PUT status unchanged",
            lambda: api("PUT", ORDER_ROUTE, order_id=order_id, body={"status": "inprocess"}),
        )
        fresh = api("POST", "/orders", body=laptop_order())["orderId"]
        run(
            "PUT status unchanged (received)",
            lambda: api("PUT", ORDER_ROUTE, order_id=fresh, body={"status": "received"}),
        )
        issue = {"issue": "Does not boot; the keyboard is sticky too."}
        run("PUT field change", lambda: api("PUT", ORDER_ROUTE, order_id=order_id, body=issue))
        for _ in range(45):
            api("POST", "/orders", body=laptop_order())
        listing = {"status": "received", "limit": "20"}
        page = run("GET /orders?status= (one page)", lambda: api("GET", "/orders", query=listing))
        run(
            "GET /orders?status= (next page, cursor)",
            lambda: api("GET", "/orders", query=listing | {"cursor": page["nextCursor"]}),
        )
        run("GET /orders (no status, one page)", lambda: api("GET", "/orders", query={}))

        _drain(sqs, received_queue)
        api("POST", "/orders", body=laptop_order())
        run("processor, batch of 1", lambda: deliver(1), records=1)
        for _ in range(10):
            api("POST", "/orders", body=laptop_order())
        event = run("processor, batch of 10", lambda: deliver(10), records=10)
        run(
            "processor, batch of 10 redelivered",
            lambda: processors.handle_received(event, LambdaContext()),
            records=10,
        )
        api("POST", "/orders", body=laptop_order(customer={"name": "Kwame", "phone": "600111333"}))
        run("processor, batch of 1, SMS customer", lambda: deliver(1), records=1)
        return rows


def _row(name: str, calls: list[Call], records: int) -> dict[str, Any]:
    target = TARGETS[name]
    per_record = len(calls) / records
    cost = per_record if target.per_record else len(calls)
    return {
        "operation": name,
        "calls": len(calls),
        "records": records,
        "calls_per_record": round(per_record, 2),
        "operations": [f"{call.service}:{call.operation}" for call in calls],
        "bytes_sent": sum(call.bytes_sent for call in calls),
        "bytes_received": sum(call.bytes_received for call in calls),
        "target": target.text(),
        "met": cost <= target.calls,
    }


def _drain(sqs: Any, queue_url: str) -> tuple[list[str], list[str]]:
    bodies: list[str] = []
    ids: list[str] = []
    while batch := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get(
        "Messages", []
    ):
        for message in batch:
            bodies.append(message["Body"])
            ids.append(message["MessageId"])
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return bodies, ids
