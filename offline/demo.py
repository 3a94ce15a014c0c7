"""`make demo`: walk a few repair orders through the status graph on a running local stack.

Signs in as two of the demo users `make run` created: the front desk takes three orders in,
cancels one and tries to move one back (the status graph refuses), the technician starts and
finishes repairs (and is refused a cancellation, which is the desk's). Prints who did each step,
and each order's timeline with who made each change, as the processors' work arrives. The API's
URL and the demo users' passwords come from the state file `make run` writes.
"""

from __future__ import annotations

import json
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ops.staff import StaffError, sign_in
from ops.stage import Stage, StageNotFound, find

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


@dataclass(frozen=True)
class Actor:
    """A signed-in demo user: the name the timelines show, and the ID token sent as that user."""

    name: str
    api_url: str
    token: str

    def call(self, method: str, path: str, body: object = None) -> tuple[int, Any]:
        """One API request as this user; the status and the decoded body, whatever the status."""
        request = urllib.request.Request(
            self.api_url + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            # The raw token, as API Gateway's Cognito authorizer reads the header.
            headers={"Authorization": self.token, "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.load(response)
        except urllib.error.HTTPError as error:
            return error.code, json.load(error)

    def step(self, label: str, method: str, path: str, body: object = None) -> Any:
        """One request, printed as a line: who, what, and what the API answered."""
        status, answer = self.call(method, path, body)
        outcome = answer.get("status") if status < 400 else answer.get("detail")
        print(f"  {self.name:<18} {label:<36} {method:<4} {path[:16]:<16} → {status} {outcome}")
        return answer


def signed_in(stage: Stage, group: str) -> Actor:
    """The demo user of ``group``, signed in."""
    user = stage.demo_user(group=group)
    if user is None:
        raise StaffError(f"the local stack has no demo user in {group}: restart `make run`")
    token = sign_in(stage, user.email, user.password, new_password=None)
    return Actor(user.name or user.email, stage.api_url, token)


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
        actor = entry.get("actor", {}).get("name", "?")
        lines.append(f"    {entry['status']:<10} at +{offset:5.2f} s  by {actor:<18} {done}{note}")
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
        stage = find("local")
        desk, technician = signed_in(stage, "frontdesk"), signed_in(stage, "technician")
    except (StageNotFound, StaffError) as error:
        print(f"demo: {error}", file=sys.stderr)
        return 1
    try:
        desk.call("GET", "/orders?limit=1")
    except urllib.error.URLError:
        print(
            f"demo: no API at {stage.api_url}: start the stack with `make run` first",
            file=sys.stderr,
        )
        return 1
    print(f"Creating three orders at {stage.api_url}")
    ids = {
        name: desk.step(f"create the {name} order", "POST", "/orders", body)["orderId"]
        for name, body in ORDERS.items()
    }
    print("Moving them along the status graph")
    technician.step(
        "start the laptop repair",
        "PUT",
        f"/orders/{ids['laptop']}",
        {"status": "inprocess", "note": "Keyboard removed, drying the board."},
    )
    technician.step(
        "finish the laptop repair",
        "PUT",
        f"/orders/{ids['laptop']}",
        {"status": "completed", "note": "Board cleaned, keyboard replaced."},
    )
    technician.step(
        "cancel the phone (not theirs to do)",
        "PUT",
        f"/orders/{ids['phone']}",
        {"status": "canceled", "note": "Customer bought a new phone."},
    )
    desk.step(
        "the phone's owner cancels",
        "PUT",
        f"/orders/{ids['phone']}",
        {"status": "canceled", "note": "Customer bought a new phone."},
    )
    technician.step(
        "start the tablet repair", "PUT", f"/orders/{ids['tablet']}", {"status": "inprocess"}
    )
    desk.step(
        "move the tablet back (rejected)", "PUT", f"/orders/{ids['tablet']}", {"status": "received"}
    )
    deadline = time.monotonic() + 10
    orders: dict[str, Any] = {}
    while time.monotonic() < deadline:
        orders = {
            name: desk.call("GET", f"/orders/{order_id}")[1] for name, order_id in ids.items()
        }
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
