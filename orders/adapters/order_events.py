"""The order-events topic: one event per status processed, for integrations, ten to a request."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from orders.adapters.clients import unavailable_on_transient_errors
from orders.domain.messages import OrderEvent
from orders.usecases.ports import PublishOutcome

_PUBLISH_BATCH_LIMIT = 10


class SnsOrderEvents:
    """Publishes events with ``PublishBatch``; ``status`` is an attribute subscribers filter on."""

    def __init__(self, sns: Any, topic_arn: str) -> None:
        self._sns = sns
        self._topic_arn = topic_arn

    def publish(self, events: Sequence[OrderEvent]) -> PublishOutcome:
        """Publish all of ``events``; the outcome is keyed by their index in the sequence."""
        outcome = PublishOutcome()
        for start in range(0, len(events), _PUBLISH_BATCH_LIMIT):
            chunk = events[start : start + _PUBLISH_BATCH_LIMIT]
            entries = [_entry(start + offset, event) for offset, event in enumerate(chunk)]
            with unavailable_on_transient_errors():
                response = self._sns.publish_batch(
                    TopicArn=self._topic_arn, PublishBatchRequestEntries=entries
                )
            for success in response.get("Successful", []):
                outcome.published[int(success["Id"])] = success["MessageId"]
            outcome.failed.update(int(failure["Id"]) for failure in response.get("Failed", []))
        return outcome


def _entry(index: int, event: OrderEvent) -> dict[str, Any]:
    # No Subject: only email subscriptions show one, and the event is for machines.
    return {
        "Id": str(index),
        "Message": event.to_json(),
        "MessageAttributes": {
            "orderId": {"DataType": "String", "StringValue": event.order_id},
            "status": {"DataType": "String", "StringValue": event.status.value},
        },
    }
