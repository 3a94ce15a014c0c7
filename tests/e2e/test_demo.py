"""`make demo` on the local stack: the desk and the technician each do their part, by name."""

from __future__ import annotations

import re

import pytest

from tests.e2e.accounts import create_account, make, write_state_file
from tests.e2e.conftest import LocalStack

DESK = {"email": "marta@taller.example", "group": "frontdesk", "name": "Marta Recepción"}
TECHNICIAN = {"email": "jorge@taller.example", "group": "technician", "name": "Jorge Técnico"}


@pytest.fixture(scope="module")
def demo_output(local_stack: LocalStack, tmp_path_factory: pytest.TempPathFactory) -> str:
    state_file = tmp_path_factory.mktemp("demo") / ".local-stack.json"
    environment = write_state_file(local_stack, state_file)
    users = []
    for user in (DESK, TECHNICIAN):
        password = f"{user['group'].capitalize()}-demo-2026"
        create_account(environment, user["email"], user["group"], user["name"], password)
        users.append(user | {"password": password})
    write_state_file(local_stack, state_file, demo_users=users)

    demo = make("demo", environment=environment)

    assert demo.returncode == 0, demo.stdout + demo.stderr
    return demo.stdout


def step(output: str, label: str) -> str:
    """The printed line of the step called ``label``."""
    lines = [line.strip() for line in output.splitlines() if label in line]
    assert len(lines) == 1, output
    return lines[0]


def test_it_follows_the_stack_it_is_pointed_at(demo_output: str, local_stack: LocalStack) -> None:
    assert f"Creating three orders at {local_stack.api_url}" in demo_output


def test_the_desk_takes_orders_in_and_the_technician_repairs(demo_output: str) -> None:
    for name in ("laptop", "phone", "tablet"):
        assert re.fullmatch(
            rf"Marta Recepción +create the {name} order +POST +/orders +→ 201 received",
            step(demo_output, f"create the {name} order"),
        )
    assert step(demo_output, "start the laptop repair").startswith("Jorge Técnico ")
    assert step(demo_output, "start the laptop repair").endswith("→ 200 inprocess")
    assert step(demo_output, "finish the laptop repair").endswith("→ 200 completed")
    assert step(demo_output, "the phone's owner cancels").startswith("Marta Recepción ")
    assert step(demo_output, "the phone's owner cancels").endswith("→ 200 canceled")
    assert step(demo_output, "move the tablet back (rejected)").startswith("Marta Recepción ")
    assert "→ 409 " in step(demo_output, "move the tablet back (rejected)")


def test_a_technician_is_refused_the_desks_cancellation(demo_output: str) -> None:
    refused = step(demo_output, "cancel the phone (not theirs to do)")

    assert refused.startswith("Jorge Técnico ")
    assert "→ 403 " in refused
    assert "orders:cancel" in refused


def test_the_timelines_say_who_made_each_change(demo_output: str) -> None:
    timelines = demo_output[demo_output.index("Timelines") :]
    laptop = timelines[timelines.index("laptop:") : timelines.index("phone:")]

    assert re.search(r"received +at \+ ?0\.00 s +by Marta Recepción ", laptop)
    assert re.search(r"inprocess +at .* by Jorge Técnico ", laptop)
    assert re.search(r"completed +at .* by Jorge Técnico ", laptop)
