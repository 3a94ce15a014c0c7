"""The queue pump: feeds each status queue to its processor the way Lambda's SQS event source does.

Which handler serves which queue, and with what batch size, comes from ``serverless.yml``. For
each queue a worker long-polls, builds a real SQS event from the batch, invokes the handler,
deletes only the records that succeeded (``batchItemFailures``; an exception fails the whole
batch) and leaves the failed ones to reappear after the visibility timeout, so the emulator's
redrive policy moves a poison message to the DLQ after ``maxReceiveCount`` receives.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import signal
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import yaml

from offline.sent import show_sent_messages

ROOT = Path(__file__).resolve().parents[1]
logger = logging.getLogger("offline.pump")


@dataclass(frozen=True)
class Subscription:
    """One SQS event source: a function, its handler, its queue and its batch size."""

    function: str
    handler: str
    queue_logical_id: str
    batch_size: int


class _TolerantLoader(yaml.SafeLoader):  # type: ignore[misc]
    """Reads serverless.yml, keeping CloudFormation tags (``!GetAtt X.Arn``) as plain values."""


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return {suffix: loader.construct_scalar(node)}
    if isinstance(node, yaml.SequenceNode):
        return {suffix: loader.construct_sequence(node)}
    return {suffix: loader.construct_mapping(node)}


_TolerantLoader.add_multi_constructor("!", _tag)


def _service(definition: Path) -> dict[str, Any]:
    service: dict[str, Any] = yaml.load(definition.read_text(), Loader=_TolerantLoader)
    return service


def subscriptions(definition: Path = ROOT / "serverless.yml") -> list[Subscription]:
    """The SQS event sources declared in ``serverless.yml``."""
    service = _service(definition)
    found = []
    for name, function in service["functions"].items():
        for event in function.get("events", []):
            if "sqs" not in event:
                continue
            source = event["sqs"]
            arn = source["arn"] if isinstance(source, dict) else source
            if not (isinstance(arn, dict) and "GetAtt" in arn):
                raise ValueError(f"{name}: the pump needs the queue as !GetAtt <Queue>.Arn")
            found.append(
                Subscription(
                    function=name,
                    handler=function["handler"],
                    queue_logical_id=arn["GetAtt"].split(".")[0],
                    batch_size=int(source.get("batchSize", 10)),
                )
            )
    return found


class QueueWorker(threading.Thread):
    """Polls one queue and invokes one handler, until told to stop."""

    def __init__(
        self,
        subscription: Subscription,
        queue_url: str,
        visibility_timeout: int | None,
        stopping: threading.Event,
        name: str,
    ) -> None:
        super().__init__(name=name, daemon=True)
        self._subscription = subscription
        self._queue_url = queue_url
        self._visibility_timeout = visibility_timeout
        self._stopping = stopping
        self._sqs = boto3.client("sqs")
        self._handler = _import(subscription.handler)
        self._queue_arn = self._sqs.get_queue_attributes(
            QueueUrl=queue_url, AttributeNames=["QueueArn"]
        )["Attributes"]["QueueArn"]

    def run(self) -> None:
        # Lambda initializes a function before its first batch; an empty batch does the same
        # here, so the first real record does not pay for imports and client creation.
        self._invoke([])
        logger.info("%s: polling %s", self.name, self._queue_url)
        while not self._stopping.is_set():
            try:
                self.poll_once()
            except Exception:
                logger.exception("%s: polling failed; retrying", self.name)
                self._stopping.wait(1)

    def poll_once(self, wait_seconds: int = 1) -> int:
        """Receive one batch, invoke the handler, delete what succeeded; the batch's size."""
        request: dict[str, Any] = {
            "QueueUrl": self._queue_url,
            "MaxNumberOfMessages": self._subscription.batch_size,
            "WaitTimeSeconds": wait_seconds,
            "MessageSystemAttributeNames": ["All"],
            "MessageAttributeNames": ["All"],
        }
        if self._visibility_timeout is not None:
            request["VisibilityTimeout"] = self._visibility_timeout
        messages = self._sqs.receive_message(**request).get("Messages", [])
        if not messages:
            return 0
        failed = self._invoke([self._record(message) for message in messages])
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            self._sqs.delete_message_batch(
                QueueUrl=self._queue_url,
                Entries=[
                    {"Id": str(index), "ReceiptHandle": m["ReceiptHandle"]}
                    for index, m in enumerate(done)
                ],
            )
        logger.info(
            "%s: %d record(s), %d done, %d left for retry",
            self.name,
            len(messages),
            len(done),
            len(failed),
        )
        return len(messages)

    def _invoke(self, records: list[dict[str, Any]]) -> set[str]:
        """Run the handler; the ids to retry (all of them if it raised or answered nonsense)."""
        everything = {record["messageId"] for record in records}
        try:
            response = self._handler({"Records": records}, _Context(self._subscription.function))
            failures = response.get("batchItemFailures", [])
            failed = {item["itemIdentifier"] for item in failures}
        except Exception:
            logger.exception("%s: the handler failed; the whole batch will be retried", self.name)
            return everything
        if not failed <= everything:
            logger.error("%s: batchItemFailures names unknown ids; retrying all", self.name)
            return everything
        return failed

    def _record(self, message: dict[str, Any]) -> dict[str, Any]:
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": {
                name: {
                    "stringValue": value.get("StringValue"),
                    "binaryValue": value.get("BinaryValue"),
                    "stringListValues": [],
                    "binaryListValues": [],
                    "dataType": value["DataType"],
                }
                for name, value in message.get("MessageAttributes", {}).items()
            },
            "md5OfBody": message.get("MD5OfBody"),
            "eventSource": "aws:sqs",
            "eventSourceARN": self._queue_arn,
            "awsRegion": os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
        }


def _import(handler: str) -> Any:
    module, _, function = handler.rpartition(".")
    return getattr(importlib.import_module(module), function)


class _Context:
    """The Lambda context attributes a handler may read."""

    def __init__(self, function_name: str) -> None:
        self.function_name = function_name
        self.aws_request_id = str(uuid.uuid4())
        self.memory_limit_in_mb = 256
        self._deadline = time.monotonic() + 10

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--queues", required=True, help="JSON: queue logical id -> queue URL")
    parser.add_argument(
        "--visibility-timeout",
        type=int,
        default=None,
        help="seconds a failed record stays hidden (default: the queue's own setting)",
    )
    parser.add_argument(
        "--pollers",
        type=int,
        default=3,
        help="concurrent pollers per queue, as Lambda polls a queue with several (default: 3)",
    )
    args = parser.parse_args()
    console = logging.StreamHandler()
    console.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(console)
    logger.setLevel(logging.INFO)
    show_sent_messages()
    queue_urls = json.loads(args.queues)
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    workers = [
        QueueWorker(
            s,
            queue_urls[s.queue_logical_id],
            args.visibility_timeout,
            stopping,
            name=f"{s.function}#{poller}",
        )
        for s in subscriptions()
        for poller in range(1, args.pollers + 1)
    ]
    for worker in workers:
        worker.start()
    stopping.wait()
    for worker in workers:
        worker.join(timeout=3)


if __name__ == "__main__":
    main()
