"""`sls package` in a throwaway copy of the service, with no AWS credentials, like `make package`.

Packaging clears the service's own .serverless/ folder whatever --package says, so anything that
packages a variant (another stage, another requirements.txt) does it in a copy.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from offline.provision import ROOT

_CREDENTIALS = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"}


def copy_service(folder: Path) -> Path:
    """A copy of the service's sources under ``folder`` (sharing node_modules); its path."""
    service = folder / "service"
    shutil.copytree(
        ROOT,
        service,
        ignore=shutil.ignore_patterns(
            ".git",
            ".venv*",
            "node_modules",
            ".serverless",
            ".serverless-*",
            "*_cache",
            "__pycache__",
            ".hypothesis",
            ".bench",
        ),
    )
    (service / "node_modules").symlink_to(ROOT / "node_modules")
    return service


def package(service: Path, arguments: Sequence[str]) -> Path:
    """Run `sls package` in ``service`` with ``arguments``; the folder it wrote."""
    environment = {name: value for name, value in os.environ.items() if name not in _CREDENTIALS}
    # The interpreter running the tests is the Makefile's 3.12 (its .venv) unless told otherwise.
    environment.setdefault("ORDERS_PYTHON", sys.executable)
    packaged = subprocess.run(
        ["node_modules/.bin/sls", "package", *arguments],
        cwd=service,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert packaged.returncode == 0, packaged.stdout + packaged.stderr
    return service / ".serverless"
