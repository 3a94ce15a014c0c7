"""Where the local stack once differed from the deployed service, or let a request write its
console: cursors keyed per run, repeated header lines kept apart, console lines escaped."""

from __future__ import annotations

import http.client
import json
import time
from urllib.parse import urlsplit

import requests

from orders.adapters.orders_table.cursors import CursorCodec
from tests.e2e.conftest import LocalStack
from tests.support.data import laptop_order


def list_orders(stack: LocalStack, **query: str) -> requests.Response:
    return requests.get(
        f"{stack.api_url}/orders", params=query, headers=stack.headers(), timeout=10
    )


def test_a_cursor_signed_with_the_old_constant_local_key_is_refused(
    local_stack: LocalStack,
) -> None:
    for _ in range(2):
        requests.post(
            f"{local_stack.api_url}/orders",
            json=laptop_order(),
            headers=local_stack.headers(),
            timeout=10,
        ).raise_for_status()
    first_page = list_orders(local_stack, limit="1").json()
    order_id = first_page["items"][0]["orderId"]
    forged = CursorCodec(b"local-cursor-key").encode({"orderId": order_id}, None)

    genuine = list_orders(local_stack, limit="1", cursor=first_page["nextCursor"])
    refused = list_orders(local_stack, limit="1", cursor=forged)

    assert genuine.status_code == 200
    assert refused.status_code == 400
    assert refused.json()["type"] == "urn:orders:problem:invalid-cursor"


def send_with_header_lines(
    stack: LocalStack, path: str, lines: list[tuple[str, str]], body: object
) -> tuple[int, dict[str, object]]:
    """A POST whose header lines are sent exactly as given, repeated names included."""
    address = urlsplit(stack.api_url)
    connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=10)
    data = json.dumps(body).encode()
    try:
        connection.putrequest("POST", path)
        for name, value in [
            ("Authorization", f"Bearer {stack.token()}"),
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(data))),
            *lines,
        ]:
            connection.putheader(name, value)
        connection.endheaders(data)
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def test_two_idempotency_key_lines_are_refused_as_on_api_gateway(local_stack: LocalStack) -> None:
    status, body = send_with_header_lines(
        local_stack,
        "/orders",
        [("Idempotency-Key", "till-2-0042"), ("Idempotency-Key", "till-2-0043")],
        laptop_order(),
    )

    assert status == 400
    assert body["errors"] == [{"field": "Idempotency-Key", "message": "must be given once"}]


def test_one_idempotency_key_line_holding_a_comma_is_one_key(local_stack: LocalStack) -> None:
    status, _ = send_with_header_lines(
        local_stack, "/orders", [("Idempotency-Key", "till-2,0044")], laptop_order()
    )

    assert status == 201


def test_a_request_cannot_write_lines_of_its_own_on_the_console(local_stack: LocalStack) -> None:
    forged_line = "%0a[pump]%20received%20order=f0f0f0f0%20v1%20processed%20in%201%20ms"
    terminal_escape, nul = "%1b[2K%1b[1G", "%00"
    requests.get(
        f"{local_stack.api_url}/orders{forged_line}{terminal_escape}{nul}?status=%0d%e2%80%a8",
        headers=local_stack.headers(),
        timeout=10,
    )

    deadline = time.monotonic() + 5
    while not (about_it := [line for line in local_stack.output if "f0f0f0f0" in line]):
        assert time.monotonic() < deadline, "no console line for the request"
        time.sleep(0.1)
    shown = (
        "[api] GET /orders\\n[pump] received order=f0f0f0f0 v1 processed in 1 ms"
        "\\x1b[2K\\x1b[1G\\x00?status=\\r\\u2028 403 "
    )
    assert len(about_it) == 1, about_it
    assert about_it[0].startswith(shown), about_it
    assert [line for line in local_stack.output if not line.isprintable()] == []
