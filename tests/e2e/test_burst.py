"""A burst on a busy machine gets true answers, and the stack keeps working afterwards.

Times are not asserted here (`make bench` reports them): only what each client was told, what
the service did, and that it still answers.
"""

from __future__ import annotations

from tests.e2e.conftest import LocalStack
from tests.support.burst import (
    TRUE_ANSWERS,
    burst,
    busy_cores,
    replayed_orders,
    sequential,
    wait_until_processed,
)


def test_a_burst_on_busy_cores_gets_only_true_answers_and_the_stack_recovers(
    local_stack: LocalStack,
) -> None:
    # Given both cores busy, when 40 creates arrive from 16 front-desk clients at once
    api_url, auth = local_stack.api_url, local_stack.headers("frontdesk")
    with busy_cores(2):
        shot = burst(api_url, auth, posts=40, threads=16)

    # Then each is answered with what the service did: created, or a problem saying it is busy
    assert not shot.false_answers, [(a.status, a.body) for a in shot.false_answers]
    assert set(shot.statuses) <= TRUE_ANSWERS
    for answer in shot.answers:
        if answer.status != "201":
            assert answer.body["type"].startswith("urn:orders:problem:")
    # every created order is processed
    wait_until_processed(api_url, auth, set(shot.created.values()), deadline_s=120)
    # and every key names exactly one order: the one its 201 named, or one made by the retry
    by_key = replayed_orders(api_url, auth, [answer.key for answer in shot.answers])
    assert all(len(ids) == 1 for ids in by_key.values()), by_key
    assert all(by_key[key] == {order_id} for key, order_id in shot.created.items())

    # And requests right after are served as usual
    assert [answer.status for answer in sequential(api_url, auth, 10)] == ["201"] * 10
