"""End-to-end tier: the local stack started as `make run` starts it, driven over HTTP only.

Requests are made as the stack's demo staff, signed in to its user pool with their passwords
(from the state file the stack writes), as a front-desk app would.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest

from offline.identity import id_token

ROOT = Path(__file__).resolve().parents[2]
READY_LINE = "Orders service is running"
# Signed-in tokens are used for this long, well inside the hour an ID token lasts.
_TOKEN_REUSE_S = 20 * 60


def free_ports(count: int) -> list[int]:
    """Ports nothing listens on now, so the stack never collides with a developer's own."""
    sockets = [socket.socket() for _ in range(count)]
    for probe in sockets:
        probe.bind(("127.0.0.1", 0))
    ports = [probe.getsockname()[1] for probe in sockets]
    for probe in sockets:
        probe.close()
    return ports


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class LocalStack:
    """A running `python -m offline`, what it printed, and its staff, signed in on demand."""

    process: subprocess.Popen[str]
    ports: dict[str, int]
    state_file: Path
    output: list[str] = field(default_factory=list)
    _tokens: dict[str, tuple[float, str]] = field(default_factory=dict)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['http']}"

    @property
    def emulator_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['emulator']}"

    @property
    def state(self) -> dict[str, Any]:
        """The state file the stack wrote when ready (URLs, pool, demo users)."""
        state: dict[str, Any] = json.loads(self.state_file.read_text())
        return state

    def client(self, service: str) -> Any:
        """A boto3 client of the stack's emulator."""
        return boto3.session.Session().client(
            service,
            endpoint_url=self.emulator_url,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )

    def demo_user(self, group: str) -> dict[str, str]:
        """The demo user of ``group``: email, group, name and this run's password."""
        (user,) = [u for u in self.state["demoUsers"] if u["group"] == group]
        return dict(user)

    def token(self, group: str = "frontdesk") -> str:
        """An ID token of the demo user of ``group``, signed in with email and password."""
        signed_in_at, token = self._tokens.get(group, (0.0, ""))
        if time.monotonic() - signed_in_at > _TOKEN_REUSE_S:
            user = self.demo_user(group)
            client_id = self.state["userPoolClientId"]
            token = id_token(self.client("cognito-idp"), client_id, user["email"], user["password"])
            self._tokens[group] = (time.monotonic(), token)
        return token

    def headers(self, group: str = "frontdesk") -> dict[str, str]:
        """The ``Authorization`` header of a request made as the demo user of ``group``."""
        return {"Authorization": f"Bearer {self.token(group)}"}

    def orders_stored(self) -> int:
        """How many orders the table holds (one item per order)."""
        dynamodb = self.client("dynamodb")
        (table,) = [t for t in dynamodb.list_tables()["TableNames"] if t.startswith("Orders")]
        paginator = dynamodb.get_paginator("scan")
        return sum(page["Count"] for page in paginator.paginate(TableName=table, Select="COUNT"))

    def wait_until_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(READY_LINE in line for line in self.output):
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("the local stack did not start:\n" + "\n".join(self.output[-40:]))

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=30)


def start_stack(
    *extra: str, ports: dict[str, int] | None = None, state_file: Path | None = None
) -> LocalStack:
    """Start the stack on free ports (or ``ports``); failed records come back after 1 s instead
    of 60 s. It writes a state file of its own (or ``state_file``), so a developer's `make run`
    keeps theirs."""
    emulator, http = free_ports(2) if ports is None else (ports["emulator"], ports["http"])
    if state_file is None:
        state_file = Path(tempfile.mkdtemp(prefix="orders-e2e-")) / "local-stack.json"
    command = [
        sys.executable, "-m", "offline",
        "--emulator-port", str(emulator),
        "--http-port", str(http),
        "--visibility-timeout", "1",
        "--state-file", str(state_file),
        *extra,
    ]  # fmt: skip
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=environment,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    )
    stack = LocalStack(process, {"emulator": emulator, "http": http}, state_file)

    def collect() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            stack.output.append(line.rstrip())

    threading.Thread(target=collect, daemon=True).start()
    return stack


@pytest.fixture(scope="session")
def local_stack() -> Iterator[LocalStack]:
    stack = start_stack()
    stack.wait_until_ready()
    yield stack
    stack.stop()
