"""End-to-end tier: the local stack started as `make run` starts it, driven over HTTP only."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
API_KEY = "local-dev-key-0123456789"
READY_LINE = "Orders service is running"


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
    """A running `python -m offline` and what it printed."""

    process: subprocess.Popen[str]
    ports: dict[str, int]
    output: list[str] = field(default_factory=list)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['http']}"

    @property
    def emulator_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['emulator']}"

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


def start_stack(*extra: str) -> LocalStack:
    """Start the stack on free ports; failed records come back after 1 s instead of 60 s."""
    emulator, http = free_ports(2)
    command = [
        sys.executable, "-m", "offline",
        "--emulator-port", str(emulator),
        "--http-port", str(http),
        "--visibility-timeout", "1",
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
    stack = LocalStack(process, {"emulator": emulator, "http": http})

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
