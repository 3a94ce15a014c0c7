"""A burst against `make run`'s stack while both cores are busy: true answers, then recovery.

100 POSTs from 32 threads, each with its own Idempotency-Key, while two busy loops hold the
CPUs. Reported: the answers by status, the time from the first POST until every created order
was processed, whether every key replays to exactly one order, and 20 sequential POSTs right
after, which show the stack is still healthy.
"""

from __future__ import annotations

import sys
from collections import Counter
from typing import Any

from bench.common import median
from tests.e2e.conftest import start_stack
from tests.support.burst import (
    burst,
    busy_cores,
    replayed_orders,
    sequential,
    wait_until_processed,
)

_PROCESSING_DEADLINE_S = 180


def measure(posts: int = 100, threads: int = 32, busy: int = 2, after: int = 20) -> dict[str, Any]:
    """Start the stack; the burst with ``busy`` cores spinning; replays; ``after`` POSTs."""
    stack = start_stack()
    try:
        stack.wait_until_ready()
        auth = stack.headers("frontdesk")  # signed in before the clock starts
        with busy_cores(busy):
            shot = burst(stack.api_url, auth, posts, threads)
            _say(f"burst answered: {dict(shot.statuses)} in {shot.seconds:.1f} s")
            created = shot.created
            processed_s = wait_until_processed(
                stack.api_url, auth, set(created.values()), _PROCESSING_DEADLINE_S
            )
        by_key = replayed_orders(stack.api_url, auth, [answer.key for answer in shot.answers])
        healthy = sequential(stack.api_url, auth, after)
    finally:
        stack.stop()
    one_order_each = all(len(ids) == 1 for ids in by_key.values()) and all(
        by_key[key] == {order_id} for key, order_id in created.items()
    )
    latencies = [answer.seconds for answer in healthy]
    return {
        "posts": posts,
        "threads": threads,
        "busy_loops": busy,
        "answers": dict(sorted(shot.statuses.items())),
        "only_true_answers": not shot.false_answers,
        "false_answers": [f"{a.status}: {str(a.body)[:120]}" for a in shot.false_answers[:3]],
        "burst_s": round(shot.seconds, 2),
        "post_p50_ms": round(median([a.seconds for a in shot.answers]) * 1000, 1),
        "post_max_ms": round(max(a.seconds for a in shot.answers) * 1000, 1),
        "first_post_to_all_processed_s": round(shot.seconds + processed_s, 2),
        "every_key_replays_to_one_order": one_order_each,
        "sequential": after,
        "sequential_answers": dict(sorted(Counter(a.status for a in healthy).items())),
        "sequential_p50_ms": round(median(latencies) * 1000, 1),
        "sequential_max_ms": round(max(latencies) * 1000, 1),
    }


def _say(line: str) -> None:
    print(f"[bench] {line}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    import json

    print(json.dumps(measure(), indent=2))
