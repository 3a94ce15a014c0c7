"""`make smoke` against the local stack, as a smoke user made the way docs/deploy.md says."""

from __future__ import annotations

import json
import re
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.accounts import clean_environment, create_account, make, write_state_file
from tests.e2e.conftest import LocalStack

SMOKE_EMAIL = "smoke@taller.example"
SMOKE_NAME = "Smoke test"
SMOKE_PASSWORD = "Humo-de-prueba-2026"


@dataclass(frozen=True)
class SmokeStage:
    """The environment that points make at the test's stack, with its smoke user made."""

    environment: dict[str, str]

    def smoke(self, **secrets: str) -> tuple[int, str, str]:
        done = make("smoke", environment=self.environment | secrets)
        return done.returncode, done.stdout, done.stderr


@pytest.fixture(scope="module")
def stage(local_stack: LocalStack, tmp_path_factory: pytest.TempPathFactory) -> SmokeStage:
    environment = write_state_file(
        local_stack, tmp_path_factory.mktemp("smoke") / ".local-stack.json"
    )
    create_account(environment, SMOKE_EMAIL, "frontdesk", SMOKE_NAME, SMOKE_PASSWORD)
    return SmokeStage(environment)


def test_make_smoke_passes_and_leaves_only_a_canceled_smoke_order(
    stage: SmokeStage, local_stack: LocalStack
) -> None:
    code, out, err = stage.smoke(SMOKE_EMAIL=SMOKE_EMAIL, SMOKE_PASSWORD=SMOKE_PASSWORD)

    assert code == 0, out + err
    assert "smoke: ok  signed in as smoke@taller.example" in out
    assert "smoke: ok  401 without a token" in out
    assert "smoke: passed" in out
    assert SMOKE_PASSWORD not in out + err  # the password is not echoed
    match = re.search(r"left canceled order ([0-9a-f-]{36})", out)
    assert match, out
    request = urllib.request.Request(
        f"{local_stack.api_url}/orders/{match[1]}",
        headers={"Authorization": local_stack.token("frontdesk")},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        left = json.load(answer)
    assert left["status"] == "canceled"
    assert left["device"]["type"] == "smoke-test"
    assert {"received", "canceled"} <= set(left["processing"])
    assert left["createdBy"]["name"] == SMOKE_NAME
    assert [entry["actor"]["name"] for entry in left["history"]] == [SMOKE_NAME, SMOKE_NAME]


def test_make_smoke_fails_with_a_clear_message_on_a_wrong_password(stage: SmokeStage) -> None:
    code, out, err = stage.smoke(SMOKE_EMAIL=SMOKE_EMAIL, SMOKE_PASSWORD="Not-the-password-1")

    assert code != 0  # make answers 2 for any failed recipe; the command itself exits 1
    assert err.splitlines()[0] == (
        "smoke: FAILED: smoke@taller.example cannot sign in: Incorrect username or password"
    )
    assert "Traceback" not in err
    assert "smoke: ok" not in out


def test_make_smoke_without_a_running_stack_says_to_start_one(tmp_path: Path) -> None:
    environment = {"LOCAL_STACK_FILE": str(tmp_path / ".local-stack.json")}
    done = make("smoke", environment=clean_environment() | environment)

    assert done.returncode != 0
    assert done.stderr.splitlines()[0] == (
        "smoke: FAILED: no local stack (.local-stack.json is missing): start the stack with "
        "`make run` first"
    )


def test_make_smoke_of_a_deployed_stage_without_the_smoke_user_says_what_to_give() -> None:
    done = make("smoke", "STAGE=prod", environment=clean_environment())

    assert done.returncode != 0
    assert done.stderr.splitlines()[0].startswith(
        "smoke: give the smoke user's email and password in the environment: export SMOKE_EMAIL "
        "and SMOKE_PASSWORD, then make smoke STAGE=prod"
    )
    assert "Traceback" not in done.stderr
