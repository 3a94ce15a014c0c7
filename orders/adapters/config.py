"""Configuration from the environment, read and checked once per process."""

from __future__ import annotations

import os
from collections.abc import Mapping
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
    """Where the service's resources are."""

    orders_table: str
    queue_urls: Mapping[Status, str]
    notifications_topic_arn: str
    metrics_namespace: str

    @classmethod
    def from_environment(cls, environment: Mapping[str, str] = os.environ) -> Settings:
        """Read the settings; name every missing variable at once."""
        wanted = [
            "ORDERS_TABLE",
            *_QUEUE_VARIABLES.values(),
            "NOTIFICATIONS_TOPIC_ARN",
            "METRICS_NAMESPACE",
        ]
        missing = [name for name in wanted if not environment.get(name, "").strip()]
        if missing:
            raise ConfigurationError(f"missing environment variables: {', '.join(missing)}")
        return cls(
            orders_table=environment["ORDERS_TABLE"],
            queue_urls={status: environment[name] for status, name in _QUEUE_VARIABLES.items()},
            notifications_topic_arn=environment["NOTIFICATIONS_TOPIC_ARN"],
            metrics_namespace=environment["METRICS_NAMESPACE"],
        )
