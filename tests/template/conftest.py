"""The packaged template (`make package`), read once per module."""

from __future__ import annotations

from typing import Any

import pytest

from offline.provision import load_template

Resources = dict[str, dict[str, Any]]


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template()


@pytest.fixture(scope="module")
def resources(template: dict[str, Any]) -> Resources:
    found: Resources = template["Resources"]
    return found
