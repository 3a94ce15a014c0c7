"""The notifications topic: customer notifications published to SNS, ten to a request."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from orders.adapters.clients import unavailable_on_transient_errors
from orders.domain.notifications import Notification
from orders.usecases.ports import PublishOutcome

_PUBLISH_BATCH_LIMIT = 10


class SnsNotifier:
    """Sends notifications with ``PublishBatch``, tagged with ``orderId`` and ``status``."""

    def __init__(self, sns: Any, topic_arn: str) -> None:
        self._sns = sns
        self._topic_arn = topic_arn

    def publish(self, notifications: Sequence[Notification]) -> PublishOutcome:
        """Publish all of ``notifications``; the outcome is keyed by their index in the sequence."""
        outcome = PublishOutcome()
        for start in range(0, len(notifications), _PUBLISH_BATCH_LIMIT):
            chunk = notifications[start : start + _PUBLISH_BATCH_LIMIT]
            entries = [_entry(start + offset, note) for offset, note in enumerate(chunk)]
            with unavailable_on_transient_errors():
                response = self._sns.publish_batch(
                    TopicArn=self._topic_arn, PublishBatchRequestEntries=entries
                )
            for success in response.get("Successful", []):
                outcome.published[int(success["Id"])] = success["MessageId"]
            outcome.failed.update(int(failure["Id"]) for failure in response.get("Failed", []))
        return outcome


def _entry(index: int, notification: Notification) -> dict[str, Any]:
    return {
        "Id": str(index),
        "Subject": notification.subject,
        "Message": notification.message,
        "MessageAttributes": {
            "orderId": {"DataType": "String", "StringValue": notification.order_id},
            "status": {"DataType": "String", "StringValue": notification.status.value},
        },
    }
