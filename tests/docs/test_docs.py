"""The README and the docs site tell the truth, each command and figure where it is shown.

Every page is read as it is: README.md and every page under docs/. Its commands, modules, routes
and files must exist; the bench's figures must be its results file's; the status graph must be
the domain's; the Spanish walkthrough must run the English one's commands; the picture must show
what serverless.yml declares. No network and no AWS: these read the pages, the Makefile,
mkdocs.yml, openapi.yaml, serverless.yml, bench/results.json and the packaged template
(`make package`), and import the drawing script without drawing.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
from fnmatch import fnmatch
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from markdown.extensions.toc import slugify

from bench.report import table
from images.architecture import OUTPUT, function_name, picture
from offline.provision import ROOT, load_template
from offline.pump import subscriptions
from orders.domain.model import INITIAL_STATUS, TRANSITIONS

DOCS = ROOT / "docs"
FENCED = re.compile(r"^```[^\n]*\n(.*?)^```", re.DOTALL | re.MULTILINE)
METHODS = "GET|POST|PUT|PATCH|DELETE"
SHELL_COMMENT = re.compile(r"\s+#\s.*$")
README_MAX_LINES = 200


def page_paths() -> list[str]:
    """The README and every page of the site, as paths from the repository's root."""
    pages = sorted(path.relative_to(ROOT).as_posix() for path in DOCS.rglob("*.md"))
    return ["README.md", *pages]


PAGES = page_paths()


@cache
def text(page: str) -> str:
    return (ROOT / page).read_text()


class _YamlWithTags(yaml.SafeLoader):  # type: ignore[misc]
    """Reads serverless.yml and mkdocs.yml; their tags (``!Ref X``, ``!!python/name:``) as None."""


_YamlWithTags.add_multi_constructor("!", lambda loader, suffix, node: None)
_YamlWithTags.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: None)


@cache
def serverless() -> dict[str, Any]:
    service: dict[str, Any] = yaml.load((ROOT / "serverless.yml").read_text(), Loader=_YamlWithTags)
    return service


@cache
def mkdocs_config() -> dict[str, Any]:
    config: dict[str, Any] = yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=_YamlWithTags)
    return config


def code_in(page: str) -> list[str]:
    """Every fenced block and every inline code span of a page."""
    blocks = FENCED.findall(text(page))
    prose = FENCED.sub("", text(page))
    return blocks + re.findall(r"`([^`\n]+)`", prose)


def commands_in(page: str) -> list[str]:
    """Every command line of a page's code, continuation lines joined."""
    return [
        line.strip()
        for code in code_in(page)
        for line in re.sub(r"\\\n\s*", " ", code).splitlines()
        if line.strip()
    ]


def shell_blocks_in(page: str) -> list[str]:
    """The commands of a page's ```bash blocks, in order, without their trailing comments."""
    blocks = re.findall(r"^```bash\n(.*?)^```", text(page), re.DOTALL | re.MULTILINE)
    return [SHELL_COMMENT.sub("", line).rstrip() for block in blocks for line in block.splitlines()]


def section(page: str, heading: str) -> str:
    """The text under ``## heading`` up to the next heading of that level."""
    return text(page).split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]


def make_targets() -> set[str]:
    makefile = (ROOT / "Makefile").read_text()
    return set(re.findall(r"^([A-Za-z][\w-]*)\s*:(?!=)", makefile, re.MULTILINE))


def make_targets_in(page: str) -> set[str]:
    """The targets of every ``make`` a page's code runs, ``$(make -s token ...)`` too."""
    shown = set()
    for command in commands_in(page):
        for after in re.findall(r"(?:^|[\s($;&|])make((?:\s+\S+)*)", command):
            for word in after.split():
                if word.startswith("-"):
                    continue  # an option of make's own, such as -s
                if not re.fullmatch(r"[a-z][a-z0-9-]*", word):
                    break
                shown.add(word)
    return shown


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
    """Whether a route shown on a page (``/orders/9f0c…``, ``/orders/{id}``) is ``route``."""
    method, path = route
    pattern = "".join(
        "[^/]+" if part.startswith("{") else re.escape(part)
        for part in re.split(r"(\{[^}]+\})", path)
    )
    return shown[0] == method and re.fullmatch(pattern, shown[1]) is not None


def routes_named_in(page: str) -> set[tuple[str, str]]:
    """Every ``METHOD /path`` a page names, in headings, tables, prose and diagrams."""
    found = re.findall(rf"\b({METHODS}) (/[\w/{{}}.-]*)", text(page))
    return {(method, path) for method, path in found}


