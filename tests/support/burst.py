"""A burst of creates against a running local stack, and the checks that follow it.

Shared by the end-to-end test (true answers and recovery) and `make bench` (the same, timed).
Every request carries ``auth``, the ``Authorization`` header of a signed-in front-desk user.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import requests

from tests.support.data import laptop_order

# What the service answers a create, or a saturated stack answers instead (problem+json).
TRUE_ANSWERS = frozenset({"201", "429", "503"})


@contextlib.contextmanager
def busy_cores(count: int) -> Iterator[None]:
    """``count`` processes that spin until the block ends (a laptop running an IDE and more)."""
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]
    try:
        yield
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()


@dataclass(frozen=True)
class Answer:
    """What one POST got: a status code or the name of the connection error, and the body."""

    key: str
    status: str
    body: Any
    seconds: float


def post_order(api_url: str, auth: Mapping[str, str], key: str, timeout: float = 60) -> Answer:
    """POST one order with the Idempotency-Key ``key``."""
    started = time.perf_counter()
    try:
        response = requests.post(
            f"{api_url}/orders",
            json=laptop_order(),
            headers={**auth, "Idempotency-Key": key},
            timeout=timeout,
        )
    except requests.RequestException as error:
        return Answer(key, type(error).__name__, None, time.perf_counter() - started)
    try:
        body = response.json()
    except ValueError:
        body = response.text
    return Answer(key, str(response.status_code), body, time.perf_counter() - started)


@dataclass
class Burst:
    """The answers of a burst, by key."""

    answers: list[Answer]
    seconds: float
    statuses: Counter[str] = field(init=False)

    def __post_init__(self) -> None:
        self.statuses = Counter(answer.status for answer in self.answers)

    @property
    def created(self) -> dict[str, str]:
        """Order id by key, for the keys answered 201."""
        return {a.key: a.body["orderId"] for a in self.answers if a.status == "201"}

    @property
    def false_answers(self) -> list[Answer]:
        return [answer for answer in self.answers if answer.status not in TRUE_ANSWERS]


def burst(
    api_url: str, auth: Mapping[str, str], posts: int, threads: int, prefix: str = "burst"
) -> Burst:
    """``posts`` creates from ``threads`` threads at once, each with its own key."""
    keys = [f"{prefix}-{uuid.uuid4()}" for _ in range(posts)]
    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        answers = list(pool.map(lambda key: post_order(api_url, auth, key), keys))
    return Burst(answers, time.perf_counter() - started)


def replayed_orders(api_url: str, auth: Mapping[str, str], keys: list[str]) -> dict[str, set[str]]:
    """Each key POSTed again, one at a time: the order ids it is answered with (201 only)."""
    found: dict[str, set[str]] = {}
    for key in keys:
        answer = post_order(api_url, auth, key)
        found[key] = {answer.body["orderId"]} if answer.status == "201" else set()
    return found


def unprocessed(api_url: str, auth: Mapping[str, str], order_ids: set[str]) -> set[str]:
    """The orders whose ``processing.received`` is not recorded yet."""
    session = requests.Session()
    pending = set()
    for order_id in order_ids:
        response = session.get(f"{api_url}/orders/{order_id}", headers=auth, timeout=30)
        if response.status_code != 200 or "received" not in response.json()["processing"]:
            pending.add(order_id)
    return pending


def wait_until_processed(
    api_url: str, auth: Mapping[str, str], order_ids: set[str], deadline_s: float
) -> float:
    """Seconds until every order was processed; raises past ``deadline_s``."""
    started = time.perf_counter()
    pending = set(order_ids)
    while pending := unprocessed(api_url, auth, pending):
        if time.perf_counter() - started > deadline_s:
            raise AssertionError(f"{len(pending)} orders not processed within {deadline_s} s")
        time.sleep(0.25)
    return time.perf_counter() - started


def sequential(api_url: str, auth: Mapping[str, str], count: int) -> list[Answer]:
    """``count`` creates one after another, each with its own key."""
    return [post_order(api_url, auth, f"after-{uuid.uuid4()}") for _ in range(count)]
