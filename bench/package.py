"""The deployment package: its size and what it depends on at run time."""

from __future__ import annotations

import ast
import sys
import zipfile
from typing import Any

from bench.common import package_zip
from offline.provision import ROOT

TARGET_BYTES = 1024 * 1024
# Top-level entries that are not dependencies: our bytecode, and serverless-python-requirements'
# record of what it installed.
_NOT_DEPENDENCIES = {"__pycache__", "requirements.txt", ".completed_requirements"}


def measure() -> dict[str, Any]:
    """Size of the zip `sls deploy` uploads, its files, and the modules its code imports."""
    path = package_zip()
    with zipfile.ZipFile(path) as archive:
        entries = [entry for entry in archive.infolist() if not entry.is_dir()]
        sources = {
            entry.filename: archive.read(entry).decode()
            for entry in entries
            if entry.filename.endswith(".py")
        }
    tops = {entry.filename.split("/")[0] for entry in entries} - _NOT_DEPENDENCIES
    # What pip installed: each distribution leaves a "<name>-<version>.dist-info" folder.
    bundled = sorted(
        top.removesuffix(".dist-info").replace("-", " ", 1)
        for top in tops
        if top.endswith(".dist-info")
    )
    own = {top.removesuffix(".py") for top in tops if not top.endswith(".dist-info")}
    imported = {root for source in sources.values() for root in _imported_roots(source)}
    third_party = sorted(imported - own - set(sys.stdlib_module_names))
    size = path.stat().st_size
    return {
        "zip": str(path.relative_to(ROOT)),
        "zip_bytes": size,
        "uncompressed_bytes": sum(entry.file_size for entry in entries),
        "files": len(entries),
        "bytecode_files": sum(entry.filename.endswith(".pyc") for entry in entries),
        "bundled_dependencies": bundled,
        "imports_outside_stdlib": third_party,
        "requirements_txt": _requirements(),
        "target_bytes": TARGET_BYTES,
        "met": size < TARGET_BYTES,
    }


def _imported_roots(source: str) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def _requirements() -> list[str]:
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]
