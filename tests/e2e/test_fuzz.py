"""The local stack fuzzed with openapi.yaml: no input gets a 5xx or an undocumented answer.

Schemathesis generates requests for every operation of the document (valid ones and ones that
break it on purpose), sends them over HTTP with the API key, and checks each response's status
code, content type, headers and body against what the document declares for that operation.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.e2e.conftest import API_KEY, ROOT, LocalStack
from tests.support.data import laptop_order
from tests.support.figures import report_figure

CASES_PER_OPERATION = 200
SEED = 20261129  # the same requests on every run, so a CI failure reproduces locally
BUDGET_SECONDS = 180  # the whole fuzzing run; a stack this slow is itself a failure
REQUEST_TIMEOUT_SECONDS = 10
ORDERS_TO_FUZZ = 8

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

schema = schemathesis.openapi.from_path(ROOT / "openapi.yaml")
schema.config.seed = SEED
# The key is sent on every request below: cases without it would only meet API Gateway's 403.
schema.config.generation.update(with_security_parameters=False)

# Orders that exist on the stack (created before the first case), so that GET and PUT of
# /orders/{orderId} also reach real orders, not only the 404 of a random id.
existing_orders: list[str] = []


@schema.hook
def flatmap_path_parameters(
    context: schemathesis.HookContext, path_parameters: dict[str, Any] | None
) -> st.SearchStrategy[dict[str, Any] | None]:
    """Half the generated order ids replaced by the id of an order that exists."""
    if not (path_parameters and "orderId" in path_parameters and existing_orders):
        return st.just(path_parameters)
    real = st.sampled_from(existing_orders).map(lambda order_id: {"orderId": order_id})
    return st.just(path_parameters) | real


@dataclass
class FuzzRun:
    """One keep-alive HTTP session for every case, and what the cases met."""

    http: requests.Session
    started: float = field(default_factory=time.monotonic)
    cases: Counter[str] = field(default_factory=Counter)
    server_errors: Counter[str] = field(default_factory=Counter)


@pytest.fixture(scope="module")
def fuzz_run(local_stack: LocalStack, pytestconfig: pytest.Config) -> Iterator[FuzzRun]:
    """Started once the stack is up; reports the figures when every operation has run."""
    with requests.Session() as http:
        for _ in range(ORDERS_TO_FUZZ):
            created = http.post(
                f"{local_stack.api_url}/orders",
                json=laptop_order(),
                headers={"x-api-key": API_KEY},
                timeout=REQUEST_TIMEOUT_SECONDS,
            )
            assert created.status_code == 201, created.text
            existing_orders.append(created.json()["orderId"])
        run = FuzzRun(http)
        yield run
        existing_orders.clear()
    if run.cases:
        report_figure(
            pytestconfig,
            f"schemathesis: {sum(run.cases.values())} cases over {len(run.cases)} operations, "
            f"{sum(run.server_errors.values())} server errors",
        )


@schema.parametrize()
@settings(
    max_examples=CASES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_documented_whatever_it_is_sent(
    case: schemathesis.Case[Any], local_stack: LocalStack, fuzz_run: FuzzRun
) -> None:
    elapsed = time.monotonic() - fuzz_run.started
    assert elapsed < BUDGET_SECONDS, f"fuzzing took over {BUDGET_SECONDS} s; is the stack slow?"
    fuzz_run.cases[case.operation.label] += 1
    response = case.call(
        base_url=local_stack.api_url,
        session=fuzz_run.http,
        headers={"x-api-key": API_KEY},
        timeout=REQUEST_TIMEOUT_SECONDS,
    )
    if response.status_code >= 500:
        fuzz_run.server_errors[case.operation.label] += 1
    case.validate_response(response, checks=CHECKS, headers={"x-api-key": API_KEY})
