"""Where a stage's API and staff user pool are: the local stack's state file, or a stack's outputs.

`make run` writes ``.local-stack.json`` at the repository root when it is ready (and removes it
when it stops): the API's and the emulator's URLs, the region, the pool and client ids and the
demo users' passwords of that run. A deployed stage ``<stage>`` is the CloudFormation stack
``orders-<stage>``; its outputs name the API endpoint, the pool and its client.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

LOCAL = "local"
ROOT = Path(__file__).resolve().parents[1]
START_THE_STACK = "start the stack with `make run` first"


class StageNotFound(Exception):
    """The stage cannot be found or read; the message says what to do, in one line."""


@dataclass(frozen=True)
class DemoUser:
    """One account `make run` created, with the password it chose for this run."""

    email: str
    group: str
    name: str
    password: str


@dataclass(frozen=True)
class Stage:
    """One stage's API and staff user pool, and how to reach them."""

    name: str
    region: str
    api_url: str
    user_pool_id: str
    client_id: str
    emulator_url: str | None = None
    demo_users: tuple[DemoUser, ...] = ()

    @property
    def local(self) -> bool:
        return self.emulator_url is not None

    def client(self, service: str) -> Any:
        """A boto3 client of ``service`` for this stage: the emulator's, or the shell's AWS."""
        if self.emulator_url is None:
            return boto3.client(service, region_name=self.region)
        return boto3.client(
            service,
            region_name=self.region,
            endpoint_url=self.emulator_url,
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )

    def demo_user(self, *, email: str | None = None, group: str | None = None) -> DemoUser | None:
        """The demo account with this email or in this group, if `make run` made one."""
        for user in self.demo_users:
            if (email is None or user.email == email) and (group is None or user.group == group):
                return user
        return None


def state_file() -> Path:
    """The local stack's state file; ``LOCAL_STACK_FILE`` names another (a test's own stack)."""
    return Path(os.environ.get("LOCAL_STACK_FILE") or ROOT / ".local-stack.json")


def find(name: str, region: str | None = None) -> Stage:
    """The stage called ``name``: ``local`` is the running `make run`, any other a deployed one."""
    if name == LOCAL:
        return read_local(state_file())
    return read_deployed(name, region)


def read_local(path: Path) -> Stage:
    """The stack `make run` started, from the state file it wrote."""
    try:
        state = json.loads(path.read_text())
    except FileNotFoundError:
        raise StageNotFound(f"no local stack ({path.name} is missing): {START_THE_STACK}") from None
    except (OSError, ValueError) as error:
        raise StageNotFound(f"cannot read {path}: {error}; restart `make run`") from error
    try:
        return Stage(
            name=LOCAL,
            region=state["region"],
            api_url=state["apiUrl"].rstrip("/"),
            user_pool_id=state["userPoolId"],
            client_id=state["userPoolClientId"],
            emulator_url=state["emulatorUrl"].rstrip("/"),
            demo_users=tuple(
                DemoUser(user["email"], user["group"], user.get("name", ""), user["password"])
                for user in state.get("demoUsers", [])
            ),
        )
    except (KeyError, TypeError, AttributeError) as error:
        raise StageNotFound(
            f"{path} is not a local stack's state file (no {error}): restart `make run`"
        ) from error


def read_deployed(name: str, region: str | None = None) -> Stage:
    """Stage ``name`` from the outputs of stack ``orders-<name>``, with the shell's credentials."""
    region = region or _shell_region()
    stack_name = f"orders-{name}"
    try:
        stacks = boto3.client("cloudformation", region_name=region).describe_stacks(
            StackName=stack_name
        )["Stacks"]
    except NoCredentialsError:
        raise StageNotFound(
            "no AWS credentials in this shell: sign in first (AWS_PROFILE, `aws sso login`)"
        ) from None
    except ClientError as error:
        if error.response["Error"]["Code"] == "ValidationError":
            raise StageNotFound(
                f"no stack {stack_name} in {region}: deploy it (`make deploy STAGE={name}`) "
                "or give its region (REGION=...)"
            ) from None
        raise StageNotFound(f"cannot read stack {stack_name}: {_reason(error)}") from error
    except BotoCoreError as error:
        raise StageNotFound(f"cannot read stack {stack_name}: {error}") from error
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}
    wanted = ("ServiceEndpoint", "StaffUserPoolId", "StaffUserPoolClientId")
    if missing := [key for key in wanted if key not in outputs]:
        raise StageNotFound(
            f"stack {stack_name} has no output {', '.join(missing)}: "
            "deploy this version first (`make deploy`)"
        )
    return Stage(
        name=name,
        region=region,
        api_url=outputs["ServiceEndpoint"].rstrip("/"),
        user_pool_id=outputs["StaffUserPoolId"],
        client_id=outputs["StaffUserPoolClientId"],
    )


def _shell_region() -> str:
    region = boto3.session.Session().region_name or os.environ.get("AWS_REGION")
    if not region:
        raise StageNotFound("no AWS region: give REGION=... or set AWS_REGION")
    return str(region)


def _reason(error: ClientError) -> str:
    details = error.response.get("Error", {})
    return f"{details.get('Code', 'error')}: {details.get('Message', '')}".rstrip(": ")
