"""The make commands follow the stack `make run` started, wherever its ports are, and a restart
packages the local stage again only when something packaging reads has changed."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.e2e.accounts import clean_environment, make
from tests.e2e.conftest import ROOT, LocalStack


def test_make_redrive_of_the_local_stage_reaches_the_emulator_on_its_own_port(
    local_stack: LocalStack,
) -> None:
    sqs = local_stack.client("sqs")
    dead_letters = sqs.get_queue_url(QueueName="orders-local-completed-dlq")["QueueUrl"]
    sqs.send_message(QueueUrl=dead_letters, MessageBody="a record that failed five times")
    environment = clean_environment() | {"LOCAL_STACK_FILE": str(local_stack.state_file)}

    counted = make("redrive", "STAGE=local", "QUEUE=completed", environment=environment)
    moved = make("redrive", "STAGE=local", "QUEUE=completed", "APPLY=1", environment=environment)

    assert counted.returncode == 0, counted.stdout + counted.stderr
    assert counted.stdout == "completed  1 message(s) in the DLQ (dry run: nothing moved)\n"
    assert moved.returncode == 0, moved.stdout + moved.stderr
    assert moved.stdout == "completed  moved 1 of 1 message(s) back to completed\n"


def test_make_redrive_of_the_local_stage_without_a_stack_says_to_start_one(
    tmp_path: Path,
) -> None:
    environment = clean_environment() | {"LOCAL_STACK_FILE": f"{tmp_path}/.local-stack.json"}

    result = make("redrive", "STAGE=local", environment=environment)

    assert result.returncode != 0
    assert result.stdout == ""
    assert result.stderr.splitlines()[0] == (
        "redrive failed: no local stack (.local-stack.json is missing): "
        "start the stack with `make run` first"
    )
    assert "Traceback" not in result.stderr


def up_to_date(*changed: str) -> bool:
    """Whether `make package-local` would do nothing, had the files ``changed`` just changed."""
    pretend = [option for path in changed for option in ("--what-if", path)]
    question = subprocess.run(
        ["make", "--question", *pretend, "package-local"],
        cwd=ROOT,
        env=clean_environment(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert question.returncode in (0, 1), question.stderr
    return question.returncode == 0


def test_a_restart_packages_the_local_stage_again_only_when_something_it_reads_changed() -> None:
    packaged = make("package-local", environment=clean_environment())
    assert packaged.returncode == 0, packaged.stdout + packaged.stderr

    assert up_to_date()
    for read_by_packaging in (
        "serverless.yml",
        ".serverless_plugins/bytecode.js",
        "ops/dashboard.js",
        "requirements.txt",
        "handler.py",
        "orders/domain/model.py",
    ):
        assert not up_to_date(read_by_packaging), read_by_packaging
    assert up_to_date("README.md")