def routes_curled_in(page: str) -> set[tuple[str, str]]:
    """``(METHOD, /path)`` of every curl command of a page."""
    found = set()
    for line in commands_in(page):
        start = line.find("curl ")
        if start < 0:
            continue
        command = line[start:]
        method = re.search(r"-X\s+(\w+)", command)
        sends_body = re.search(r"\s(-d|--data\S*)\s", command)
        url = re.search(r"(?:\$API|https?://[^/\s\"']+)(/[^\s\"'?]*)", command)
        assert url, f"{page}: a curl command without a URL: {command}"
        verb = method[1] if method else ("POST" if sends_body else "GET")
        found.add((verb, url[1]))
    return found


def nav_pages(items: list[Any]) -> list[str]:
    """The pages of mkdocs.yml's nav, in order."""
    pages: list[str] = []
    for item in items:
        value = next(iter(item.values())) if isinstance(item, dict) else item
        pages.extend(nav_pages(value) if isinstance(value, list) else [value])
    return pages


def links_in(page: str) -> list[str]:
    """The targets of a page's Markdown links and images that are not URLs."""
    prose = FENCED.sub("", text(page))
    targets = re.findall(r"\]\(([^)\s]+)\)", prose)
    return [target for target in targets if not re.match(r"[a-z]+:", target)]


def headings_of(page: str) -> set[str]:
    prose = FENCED.sub("", text(page))
    return {slugify(heading, "-") for heading in re.findall(r"^#+ (.+)$", prose, re.MULTILINE)}


def test_the_readme_fits_on_a_screen_or_so() -> None:
    assert len(text("README.md").splitlines()) < README_MAX_LINES


def test_every_make_target_a_page_shows_exists() -> None:
    shown = {page: make_targets_in(page) for page in PAGES}
    for page, targets in shown.items():
        missing = targets - make_targets()
        assert not missing, f"{page} shows make targets the Makefile lacks: {sorted(missing)}"
    assert {"run", "test", "token"} <= shown["README.md"]
    assert {"run", "test", "images", "redrive", "docs", "docs-serve"} <= set().union(
        *shown.values()
    )


def test_every_python_module_a_page_runs_exists() -> None:
    modules = {
        (page, module)
        for page in PAGES
        for module in re.findall(r"python3? -m ([A-Za-z_][\w.]*)", text(page))
    }
    assert ("docs/getting-started.md", "offline") in modules
    missing = [
        (page, module) for page, module in sorted(modules) if not importlib.util.find_spec(module)
    ]
    assert not missing, f"modules the pages run that do not exist: {missing}"


@pytest.mark.parametrize("page", PAGES)
def test_every_route_a_page_shows_is_documented_and_deployed(page: str) -> None:
    for route in sorted(routes_named_in(page) | routes_curled_in(page)):
        assert any(matches(known, route) for known in documented_routes()), (
            f"{page}: {route} is not in openapi.yaml"
        )
        assert any(matches(known, route) for known in declared_routes()), (
            f"{page}: {route} is not an http event in serverless.yml"
        )


def test_every_route_has_a_curl_example_on_the_api_page() -> None:
    curled = routes_curled_in("docs/api.md")
    for route in sorted(declared_routes()):
        assert any(matches(route, shown) for shown in curled), f"no curl example for {route}"


def test_the_readme_tour_creates_moves_and_lists_an_order() -> None:
    tour = routes_curled_in("README.md")
    for route in (("POST", "/orders"), ("PUT", "/orders/{orderId}"), ("GET", "/orders")):
        assert any(matches(route, shown) for shown in tour), f"the README's tour lacks {route}"
    assert "make -s token EMAIL=" in text("README.md")


def test_the_api_reference_renders_openapi_yaml() -> None:
    assert '<swagger-ui src="openapi.yaml"/>' in text("docs/reference.md")
    assert "](openapi.yaml)" in text("README.md")
    assert "](docs/reference.md)" in text("README.md")


def test_the_spanish_walkthrough_runs_the_same_commands_as_the_english_one() -> None:
    english = shell_blocks_in("docs/getting-started.md")
    assert english, "no commands in the English walkthrough"
    assert shell_blocks_in("docs/es/getting-started.md") == english


def test_the_readme_opens_in_spanish_then_english() -> None:
    paragraphs = text("README.md").split("\n\n")
    assert "taller" in paragraphs[1]
    assert "repair shop" in paragraphs[2]


