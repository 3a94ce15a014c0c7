"""The domain and the use cases run without an AWS SDK: importing them loads no boto3/botocore."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import orders.domain
import orders.usecases

ROOT = Path(__file__).resolve().parents[2]
_INNER_LAYERS = (orders.domain, orders.usecases)
MODULES = sorted(
    info.name
    for package in _INNER_LAYERS
    for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}.")
)
_LOADED_SDK = """
import importlib, json, sys
importlib.import_module(sys.argv[1])
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in ("boto3", "botocore"))))
"""


def test_the_inner_layers_have_modules_to_check() -> None:
    assert "orders.domain.model" in MODULES
    assert "orders.usecases.ports" in MODULES


@pytest.mark.parametrize("module", MODULES)
def test_importing_an_inner_module_in_a_fresh_interpreter_loads_no_aws_sdk(module: str) -> None:
    completed = subprocess.run(
        [sys.executable, "-c", _LOADED_SDK, module],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )

    assert json.loads(completed.stdout) == []


def test_the_unit_tier_imports_no_aws_sdk() -> None:
    unit_tests = sorted(
        ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for path in (ROOT / "tests" / "unit").rglob("*.py")
    )
    script = "import sys\nfor name in sys.argv[1:]:\n    __import__(name)\n" + _LOADED_SDK.replace(
        "importlib.import_module(sys.argv[1])", ""
    )
    completed = subprocess.run(
        [sys.executable, "-c", script, *unit_tests],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )

    assert json.loads(completed.stdout) == [], "move the test that needs an adapter to integration"
