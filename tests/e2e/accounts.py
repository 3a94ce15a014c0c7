"""Staff accounts on a running local stack, made the way an operator makes them: with make.

A test's stack runs on its own ports, so the tools find it through a state file of the test's
own (``LOCAL_STACK_FILE``), in the format `make run` writes to ``.local-stack.json``. The pool
and client ids come from an ID token the stack issued (its ``iss`` ends with the pool id, its
``aud`` is the client id).
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tests.e2e.conftest import ROOT, LocalStack

# What picks an account, a password, a stage or an AWS account: none of it may come from the
# developer's shell.
_CHOSEN_BY_THE_TEST = (
    "EMAIL", "GROUP", "NAME", "STAGE", "REGION", "PASSWORD", "NEW_PASSWORD", "INVITE",
    "SMOKE_EMAIL", "SMOKE_PASSWORD", "LOCAL_STACK_FILE",
)  # fmt: skip


def clean_environment() -> dict[str, str]:
    """This process's environment without anything that would choose for the commands."""
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("AWS_") and name not in _CHOSEN_BY_THE_TEST
    }


def claims(token: str) -> dict[str, Any]:
    """A JWT's payload, unverified (the local gateway's own tests verify signatures)."""
    payload = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return decoded


def write_state_file(
    local_stack: LocalStack, path: Path, demo_users: list[dict[str, str]] | None = None
) -> dict[str, str]:
    """A state file for ``local_stack`` at ``path``; the environment that points the tools at it."""
    issued = claims(local_stack.token("admin"))
    state = {
        "apiUrl": local_stack.api_url,
        "emulatorUrl": local_stack.emulator_url,
        "region": (urlsplit(issued["iss"]).hostname or "").split(".")[1],
        "userPoolId": issued["iss"].rsplit("/", 1)[1],
        "userPoolClientId": issued["aud"],
        "demoUsers": demo_users or [],
    }
    path.write_text(json.dumps(state))
    return clean_environment() | {"LOCAL_STACK_FILE": str(path)}


def make(
    target: str, *variables: str, environment: dict[str, str], timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    """``make <target> <variables>`` from the repository root, its output captured."""
    return subprocess.run(
        ["make", "--no-print-directory", "-s", target, *variables],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def create_account(
    environment: dict[str, str], email: str, group: str, name: str, password: str
) -> None:
    """`make staff-add`, then the first `make token`, which replaces the temporary password."""
    added = make(
        "staff-add", f"EMAIL={email}", f"GROUP={group}", f"NAME={name}", environment=environment
    )
    assert added.returncode == 0, added.stdout + added.stderr
    temporary = re.search(r"^Temporary password \(shown once\): (\S+)$", added.stdout, re.M)
    assert temporary, added.stdout
    first = make(
        "token",
        f"EMAIL={email}",
        environment=environment | {"PASSWORD": temporary[1], "NEW_PASSWORD": password},
    )
    assert first.returncode == 0, first.stderr
    assert claims(first.stdout.strip())["email"] == email
