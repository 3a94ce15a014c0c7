"""The local stack fuzzed with openapi.yaml: both sides of the contract hold, whatever is sent.

Schemathesis generates requests for every operation of the document, valid ones and ones that
break it on purpose, sends them over HTTP signed in as the admin demo user (whose groups allow
every operation), and checks each answer:

- the response side: no 5xx, and the status code, content type, headers and body are the ones
  the document declares for that operation;
- the request side: every request the document allows is accepted (``positive_data_acceptance``)
  and every request it forbids is rejected (``negative_data_rejection``).

"Accepted" means a 2xx, or one of the answers that depend on what is stored rather than on the
request's shape, each of which the document declares: 404 (no such order), 409 (a transition
the order's status forbids, or an edit of an order an earlier case made final), 412 (an
``If-Match`` the order's version does not meet), 413 (a valid body that JSON escapes push over
16 KiB) and 422 (an ``Idempotency-Key`` used before with another body). A 400 is never one of
them. A cursor is opaque: the only valid ones are those the service issued, so valid requests
carry a real one.

Beyond schemathesis's own request-side checks, each of those answers is allowed only where it
can arise: 404 for an id that is not one of the orders made for the run, 409 for an update,
412 with an `If-Match` other than `*`, 422 with an `Idempotency-Key`.

The generator sometimes labels a request valid that the document forbids (its coverage phase
keeps an invalid header, such as `If-Match: 0`, in a case built around another parameter).
Each request is checked against the document here too; those are counted as mislabeled, and
must be rejected (400, 413 or 415) like any invalid request.
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
from schemathesis.core import NotSet
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.e2e.conftest import ROOT, LocalStack
from tests.support.contract import request_errors
from tests.support.data import laptop_order
from tests.support.figures import report_figure

CASES_PER_OPERATION = 200
SEED = 20261129  # the same requests on every run, so a CI failure reproduces locally
# The whole fuzzing run (about 2 to 4 minutes here): only a hung stack takes this long. The time
# it took is in the figures line, not asserted, since these machines are shared.
BUDGET_SECONDS = 600
REQUEST_TIMEOUT_SECONDS = 10
ORDERS_TO_FUZZ = 8
# Orders moved into each other status before fuzzing, so that every listing has a next page.
ORDERS_PER_STATUS = 2
PATHS_TO_STATUS = {
    "inprocess": ["inprocess"],
    "completed": ["inprocess", "completed"],
    "canceled": ["canceled"],
}

RESPONSE_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
REQUEST_CHECKS = [positive_data_acceptance, negative_data_rejection]

schema = schemathesis.openapi.from_path(ROOT / "openapi.yaml")
schema.config.seed = SEED
# An admin's ID token is sent on every request below (whatever scheme the document declares):
# cases without it would only meet API Gateway's 401.
schema.config.generation.update(with_security_parameters=False)
# What counts as accepted and as rejected (see the module's docstring).
ACCEPTED = ["2xx", "404", "409", "412", "413", "422"]
REJECTED = ["400", "413", "415"]
schema.config.checks.positive_data_acceptance.expected_statuses = ACCEPTED
schema.config.checks.negative_data_rejection.expected_statuses = REJECTED

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
    api_url: str
    auth: dict[str, str]
    cursors: dict[str | None, str] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)
    cases: Counter[str] = field(default_factory=Counter)
    modes: Counter[str] = field(default_factory=Counter)
    server_errors: Counter[str] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)

    def send(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.http.request(
            method,
            f"{self.api_url}{path}",
            headers=self.auth,
            timeout=REQUEST_TIMEOUT_SECONDS,
            **kwargs,
        )

    def create_order(self, status: str = "received") -> str:
        created = self.send("POST", "/orders", json=laptop_order())
        assert created.status_code == 201, created.text
        order_id: str = created.json()["orderId"]
        for step in PATHS_TO_STATUS.get(status, []):
            moved = self.send("PUT", f"/orders/{order_id}", json={"status": step})
            assert moved.status_code == 200, moved.text
        return order_id

    def next_page_cursor(self, status: str | None) -> str:
        listing = {"limit": 1} if status is None else {"limit": 1, "status": status}
        page = self.send("GET", "/orders", params=listing)
        assert page.status_code == 200, page.text
        cursor: str = page.json()["nextCursor"]
        assert cursor, f"the listing of {status or 'every order'} has one page only"
        return cursor


@pytest.fixture(scope="module")
def fuzz_run(local_stack: LocalStack, pytestconfig: pytest.Config) -> Iterator[FuzzRun]:
    """Started once the stack is up; reports the figures when every operation has run."""
    with requests.Session() as http:
        run = FuzzRun(http, local_stack.api_url, local_stack.headers("admin"))
        existing_orders.extend(run.create_order() for _ in range(ORDERS_TO_FUZZ))
        for status in PATHS_TO_STATUS:
            for _ in range(ORDERS_PER_STATUS):
                run.create_order(status)
        run.cursors = {
            status: run.next_page_cursor(status) for status in (None, "received", *PATHS_TO_STATUS)
        }
        run.started = time.monotonic()
        yield run
        existing_orders.clear()
    if run.cases:
        report_figure(
            pytestconfig,
            f"schemathesis: {sum(run.cases.values())} cases over {len(run.cases)} operations "
            f"({run.modes['positive']} valid, {run.modes['negative']} invalid, "
            f"{run.modes['mislabeled']} labeled valid by the generator but invalid), "
            f"{sum(run.failures.values())} failed checks, {sum(run.server_errors.values())} "
            f"server errors, in {time.monotonic() - run.started:.0f} s",
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
    checks = RESPONSE_CHECKS + REQUEST_CHECKS
    mode = "positive" if _labeled_valid(case) else "negative"
    if mode == "positive":
        _carry_a_real_cursor(case, fuzz_run)
        if _forbidden_by_the_document(case):
            mode, checks = "mislabeled", RESPONSE_CHECKS
    fuzz_run.modes[mode] += 1

    auth = local_stack.headers("admin")
    response = case.call(
        base_url=local_stack.api_url,
        session=fuzz_run.http,
        headers=auth,
        timeout=REQUEST_TIMEOUT_SECONDS,
    )

    if response.status_code >= 500:
        fuzz_run.server_errors[case.operation.label] += 1
    try:
        case.validate_response(response, checks=checks, headers=auth)
    except FailureGroup as failed:
        fuzz_run.failures[case.operation.label] += len(failed.exceptions)
        raise
    if mode == "mislabeled":  # invalid after all, so rejected like any invalid request
        assert response.status_code in (400, 413, 415), response.text
    if mode == "positive" and response.status_code >= 300:
        assert response.status_code in _state_answers(case), response.text


def _state_answers(case: schemathesis.Case[Any]) -> set[int]:
    """The answers besides a 2xx that what is stored can give this valid request."""
    headers: dict[str, str] = dict(case.headers or {})
    answers = {413}  # a valid body that JSON escapes and white space push past 16 KiB
    if case.method == "POST" and "Idempotency-Key" in headers:
        answers.add(422)
    if case.path_parameters and case.path_parameters.get("orderId") not in existing_orders:
        answers.add(404)
    if headers.get("If-Match", "*") != "*":
        answers.add(412)
    if case.method == "PUT":  # a transition the status forbids, or an order made final
        answers.add(409)
    return answers


def _labeled_valid(case: schemathesis.Case[Any]) -> bool:
    return case.meta is not None and case.meta.generation.mode.is_positive


def _carry_a_real_cursor(case: schemathesis.Case[Any], run: FuzzRun) -> None:
    if case.query and "cursor" in case.query:
        case.query["cursor"] = run.cursors[case.query.get("status")]


def _forbidden_by_the_document(case: schemathesis.Case[Any]) -> bool:
    body = None if isinstance(case.body, NotSet) else case.body
    errors = request_errors(
        case.operation.path, case.method, dict(case.headers or {}), dict(case.query or {}), body
    )
    return bool(errors)
