"""The README tells the truth: its commands, modules, routes, files and picture exist as it says.

No network and no AWS: these read README.md, the Makefile, openapi.yaml, serverless.yml and the
packaged template (`make package`), and import the drawing script without drawing.
"""

from __future__ import annotations

import importlib.util
import re
from fnmatch import fnmatch
from functools import cache
from typing import Any

import pytest
import yaml

from images.architecture import OUTPUT, function_name, picture
from offline.provision import ROOT, load_template
from offline.pump import subscriptions

README = (ROOT / "README.md").read_text()
FENCED = re.compile(r"^```[^\n]*\n(.*?)^```", re.DOTALL | re.MULTILINE)
METHODS = "GET|POST|PUT|PATCH|DELETE"


class _ServerlessLoader(yaml.SafeLoader):  # type: ignore[misc]
    """Reads serverless.yml; CloudFormation tags (``!Ref X``) are read as None."""


_ServerlessLoader.add_multi_constructor("!", lambda loader, suffix, node: None)


@cache
def serverless() -> dict[str, Any]:
    service: dict[str, Any] = yaml.load(
        (ROOT / "serverless.yml").read_text(), Loader=_ServerlessLoader
    )
    return service


def code_in_readme() -> list[str]:
    """Every fenced block and every inline code span of the README."""
    blocks = FENCED.findall(README)
    prose = FENCED.sub("", README)
    return blocks + re.findall(r"`([^`\n]+)`", prose)


def commands_in_readme() -> list[str]:
    """Every command line of the README's code, continuation lines joined."""
    return [
        line.strip()
        for code in code_in_readme()
        for line in re.sub(r"\\\n\s*", " ", code).splitlines()
        if line.strip()
    ]


def make_targets() -> set[str]:
    makefile = (ROOT / "Makefile").read_text()
    return set(re.findall(r"^([A-Za-z][\w-]*)\s*:(?!=)", makefile, re.MULTILINE))


def declared_routes() -> set[tuple[str, str]]:
    """``(METHOD, /path)`` of every http event in serverless.yml."""
    return {
        (event["http"]["method"].upper(), event["http"]["path"])
        for function in serverless()["functions"].values()
        for event in function.get("events", [])
        if "http" in event
    }


def documented_routes() -> set[tuple[str, str]]:
    """``(METHOD, /path)`` of every operation in openapi.yaml."""
    paths = yaml.safe_load((ROOT / "openapi.yaml").read_text())["paths"]
    return {
        (method.upper(), path)
        for path, operations in paths.items()
        for method in operations
        if method.upper() in METHODS.split("|")
    }


def matches(route: tuple[str, str], shown: tuple[str, str]) -> bool:
    """Whether a route shown in the README (``/orders/9f0c…``, ``/orders/{id}``) is ``route``."""
    method, path = route
    pattern = "".join(
        "[^/]+" if part.startswith("{") else re.escape(part)
        for part in re.split(r"(\{[^}]+\})", path)
    )
    return shown[0] == method and re.fullmatch(pattern, shown[1]) is not None


def routes_named_in_readme() -> set[tuple[str, str]]:
    """Every ``METHOD /path`` the README names, in headings, tables, prose and diagrams."""
    found = re.findall(rf"\b({METHODS}) (/[\w/{{}}.-]*)", README)
    return {(method, path) for method, path in found}


def routes_curled_in_readme() -> set[tuple[str, str]]:
    """``(METHOD, /path)`` of every curl command of the README."""
    found = set()
    for line in commands_in_readme():
        start = line.find("curl ")
        if start < 0:
            continue
        command = line[start:]
        method = re.search(r"-X\s+(\w+)", command)
        sends_body = re.search(r"\s(-d|--data\S*)\s", command)
        url = re.search(r"(?:\$API|https?://[^/\s\"']+)(/[^\s\"'?]*)", command)
        assert url, f"a curl command without a URL: {command}"
        verb = method[1] if method else ("POST" if sends_body else "GET")
        found.add((verb, url[1]))
    return found


