"""What the benchmarks share: the packaged stack in moto, environments, sample orders, call logs."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
from botocore import xform_name

from offline.provision import ROOT, Stack, create_data_stack, load_template, template_path
from orders import bootstrap
from orders.adapters.logs import configure_logging
from orders.adapters.orders_table.items import to_item as typed_item
from orders.api.validation import parse_new_order
from orders.domain import documents
from orders.domain.commands import OrderPatch
from orders.domain.model import Order, Status
from orders.domain.timestamps import format_timestamp
from tests.e2e.conftest import free_ports
from tests.support.data import FRONT_DESK, TECHNICIAN, laptop_order

FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}
SERVICES = ("dynamodb", "sqs", "sns", "sesv2")
# The statuses an order passes through on its way to each status.
_PATHS = {
    Status.RECEIVED: (),
    Status.INPROCESS: (Status.INPROCESS,),
    Status.COMPLETED: (Status.INPROCESS, Status.COMPLETED),
    Status.CANCELED: (Status.CANCELED,),
}


def packaged(stage_files: Sequence[str] = ("dev", "local")) -> tuple[str, dict[str, Any]]:
    """The first packaged template found (`make package`, else `make package-local`)."""
    for stage in stage_files:
        if template_path(stage).exists():
            return stage, load_template(stage)
    raise FileNotFoundError("no packaged template: run `make package` first")


def package_zip() -> Path:
    """The zip `sls deploy` would upload (both stages package the same files)."""
    for stage in ("dev", "local"):
        candidate = template_path(stage).parent / "orders.zip"
        if candidate.exists():
            return candidate
    raise FileNotFoundError("no packaged zip: run `make package` first")


def quiet_service_logs() -> None:
    """Keep formatting the service's JSON log lines (a real cost) but write them nowhere."""
    configure_logging()
    sink = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process
    for handler in logging.getLogger("orders").handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(sink)


@contextlib.contextmanager
def service_environment(variables: Mapping[str, str]) -> Iterator[None]:
    """``os.environ`` with fake credentials and ``variables`` only for AWS; wiring reset around.

    The service's EMF lines (its business metrics, on stdout) are written, as their cost is the
    service's, but to nowhere rather than into the bench's report.
    """
    saved = dict(os.environ)
    for name in [name for name in os.environ if name.startswith("AWS_")]:
        del os.environ[name]
    os.environ.update(FAKE_AWS | dict(variables))
    bootstrap.reset()
    try:
        with open(os.devnull, "w") as nowhere, contextlib.redirect_stdout(nowhere):
            yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
        bootstrap.reset()


@contextlib.contextmanager
def in_process_stack(template: dict[str, Any]) -> Iterator[Stack]:
    """moto in this process holding the template's table, queues and topic; the service wired."""
    from moto import mock_aws

    with service_environment({}), mock_aws():
        stack = create_data_stack(boto3.client("cloudformation"), template, "orders-bench")
        os.environ.update(stack.environment)
        bootstrap.reset()
        yield stack


@dataclass
class MotoServer:
    """moto server as its own process (the local stack's emulator), holding the template's stack."""

    url: str
    stack: Stack
    process: subprocess.Popen[bytes]

    def environment(self) -> dict[str, str]:
        """What a fresh process needs to run the functions against this server."""
        return FAKE_AWS | self.stack.environment | {"AWS_ENDPOINT_URL": self.url}

    def client(self, service: str) -> Any:
        return emulator_client(self.url, service)


def emulator_client(url: str, service: str) -> Any:
    """A client of the emulator at ``url``, whatever this process's environment says."""
    return boto3.session.Session().client(
        service,
        endpoint_url=url,
        region_name=FAKE_AWS["AWS_REGION"],
        aws_access_key_id=FAKE_AWS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_AWS["AWS_SECRET_ACCESS_KEY"],
    )


