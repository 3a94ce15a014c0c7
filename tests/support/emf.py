"""The Embedded Metric Format's rules, checked on a line as CloudWatch Logs would receive it."""

from __future__ import annotations

import json
from typing import Any

# CloudWatch's units (MetricDatum.Unit).
UNITS = frozenset(
    {"Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes",
     "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count",
     "Bytes/Second", "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second",
     "Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second", "Gigabits/Second",
     "Terabits/Second", "Count/Second", "None"}
)  # fmt: skip


def parse_emf_line(line: str) -> dict[str, Any]:
    """The EMF object on ``line``; AssertionError naming the first rule it breaks."""
    assert line.endswith("\n"), "ends its line"
    assert "\n" not in line[:-1], "one object per line"
    record: dict[str, Any] = json.loads(line)
    assert isinstance(record, dict), "an object"
    meta = record["_aws"]
    assert isinstance(meta["Timestamp"], int), "milliseconds since the epoch"
    assert meta["Timestamp"] > 1_500_000_000_000, "milliseconds, not seconds"
    directives = meta["CloudWatchMetrics"]
    assert isinstance(directives, list), "a list of metric directives"
    assert directives, "at least one metric directive"
    for directive in directives:
        assert isinstance(directive["Namespace"], str)
        assert 0 < len(directive["Namespace"]) <= 255
        for dimension_set in directive["Dimensions"]:
            assert len(dimension_set) <= 30, "at most 30 dimensions per set"
            for name in dimension_set:
                assert isinstance(record.get(name), str), f"dimension {name} is a string member"
        metrics = directive["Metrics"]
        assert 0 < len(metrics) <= 100, "1 to 100 metrics per directive"
        for metric in metrics:
            assert metric.get("Unit", "None") in UNITS, f"unit {metric.get('Unit')}"
            value = record[metric["Name"]]
            values = value if isinstance(value, list) else [value]
            assert 0 < len(values) <= 100, "at most 100 values per metric"
            assert all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
    return record


def metric_values(record: dict[str, Any]) -> dict[str, Any]:
    """The metrics of a parsed EMF object: ``{name: (value, dimensions)}``."""
    found: dict[str, Any] = {}
    for directive in record["_aws"]["CloudWatchMetrics"]:
        dims = {name: record[name] for name in (directive["Dimensions"] or [[]])[0]}
        for metric in directive["Metrics"]:
            found[metric["Name"]] = (record[metric["Name"]], dims)
    return found