def test_every_make_target_the_readme_shows_exists() -> None:
    shown = set()
    for command in commands_in_readme():
        words = command.split()
        for index, word in enumerate(words):
            if word != "make":
                continue
            for target in words[index + 1 :]:
                if not re.fullmatch(r"[a-z][a-z0-9-]*", target):
                    break
                shown.add(target)
    assert {"run", "test", "images", "redrive"} <= shown
    assert shown <= make_targets(), f"not in the Makefile: {sorted(shown - make_targets())}"


def test_every_python_module_the_readme_runs_exists() -> None:
    modules = set(re.findall(r"python3? -m ([A-Za-z_][\w.]*)", README))
    assert "offline" in modules
    missing = [module for module in sorted(modules) if importlib.util.find_spec(module) is None]
    assert not missing, f"modules the README runs that do not exist: {missing}"


def test_every_route_the_readme_shows_is_documented_and_deployed() -> None:
    shown = routes_named_in_readme() | routes_curled_in_readme()
    for route in sorted(shown):
        assert any(matches(known, route) for known in documented_routes()), (
            f"{route} is not in openapi.yaml"
        )
        assert any(matches(known, route) for known in declared_routes()), (
            f"{route} is not an http event in serverless.yml"
        )


def test_every_route_has_a_curl_example_in_the_readme() -> None:
    curled = routes_curled_in_readme()
    for route in sorted(declared_routes()):
        assert any(matches(route, shown) for shown in curled), f"no curl example for {route}"


def test_the_readme_links_the_api_reference() -> None:
    assert "](openapi.yaml)" in README


def test_the_picture_shows_every_function_queue_table_index_and_topic() -> None:
    shown = picture(load_template())
    resources = serverless()["resources"]["Resources"]

    def declared(kind: str) -> set[str]:
        return {logical_id for logical_id, r in resources.items() if r["Type"] == kind}

    tables = {t: resources[t]["Properties"] for t in declared("AWS::DynamoDB::Table")}
    indexes = {
        f"{table_id}/index/{index['IndexName']}"
        for table_id, table in tables.items()
        for index in table.get("GlobalSecondaryIndexes", [])
    }
    assert shown.keys("function") == set(serverless()["functions"])
    assert shown.keys("queue", "dlq") == declared("AWS::SQS::Queue")
    assert shown.keys("table") == set(tables)
    assert shown.keys("index") == indexes
    assert shown.keys("topic") == declared("AWS::SNS::Topic")
    packaged = load_template()["Resources"]
    assert shown.keys("function") == {
        function_name(logical_id)
        for logical_id, r in packaged.items()
        if r["Type"] == "AWS::Lambda::Function"
    }
    assert shown.keys("queue", "dlq") == {
        logical_id for logical_id, r in packaged.items() if r["Type"] == "AWS::SQS::Queue"
    }


def test_the_picture_draws_each_processor_beside_its_queue() -> None:
    shown = picture(load_template())
    cluster = {node.key: node.cluster for node in shown.nodes}
    edges = {(edge.source, edge.target) for edge in shown.edges}
    for subscription in subscriptions():
        queue, function = subscription.queue_logical_id, subscription.function
        assert cluster[queue] == cluster[function]
        assert (queue, function) in edges


def test_the_picture_is_committed_as_a_png() -> None:
    assert OUTPUT.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"]({OUTPUT.relative_to(ROOT)})" in README


@pytest.mark.parametrize(
    "path",
    re.findall(
        r"^\| `([^`]+)` \|", README.split("## File layout", 1)[1].split("\n## ", 1)[0], re.M
    ),
)
def test_every_path_in_the_file_layout_exists(path: str) -> None:
    assert (ROOT / path).exists()


def test_the_file_layout_lists_every_top_level_file_and_folder() -> None:
    layout = README.split("## File layout", 1)[1].split("\n## ", 1)[0]
    listed = {path.split("/")[0] for path in re.findall(r"^\| `([^`]+)` \|", layout, re.M)}
    ignored = [line.strip().rstrip("/") for line in (ROOT / ".gitignore").read_text().splitlines()]
    present = {
        entry.name
        for entry in ROOT.iterdir()
        if entry.name != ".git" and not any(fnmatch(entry.name, pattern) for pattern in ignored)
    }
    assert present - listed == set(), "add these to the README's file layout"
