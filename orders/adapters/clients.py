"""AWS clients, created lazily once per process, and the translation of AWS failures."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

from orders.domain.errors import DependencyUnavailable

# Fail fast inside a 10 s Lambda: a few quick attempts beat one long hang, and API callers get a
# 503 with Retry-After instead of a timeout.
_CLIENT_CONFIG = Config(
    connect_timeout=2,
    read_timeout=4,
    retries={"mode": "standard", "max_attempts": 3},
)

_UNAVAILABLE_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "ThrottlingException",
        "Throttling",
        "ThrottledException",
        "InternalServerError",
        "InternalFailure",
        "InternalError",
        "ServiceUnavailable",
        "KMSThrottlingException",
        "RequestThrottled",
        "AWS.SimpleQueueService.RequestThrottled",
    }
)


_creating = threading.Lock()


@functools.cache
def session() -> boto3.session.Session:
    """One session per process: each new session would load botocore's data files again."""
    return boto3.session.Session()


@functools.cache
def client(service: str) -> Any:
    """The process-wide client for ``service``; boto3 honours ``AWS_ENDPOINT_URL`` itself."""
    with _creating:  # a session may not create clients from several threads at once
        return session().client(service, config=_CLIENT_CONFIG)


def error_code(error: ClientError) -> str:
    """The AWS error code of ``error``."""
    return str(error.response.get("Error", {}).get("Code", ""))


@contextmanager
def unavailable_on_transient_errors() -> Iterator[None]:
    """Turn throttling, server-side and network failures into ``DependencyUnavailable``."""
    try:
        yield
    except ClientError as error:
        if error_code(error) in _UNAVAILABLE_CODES:
            raise DependencyUnavailable(error_code(error)) from error
        raise
    except (ConnectionError, HTTPClientError) as error:
        raise DependencyUnavailable(type(error).__name__) from error
