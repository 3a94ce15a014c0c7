"""`make redrive`: show what sits in each dead-letter queue and move it back to its queue.

A dry run by default: it prints how many messages each DLQ holds. With ``--apply`` it moves
them (body and attributes unchanged) to the status queue they came from, where the processor
sees them again; run it once the cause of the failures is fixed. Works against AWS with your
usual credentials, or with ``--stage local`` against the stack `make run` started, on whatever
port its state file names.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from ops.stage import LOCAL, StageNotFound, read_local, state_file
from orders.domain.model import Status


def queue_names(stage: str, status: Status) -> tuple[str, str]:
    """The status queue and its DLQ, as serverless.yml names them."""
    return f"orders-{stage}-{status.value}", f"orders-{stage}-{status.value}-dlq"


def count(sqs: Any, queue_url: str) -> int:
    attributes = sqs.get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"])


def move(sqs: Any, source_url: str, target_url: str, limit: int) -> int:
    """Move up to ``limit`` messages from ``source_url`` to ``target_url``; how many moved."""
    moved = 0
    while moved < limit:
        messages = sqs.receive_message(
            QueueUrl=source_url,
            MaxNumberOfMessages=min(10, limit - moved),
            WaitTimeSeconds=1,
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            break
        entries = [
            {
                "Id": str(index),
                "MessageBody": message["Body"],
                "MessageAttributes": message.get("MessageAttributes", {}),
            }
            for index, message in enumerate(messages)
        ]
        sent = sqs.send_message_batch(QueueUrl=target_url, Entries=entries)
        delivered = {int(entry["Id"]) for entry in sent.get("Successful", [])}
        # Delete only what reached the queue: a failed send stays in the DLQ for next time.
        if delivered:
            sqs.delete_message_batch(
                QueueUrl=source_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": messages[i]["ReceiptHandle"]}
                    for i in sorted(delivered)
                ],
            )
        moved += len(delivered)
        if len(delivered) < len(messages):
            break
    return moved


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.redrive", description=__doc__)
    parser.add_argument("--stage", default="dev", help="the deployed stage (default: dev)")
    parser.add_argument(
        "--queue",
        default="all",
        choices=["all", *(status.value for status in Status)],
        help="which status's DLQ (default: all four)",
    )
    parser.add_argument("--apply", action="store_true", help="move the messages (default: dry run)")
    parser.add_argument("--max", type=int, default=1000, help="at most this many per queue")
    parser.add_argument("--region", default=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))
    args = parser.parse_args(argv)
    statuses = list(Status) if args.queue == "all" else [Status(args.queue)]
    try:
        sqs = _client(args.stage, args.region)
        for status in statuses:
            queue, dead_letters = (
                sqs.get_queue_url(QueueName=name)["QueueUrl"]
                for name in queue_names(args.stage, status)
            )
            waiting = count(sqs, dead_letters)
            if not args.apply:
                print(
                    f"{status.value:<10} {waiting} message(s) in the DLQ (dry run: nothing moved)"
                )
                continue
            moved = move(sqs, dead_letters, queue, args.max)
            print(
                f"{status.value:<10} moved {moved} of {waiting} message(s) back to {status.value}"
            )
    except (ClientError, BotoCoreError, StageNotFound) as error:
        print(f"redrive failed: {error}", file=sys.stderr)
        return 1
    return 0


def _client(stage: str, region: str) -> Any:
    if stage == LOCAL:  # the emulator `make run` started, wherever its state file says
        return read_local(state_file()).client("sqs")
    return boto3.client("sqs", region_name=region)


if __name__ == "__main__":
    sys.exit(main())
