"""Routes each status an order enters to that status's SQS queue."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orders.aws import unavailable_on_transient_errors
from orders.messages import StatusMessage
from orders.model import Status


class SqsStatusRouter:
    """Sends a status message to the queue of the status it names."""

    def __init__(self, sqs: Any, queue_urls: Mapping[Status, str]) -> None:
        self._sqs = sqs
        self._queue_urls = dict(queue_urls)

    def route(self, message: StatusMessage) -> None:
        with unavailable_on_transient_errors():
            self._sqs.send_message(
                QueueUrl=self._queue_urls[message.status],
                MessageBody=message.to_json(),
                MessageAttributes={
                    "status": {"DataType": "String", "StringValue": message.status.value}
                },
            )
