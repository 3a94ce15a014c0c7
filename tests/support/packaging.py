"""`sls package` in a throwaway copy of the service, with no AWS credentials, like `make package`.

Packaging clears the service's own .serverless/ folder whatever --package says, so anything that
packages a variant (another stage, another requirements.txt) does it in a copy.
"""

from __future__ import annotations

import csv
import importlib.metadata
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from packaging import tags

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


def runnable_here(folder: Path) -> list[str]:
    """Make an unpacked zip importable on this machine; the requirements replaced, by name.

    The zip carries the requirements built for Lambda's arm64 Python 3.12. One whose wheel tags
    this interpreter cannot run (a compiled module for another platform or Python) gets the
    same version built for this machine, from the tests' virtualenv; everything else stays
    exactly as it ships.
    """
    runnable = {str(tag) for tag in tags.sys_tags()}
    replaced = []
    for wheel in sorted(folder.glob("*.dist-info/WHEEL")):
        lines = wheel.read_text().splitlines()
        built_for = {line.removeprefix("Tag:").strip() for line in lines if line.startswith("Tag:")}
        if built_for & runnable:
            continue
        name, version = wheel.parent.name.removesuffix(".dist-info").rsplit("-", 1)
        here = importlib.metadata.distribution(name)
        if here.version != version or here.files is None:
            raise RuntimeError(f"the zip has {name} {version}; install it here (make install)")
        with (wheel.parent / "RECORD").open(newline="") as record:
            shipped = [folder / row[0] for row in csv.reader(record) if row]
        for path in shipped:
            if path.resolve().is_relative_to(folder.resolve()):
                path.unlink(missing_ok=True)
        for file in here.files:
            if ".." not in file.parts and "__pycache__" not in file.parts:
                target = folder / file
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(Path(str(here.locate_file(file))), target)
        replaced.append(name)
    return replaced
