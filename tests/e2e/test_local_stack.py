"""The whole service on one machine, over HTTP: API, table, queues, pump and processors."""

from __future__ import annotations

import subprocess
import sys
import time
from typing import Any

import boto3
import pytest
import requests

from offline.provision import load_template
from tests.e2e.conftest import ROOT, LocalStack, listening, start_stack
from tests.support.data import laptop_order


def api(
    stack: LocalStack, method: str, path: str, body: object = None, role: str = "frontdesk"
) -> requests.Response:
    """A request made as the demo user of the group ``role``."""
    return requests.request(
        method, stack.api_url + path, json=body, headers=stack.headers(role), timeout=10
    )


def eventually_processed(
    stack: LocalStack, order_id: str, status: str, within: float = 5
) -> dict[str, Any]:
    """The order once ``processing.<status>`` appears; fails after ``within`` seconds."""
    deadline = time.monotonic() + within
    while True:
        order: dict[str, Any] = api(stack, "GET", f"/orders/{order_id}").json()
        if status in order["processing"]:
            return order
        assert time.monotonic() < deadline, f"{status} not processed within {within} s: {order}"
        time.sleep(0.1)


def test_an_order_goes_from_received_through_inprocess_to_completed(
    local_stack: LocalStack,
) -> None:
    created = api(local_stack, "POST", "/orders", laptop_order())
    assert created.status_code == 201
    order_id = created.json()["orderId"]
    eventually_processed(local_stack, order_id, "received", within=2)

    started = api(
        local_stack,
        "PUT",
        f"/orders/{order_id}",
        {"status": "inprocess", "note": "Drying the board"},
        role="technician",
    )
    assert started.status_code == 200
    eventually_processed(local_stack, order_id, "inprocess")

    finished = api(
        local_stack, "PUT", f"/orders/{order_id}", {"status": "completed"}, role="technician"
    )
    assert finished.status_code == 200
    order = eventually_processed(local_stack, order_id, "completed")

    assert order["status"] == "completed"
    assert order["version"] == 3
    assert [entry["status"] for entry in order["history"]] == ["received", "inprocess", "completed"]
    assert set(order["processing"]) == {"received", "inprocess", "completed"}


def test_a_created_orders_email_is_sent_within_2_s_and_shown_on_the_console(
    local_stack: LocalStack,
) -> None:
    customer = {"name": "Lucía Fernández", "email": "lucia.e2e@example.com", "language": "es"}
    created = api(local_stack, "POST", "/orders", laptop_order(customer=customer,
                  device={"type": "portátil"}))  # fmt: skip
    order_id = created.json()["orderId"]

    record = eventually_processed(local_stack, order_id, "received", within=2)["processing"]

    assert record["received"]["channel"] == "email"
    assert record["received"]["destination"] == "l***@example.com"
    assert record["received"]["messageId"]
    sent = requests.get(f"{local_stack.emulator_url}/moto-api/data.json", timeout=10).json()
    (email,) = [m for m in sent["ses"]["Message"] if order_id in m["body"]]
    assert email["subject"] == "Hemos recibido tu portátil"
    assert email["destinations"]["ToAddresses"] == ["lucia.e2e@example.com"]
    line = f'[mail] to l***@example.com "Hemos recibido tu portátil" order {order_id[:8]}'
    deadline = time.monotonic() + 2
    while not any(line in output for output in local_stack.output):
        assert time.monotonic() < deadline, f"no console line {line!r}"
        time.sleep(0.1)


def test_an_order_can_be_canceled_from_received(local_stack: LocalStack) -> None:
    order_id = api(local_stack, "POST", "/orders", laptop_order()).json()["orderId"]

    canceled = api(
        local_stack,
        "PUT",
        f"/orders/{order_id}",
        {"status": "canceled", "note": "Customer changed their mind"},
    )

    assert canceled.status_code == 200
    order = eventually_processed(local_stack, order_id, "canceled")
    assert order["status"] == "canceled"
    assert "received" in order["processing"]


def test_a_transition_off_the_graph_is_rejected_with_409(local_stack: LocalStack) -> None:
    order_id = api(local_stack, "POST", "/orders", laptop_order()).json()["orderId"]

    rejected = api(
        local_stack, "PUT", f"/orders/{order_id}", {"status": "completed"}, role="technician"
    )

    assert rejected.status_code == 409
    assert rejected.headers["Content-Type"] == "application/problem+json"
    assert "inprocess" in rejected.json()["detail"]


def test_a_path_or_method_the_api_does_not_declare_gets_api_gateways_answer(
    local_stack: LocalStack,
) -> None:
    declared = [
        resource["Properties"]
        for resource in load_template("local")["Resources"].values()
        if resource["Type"] == "AWS::ApiGateway::GatewayResponse"
        and resource["Properties"]["ResponseType"] == "MISSING_AUTHENTICATION_TOKEN"
    ]
    unknown_path = api(local_stack, "GET", "/customers")
    unknown_method = api(local_stack, "DELETE", "/orders")

    for answer in (unknown_path, unknown_method):
        if declared:  # the template shapes API Gateway's answer
            assert answer.status_code == int(declared[0].get("StatusCode", 403))
            content_type = declared[0]["ResponseParameters"].get(
                "gatewayresponse.header.Content-Type", "'application/json'"
            )
            assert answer.headers["Content-Type"] == content_type.strip("'")
        else:  # API Gateway's own
            assert answer.status_code == 403
            assert answer.json() == {"message": "Missing Authentication Token"}


