"""A client generated from openapi.yaml keeps its types and works against the local stack.

The client is generated at test time by openapi-python-client (pinned in requirements-dev.txt),
the way a front-desk integration would generate it, and every operation is driven with it over
HTTP: create (and replay by Idempotency-Key), read, list page by page, update with a note and
If-Match, update without a note, and the problems of a missing order, a stale version and a
transition the graph forbids.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import typing
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.e2e.conftest import ROOT, LocalStack

PACKAGE = "orders_client"
GENERATOR = Path(sys.executable).with_name("openapi-python-client")
CONFIG = f"package_name_override: {PACKAGE}\npost_hooks: []\n"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, ModuleType]]:
    """The generated package's modules, by the names a user of it would import."""
    where = tmp_path_factory.mktemp("generated")
    (where / "config.yaml").write_text(CONFIG)
    result = subprocess.run(
        [
            str(GENERATOR),
            "generate",
            "--path",
            str(ROOT / "openapi.yaml"),
            "--config",
            str(where / "config.yaml"),
            "--meta",
            "none",
            "--output-path",
            str(where / PACKAGE),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Warning" not in result.stdout + result.stderr, result.stdout + result.stderr
    sys.path.insert(0, str(where))
    try:
        names = ["client", "models", "types", *(f"api.orders.{op}" for op in OPERATIONS)]
        yield {name: importlib.import_module(f"{PACKAGE}.{name}") for name in names}
    finally:
        sys.path.remove(str(where))
        for name in [module for module in sys.modules if module.startswith(PACKAGE)]:
            del sys.modules[name]


OPERATIONS = ["create_order", "get_order", "list_orders", "update_order"]
MAX_PAGES = 1000


@pytest.fixture
def client(generated: dict[str, ModuleType], local_stack: LocalStack) -> Any:
    """Signed in as the admin demo user, whose groups allow every operation."""
    return generated["client"].AuthenticatedClient(
        base_url=local_stack.api_url,
        token=local_stack.token("admin"),
        prefix="Bearer",
        auth_header_name="Authorization",
    )


def test_the_generated_models_keep_the_types_of_customer_and_the_update_body(
    generated: dict[str, ModuleType],
) -> None:
    models = generated["models"]
    update = generated["api.orders.update_order"]

    customer = typing.get_type_hints(models.Order, localns=vars(models))["customer"]
    body = typing.get_type_hints(update.sync_detailed, localns=vars(models))["body"]

    assert set(typing.get_args(customer)) == {models.CustomerWithEmail, models.CustomerWithPhone}
    assert set(typing.get_args(body)) == {models.StatusChange, models.FieldsUpdate}
    assert typing.get_type_hints(models.StatusChange, localns=vars(models))["note"] != Any


def test_every_operation_works_through_the_generated_client(
    generated: dict[str, ModuleType], client: Any
) -> None:
    models, api = generated["models"], {op: generated[f"api.orders.{op}"] for op in OPERATIONS}
    key = f"client-{uuid.uuid4()}"
    new_order = models.CreateOrder(
        customer=models.CustomerWithPhone(name="Tomás Ruiz", phone="612 345 678"),
        device=models.Device(type_="phone", brand="Fairphone"),
        issue="The screen is cracked.",
    )

    created = api["create_order"].sync_detailed(client=client, body=new_order, idempotency_key=key)
    replayed = api["create_order"].sync_detailed(client=client, body=new_order, idempotency_key=key)

    assert created.status_code == 201, created.content
    order = created.parsed
    assert isinstance(order, models.Order)
    assert isinstance(order.customer, models.CustomerWithPhone)
    assert order.status == models.Status.RECEIVED
    assert created.headers["Location"].endswith(f"/orders/{order.order_id}")
    assert isinstance(replayed.parsed, models.Order)
    assert replayed.parsed.order_id == order.order_id

    found = api["get_order"].sync_detailed(order.order_id, client=client)
    assert found.status_code == 200
    # Everything but `processing`, which the processor may have filled in meanwhile.
    read, sent = found.parsed.to_dict(), order.to_dict()
    assert {**read, "processing": None} == {**sent, "processing": None}
    assert found.headers["ETag"] == '"1"'

    started = api["update_order"].sync_detailed(
        order.order_id,
        client=client,
        body=models.StatusChange(status=models.Status.INPROCESS, note="Screen ordered."),
        if_match='"1"',
    )
    assert started.status_code == 200, started.content
    assert started.parsed.status == models.Status.INPROCESS
    assert started.parsed.history[-1].note == "Screen ordered."

    urgent = api["update_order"].sync_detailed(
        order.order_id,
        client=client,
        body=models.FieldsUpdate(
            priority=models.Priority.URGENT,
            customer=models.CustomerWithEmail(name="Tomás Ruiz", email="tomas@example.com"),
        ),
    )
    assert urgent.status_code == 200, urgent.content
    assert urgent.parsed.priority == models.Priority.URGENT
    assert isinstance(urgent.parsed.customer, models.CustomerWithEmail)

    second = api["create_order"].sync_detailed(client=client, body=new_order).parsed
    api["update_order"].sync_detailed(
        second.order_id, client=client, body=models.StatusChange(status=models.Status.INPROCESS)
    )
    listed = _every_page(api["list_orders"], client, models.Status.INPROCESS)
    assert listed.count(order.order_id) == listed.count(second.order_id) == 1
    assert len(listed) == len(set(listed)), "an order appeared on two pages"


def _every_page(list_orders: ModuleType, client: Any, status: Any) -> list[str]:
    """The ids of every order in ``status``, one page of one at a time, cursor to cursor."""
    ids: list[str] = []
    cursor: Any = None
    for _ in range(MAX_PAGES):
        extra = {} if cursor is None else {"cursor": cursor}
        page = list_orders.sync_detailed(client=client, status=status, limit=1, **extra)
        assert page.status_code == 200, page.content
        ids += [item.order_id for item in page.parsed.items]
        assert all(item.status == status for item in page.parsed.items)
        cursor = page.parsed.next_cursor
        if not isinstance(cursor, str):
            return ids
    raise AssertionError(f"still a next page after {MAX_PAGES}")


def test_the_generated_client_reads_the_problems_it_is_answered_with(
    generated: dict[str, ModuleType], client: Any
) -> None:
    models, api = generated["models"], {op: generated[f"api.orders.{op}"] for op in OPERATIONS}
    created = api["create_order"].sync_detailed(
        client=client,
        body=models.CreateOrder(
            customer=models.CustomerWithEmail(name="Ana", email="ana@example.com"),
            device=models.Device(type_="laptop"),
            issue="Does not boot.",
        ),
    )
    assert created.status_code == 201, created.content
    order_id = created.parsed.order_id

    missing = api["get_order"].sync_detailed(str(uuid.uuid4()), client=client)
    started = api["update_order"].sync_detailed(
        order_id,
        client=client,
        body=models.StatusChange(status=models.Status.INPROCESS),
        if_match='"1"',
    )
    stale = api["update_order"].sync_detailed(
        order_id,
        client=client,
        body=models.StatusChange(status=models.Status.CANCELED),
        if_match='"1"',
    )
    backwards = api["update_order"].sync_detailed(
        order_id, client=client, body=models.StatusChange(status=models.Status.RECEIVED)
    )
    canceled = api["update_order"].sync_detailed(
        order_id, client=client, body=models.StatusChange(status=models.Status.CANCELED)
    )

    assert started.status_code == 200, started.content
    problems = {response.status_code: response.parsed for response in (missing, stale, backwards)}
    assert set(problems) == {404, 412, 409}
    assert all(isinstance(problem, models.Problem) for problem in problems.values())
    assert problems[404].type_ == "urn:orders:problem:order-not-found"
    assert problems[412].type_ == "urn:orders:problem:version-mismatch"
    assert problems[409].type_ == "urn:orders:problem:transition-not-allowed"
    assert canceled.parsed.status == models.Status.CANCELED
