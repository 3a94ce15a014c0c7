"""A dependency that accepts connections and never answers: every request still answers in time."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

import handler
from orders import bootstrap
from tests.support.data import laptop_order
from tests.support.events import ORDER_ROUTE, api_event
from tests.support.figures import report_figure
from tests.support.stack import load_template


class CountdownContext:
    """A Lambda context whose remaining time runs down with the clock, as on Lambda."""

    def __init__(self, timeout_seconds: float) -> None:
        self.aws_request_id = "c0ffee00-0000-4000-8000-000000000001"
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return int((self._deadline - time.monotonic()) * 1000)


@pytest.fixture
def black_hole() -> Iterator[str]:
    """The URL of a local socket that accepts every connection and never sends a byte."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            held.append(connection)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    server.close()


@pytest.fixture
def hung_aws(black_hole: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The service pointed at the black hole for DynamoDB and SQS alike."""
    template = load_template()
    variables = template["Resources"]["ApiLambdaFunction"]["Properties"]["Environment"]
    for name, value in variables["Variables"].items():
        monkeypatch.setenv(name, value if isinstance(value, str) else f"hung-{name.lower()}")
    for name, value in {
        "AWS_ENDPOINT_URL": black_hole,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    bootstrap.reset()
    yield
    bootstrap.reset()


def function_timeout() -> int:
    """The API function's timeout, as deployed."""
    timeout: int = load_template()["Resources"]["ApiLambdaFunction"]["Properties"]["Timeout"]
    return timeout


@pytest.mark.parametrize(
    ("method", "resource", "kwargs"),
    [
        ("POST", "/orders", {"body": laptop_order()}),
        ("PUT", ORDER_ROUTE, {"body": {"status": "inprocess"}}),
        ("GET", "/orders", {}),
    ],
    ids=["create", "update", "list"],
)
@pytest.mark.usefixtures("hung_aws")
def test_a_hung_dependency_gets_a_503_with_retry_after_before_the_function_times_out(
    method: str, resource: str, kwargs: dict[str, Any], request: pytest.FixtureRequest
) -> None:
    order_id = "6f1c9e2a-4b7d-4c3e-8a5f-0d2b9e7c1a34" if "{orderId}" in resource else None
    timeout = function_timeout()
    context = CountdownContext(timeout)

    response = handler.handle(api_event(method, resource, order_id=order_id, **kwargs), context)

    left = context.get_remaining_time_in_millis() / 1000
    assert response["statusCode"] == 503
    assert response["headers"]["Retry-After"].isdigit()
    assert left > 0, f"answered {-left:.1f} s after the function's {timeout} s timeout"
    report_figure(
        request.config,
        f"hung dependency, {request.node.callspec.id}: 503 after {timeout - left:.1f} s "
        f"of a {timeout} s timeout",
    )
