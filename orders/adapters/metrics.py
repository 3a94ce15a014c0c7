"""Business metrics in CloudWatch's Embedded Metric Format: one JSON object per line on stdout.

Lambda's JSON log format wraps ``logging`` records, not ``print``, so an EMF object written to
stdout as one line reaches CloudWatch Logs as it is, and CloudWatch extracts its metrics: no
SDK, no AWS call, nothing on the request's path but a ``write``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TextIO

from orders.json_text import compact_json_any
from orders.usecases.ports import Metric

# The EMF specification: at most 100 metrics per object and 100 values per metric.
MAX_METRICS = 100
MAX_VALUES = 100


class EmfMetrics:
    """Writes metrics as EMF objects to stdout (or ``stream``), in one namespace per stage."""

    def __init__(
        self,
        namespace: str,
        stream: Callable[[], TextIO] = lambda: sys.stdout,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._namespace = namespace
        self._stream = stream
        self._clock = clock

    def emit(self, metrics: Sequence[Metric], properties: Mapping[str, Any]) -> None:
        """Write ``metrics``, one object per dimension set, with ``properties`` on each."""
        groups: dict[tuple[tuple[tuple[str, str], ...], bool], list[Metric]] = {}
        for metric in metrics:
            dimensions = tuple(sorted(metric.dimensions.items())) if metric.dimensions else ()
            groups.setdefault((dimensions, metric.rollup), []).append(metric)
        if not groups:
            return
        shared = {name: value for name, value in properties.items() if value is not None}
        timestamp = int(self._clock() * 1000)
        stream = self._stream()
        stream.write(
            "".join(
                self._record(dict(dimensions), rollup, chunk, shared, timestamp)
                for (dimensions, rollup), group in groups.items()
                for chunk in _chunks(group)
            )
        )
        stream.flush()

    def _record(
        self,
        dimensions: dict[str, str],
        rollup: bool,
        metrics: Sequence[Metric],
        properties: dict[str, Any],
        timestamp: int,
    ) -> str:
        samples: dict[str, list[float]] = {}
        units: dict[str, str] = {}
        for metric in metrics:
            samples.setdefault(metric.name, []).append(metric.value)
            units[metric.name] = metric.unit
        dimension_sets = [sorted(dimensions)]
        if rollup and dimensions:
            dimension_sets.append([])
        record: dict[str, Any] = properties | dimensions
        for name, values in samples.items():
            record[name] = values[0] if len(values) == 1 else values
        record["_aws"] = {
            "Timestamp": timestamp,
            "CloudWatchMetrics": [
                {
                    "Namespace": self._namespace,
                    "Dimensions": dimension_sets,
                    "Metrics": [{"Name": name, "Unit": units[name]} for name in samples],
                }
            ],
        }
        return compact_json_any(record) + "\n"


def _chunks(metrics: list[Metric]) -> list[list[Metric]]:
    """Split so that no object has more than MAX_METRICS names or MAX_VALUES values per name."""
    if len(metrics) <= min(MAX_METRICS, MAX_VALUES):  # the usual few: they fit in one
        return [metrics]
    chunks: list[list[Metric]] = [[]]
    names: set[str] = set()
    counts: dict[str, int] = {}
    for metric in metrics:
        fresh = metric.name not in names
        if (fresh and len(names) == MAX_METRICS) or counts.get(metric.name, 0) == MAX_VALUES:
            chunks.append([])
            names, counts = set(), {}
        chunks[-1].append(metric)
        names.add(metric.name)
        counts[metric.name] = counts.get(metric.name, 0) + 1
    return [chunk for chunk in chunks if chunk]
