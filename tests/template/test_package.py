"""The zip `make package` writes is what Lambda's Python 3.12 should run: our code, its bytecode,
the requirements, and nothing the runtime already has."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import zipfile
from pathlib import Path, PurePosixPath

import pytest
from packaging.requirements import Requirement

from offline.provision import ROOT
from tests.support.packaging import copy_service, package, runnable_here

ZIP = ROOT / ".serverless" / "orders.zip"


def pins(requirements: str) -> dict[str, str]:
    """What a requirements file pins, by name: "orjson==3.13.0  # why" gives {"orjson": "3.13.0"}.

    Each line is read as pip reads a requirement (spaces, extras, environment markers); every
    requirement must be pinned to one exact version, as requirements.txt promises.
    """
    pinned = {}
    for line in requirements.splitlines():
        # pip's comments: a # that starts the line or follows white space.
        text = re.split(r"(?:^|\s)#", line, maxsplit=1)[0].strip()
        if not text:
            continue
        requirement = Requirement(text)
        versions = [pin.version for pin in requirement.specifier if pin.operator == "=="]
        assert len(requirement.specifier) == len(versions) == 1, f"{text}: not pinned"
        pinned[requirement.name] = versions[0]
    return pinned


PINNED = pins((ROOT / "requirements.txt").read_text())
# The first 4 bytes of a Python 3.12 .pyc (importlib.util.MAGIC_NUMBER on 3.12).
PYTHON_312_MAGIC = (3531).to_bytes(2, "little") + b"\r\n"
HASH_BASED, CHECK_SOURCE = 0b01, 0b10
# Small, pure Python, with no dependencies of its own: quick for pip to fetch for the test.
EXTRA_REQUIREMENT = "iniconfig==2.3.1"


def test_requirements_are_read_as_pip_reads_them() -> None:
    requirements = (
        "# Runtime dependencies, for Lambda's Python 3.12\n"
        "orjson == 3.13.0  # spaces around the operator are fine to pip\n"
        "\n"
        'typing-extensions==4.12.2; python_version < "3.13"\n'
    )

    assert pins(requirements) == {"orjson": "3.13.0", "typing-extensions": "4.12.2"}


def our_modules(names: list[str]) -> list[str]:
    return [
        name
        for name in names
        if name.endswith(".py")
        and (name in ("handler.py", "processors.py") or name.startswith("orders/"))
    ]


def bytecode_problems(archive: zipfile.ZipFile, sources: list[str]) -> list[str]:
    """What is wrong with the .pyc each source should have beside it (nothing: an empty list)."""
    problems = []
    names = set(archive.namelist())
    for source in sources:
        path = PurePosixPath(source)
        pyc = str(path.parent / "__pycache__" / f"{path.stem}.cpython-312.pyc").removeprefix("./")
        if pyc not in names:
            problems.append(f"{source}: no {pyc}")
            continue
        header = archive.read(pyc)[:16]
        flags = int.from_bytes(header[4:8], "little")
        if header[:4] != PYTHON_312_MAGIC:
            problems.append(f"{pyc}: not Python 3.12 bytecode")
        elif flags != HASH_BASED:
            problems.append(f"{pyc}: flags {flags:#b}, not unchecked hash-based ({HASH_BASED:#b})")
        elif header[8:16] != importlib.util.source_hash(archive.read(source)):
            problems.append(f"{pyc}: compiled from another version of {source}")
    return problems


def test_every_module_of_ours_ships_hash_based_bytecode_for_3_12_matching_its_source() -> None:
    with zipfile.ZipFile(ZIP) as archive:
        sources = our_modules(archive.namelist())
        assert {"handler.py", "processors.py", "orders/bootstrap.py"} <= set(sources)
        assert bytecode_problems(archive, sources) == []


def test_the_zip_bundles_its_requirements_and_no_aws_sdk_and_no_tooling() -> None:
    with zipfile.ZipFile(ZIP) as archive:
        tops = {name.split("/", 1)[0] for name in archive.namelist()}
    shipped = tops - {"handler.py", "processors.py", "orders", "__pycache__"}
    # serverless-python-requirements adds the requirements it installed and its marker file.
    expected = {"requirements.txt", ".completed_requirements"}
    for name, version in PINNED.items():
        expected |= {name, f"{name}-{version}.dist-info"}
    assert shipped == expected


def test_the_compiled_requirements_are_built_for_lambdas_arm64_python_3_12() -> None:
    with zipfile.ZipFile(ZIP) as archive:
        wheel = archive.read(f"orjson-{PINNED['orjson']}.dist-info/WHEEL").decode()
        modules = [name for name in archive.namelist() if name.startswith("orjson/")]
    assert "Tag: cp312-cp312-manylinux2014_aarch64" in wheel.splitlines()
    assert "orjson/orjson.cpython-312-aarch64-linux-gnu.so" in modules


def test_the_shipped_bytecode_is_what_python_loads(tmp_path: Path) -> None:
    """With the sources made unreadable as text, importing every module of ours still works:
    Python uses the .pyc (some modules load only when a function first builds its wiring)."""
    with zipfile.ZipFile(ZIP) as archive:
        archive.extractall(tmp_path)
    runnable_here(tmp_path)
    sources = our_modules([p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.py")])
    for source in sources:
        # A syntax error in every source: an import that compiled the source would fail.
        (tmp_path / source).write_text("this is not python\n")
    modules = [source.removesuffix(".py").removesuffix("/__init__") for source in sources]
    names = ", ".join(sorted(module.replace("/", ".") for module in modules))
    imported = subprocess.run(
        [sys.executable, "-c", f"import {names}"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert imported.returncode == 0, imported.stderr


@pytest.fixture(scope="module")
def zip_with_a_requirement(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The dev stage packaged in a copy whose requirements.txt names one small dependency."""
    service = copy_service(tmp_path_factory.mktemp("requirement"))
    requirements = service / "requirements.txt"
    requirements.write_text(requirements.read_text() + EXTRA_REQUIREMENT + "\n")
    return package(service, ["--stage", "dev"]) / "orders.zip"


def test_a_dependency_added_to_requirements_txt_is_packaged_and_importable(
    zip_with_a_requirement: Path, tmp_path: Path
) -> None:
    with zipfile.ZipFile(zip_with_a_requirement) as archive:
        names = archive.namelist()
        assert "iniconfig/__init__.py" in names
        assert bytecode_problems(archive, our_modules(names)) == []
        archive.extractall(tmp_path)
    runnable_here(tmp_path)
    # /var/task comes first on Lambda's path: the zip's copy, not the test venv's, must load.
    code = f"import sys; sys.path.insert(0, {str(tmp_path)!r}); import handler, iniconfig"
    imported = subprocess.run(
        [sys.executable, "-I", "-c", code + "; print(iniconfig.__file__)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.strip() == str(tmp_path / "iniconfig" / "__init__.py")
