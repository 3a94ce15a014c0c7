"""`make smoke`: a black-box check that a deployed stage (or `make run`) works, over HTTP(S).

It signs in as the stage's smoke user (``SMOKE_EMAIL``/``SMOKE_PASSWORD`` from the environment;
locally the demo front desk user by default), checks that a request without a token is refused,
creates one order tagged as a smoke test (with an Idempotency-Key, then replays it), reads it,
finds it in its status's listing, waits for the processor to record it, cancels it and waits for
that to be recorded too. It leaves only that canceled order behind, and exits non-zero with a
message naming the failed step on any failure. The stage's URL and sign-in client come from
``--stage``: the local stack's state file, or the outputs of stack ``orders-<stage>``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ops.staff import StaffError, sign_in
from ops.stage import LOCAL, StageNotFound, find

# SES's mailbox simulator accepts the message and delivers it nowhere, so a smoke test of a live
# stage neither mails a real person nor hurts the sender's reputation.
SMOKE_EMAIL = "success@simulator.amazonses.com"
SMOKE_DEVICE = "smoke-test"


class SmokeFailure(Exception):
    """A step of the smoke test saw something other than what a working stage answers."""


class Response:
    """What one HTTP request got back."""

    def __init__(self, status: int, headers: Mapping[str, str], body: bytes) -> None:
        self.status = status
        self.headers = {name.lower(): value for name, value in headers.items()}
        self.body = body

    def json(self) -> Any:
        """The body as JSON; a body that is not JSON is a failure."""
        try:
            return json.loads(self.body)
        except ValueError as error:
            raise SmokeFailure(f"the body is not JSON: {self.body[:200]!r}") from error


class Client:
    """Sends requests to one stage's API with the smoke user's ID token."""

    def __init__(self, base_url: str, token: str, timeout: float) -> None:
        self._base = base_url.rstrip("/")
        self._token = token
        self._timeout = timeout

    def send(
        self,
        method: str,
        path: str,
        body: object = None,
        headers: Mapping[str, str] | None = None,
        *,
        with_token: bool = True,
    ) -> Response:
        """One request; any HTTP status is returned, a network failure raises SmokeFailure."""
        sent = {"Accept": "application/json", **(headers or {})}
        if with_token:
            # The raw token: what API Gateway's Cognito authorizer documents for the header.
            sent["Authorization"] = self._token
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        request = urllib.request.Request(self._base + path, data, sent, method=method)
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as answer:
                return Response(answer.status, dict(answer.headers), answer.read())
        except urllib.error.HTTPError as error:
            return Response(error.code, dict(error.headers), error.read())
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise SmokeFailure(f"{method} {self._base + path} failed: {reason}") from error


def expect(response: Response, status: int, what: str) -> Response:
    """``response`` if it has ``status``, else a failure naming ``what`` and what came back."""
    if response.status != status:
        raise SmokeFailure(
            f"{what}: expected HTTP {status}, got {response.status}: {response.body[:300]!r}"
        )
    return response


def wait_for(read: Callable[[], dict[str, Any]], status: str, deadline: float) -> dict[str, Any]:
    """The order once ``processing.<status>`` is recorded on it, polling until ``deadline``."""
    while True:
        order = read()
        if status in order.get("processing", {}):
            return order
        if time.monotonic() > deadline:
            raise SmokeFailure(f"processing.{status} was not recorded in time: {order}")
        time.sleep(1)


def smoke_order(run_id: str) -> dict[str, Any]:
    """The create body: an order anyone reading the table can tell apart as a smoke test."""
    return {
        "customer": {"name": "Smoke Test", "email": SMOKE_EMAIL},
        "device": {"type": SMOKE_DEVICE, "brand": "make smoke", "serialNumber": run_id},
        "issue": f"Smoke test {run_id} of this stage; it cancels this order itself.",
    }


def run(client: Client, wait: float, say: Callable[[str], None]) -> str:
    """Every step against the stage; the smoke order's id. Raises SmokeFailure on a failure."""
    run_id = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + uuid.uuid4().hex[:8]
    body = smoke_order(run_id)

    expect(
        client.send("GET", "/orders?limit=1", with_token=False), 401, "a request without a token"
    )
    say("401 without a token")

    key = {"Idempotency-Key": f"smoke-{run_id}"}
    created = expect(client.send("POST", "/orders", body, key), 201, "POST /orders").json()
    order_id = created.get("orderId")
    if not isinstance(order_id, str) or created.get("status") != "received":
        raise SmokeFailure(f"POST /orders answered an unexpected order: {created}")
    try:
        say(f"created order {order_id}")
        replay = expect(
            client.send("POST", "/orders", body, key), 201, "the Idempotency-Key replay"
        )
        if replay.json().get("orderId") != order_id:
            raise SmokeFailure(f"the replay created another order: {replay.json()}")
        say("the Idempotency-Key replay returned the same order")

        def read() -> dict[str, Any]:
            got = expect(client.send("GET", f"/orders/{order_id}"), 200, "GET /orders/{id}")
            document: dict[str, Any] = got.json()
            return document

        if read().get("orderId") != order_id:
            raise SmokeFailure("GET /orders/{id} answered another order")
        say("read it back")
        listed = expect(
            client.send("GET", "/orders?status=received&limit=100"), 200, "GET /orders?status="
        ).json()
        if order_id not in {item.get("orderId") for item in listed.get("items", [])}:
            raise SmokeFailure(
                "the new order is not on the first page of GET /orders?status=received"
            )
        say("found it in the received listing")
        deadline = time.monotonic() + wait
        received = wait_for(read, "received", deadline)
        say("processing.received recorded")
        _cancel_and_check(client, order_id, received["version"], read, wait, say)
    except SmokeFailure:
        _cancel(client, order_id)
        raise
    return order_id


