"""The local stack's processes: none outlives its supervisor, a new start clears what an earlier
one of its own left running (and nothing else), and no secret shows on a command line."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator

import pytest

from tests.e2e.conftest import LocalStack, listening, start_stack


def children(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(child) for child in found.split()]


def descendants(pid: int) -> list[int]:
    """Every process under ``pid``: the parts, and the gateway's Lambda workers under them."""
    found = []
    for child in children(pid):
        found += [child, *descendants(child)]
    return found


def command_line(pid: int) -> str | None:
    """The process's command line; ``None`` once it has exited (a zombie has exited too)."""
    shown = subprocess.run(
        ["ps", "-ww", "-o", "stat=", "-o", "args=", "-p", str(pid)], capture_output=True, text=True
    ).stdout.strip()
    if not shown or shown.startswith("Z"):
        return None
    return shown.split(maxsplit=1)[1]


def wait_until_gone(pids: list[int], within: float) -> list[int]:
    """The processes among ``pids`` still running after ``within`` seconds."""
    deadline = time.monotonic() + within
    while (running := [pid for pid in pids if command_line(pid)]) and time.monotonic() < deadline:
        time.sleep(0.1)
    return running


@contextlib.contextmanager
def parts_frozen_then_killed(stack: LocalStack) -> Iterator[list[int]]:
    """The stack's parts, stopped (SIGSTOP: they cannot notice anything) and its supervisor
    killed; whatever of them is still ours when the block ends is killed."""
    parts = children(stack.process.pid)
    tree = {pid: command_line(pid) for pid in descendants(stack.process.pid)}
    for part in parts:
        os.killpg(part, signal.SIGSTOP)
    stack.process.kill()
    stack.process.wait()
    try:
        yield parts
    finally:
        for pid, command in tree.items():
            if command is not None and command_line(pid) == command:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)


def test_killing_the_supervisor_stops_every_part_and_frees_the_ports() -> None:
    stack = start_stack()
    stack.wait_until_ready()
    processes = descendants(stack.process.pid)
    assert len(processes) >= 3  # the emulator, the gateway and its workers, the pump

    stack.process.kill()  # SIGKILL: the supervisor cannot stop anything itself
    stack.process.wait()

    assert wait_until_gone(processes, within=10) == []
    assert not any(listening(port) for port in stack.ports.values())


def test_a_new_start_stops_what_an_earlier_start_of_its_own_left_running() -> None:
    earlier = start_stack()
    earlier.wait_until_ready()

    with parts_frozen_then_killed(earlier) as left_running:
        later = start_stack(ports=earlier.ports, state_file=earlier.state_file)
        try:
            later.wait_until_ready()
            assert wait_until_gone(left_running, within=1) == []
            (said,) = [line for line in later.output if "left running" in line]
            assert said.startswith("[stack] stopped the emulator, api and pump (pids ")
        finally:
            later.stop()


def test_a_recorded_pid_that_is_now_another_process_is_left_alone() -> None:
    stranger = subprocess.Popen(["sleep", "300"])
    try:
        earlier = start_stack()
        earlier.wait_until_ready()
        pid_file = earlier.state_file.with_suffix(".pid")
        with parts_frozen_then_killed(earlier):
            recorded = json.loads(pid_file.read_text())
        # As if every pid it recorded had since been given to another process.
        recorded["supervisor"]["pid"] = stranger.pid
        for part in recorded["parts"].values():
            part["pid"] = stranger.pid
        pid_file.write_text(json.dumps(recorded))

        later = start_stack(ports=earlier.ports, state_file=earlier.state_file)
        try:
            later.wait_until_ready()
        finally:
            later.stop()

        assert stranger.poll() is None
    finally:
        stranger.kill()
        stranger.wait()


def test_a_second_start_of_a_running_stack_is_refused_and_the_first_keeps_running() -> None:
    first = start_stack()
    first.wait_until_ready()
    try:
        second = start_stack(state_file=first.state_file)
        try:
            exit_code = second.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            second.stop()
            pytest.fail("a second stack started beside the first, on the same state file")

        assert exit_code == 1
        (said,) = [line for line in second.output if "already running" in line]
        assert said == (
            f"[stack] a local stack with the state file {first.state_file} is already running "
            f"(pid {first.process.pid}): stop it first (Ctrl-C in its terminal, or kill "
            f"{first.process.pid})"
        )
        assert "Traceback" not in "\n".join(second.output)
        assert json.loads(first.state_file.read_text())["apiUrl"] == first.api_url
        assert listening(first.ports["http"])
    finally:
        first.stop()


def test_no_secret_of_the_stack_is_on_a_command_line(local_stack: LocalStack) -> None:
    (stack,) = local_stack.client("cloudformation").describe_stacks(StackName="orders-local")[
        "Stacks"
    ]
    secrets = [user["password"] for user in local_stack.state["demoUsers"]]
    secrets.append(stack["StackId"])  # the cursor key

    processes = [local_stack.process.pid, *descendants(local_stack.process.pid)]
    command_lines = [command_line(pid) or "" for pid in processes]

    assert len(command_lines) >= 4
    assert [secret for secret in secrets if any(secret in line for line in command_lines)] == []
