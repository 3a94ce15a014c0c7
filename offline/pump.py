"""The queue pump: feeds each status queue to its processor the way Lambda's SQS event source does.

Which handler serves which queue, and with what batch size, comes from ``serverless.yml``. For
each queue a worker long-polls, builds a real SQS event from the batch, invokes the handler,
deletes only the records that succeeded (``batchItemFailures``; an exception fails the whole
batch) and leaves the failed ones to reappear after the visibility timeout, so the emulator's
redrive policy moves a poison message to the DLQ after ``maxReceiveCount`` receives.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import threading
import time
from typing import Any
from urllib.parse import urlsplit

import boto3

from offline.console import say
from offline.definition import (
    Function,
    Schedule,
    Subscription,
    schedules,
    subscriptions,
)
from offline.lambda_runtime import LambdaContext, RequestIdStamp, load_handler, quiet_service_logs
from offline.processes import stop_with_supervisor
from offline.sent import show_sent_messages

__all__ = ["QueueWorker", "Subscription", "subscriptions"]
logger = logging.getLogger("offline.pump")


def local_url(queue_url: str) -> str:
    """The queue's URL on the emulator: moto names queues with AWS's host, but serves them here."""
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    return f"{endpoint}{urlsplit(queue_url).path}" if endpoint else queue_url


class QueueWorker(threading.Thread):
    """Polls one queue and invokes one handler, until told to stop."""

    def __init__(
        self,
        subscription: Subscription,
        queue_url: str,
        visibility_timeout: int | None,
        stopping: threading.Event,
        name: str,
        stamp: RequestIdStamp | None = None,
        verbose: bool = False,
    ) -> None:
        super().__init__(name=name, daemon=True)
        self._subscription = subscription
        self._function = Function(
            subscription.function,
            subscription.handler,
            subscription.timeout_s,
            subscription.memory_mb,
        )
        self._queue_url = queue_url
        self._stopping = stopping
        self._stamp = stamp
        self._verbose = verbose
        self._sqs = boto3.client("sqs")
        self._handler = load_handler(subscription.handler)
        attributes = self._sqs.get_queue_attributes(
            QueueUrl=queue_url,
            AttributeNames=["QueueArn", "VisibilityTimeout", "RedrivePolicy"],
        )["Attributes"]
        self._queue_arn = attributes["QueueArn"]
        self._visibility_timeout = visibility_timeout
        self._retry_after_s = visibility_timeout or int(attributes.get("VisibilityTimeout", 30))
        redrive = json.loads(attributes.get("RedrivePolicy", "{}"))
        self._max_receives = int(redrive.get("maxReceiveCount", 0))

    def run(self) -> None:
        # Lambda initializes a function before its first batch; an empty batch does the same
        # here, so the first real record does not pay for imports and client creation.
        self._invoke([])
        if self._verbose:
            say(f"{self.name}: polling {local_url(self._queue_url)}")
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
        started = time.perf_counter()
        failed = self._invoke([self._record(message) for message in messages])
        elapsed_ms = (time.perf_counter() - started) * 1000
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            self._sqs.delete_message_batch(
                QueueUrl=self._queue_url,
                Entries=[
                    {"Id": str(index), "ReceiptHandle": m["ReceiptHandle"]}
                    for index, m in enumerate(done)
                ],
            )
        for message in messages:
            say(self._outcome(message, message["MessageId"] in failed, elapsed_ms))
        if self._verbose:
            say(
                f"{self.name}: {len(messages)} record(s), {len(done)} done, "
                f"{len(failed)} left for retry"
            )
        return len(messages)

    def _outcome(self, message: dict[str, Any], failed: bool, elapsed_ms: float) -> str:
        """One line per record: which order, which status, what became of it."""
        try:
            body = json.loads(message["Body"])
            what = f"order={str(body['orderId'])[:8]} v{body['version']}"
        except (ValueError, TypeError, KeyError):
            what = f"message={message['MessageId'][:8]} (not a status message)"
        status = self._subscription.queue_logical_id.removesuffix("Queue").lower()
        if not failed:
            return f"{status} {what} processed in {elapsed_ms:.0f} ms"
        receives = int(message.get("Attributes", {}).get("ApproximateReceiveCount", 1))
        if self._max_receives and receives >= self._max_receives:
            fate = f"receive {receives} of {self._max_receives}: next it goes to the DLQ"
        else:
            fate = f"receive {receives} of {self._max_receives or '∞'}"
        return f"{status} {what} failed ({fate}); retried in {self._retry_after_s} s"

    def _invoke(self, records: list[dict[str, Any]]) -> set[str]:
        """Run the handler; the ids to retry (all of them if it raised or answered nonsense)."""
        everything = {record["messageId"] for record in records}
        context = LambdaContext(self._function)
        if self._stamp is not None:
            self._stamp.request_id = context.aws_request_id
        try:
            response = self._handler({"Records": records}, context)
            failures = response.get("batchItemFailures", [])
            failed = {item["itemIdentifier"] for item in failures}
        except Exception:
            logger.exception("%s: the handler failed; the whole batch will be retried", self.name)
            return everything
        finally:
            if self._stamp is not None:
                self._stamp.request_id = None
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


_BOOKKEEPING = frozenset({"orders", "settled"})


class Scheduler(threading.Thread):
    """Invokes a scheduled function every ``every_s`` seconds, the first time after one period.

    Says nothing while a run finds nothing to do: a line only when a run resent or gave up on
    something, or failed.
    """

    def __init__(
        self, schedule: Schedule, stopping: threading.Event, stamp: RequestIdStamp | None = None
    ) -> None:
        super().__init__(name=schedule.function.name, daemon=True)
        self._schedule = schedule
        self._stopping = stopping
        self._stamp = stamp
        self._handler = load_handler(schedule.function.handler)
        self.every_s = schedule.every_s

    def run(self) -> None:
        while not self._stopping.wait(self.every_s):
            self.run_once()

    def run_once(self) -> Any:
        context = LambdaContext(self._schedule.function)
        if self._stamp is not None:
            self._stamp.request_id = context.aws_request_id
        event = {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}
        try:
            result = self._handler(event, context)
        except Exception:
            logger.exception("%s: the scheduled run failed", self.name)
            return None
        finally:
            if self._stamp is not None:
                self._stamp.request_id = None
        if isinstance(result, dict):
            # The sweeper's counts: "orders" looked at and "settled" (a processed order taken
            # off the dispatch index) are bookkeeping; a resend or a give-up is news.
            changed = {k: v for k, v in result.items() if k not in _BOOKKEEPING and v}
            if changed:
                counts = ", ".join(f"{k} {v}" for k, v in changed.items())
                say(f"{self.name}: {counts}")
        return result


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
    parser.add_argument("--verbose", action="store_true", help="also the service's JSON logs")
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
    stop_with_supervisor()
    found = subscriptions()
    for subscription in found:  # import the handlers, so the service's logging is configured
        load_handler(subscription.handler)
    stamp = quiet_service_logs(args.verbose)
    workers = [
        QueueWorker(
            s,
            queue_urls[s.queue_logical_id],
            args.visibility_timeout,
            stopping,
            name=f"{s.function}#{poller}",
            stamp=stamp,
            verbose=args.verbose,
        )
        for s in found
        for poller in range(1, args.pollers + 1)
    ]
    timers = [Scheduler(schedule, stopping, stamp) for schedule in schedules()]
    for thread in [*workers, *timers]:
        thread.start()
    names = ", ".join(queue_urls[s.queue_logical_id].rpartition("/")[2] for s in found)
    every = "; ".join(f"{t.name} every {t.every_s} s" for t in timers)
    say(f"feeding {len(found)} queues ({names}), {args.pollers} pollers each; {every}")
    stopping.wait()
    for worker in workers:
        worker.join(timeout=3)


if __name__ == "__main__":
    main()
