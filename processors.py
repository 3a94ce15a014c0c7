"""Processor Lambda entry points: one per status queue, over one per-batch loop, and the sweeper.

Each returns an SQS partial batch response: only the records listed in ``batchItemFailures``
go back to the queue (to be retried, then dead-lettered); the rest of the batch is done.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from orders import bootstrap
from orders.adapters import email, order_events, sms
from orders.adapters.clients import seconds_left, time_budget
from orders.adapters.logs import configure_logging
from orders.adapters.orders_table import dispatch
from orders.domain.messages import MalformedMessage, StatusMessage
from orders.domain.model import Status
from orders.usecases import dispatch_sweep, status_processing

# bootstrap imports the processors' wiring only when it first builds it, so that the API
# function never loads it. These functions load it at init, here: an import error then fails
# the function's init, as Lambda reports it, instead of failing every batch.
_WIRING = (email, order_events, sms, dispatch, dispatch_sweep, status_processing)

logger = logging.getLogger("orders.processors")
configure_logging()


def handle_received(event: Any, context: Any) -> dict[str, Any]:
    """Process the received queue."""
    return _process(Status.RECEIVED, event)


def handle_inprocess(event: Any, context: Any) -> dict[str, Any]:
    """Process the inprocess queue."""
    return _process(Status.INPROCESS, event)


def handle_completed(event: Any, context: Any) -> dict[str, Any]:
    """Process the completed queue."""
    return _process(Status.COMPLETED, event)


def handle_canceled(event: Any, context: Any) -> dict[str, Any]:
    """Process the canceled queue."""
    return _process(Status.CANCELED, event)


def sweep_dispatches(event: Any, context: Any) -> dict[str, int]:
    """Scheduled: send again the status messages no processor has confirmed in time."""
    total = seconds_left(context)
    with time_budget(total):
        if total is None:
            report = bootstrap.dispatch_sweeper().sweep()
        else:
            report = bootstrap.dispatch_sweeper().sweep(lambda: seconds_left(context) or 0.0)
    logger.info("dispatch sweep done", extra=report._asdict())
    bootstrap.metrics().emit(report.metrics(), {})
    return {name: int(value) for name, value in report._asdict().items()}


def _process(status: Status, event: Any) -> dict[str, Any]:
    records = event.get("Records") if isinstance(event, Mapping) else None
    if not isinstance(records, list):
        logger.error("not an SQS event", extra={"status": status.value})
        return _failures([])
    deliveries: dict[str, StatusMessage] = {}
    failed: list[str] = []
    for record in records:
        delivery_id = record.get("messageId") if isinstance(record, Mapping) else None
        if not isinstance(delivery_id, str):
            logger.error("SQS record without a messageId", extra={"status": status.value})
            continue
        try:
            deliveries[delivery_id] = StatusMessage.from_json(record.get("body"))
        except MalformedMessage as error:
            logger.error("malformed message: %s", error, extra={"messageId": delivery_id})
            failed.append(delivery_id)
    try:
        outcomes = bootstrap.status_processor(status).process(deliveries)
        failed.extend(delivery for delivery, outcome in outcomes.items() if outcome.failed)
    except Exception:  # retry the batch's records rather than lose them
        logger.exception("batch failed", extra={"status": status.value})
        failed.extend(deliveries)
    return _failures(failed)


def _failures(delivery_ids: list[str]) -> dict[str, Any]:
    return {"batchItemFailures": [{"itemIdentifier": delivery_id} for delivery_id in delivery_ids]}
