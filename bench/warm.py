"""Warm overhead: CPU per request inside the functions with AWS stubbed, against the floor of
building the same AWS requests with the same clients."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from statistics import quantiles
from typing import Any

from botocore.stub import Stubber

import handler
import processors
from bench.common import SERVICES, Call, CallLog, median, order_in, service_environment, to_item
from orders.adapters import clients
from orders.domain.commands import OrderPatch
from orders.domain.messages import StatusMessage
from orders.domain.model import Order, Status
from tests.support.data import TECHNICIAN, laptop_order
from tests.support.events import ORDER_ROUTE, LambdaContext, api_event, sqs_event

_TABLE = "Orders-bench"
_QUEUES = "https://sqs.us-east-1.amazonaws.com/123456789012/orders-bench-"
_VARIABLES = {
    "ORDERS_TABLE": _TABLE,
    **{f"{status.upper()}_QUEUE_URL": f"{_QUEUES}{status.value}" for status in Status},
    "ORDER_EVENTS_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:orders-bench-order-events",
    "SENDER_EMAIL": "orders@yourshop.example",
    "METRICS_NAMESPACE": "Orders/bench",
    "CURSOR_KEY": "arn:aws:cloudformation:us-east-1:123456789012:stack/orders-bench/5b0f7a52",
    "STATUS_QUEUE_VISIBILITY_TIMEOUT": "60",
    "STATUS_QUEUE_MAX_RECEIVE_COUNT": "5",
    # Nothing listens there: a call the stubs did not answer fails instead of leaving the box.
    "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
}
_SENT = {"MessageId": str(uuid.uuid4()), "MD5OfMessageBody": "0" * 32}
# A single operation may cost at most 1.3x the floor, a list page (21 items to convert) 2x; the
# processor's batch of 10 keeps the 1.5x it had.
TARGET_SINGLE = 1.3
TARGET_PAGE = 2.0
TARGET_BATCH = 1.5


@dataclass(frozen=True)
class Scenario:
    """One invocation of a function and the AWS responses it will get, in order."""

    name: str
    invoke: Callable[[], dict[str, Any]]
    responses: list[tuple[str, dict[str, Any]]]
    target: float = TARGET_SINGLE


def measure(iterations: int, repeats: int) -> list[dict[str, Any]]:
    """Median CPU per invocation, ours and floor, and the median of their paired ratios, for
    each scenario; ``repeats`` pairs of ``iterations`` invocations each."""
    with service_environment(_VARIABLES):
        stubbers = {service: Stubber(clients.client(service)) for service in SERVICES}
        for stubber in stubbers.values():
            stubber.activate()
        rows = []
        for scenario in _scenarios():
            calls = _capture(scenario, stubbers)

            def floor(calls: list[Call] = calls) -> None:
                for call in calls:
                    getattr(clients.client(call.service), call.method)(**call.params)

            ours_times: list[float] = []
            floor_times: list[float] = []
            ratios: list[float] = []
            for repeat in range(repeats):
                # Short runs in pairs, each pair's order alternating: the machine's speed drifts
                # over seconds, and a ratio within a pair does not see the drift.
                pair: list[tuple[Callable[[], object], list[float]]] = [
                    (scenario.invoke, ours_times),
                    (floor, floor_times),
                ]
                for run, times in pair if repeat % 2 == 0 else reversed(pair):
                    times.append(_cpu_per_run(run, scenario, stubbers, iterations))
                ratios.append(ours_times[-1] / floor_times[-1])
            ours, base, ratio = median(ours_times), median(floor_times), median(ratios)
            rows.append(
                {
                    "operation": scenario.name,
                    "aws_calls": len(calls),
                    "ours_cpu_us": round(ours * 1e6, 1),
                    "floor_cpu_us": round(base * 1e6, 1),
                    "overhead_us": round((ours - base) * 1e6, 1),
                    "ratio": round(ratio, 2),
                    "ratio_quartiles": [round(q, 2) for q in quantiles(ratios, n=4)[::2]],
                    "pairs": repeats,
                    "target": f"<= {scenario.target}x",
                    "met": ratio <= scenario.target,
                }
            )
        return rows


def _capture(scenario: Scenario, stubbers: dict[str, Stubber]) -> list[Call]:
    """The exact calls one invocation makes (for the floor to replay), checking it succeeds."""
    log = CallLog()
    for service in SERVICES:
        log.attach(clients.client(service))
    try:
        _queue(scenario, stubbers, 1)
        result = scenario.invoke()
    finally:
        for service in SERVICES:
            log.detach(clients.client(service))
    if result.get("statusCode", 200) >= 400 or result.get("batchItemFailures"):
        raise RuntimeError(f"{scenario.name} failed with stubbed AWS: {result}")
    for stubber in stubbers.values():
        stubber.assert_no_pending_responses()
    return log.take()


def _cpu_per_run(
    run: Callable[[], object], scenario: Scenario, stubbers: dict[str, Stubber], iterations: int
) -> float:
    _queue(scenario, stubbers, iterations)  # outside the clock: the stubs are not our cost
    start = time.process_time()
    for _ in range(iterations):
        run()
    elapsed = time.process_time() - start
    for stubber in stubbers.values():
        stubber.assert_no_pending_responses()
    return elapsed / iterations


def _queue(scenario: Scenario, stubbers: dict[str, Stubber], times: int) -> None:
    for _ in range(times):
        for method, response in scenario.responses:
            stubbers[_service_of(method)].add_response(method, response)


def _service_of(method: str) -> str:
    return {"send_message": "sqs", "publish_batch": "sns", "send_email": "sesv2"}.get(
        method, "dynamodb"
    )


def _scenarios() -> list[Scenario]:
    now = datetime.now(UTC)
    stored = order_in(Status.RECEIVED, now, processed=False)
    started = _moved(stored, Status.INPROCESS, now + timedelta(hours=1))
    listed = [order_in(Status.RECEIVED, now - timedelta(minutes=i)) for i in range(21)]
    batch = [order_in(Status.RECEIVED, now, processed=False) for _ in range(10)]
    messages = [StatusMessage.for_order(order).to_json() for order in batch]
    context = LambdaContext()

    def api(*args: Any, **kwargs: Any) -> Callable[[], dict[str, Any]]:
        event = api_event(*args, **kwargs)
        return lambda: handler.handle(event, context)

    sqs = sqs_event(*messages)
    return [
        Scenario(
            "POST /orders",
            api("POST", "/orders", body=laptop_order()),
            [
                ("update_item", {"Attributes": {"next": {"N": "123"}}}),  # the ticket counter
                ("put_item", {}),
                ("send_message", _SENT),
            ],
        ),
        Scenario(
            "GET /orders/{id}",
            api("GET", ORDER_ROUTE, order_id=stored.order_id),
            [("get_item", {"Item": to_item(stored)})],
        ),
        Scenario(
            "PUT status change",
            api("PUT", ORDER_ROUTE, order_id=stored.order_id, body={"status": "inprocess"}),
            [("update_item", {"Attributes": to_item(started)}), ("send_message", _SENT)],
        ),
        Scenario(
            "GET /orders?status= (page of 20)",
            api("GET", "/orders", query={"status": "received", "limit": "20"}),
            [("query", {"Items": [to_item(order) for order in listed], "Count": 21})],
            TARGET_PAGE,
        ),
        Scenario(
            "processor, batch of 10",
            lambda: processors.handle_received(sqs, context),
            [
                ("batch_get_item", {"Responses": {_TABLE: [to_item(order) for order in batch]}}),
                (
                    "publish_batch",
                    {
                        "Successful": [
                            {"Id": str(index), "MessageId": str(uuid.uuid4())}
                            for index in range(len(batch))
                        ],
                        "Failed": [],
                    },
                ),
                *[("send_email", {"MessageId": str(uuid.uuid4())}) for _ in batch],
                ("transact_write_items", {}),
            ],
            TARGET_BATCH,
        ),
    ]


def _moved(order: Order, status: Status, at: datetime) -> Order:
    change = order.change_for(OrderPatch(status=status), at, TECHNICIAN)
    assert change is not None
    return order.with_change(change, at)
