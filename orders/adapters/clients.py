"""AWS clients, created lazily once per process, and the translation of AWS failures."""

from __future__ import annotations

import functools
import threading
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


# A plain class, not @contextmanager: it wraps every AWS call, and a generator-based context
# manager costs several times more per use.
class _UnavailableOnTransientErrors:
    """Translates the failures of the AWS call it wraps."""

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: object
    ) -> None:
        if isinstance(error, ClientError):
            if error_code(error) in _UNAVAILABLE_CODES:
                raise DependencyUnavailable(error_code(error)) from error
        elif isinstance(error, ConnectionError | HTTPClientError):
            raise DependencyUnavailable(type(error).__name__) from error


_UNAVAILABLE_ON_TRANSIENT_ERRORS = _UnavailableOnTransientErrors()


def unavailable_on_transient_errors() -> _UnavailableOnTransientErrors:
    """Turn throttling, server-side and network failures into ``DependencyUnavailable``."""
    return _UNAVAILABLE_ON_TRANSIENT_ERRORS
