"""Configuration from the environment, read and checked once per process."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from typing import NamedTuple

from orders.domain.model import Status

_QUEUE_VARIABLES = {
    Status.RECEIVED: "RECEIVED_QUEUE_URL",
    Status.INPROCESS: "INPROCESS_QUEUE_URL",
    Status.COMPLETED: "COMPLETED_QUEUE_URL",
    Status.CANCELED: "CANCELED_QUEUE_URL",
}


class ConfigurationError(RuntimeError):
    """The environment lacks a variable the service needs."""


class Settings(NamedTuple):
    """Where the service's resources are, and what the status queues are configured to do."""

    orders_table: str
    queue_urls: Mapping[Status, str]
    notifications_topic_arn: str
    metrics_namespace: str
    # How long a message may legitimately stay on its status queue: every receive may hold it
    # for a visibility timeout, and only after maxReceiveCount receives does it leave for the
    # DLQ. Until then a copy sent by the dispatch sweeper would only be a duplicate.
    dispatch_grace: timedelta
    # Keys the list cursors' check value: generated at deploy time, unknown to clients.
    cursor_key: str

    @classmethod
    def from_environment(cls, environment: Mapping[str, str] = os.environ) -> Settings:
        """Read the settings; name every missing variable at once."""
        wanted = [
            "ORDERS_TABLE",
            *_QUEUE_VARIABLES.values(),
            "NOTIFICATIONS_TOPIC_ARN",
            "METRICS_NAMESPACE",
            "STATUS_QUEUE_VISIBILITY_TIMEOUT",
            "STATUS_QUEUE_MAX_RECEIVE_COUNT",
            "CURSOR_KEY",
        ]
        missing = [name for name in wanted if not environment.get(name, "").strip()]
        if missing:
            raise ConfigurationError(f"missing environment variables: {', '.join(missing)}")
        visibility = _whole_number(environment, "STATUS_QUEUE_VISIBILITY_TIMEOUT")
        receives = _whole_number(environment, "STATUS_QUEUE_MAX_RECEIVE_COUNT")
        return cls(
            orders_table=environment["ORDERS_TABLE"],
            queue_urls={status: environment[name] for status, name in _QUEUE_VARIABLES.items()},
            notifications_topic_arn=environment["NOTIFICATIONS_TOPIC_ARN"],
            metrics_namespace=environment["METRICS_NAMESPACE"],
            dispatch_grace=timedelta(seconds=visibility * receives),
            cursor_key=environment["CURSOR_KEY"],
        )


def _whole_number(environment: Mapping[str, str], name: str) -> int:
    text = environment[name].strip()
    if not (text.isascii() and text.isdigit() and int(text) > 0):
        raise ConfigurationError(f"{name} must be a positive whole number, not {text!r}")
    return int(text)