def test_the_performance_page_quotes_the_bench_results_file() -> None:
    results = json.loads((ROOT / "bench" / "results.json").read_text())
    assert table(results) in text("docs/performance.md"), (
        "docs/performance.md's table is not bench/results.json's: paste `make bench`'s table"
    )


def test_every_picture_is_shown_and_every_picture_shown_exists() -> None:
    for page in PAGES:
        for target in (link for link in links_in(page) if link.endswith(".png")):
            path = Path(os.path.normpath(Path(page).parent / target))
            # The site serves images/ at its root, where the repository has it.
            if page != "README.md":
                path = path.relative_to("docs")
            assert (ROOT / path).exists(), f"{page} shows {target}, which does not exist"
    pictures = {f"images/{png.name}" for png in (ROOT / "images").glob("*.png")}
    assert pictures <= set(links_in("docs/performance.md")) | {"images/architecture.png"}


def test_the_status_graph_drawn_is_the_domains() -> None:
    diagram = re.search(
        r"```mermaid\n(stateDiagram-v2\n.*?)```", text("docs/architecture.md"), re.S
    )
    assert diagram, "docs/architecture.md has no status graph"
    arrows = set(re.findall(r"^\s*(\S+) --> (\S+?)(?::.*)?$", diagram[1], re.MULTILINE))
    moves = {(source, target) for source, target in arrows if "[*]" not in (source, target)}
    assert moves == {(a.value, b.value) for a, targets in TRANSITIONS.items() for b in targets}
    assert {target for source, target in arrows if source == "[*]"} == {INITIAL_STATUS.value}
    finals = {status.value for status, targets in TRANSITIONS.items() if not targets}
    assert {source for source, target in arrows if target == "[*]"} == finals


def test_the_nav_lists_every_page_in_the_order_of_the_first_description() -> None:
    nav = nav_pages(mkdocs_config()["nav"])
    on_disk = sorted(path.relative_to(DOCS).as_posix() for path in DOCS.rglob("*.md"))
    assert sorted(nav) == on_disk
    # Introduction, architecture, decisions, layout, deploy, using the API, tests, scalability.
    topics = ["index.md", "architecture.md", "decisions.md", "layout.md", "deploy.md", "api.md",
              "development.md", "scalability.md"]  # fmt: skip
    assert [nav.index(page) for page in topics] == sorted(nav.index(page) for page in topics)


def test_the_site_loads_nothing_from_another_host() -> None:
    config = mkdocs_config()
    assert config["theme"]["font"] is False
    assert any(plugin == "search" or "search" in plugin for plugin in config["plugins"])


@pytest.mark.parametrize("link", [link for link in links_in("README.md") if "://" not in link])
def test_every_link_of_the_readme_leads_somewhere(link: str) -> None:
    path, _, anchor = link.partition("#")
    assert (ROOT / path).exists(), f"the README links {path}, which does not exist"
    if anchor:
        assert anchor in headings_of(path), f"{path} has no heading #{anchor}"


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


def test_the_picture_is_committed_as_a_png_and_shown() -> None:
    assert OUTPUT.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    picture_path = OUTPUT.relative_to(ROOT).as_posix()
    assert f"]({picture_path})" in text("README.md")
    assert f"]({picture_path})" in text("docs/architecture.md")


def layout_paths(page: str, heading: str) -> list[str]:
    return re.findall(r"^\| `([^`]+)` \|", section(page, heading), re.MULTILINE)


LAYOUTS = [("README.md", "Repository layout"), ("docs/layout.md", "Every file")]


@pytest.mark.parametrize(
    "path", [path for page, heading in LAYOUTS for path in layout_paths(page, heading)]
)
def test_every_path_in_a_layout_exists(path: str) -> None:
    assert (ROOT / path).exists()


@pytest.mark.parametrize(("page", "heading"), LAYOUTS)
def test_a_layout_lists_every_top_level_file_and_folder(page: str, heading: str) -> None:
    listed = {path.split("/")[0] for path in layout_paths(page, heading)}
    ignored = [line.strip().rstrip("/") for line in (ROOT / ".gitignore").read_text().splitlines()]
    present = {
        entry.name
        for entry in ROOT.iterdir()
        if entry.name != ".git" and not any(fnmatch(entry.name, pattern) for pattern in ignored)
    }
    assert present - listed == set(), f"add these to the layout of {page}"
