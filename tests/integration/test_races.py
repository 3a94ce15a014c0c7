"""Racing updates: the DynamoDB condition lets exactly one of them win."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tests.integration.conftest import Api, Queues
from tests.support.data import laptop_order


def _race(*calls: Any) -> list[Any]:
    barrier = threading.Barrier(len(calls))

    def run(call: Any) -> Any:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def test_eight_identical_transitions_make_one_change_and_one_message(
    api: Api, queues: Queues, atomic_moto_writes: None
) -> None:
    order_id = api.create(laptop_order()).body["orderId"]

    responses = _race(*[lambda: api.update(order_id, {"status": "inprocess"})] * 8)

    assert [r.status for r in responses] == [200] * 8
    order = api.get(order_id).body
    assert order["version"] == 2
    assert [entry["status"] for entry in order["history"]] == ["received", "inprocess"]
    assert len(queues.drain("inprocess")) == 1


def test_completing_and_canceling_at_once_lets_exactly_one_win(
    api: Api, queues: Queues, atomic_moto_writes: None
) -> None:
    order_id = api.create(laptop_order()).body["orderId"]
    api.update(order_id, {"status": "inprocess"})

    completed, canceled = _race(
        lambda: api.update(order_id, {"status": "completed"}),
        lambda: api.update(order_id, {"status": "canceled"}),
    )

    assert sorted([completed.status, canceled.status]) == [200, 409]
    final = api.get(order_id).body
    assert final["version"] == 3
    winner = "completed" if completed.status == 200 else "canceled"
    assert final["status"] == winner
    assert len(queues.drain(winner)) == 1
    assert queues.drain("canceled" if winner == "completed" else "completed") == []
