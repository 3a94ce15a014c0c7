"""`make smoke` against the local stack: it passes on a working stage and fails on a wrong key."""

from __future__ import annotations

import json
import os
import re
import subprocess
import urllib.request

from tests.e2e.conftest import ROOT, LocalStack

# make smoke's API-key interface: it signs in as a smoke user instead once ops/smoke.py does
# (issue 21, item 7); until then the local gateway answers its requests 401.
API_KEY = "local-dev-key-0123456789"


def make_smoke(*variables: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k not in ("API_URL", "API_KEY")}
    return subprocess.run(
        ["make", "--no-print-directory", "smoke", *variables],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_make_smoke_passes_and_leaves_only_a_canceled_smoke_order(local_stack: LocalStack) -> None:
    smoke = make_smoke(f"API_URL={local_stack.api_url}", f"API_KEY={API_KEY}")

    assert smoke.returncode == 0, smoke.stdout + smoke.stderr
    assert "smoke: passed" in smoke.stdout
    assert API_KEY not in smoke.stdout + smoke.stderr  # the key is not echoed
    match = re.search(r"left canceled order ([0-9a-f-]{36})", smoke.stdout)
    assert match, smoke.stdout
    request = urllib.request.Request(
        f"{local_stack.api_url}/orders/{match[1]}", headers={"x-api-key": API_KEY}
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        left = json.load(answer)
    assert left["status"] == "canceled"
    assert left["device"]["type"] == "smoke-test"
    assert {"received", "canceled"} <= set(left["processing"])


def test_make_smoke_fails_with_a_clear_message_on_a_wrong_key(local_stack: LocalStack) -> None:
    smoke = make_smoke(f"API_URL={local_stack.api_url}", "API_KEY=not-the-key")

    assert smoke.returncode != 0
    assert "smoke: FAILED: POST /orders: expected HTTP 201, got 403" in smoke.stderr
    assert "Traceback" not in smoke.stderr


def test_make_smoke_without_a_url_says_what_to_give() -> None:
    smoke = make_smoke()

    assert smoke.returncode != 0
    assert "give the stage's URL and API key: make smoke API_URL=" in smoke.stderr
    assert "Traceback" not in smoke.stderr
