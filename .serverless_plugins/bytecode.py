"""Adds hash-based bytecode for every Python module of a Lambda zip, compiled by the runtime's.

Lambda's /var/task is read-only, so a module without bytecode is compiled again at every cold
start. osls writes every zip entry with one fixed date, so timestamp-based .pyc files would be
stale on arrival: these are unchecked-hash ones (what `compileall --invalidation-mode
unchecked-hash` writes), which Python loads without looking at the source's date.
"""

from __future__ import annotations

import argparse
import importlib.util
import py_compile
import sys
import tempfile
import zipfile
from pathlib import Path

# The date osls gives every entry: added entries keep the zip reproducible (same code, same hash,
# so `sls deploy` can skip an unchanged function).
ENTRY_DATE = (1980, 1, 1, 0, 0, 0)
OURS = ("handler.py", "processors.py", "orders/")


def main() -> None:
    """Compile every module of each zip given and add the bytecode to it."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runtime", required=True, help="the functions' runtime, e.g. python3.12")
    parser.add_argument("zips", nargs="+", type=Path)
    args = parser.parse_args()
    running = f"python{sys.version_info.major}.{sys.version_info.minor}"
    if running != args.runtime:
        sys.exit(
            f"bytecode: {sys.executable} is {running}, but the functions run {args.runtime}, "
            f"whose bytecode differs: point ORDERS_PYTHON at a {args.runtime} interpreter "
            '(make finds one: see docs/getting-started.md, "What you need")'
        )
    for path in args.zips:
        added = add_bytecode(path)
        print(f"bytecode: {added} modules compiled for {running} into {path.name}")


def add_bytecode(path: Path) -> int:
    """Rewrite the zip at ``path`` with an unchecked-hash .pyc beside every .py; their count."""
    with zipfile.ZipFile(path) as archive:
        entries = [(info, archive.read(info)) for info in archive.infolist()]
    sources = {
        info.filename: (info, data) for info, data in entries if info.filename.endswith(".py")
    }
    compiled: dict[str, tuple[zipfile.ZipInfo, bytes]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for name, (info, data) in sources.items():
            source = Path(scratch, name)
            source.parent.mkdir(parents=True, exist_ok=True)
            source.write_bytes(data)
            target = Path(importlib.util.cache_from_source(str(source)))
            try:
                py_compile.compile(
                    str(source),
                    cfile=str(target),
                    dfile=name,
                    doraise=True,
                    invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
                )
            except py_compile.PyCompileError as error:
                if name.startswith(OURS):
                    sys.exit(f"bytecode: {name} does not compile: {error.msg}")
                # A dependency may carry files never imported on this Python (py2-only leftovers).
                continue
            pyc = Path(importlib.util.cache_from_source(name)).as_posix()
            entry = zipfile.ZipInfo(pyc, date_time=ENTRY_DATE)
            entry.external_attr = info.external_attr
            entry.compress_type = zipfile.ZIP_DEFLATED
            compiled[pyc] = (entry, target.read_bytes())
    # Bytecode a dependency brought (timestamp-based, so stale in the zip) gives way to ours.
    kept = [(info, data) for info, data in entries if info.filename not in compiled]
    rewritten = path.with_suffix(".zip.tmp")
    with zipfile.ZipFile(rewritten, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in sorted([*kept, *compiled.values()], key=lambda pair: pair[0].filename):
            archive.writestr(info, data)
    rewritten.replace(path)
    return len(compiled)


if __name__ == "__main__":
    main()
