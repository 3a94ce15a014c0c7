"""`python -m bench [--quick]`: every benchmark, a table, bench/results.json and the plots."""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import moto_server, packaged, quiet_service_logs
from offline.provision import ROOT


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="the CI smoke run: fewer runs, fewer orders, no 10,000-order table; "
        "writes to .bench/ so the committed results stay as they are",
    )
    args = parser.parse_args(argv)
    quick = args.quick
    results_path = ROOT / (".bench/results.json" if quick else "bench/results.json")
    images = ROOT / (".bench" if quick else "images")

    # Heavy imports after parsing, so --help is instant; moto only once the stubs have run.
    from bench import burst, calls, cold_start, list_cost, package, report, throughput, warm

    quiet_service_logs()
    stage, template = packaged()
    began = time.perf_counter()
    results: dict[str, Any] = {
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "quick": quick,
        "machine": _machine(),
        "template_stage": stage,
    }
    _step("package")
    results["package"] = package.measure()
    _step("warm overhead (AWS stubbed)")
    results["warm"] = warm.measure(iterations=20 if quick else 50, repeats=7 if quick else 25)
    _step("cold start (fresh processes against moto server)")
    with moto_server(template) as server:
        results["cold_start"] = cold_start.measure(server, runs=5 if quick else 15)
    _step("AWS calls per operation")
    results["calls"] = calls.measure(template)
    _step("list cost as the table grows")
    sizes = [100, 1_000] if quick else [100, 1_000, 10_000]
    results["list_cost"] = list_cost.measure(template, sizes)
    _step("local stack end to end")
    results["throughput"] = throughput.measure(
        orders=40 if quick else 200, concurrency=4 if quick else 8
    )
    _step("a burst on busy cores, then 20 sequential requests")
    results["burst"] = burst.measure(posts=40, threads=16, after=10) if quick else burst.measure()
    results["machine"]["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    results["duration_s"] = round(time.perf_counter() - began, 1)

    report.write_json(results, results_path)
    plots = report.plot(results, images)
    print()
    print(report.table(results))
    print()
    print(f"wrote {results_path.relative_to(ROOT)} and {', '.join(_relative(p) for p in plots)}")
    print(f"took {results['duration_s']} s")
    return 0


def _machine() -> dict[str, Any]:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()

    return {
        "commit": git("rev-parse", "--short", "HEAD"),
        "code_uncommitted": bool(
            git("status", "--porcelain", "handler.py", "processors.py", "orders")
        ),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average_start": [round(x, 2) for x in os.getloadavg()],
    }


def _step(name: str) -> None:
    print(f"[bench] {name}", file=sys.stderr, flush=True)


def _relative(path: Path) -> str:
    return str(path.relative_to(ROOT))


if __name__ == "__main__":
    sys.exit(main())
