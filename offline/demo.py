"""`make demo`: walk a few repair orders through the status graph on a running local stack.

Creates three orders, moves them along (a finished repair, a cancellation, a rejected move
back) and prints each order's timeline as the processors' work arrives.
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime
from typing import Any

API_URL = os.environ.get("API_URL", "http://127.0.0.1:3000")
API_KEY = os.environ.get("ORDERS_API_KEY", "local-dev-key-0123456789")

ORDERS = {
    "laptop": {
        "customer": {"name": "Lucía Fernández", "email": "lucia.fernandez@example.com"},
        "device": {"type": "laptop", "brand": "Lenovo", "model": "ThinkPad T14"},
        "issue": "Does not boot after a coffee spill on the keyboard.",
        "priority": "urgent",
    },
    "phone": {
        "customer": {"name": "Tomás Ruiz", "phone": "+34 600 123 456"},
        "device": {"type": "phone", "brand": "Samsung", "model": "Galaxy S23"},
        "issue": "Cracked screen, touch does not respond in the lower half.",
    },
    "tablet": {
        "customer": {"name": "Aiko Tanaka", "email": "aiko@example.com", "language": "en"},
        "device": {"type": "tablet", "brand": "Apple", "model": "iPad Air"},
        "issue": "Battery drains from full in two hours.",
    },
}


def call(method: str, path: str, body: object = None) -> tuple[int, Any]:
    """One API request; the status and the decoded body, whatever the status."""
    request = urllib.request.Request(
        API_URL + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"x-api-key": API_KEY, "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def step(label: str, method: str, path: str, body: object = None) -> Any:
    status, answer = call(method, path, body)
    outcome = answer.get("status") if status < 400 else answer.get("detail")
    print(f"  {label:<38} {method:<4} {path[:16]:<16} → {status} {outcome}")
    return answer


def timeline(order: dict[str, Any]) -> list[str]:
    """One line per status the order entered, with when its processor finished."""
    entered_first = _time(order["history"][0]["at"])
    lines = []
    for entry in order["history"]:
        at = _time(entry["at"])
        processed = order["processing"].get(entry["status"])
        done = (
            f"processed +{(_time(processed['processedAt']) - at).total_seconds():.2f} s, "
            + told(processed)
            if processed
            else "waiting for its processor"
        )
        note = f'  "{entry["note"]}"' if "note" in entry else ""
        offset = (at - entered_first).total_seconds()
        lines.append(f"    {entry['status']:<10} at +{offset:5.2f} s   {done}{note}")
    return lines


def told(processed: dict[str, Any]) -> str:
    """How the customer heard of it: ``emailed l***@example.com``, or why they did not."""
    if "messageId" in processed:
        verb = {"email": "emailed", "sms": "texted"}[processed["channel"]]
        return f"{verb} {processed['destination']}"
    return f"not told: {processed.get('reason')}"


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def main() -> int:
    try:
        call("GET", "/orders?limit=1")
    except urllib.error.URLError:
        print(f"No API at {API_URL}: start the stack with `make run` first.", file=sys.stderr)
        return 1
    print(f"Creating three orders at {API_URL}")
    ids = {
        name: step(f"create the {name} order", "POST", "/orders", body)["orderId"]
        for name, body in ORDERS.items()
    }
    print("Moving them along the status graph")
    step(
        "start the laptop repair",
        "PUT",
        f"/orders/{ids['laptop']}",
        {"status": "inprocess", "note": "Keyboard removed, drying the board."},
    )
    step(
        "finish the laptop repair",
        "PUT",
        f"/orders/{ids['laptop']}",
        {"status": "completed", "note": "Board cleaned, keyboard replaced."},
    )
    step(
        "the phone's owner cancels",
        "PUT",
        f"/orders/{ids['phone']}",
        {"status": "canceled", "note": "Customer bought a new phone."},
    )
    step("start the tablet repair", "PUT", f"/orders/{ids['tablet']}", {"status": "inprocess"})
    step(
        "move the tablet back (rejected)", "PUT", f"/orders/{ids['tablet']}", {"status": "received"}
    )
    deadline = time.monotonic() + 10
    orders: dict[str, Any] = {}
    while time.monotonic() < deadline:
        orders = {name: call("GET", f"/orders/{order_id}")[1] for name, order_id in ids.items()}
        if all(len(o["processing"]) == len(o["history"]) for o in orders.values()):
            break
        time.sleep(0.2)
    print("Timelines")
    for name, order in orders.items():
        print(f"  {name}: {order['orderId']}  now {order['status']} (version {order['version']})")
        print("\n".join(timeline(order)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