def test_a_100_kb_url_gets_a_problem_not_the_http_servers_html_page(
    local_stack: LocalStack,
) -> None:
    answer = requests.get(f"{local_stack.api_url}/orders?q={'x' * 100_000}", timeout=30)

    assert answer.status_code == 414
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert answer.headers["X-Correlation-Id"]
    assert answer.json()["type"] == "urn:orders:problem:request-uri-too-long"
    # The console line is written once the answer is sent: give it a moment to arrive.
    deadline = time.monotonic() + 10
    while "414 (refused by the HTTP server" not in "\n".join(local_stack.output):
        assert time.monotonic() < deadline, "no console line for the refused request"
        time.sleep(0.1)


def test_a_poison_message_ends_in_the_dead_letter_queue(local_stack: LocalStack) -> None:
    sqs = boto3.client(
        "sqs", endpoint_url=local_stack.emulator_url, region_name="us-east-1",
        aws_access_key_id="local", aws_secret_access_key="local",
    )  # fmt: skip
    queue = sqs.get_queue_url(QueueName="orders-local-received")["QueueUrl"]
    dead_letters = sqs.get_queue_url(QueueName="orders-local-received-dlq")["QueueUrl"]

    sqs.send_message(QueueUrl=queue, MessageBody="this is not a status message")

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        messages = sqs.receive_message(QueueUrl=dead_letters, WaitTimeSeconds=1).get("Messages", [])
        if messages:
            assert messages[0]["Body"] == "this is not a status message"
            return
    pytest.fail("the poison message never reached the DLQ")


def test_stopping_the_stack_leaves_nothing_running() -> None:
    stack = start_stack()
    stack.wait_until_ready()
    child_pids = subprocess.run(
        ["pgrep", "-P", str(stack.process.pid)], capture_output=True, text=True
    ).stdout.split()
    assert stack.state_file.exists()

    assert stack.stop() == 0

    assert not stack.state_file.exists()  # its passwords and URLs are of a stack that is gone
    assert not any(listening(port) for port in stack.ports.values())
    assert all(
        subprocess.run(["kill", "-0", pid], capture_output=True).returncode != 0
        for pid in child_pids
    )


def test_the_ready_banner_names_a_demo_user_per_group_and_how_to_sign_in(
    local_stack: LocalStack,
) -> None:
    state = local_stack.state
    banner = "\n".join(local_stack.output)

    assert {user["group"] for user in state["demoUsers"]} == {"frontdesk", "technician", "admin"}
    for user in state["demoUsers"]:
        (line,) = [line for line in local_stack.output if user["password"] in line]
        assert user["email"] in line
        assert user["group"] in line
        assert user["name"] in line
    assert f"make -s token EMAIL={state['demoUsers'][0]['email']}" in banner
    assert "Authorization: Bearer $TOKEN" in banner
    assert "x-api-key" not in banner


def test_the_state_file_says_where_the_stack_is_and_only_its_user_may_read_it(
    local_stack: LocalStack,
) -> None:
    state = local_stack.state

    assert state["apiUrl"] == local_stack.api_url
    assert state["emulatorUrl"] == local_stack.emulator_url
    assert state["region"] == "us-east-1"
    assert state["userPoolId"].startswith("us-east-1_")
    pool = local_stack.client("cognito-idp").describe_user_pool(UserPoolId=state["userPoolId"])
    assert pool["UserPool"]["Name"] == "orders-local-staff"
    assert local_stack.state_file.stat().st_mode & 0o777 == 0o600


def test_a_port_in_use_gets_a_clear_message(local_stack: LocalStack) -> None:
    taken = local_stack.ports["http"]
    command = [sys.executable, "-m", "offline", "--http-port", str(taken)]
    command += ["--emulator-port", "0"]

    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)

    assert result.returncode == 1
    assert f"port {taken} (API) is already in use" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_the_console_shows_one_line_for_the_request_and_one_for_its_record(
    local_stack: LocalStack,
) -> None:
    order_id = api(local_stack, "POST", "/orders", laptop_order()).json()["orderId"]
    eventually_processed(local_stack, order_id, "received")

    about_it = [line for line in local_stack.output if f"order={order_id[:8]}" in line]
    posted = [line for line in about_it if "POST /orders" in line]
    processed = [line for line in about_it if line.startswith("[pump] ")]
    assert len(posted) == 1
    assert posted[0].startswith("[api] POST /orders 201 ")
    assert len(processed) == 1
    assert processed[0].startswith(f"[pump] received order={order_id[:8]} v1 processed in ")
    # The service's JSON log lines are behind VERBOSE=1.
    assert not [line for line in local_stack.output if order_id in line and "{" in line]