@contextlib.contextmanager
def moto_server(template: dict[str, Any]) -> Iterator[MotoServer]:
    """Start the emulator on a free port, create the stack in it, stop it afterwards."""
    (port,) = free_ports(1)
    process = subprocess.Popen(
        [sys.executable, "-m", "offline.emulator", "--port", str(port)],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port, process)
        url = f"http://127.0.0.1:{port}"
        stack = create_data_stack(
            emulator_client(url, "cloudformation"),
            template,
            "orders-bench",
            sesv2=emulator_client(url, "sesv2"),
            cognito_idp=emulator_client(url, "cognito-idp"),
        )
        yield MotoServer(url, stack, process)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the moto server stopped while starting")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"the moto server did not listen on port {port} within {timeout} s")


def order_in(status: Status, created_at: datetime, *, processed: bool = True) -> Order:
    """A realistic order that has walked the status graph to ``status``, as the service would."""
    order = Order.create(str(uuid.uuid4()), parse_new_order(laptop_order()), created_at, FRONT_DESK)
    at = created_at
    for step in _PATHS[status]:
        at += timedelta(hours=3)
        change = order.change_for(OrderPatch(status=step), at, TECHNICIAN)
        assert change is not None
        order = order.with_change(change, at)
    if not processed:
        return order
    processing = {
        entry.status: {
            "processedAt": format_timestamp(entry.at + timedelta(milliseconds=60)),
            "version": index + 1,
            "eventId": str(uuid.uuid4()),
            "channel": "email",
            "destination": "l***@example.com",
            "messageId": str(uuid.uuid4()),
        }
        for index, entry in enumerate(order.history)
    }
    return order._replace(processing=processing)


def to_item(order: Order) -> dict[str, Any]:
    """The item exactly as the repository writes it (its document, through its serializer)."""
    return typed_item(documents.order_to_document(order))


@dataclass
class Call:
    """One AWS operation a client performed, with what it sent and what came back."""

    service: str
    operation: str
    params: dict[str, Any]
    bytes_sent: int = 0
    bytes_received: int = 0
    parsed: dict[str, Any] = field(default_factory=dict)

    @property
    def method(self) -> str:
        """The client method that performs the operation (``PutItem`` -> ``put_item``)."""
        return str(xform_name(self.operation))


@dataclass
class CallLog:
    """Records every operation of the clients it is attached to, with a botocore event hook."""

    calls: list[Call] = field(default_factory=list)

    def attach(self, client: Any) -> None:
        events = client.meta.events
        events.register("before-parameter-build.*.*", self._before)
        events.register("request-created.*.*", self._request)
        events.register("after-call.*.*", self._after)

    def detach(self, client: Any) -> None:
        events = client.meta.events
        events.unregister("before-parameter-build.*.*", self._before)
        events.unregister("request-created.*.*", self._request)
        events.unregister("after-call.*.*", self._after)

    def take(self) -> list[Call]:
        """The calls recorded since the last ``take``."""
        taken, self.calls = self.calls, []
        return taken

    def _before(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        service = model.service_model.service_name
        self.calls.append(Call(service, model.name, _copy(params)))

    def _request(self, request: Any, **_: Any) -> None:
        body = request.body or b""
        if self.calls:
            self.calls[-1].bytes_sent = len(body.encode() if isinstance(body, str) else body)

    def _after(self, http_response: Any, parsed: dict[str, Any], **_: Any) -> None:
        if self.calls:
            self.calls[-1].bytes_received = len(getattr(http_response, "content", b"") or b"")
            self.calls[-1].parsed = parsed


def attach_to_service_clients(log: CallLog) -> None:
    """Record the calls of the clients the service itself uses (``clients.client``)."""
    from orders.adapters import clients

    for service in SERVICES:
        log.attach(clients.client(service))


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return value


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def percentile(values: Sequence[float], fraction: float) -> float:
    """The ``fraction`` quantile by nearest rank (what p95 means on a dashboard)."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return float(ordered[rank])
