"""Ticket numbers: one per order, never given twice, and the way back to the order."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest

from tests.integration.conftest import Api
from tests.support.data import laptop_order

YEAR = datetime.now(UTC).year
TICKET = re.compile(rf"R-{YEAR}-[0-9]{{6}}")


@pytest.mark.usefixtures("atomic_moto_writes")
def test_fifty_orders_created_at_once_get_fifty_different_numbers(api: Api) -> None:
    def create(index: int) -> str:
        response = api.create(laptop_order(issue=f"Screen flickers, unit {index}."))
        assert response.status == 201, response.body
        return str(response.body["ticket"])

    with ThreadPoolExecutor(max_workers=10) as pool:
        tickets = list(pool.map(create, range(50)))

    assert all(TICKET.fullmatch(ticket) for ticket in tickets)
    assert sorted(tickets) == [f"R-{YEAR}-{n:06d}" for n in range(1, 51)]


def test_an_idempotent_retry_answers_the_same_ticket_number(api: Api) -> None:
    key = {"Idempotency-Key": "desk-2026-11-29-0042"}
    first = api.create(laptop_order(), headers=key)
    retry = api.create(laptop_order(), headers=key)
    after = api.create(laptop_order(issue="Hinge cracked."))

    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.body["ticket"] == first.body["ticket"] == f"R-{YEAR}-000001"
    # The retry drew a number it did not use: a gap, never a number given twice.
    assert after.body["ticket"] == f"R-{YEAR}-000003"


def test_the_ticket_on_the_receipt_finds_its_order_in_a_page_of_one(api: Api) -> None:
    wanted = api.create(laptop_order()).body
    api.create(laptop_order(issue="Battery swells."))

    page = api.list(ticket=wanted["ticket"])

    assert page.status == 200
    assert page.body == {"items": [wanted], "nextCursor": None}


def test_a_ticket_with_a_status_finds_its_order_only_in_that_status(api: Api) -> None:
    ticket = api.create(laptop_order()).body["ticket"]

    assert len(api.list(ticket=ticket, status="received").body["items"]) == 1
    assert api.list(ticket=ticket, status="inprocess").body["items"] == []


def test_a_ticket_with_a_cursor_or_limit_still_answers_its_one_page(api: Api) -> None:
    wanted = api.create(laptop_order()).body
    cursor = api.list(limit="1").body["nextCursor"] or "not-a-cursor"

    page = api.list(ticket=wanted["ticket"], cursor=cursor, limit="1")

    assert page.body == {"items": [wanted], "nextCursor": None}


def test_a_ticket_no_order_has_finds_nothing(api: Api) -> None:
    api.create(laptop_order())

    assert api.list(ticket="R-1999-000001").body == {"items": [], "nextCursor": None}


@pytest.mark.parametrize("ticket", ["000123", "R-2026-12", "R-2026-000123 OR 1=1", "*"])
def test_a_ticket_in_the_wrong_format_is_a_400_naming_the_field(api: Api, ticket: str) -> None:
    response = api.list(ticket=ticket)

    assert response.status == 400
    assert [error["field"] for error in response.body["errors"]] == ["ticket"]


def test_listing_every_order_shows_orders_only_not_the_ticket_counter(api: Api) -> None:
    created = {api.create(laptop_order()).body["orderId"] for _ in range(3)}

    page = api.list(limit="10")

    assert {order["orderId"] for order in page.body["items"]} == created
    assert page.body["nextCursor"] is None