def _cancel_and_check(
    client: Client,
    order_id: str,
    version: int,
    read: Callable[[], dict[str, Any]],
    wait: float,
    say: Callable[[str], None],
) -> None:
    canceled = expect(
        client.send(
            "PUT",
            f"/orders/{order_id}",
            {"status": "canceled", "note": "smoke test"},
            {"If-Match": f'"{version}"'},
        ),
        200,
        "PUT /orders/{id} to canceled",
    ).json()
    if canceled.get("status") != "canceled":
        raise SmokeFailure(f"the order was not canceled: {canceled}")
    say("canceled it")
    wait_for(read, "canceled", time.monotonic() + wait)
    say("processing.canceled recorded")


def _cancel(client: Client, order_id: str) -> None:
    """Best effort after a failure, so the smoke test leaves only a canceled order behind."""
    with contextlib.suppress(SmokeFailure):
        client.send("PUT", f"/orders/{order_id}", {"status": "canceled", "note": "smoke test"})


def _say(step: str) -> None:
    print(f"smoke: ok  {step}", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the smoke test; 0 if the stage works, 1 (with the failed step) if not, 2 on bad usage."""
    parser = argparse.ArgumentParser(prog="make smoke", description=__doc__)
    parser.add_argument("--stage", default=LOCAL, help="local (default) or a deployed stage")
    parser.add_argument("--region", help="a deployed stage's region (default: the shell's)")
    parser.add_argument("--wait", type=float, default=60.0, help="seconds to wait for processing")
    parser.add_argument("--timeout", type=float, default=15.0, help="seconds per HTTP request")
    args = parser.parse_args(argv)
    # From the environment only, so the password shows in no command line (make passes both).
    email = os.environ.get("SMOKE_EMAIL", "").strip().lower()
    password = os.environ.get("SMOKE_PASSWORD", "")
    usage = (
        "smoke: give the smoke user's email and password in the environment: export SMOKE_EMAIL "
        f"and SMOKE_PASSWORD, then make smoke STAGE={args.stage} (docs/deploy.md, 'Check that the "
        "stage works', says how to create that user)"
    )
    if args.stage != LOCAL and not (email and password):
        print(usage, file=sys.stderr)
        return 2
    started = time.monotonic()
    try:
        stage = find(args.stage, args.region)
        # Locally the demo front desk user (or the demo user named) needs no password given.
        demo = stage.demo_user(email=email) if email else stage.demo_user(group="frontdesk")
        if demo and not password:
            email, password = demo.email, demo.password
        if not email or not password:
            print(usage, file=sys.stderr)
            return 2
        client = Client(stage.api_url, sign_in(stage, email, password, None), args.timeout)
        _say(f"signed in as {email}")
        order_id = run(client, args.wait, _say)
    except (StageNotFound, StaffError, SmokeFailure) as failure:
        print(f"smoke: FAILED: {failure}", file=sys.stderr)
        return 1
    elapsed = time.monotonic() - started
    print(
        f"smoke: passed in {elapsed:.1f} s against {stage.api_url} as {email} "
        f"(left canceled order {order_id})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
