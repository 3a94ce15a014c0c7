"""Tiny Lambda handlers for testing the local stack's Lambda runtime (offline/lambda_runtime.py)."""

from __future__ import annotations

import os
import time
from typing import Any


def context_echo(event: Any, context: Any) -> dict[str, Any]:
    """What the handler saw: its request id, its time left, its process."""
    if isinstance(event, dict) and "sleep" in event:
        time.sleep(float(event["sleep"]))
    return {
        "requestId": context.aws_request_id,
        "remainingMs": context.get_remaining_time_in_millis(),
        "functionName": context.function_name,
        "pid": os.getpid(),
        "echo": event,
    }
