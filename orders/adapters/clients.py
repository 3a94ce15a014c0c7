"""AWS clients, created lazily once per process, and the translation of AWS failures."""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar, Token
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, ConnectionError, HTTPClientError

from orders.domain.errors import DependencyUnavailable
from orders.usecases.ports import DeliveryRejected

# Fail fast inside a 10 s Lambda: a few quick attempts beat one long hang, and API callers get a
# 503 with Retry-After instead of a timeout. DynamoDB and SQS answer in milliseconds; these
# bound an attempt to a dependency that accepts the connection and never answers.
_CLIENT_CONFIG = Config(
    connect_timeout=1,
    read_timeout=3,
    retries={"mode": "standard", "max_attempts": 3},
)
# The longest one attempt may take, and the time kept after the last one to answer.
ATTEMPT_SECONDS = 4.0
ANSWER_SECONDS = 1.0

# When the current invocation must have answered (time.monotonic()); None: no limit.
_deadline: ContextVar[float | None] = ContextVar("deadline", default=None)

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
        created = session().client(service, config=_CLIENT_CONFIG)
    # Each attempt, retries included, first checks that it can finish within the time left.
    created.meta.events.register("before-send", _refuse_without_time)
    return created


def time_budget(seconds: float | None) -> _TimeBudget:
    """Within this block no AWS attempt starts unless it can end ``ANSWER_SECONDS`` before
    ``seconds`` from now (the Lambda context's remaining time): a hung dependency gets a 503,
    not a function timeout. ``None``: no limit.
    """
    return _TimeBudget(None if seconds is None else time.monotonic() + seconds)


# A plain class, not @contextmanager, as _UnavailableOnTransientErrors below: every invocation
# enters one, and a generator-based context manager costs several times more per use.
class _TimeBudget:
    def __init__(self, deadline: float | None) -> None:
        self._deadline = deadline
        self._token: Token[float | None] | None = None

    def __enter__(self) -> None:
        self._token = _deadline.set(self._deadline)

    def __exit__(self, *_: object) -> None:
        if self._token is not None:
            _deadline.reset(self._token)


def seconds_left(context: Any) -> float | None:
    """The invocation's remaining time from a Lambda context; ``None`` if it does not say."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if not callable(remaining):
        return None
    try:
        return float(remaining()) / 1000
    except (TypeError, ValueError):
        return None


def _refuse_without_time(**_: Any) -> None:
    deadline = _deadline.get()
    if deadline is not None and deadline - time.monotonic() < ATTEMPT_SECONDS + ANSWER_SECONDS:
        raise DependencyUnavailable("no time left for another attempt")


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


@contextmanager
def delivery_failures(permanent: Mapping[str, str], operation: str) -> Iterator[None]:
    """Around a send to a customer: an error code in ``permanent`` becomes ``DeliveryRejected``
    (with its reason, recorded and not retried); any other failure ``DependencyUnavailable``."""
    try:
        yield
    except ClientError as error:
        code = error_code(error)
        if code in permanent:
            raise DeliveryRejected(f"{permanent[code]} ({code})") from error
        raise DependencyUnavailable(code or f"{operation} failed") from error
    except BotoCoreError as error:
        raise DependencyUnavailable(type(error).__name__) from error
