"""The local stack's Lambda runtime: a real context per invocation, timeouts that cannot leak."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from offline.definition import Function
from offline.lambda_runtime import InvocationFailed, Saturated, WorkerPool

ECHO = Function(
    name="echo", handler="tests.support.handlers.context_echo", timeout_s=2, memory_mb=128
)


@pytest.fixture
def pool() -> Iterator[WorkerPool]:
    workers = WorkerPool(ECHO, size=1)
    workers.start()
    yield workers
    workers.stop()


def test_each_invocation_has_its_own_request_id_and_a_countdown(pool: WorkerPool) -> None:
    first = pool.invoke({"sleep": 0.3}, "3f1c9a52-0d7e-4c55-9a3e-1b2f3c4d5e6f", wait_s=5)
    second = pool.invoke({}, "8b0e2d71-6a4f-4f0e-8c1d-7e6f5a4b3c2d", wait_s=5)

    assert first["requestId"] == "3f1c9a52-0d7e-4c55-9a3e-1b2f3c4d5e6f"
    assert second["requestId"] == "8b0e2d71-6a4f-4f0e-8c1d-7e6f5a4b3c2d"
    assert first["functionName"] == "orders-local-echo"
    assert 0 < first["remainingMs"] <= 2000 - 300  # counted down while the handler slept
    assert first["pid"] == second["pid"]  # the same warm worker served both


def test_a_timed_out_invocation_never_answers_the_next_one(pool: WorkerPool) -> None:
    with pytest.raises(InvocationFailed, match="timed out"):
        pool.invoke({"sleep": 5, "n": 1}, "late-one", wait_s=5)

    # The late worker was replaced: the next request gets its own answer, from a new process.
    answer = pool.invoke({"n": 2}, "next-one", wait_s=30)

    assert answer["echo"] == {"n": 2}
    assert answer["requestId"] == "next-one"


def test_a_request_that_finds_every_worker_busy_is_told_so(pool: WorkerPool) -> None:
    slow = threading.Thread(target=pool.invoke, args=({"sleep": 1}, "slow", 5))
    slow.start()
    while pool.idle_workers:  # until the slow request holds the only worker
        time.sleep(0.01)
    try:
        with pytest.raises(Saturated):
            pool.invoke({}, "quick", wait_s=0.05)
    finally:
        slow.join()
