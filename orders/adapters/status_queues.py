"""The status queues: each status message to the SQS queue of the status it names."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orders.adapters.clients import unavailable_on_transient_errors
from orders.domain.messages import StatusMessage
from orders.domain.model import Status


class SqsStatusQueues:
    """Sends a status message to the queue of the status it names."""

    def __init__(self, sqs: Any, queue_urls: Mapping[Status, str]) -> None:
        self._sqs = sqs
        self._queue_urls = dict(queue_urls)

    def route(self, message: StatusMessage) -> None:
        """Send ``message``, with its status as a message attribute."""
        with unavailable_on_transient_errors():
            self._sqs.send_message(
                QueueUrl=self._queue_urls[message.status],
                MessageBody=message.to_json(),
                MessageAttributes={
                    "status": {"DataType": "String", "StringValue": message.status.value}
                },
            )
