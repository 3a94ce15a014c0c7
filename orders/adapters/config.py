"""Configuration from the environment, read and checked once per process."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import timedelta
from typing import NamedTuple

from orders.domain.model import Language, Status
from orders.usecases.ports import DeliveryPolicy

_QUEUE_VARIABLES = {
    Status.RECEIVED: "RECEIVED_QUEUE_URL",
    Status.INPROCESS: "INPROCESS_QUEUE_URL",
    Status.COMPLETED: "COMPLETED_QUEUE_URL",
    Status.CANCELED: "CANCELED_QUEUE_URL",
}
_REQUIRED = [
    "ORDERS_TABLE",
    *_QUEUE_VARIABLES.values(),
    "ORDER_EVENTS_TOPIC_ARN",
    "SENDER_EMAIL",
    "METRICS_NAMESPACE",
    "STATUS_QUEUE_VISIBILITY_TIMEOUT",
    "STATUS_QUEUE_MAX_RECEIVE_COUNT",
    "CURSOR_KEY",
]
_COUNTRY_CODE = re.compile(r"\+[1-9][0-9]{0,2}")
_SWITCH = {"true": True, "false": False}


class ConfigurationError(RuntimeError):
    """The environment lacks a variable the service needs, or holds an invalid value."""


class Settings(NamedTuple):
    """Where the service's resources are, how it speaks to customers, and what the status
    queues are configured to do."""

    orders_table: str
    queue_urls: Mapping[Status, str]
    order_events_topic_arn: str
    sender_email: str
    delivery: DeliveryPolicy
    metrics_namespace: str
    # How long a message may legitimately stay on its status queue: every receive may hold it
    # for a visibility timeout, and only after maxReceiveCount receives does it leave for the
    # DLQ. Until then a copy sent by the dispatch sweeper would only be a duplicate.
    dispatch_grace: timedelta
    # Keys the list cursors' check value: generated at deploy time, unknown to clients.
    cursor_key: str

    @classmethod
    def from_environment(cls, environment: Mapping[str, str] = os.environ) -> Settings:
        """Read the settings; name every missing or invalid variable at once."""
        problems = [
            f"{name} is missing" for name in _REQUIRED if not environment.get(name, "").strip()
        ]
        language = environment.get("DEFAULT_LANGUAGE", Language.ES.value).strip()
        if language not in {member.value for member in Language}:
            problems.append(f"DEFAULT_LANGUAGE must be one of: {', '.join(Language)}")
        sms = environment.get("SMS_ENABLED", "true").strip().lower()
        if sms not in _SWITCH:
            problems.append("SMS_ENABLED must be true or false")
        country = environment.get("SMS_DEFAULT_COUNTRY_CODE", "+34").strip()
        if not _COUNTRY_CODE.fullmatch(country):
            problems.append("SMS_DEFAULT_COUNTRY_CODE must look like +34")
        if problems:
            raise ConfigurationError(f"invalid environment: {'; '.join(problems)}")
        visibility = _whole_number(environment, "STATUS_QUEUE_VISIBILITY_TIMEOUT")
        receives = _whole_number(environment, "STATUS_QUEUE_MAX_RECEIVE_COUNT")
        return cls(
            orders_table=environment["ORDERS_TABLE"],
            queue_urls={status: environment[name] for status, name in _QUEUE_VARIABLES.items()},
            order_events_topic_arn=environment["ORDER_EVENTS_TOPIC_ARN"],
            sender_email=environment["SENDER_EMAIL"].strip(),
            delivery=DeliveryPolicy(Language(language), _SWITCH[sms], country),
            metrics_namespace=environment["METRICS_NAMESPACE"],
            dispatch_grace=timedelta(seconds=visibility * receives),
            cursor_key=environment["CURSOR_KEY"],
        )


def _whole_number(environment: Mapping[str, str], name: str) -> int:
    text = environment[name].strip()
    if not (text.isascii() and text.isdigit() and int(text) > 0):
        raise ConfigurationError(f"{name} must be a positive whole number, not {text!r}")
    return int(text)
