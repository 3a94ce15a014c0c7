"""The HTTP contract of DESIGN.md §4-5, route by route, against moto."""

from __future__ import annotations

import base64
import json

import pytest

from tests.integration.conftest import Api, AwsCalls, Queues, stored_orders
from tests.support.data import FRONT_DESK, TECHNICIAN, laptop_order
from tests.support.events import TECHNICIAN_CLAIMS
from tests.support.stack import Stack

# --- create -------------------------------------------------------------------------------


def test_create_answers_201_with_location_etag_and_the_new_order(api: Api) -> None:
    response = api.create(laptop_order(priority="urgent"))

    assert response.status == 201
    order = response.body
    assert response.headers["Location"] == f"/test/orders/{order['orderId']}"
    assert response.headers["ETag"] == '"1"'
    assert order["status"] == "received"
    assert order["version"] == 1
    assert order["priority"] == "urgent"
    assert order["createdAt"] == order["updatedAt"]
    assert order["createdAt"].endswith("Z")
    marta = {"sub": FRONT_DESK.sub, "name": FRONT_DESK.name}
    assert order["history"] == [{"status": "received", "at": order["createdAt"], "actor": marta}]
    assert order["createdBy"] == marta
    assert order["processing"] == {}


def test_create_stores_the_order_so_get_returns_it(api: Api) -> None:
    created = api.create(laptop_order()).body

    fetched = api.get(created["orderId"])

    assert fetched.status == 200
    assert fetched.headers["ETag"] == '"1"'
    assert fetched.body == created


def test_create_trims_strings_and_defaults_priority(api: Api) -> None:
    body = laptop_order(issue="  Cracked screen  ")
    body["customer"] = {"name": "  Tomás Ruiz ", "phone": " +34 600 123 456 "}

    order = api.create(body).body

    assert order["customer"] == {"name": "Tomás Ruiz", "phone": "+34 600 123 456"}
    assert order["issue"] == "Cracked screen"
    assert order["priority"] == "normal"


def test_create_accepts_an_explicit_received_status(api: Api) -> None:
    assert api.create(laptop_order(status="received")).status == 201


def test_create_routes_one_message_to_the_received_queue(api: Api, queues: Queues) -> None:
    created = api.create(laptop_order())
    order = created.body

    messages = queues.drain("received")

    assert len(messages) == 1
    assert json.loads(messages[0]["Body"]) == {
        "orderId": order["orderId"],
        "status": "received",
        "version": 1,
        "occurredAt": order["createdAt"],
        "correlationId": created.headers["X-Correlation-Id"],
    }
    assert messages[0]["MessageAttributes"]["status"]["StringValue"] == "received"
    assert all(queues.drain(status) == [] for status in ("inprocess", "completed", "canceled"))


def test_create_rejects_invalid_fields_naming_each_by_path(api: Api, queues: Queues) -> None:
    body = {
        "customer": {"name": "", "email": "not-an-email", "nickname": "Lu"},
        "device": {"type": "x" * 101},
        "issue": 42,
        "priority": "asap",
        "status": "completed",
        "discount": 10,
    }

    response = api.create(body)

    assert response.status == 400
    assert response.headers["Content-Type"] == "application/problem+json"
    fields = {error["field"] for error in response.body["errors"]}
    assert fields == {
        "customer.name",
        "customer.email",
        "customer.nickname",
        "device.type",
        "issue",
        "priority",
        "status",
        "discount",
    }
    assert api.list().body["items"] == []
    assert queues.drain("received") == []


def test_create_requires_a_way_to_reach_the_customer(api: Api) -> None:
    response = api.create(laptop_order(customer={"name": "Ana"}))

    assert response.status == 400
    assert response.body["errors"] == [
        {"field": "customer", "message": "give an email or a phone so the customer can be reached"}
    ]


def test_create_rejects_a_body_over_16_kib_with_413(api: Api) -> None:
    response = api.create(laptop_order(issue="x" * (16 * 1024)))

    assert response.status == 413
    assert response.body["status"] == 413


def test_create_rejects_a_non_json_content_type_with_415(api: Api) -> None:
    response = api.create(laptop_order(), headers={"Content-Type": "text/plain"})

    assert response.status == 415


def test_header_names_are_case_insensitive(api: Api) -> None:
    response = api.call(
        "POST",
        "/orders",
        body=laptop_order(),
        headers={"CONTENT-TYPE": "Application/JSON; charset=UTF-8"},
    )

    assert response.status == 201


def test_idempotency_key_replays_the_same_order_without_a_second_message(
    api: Api, queues: Queues
) -> None:
    first = api.create(laptop_order(), headers={"Idempotency-Key": "front-desk-2041"})
    again = api.create(laptop_order(), headers={"idempotency-key": "front-desk-2041"})

    assert (first.status, again.status) == (201, 201)
    assert again.body["orderId"] == first.body["orderId"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(queues.drain("received")) == 1
    assert len(api.list().body["items"]) == 1


def test_idempotency_key_reused_with_another_body_gets_422(api: Api) -> None:
    api.create(laptop_order(), headers={"Idempotency-Key": "front-desk-2042"})

    response = api.create(
        laptop_order(issue="Battery swells"), headers={"Idempotency-Key": "front-desk-2042"}
    )

    assert response.status == 422
    assert response.body["type"] == "urn:orders:problem:idempotency-key-reused"


# --- get ----------------------------------------------------------------------------------


def test_get_of_an_unknown_order_is_404(api: Api) -> None:
    response = api.get("4b1c8a39-8d7a-4f4e-9a52-0c1f4f1b2d3e")

    assert response.status == 404
    assert response.body["title"] == "Order not found"


def test_get_of_an_id_that_is_not_a_uuid_is_404(api: Api) -> None:
    assert api.get("../../etc/passwd").status == 404


# --- update -------------------------------------------------------------------------------


def test_status_change_bumps_version_records_history_and_routes(api: Api, queues: Queues) -> None:
    order = api.create(laptop_order()).body
    queues.drain("received")

    response = api.update(
        order["orderId"],
        {"status": "inprocess", "note": "Keyboard removed"},
        claims=TECHNICIAN_CLAIMS,
    )

    assert response.status == 200
    assert response.headers["ETag"] == '"2"'
    updated = response.body
    assert updated["status"] == "inprocess"
    assert updated["version"] == 2
    assert updated["history"][-1] == {
        "status": "inprocess",
        "at": updated["updatedAt"],
        "note": "Keyboard removed",
        "actor": {"sub": TECHNICIAN.sub, "name": "Jorge Técnico"},
    }
    assert updated["createdBy"]["name"] == "Marta Recepción"
    assert queues.bodies("inprocess") == [
        {
            "orderId": order["orderId"],
            "status": "inprocess",
            "version": 2,
            "occurredAt": updated["updatedAt"],
            "correlationId": response.headers["X-Correlation-Id"],
        }
    ]


def test_every_status_entered_goes_to_its_own_queue(api: Api, queues: Queues) -> None:
    repaired = api.create(laptop_order()).body["orderId"]
    abandoned = api.create(laptop_order()).body["orderId"]

    api.update(repaired, {"status": "inprocess"})
    api.update(repaired, {"status": "completed"})
    api.update(abandoned, {"status": "canceled"})

    routed = {
        status: [m["orderId"] for m in queues.bodies(status)]
        for status in ("received", "inprocess", "completed", "canceled")
    }
    assert sorted(routed["received"]) == sorted([repaired, abandoned])
    assert routed["inprocess"] == [repaired]
    assert routed["completed"] == [repaired]
    assert routed["canceled"] == [abandoned]


def test_a_transition_off_the_graph_gets_409_naming_the_allowed_statuses(
    api: Api, queues: Queues
) -> None:
    order = api.create(laptop_order()).body

    response = api.update(order["orderId"], {"status": "completed"})

    assert response.status == 409
    assert "allowed next statuses: canceled, inprocess" in response.body["detail"]
    assert api.get(order["orderId"]).body == order
    assert queues.drain("completed") == []


def test_a_final_status_allows_nothing(api: Api) -> None:
    order_id = api.create(laptop_order()).body["orderId"]
    api.update(order_id, {"status": "canceled"})

    response = api.update(order_id, {"status": "inprocess"})

    assert response.status == 409
    assert "none, it is final" in response.body["detail"]


@pytest.mark.parametrize("final", ["completed", "canceled"])
def test_a_final_order_refuses_field_edits_with_409_naming_its_status(api: Api, final: str) -> None:
    order_id = api.create(laptop_order()).body["orderId"]
    for status in ("inprocess", final) if final == "completed" else (final,):
        api.update(order_id, {"status": status})
    order = api.get(order_id).body

    response = api.update(order_id, {"issue": "Also the screen flickers."})

    assert response.status == 409
    assert response.body["type"] == "urn:orders:problem:order-is-final"
    assert final in response.body["detail"]
    assert api.get(order_id).body == order


def test_putting_the_current_status_again_writes_and_routes_nothing(
    api: Api, queues: Queues
) -> None:
    order = api.create(laptop_order()).body
    queues.drain("received")

    response = api.update(order["orderId"], {"status": "received"})

    assert response.status == 200
    assert response.body == order
    assert response.headers["ETag"] == '"1"'
    assert queues.drain("received") == []


def test_a_put_that_changes_nothing_writes_nothing(api: Api) -> None:
    order = api.create(laptop_order()).body

    response = api.update(order["orderId"], {"issue": order["issue"], "priority": "normal"})

    assert response.status == 200
    assert response.body == order


def test_a_field_update_replaces_the_object_whole_without_routing(api: Api, queues: Queues) -> None:
    order = api.create(laptop_order()).body
    queues.drain("received")

    response = api.update(
        order["orderId"], {"customer": {"name": "Lucía Fernández", "phone": "600 111 222"}}
    )

    assert response.status == 200
    assert response.body["customer"] == {"name": "Lucía Fernández", "phone": "600 111 222"}
    assert response.body["version"] == 2
    assert response.body["status"] == "received"
    assert len(response.body["history"]) == 1
    assert all(queues.drain(status) == [] for status in ("received", "inprocess"))


def test_same_status_with_a_changed_field_applies_the_field(api: Api) -> None:
    order_id = api.create(laptop_order()).body["orderId"]

    response = api.update(order_id, {"status": "received", "priority": "urgent"})

    assert response.status == 200
    assert response.body["priority"] == "urgent"
    assert response.body["version"] == 2


def test_a_stale_if_match_gets_412_and_changes_nothing(api: Api) -> None:
    order_id = api.create(laptop_order()).body["orderId"]
    api.update(order_id, {"priority": "urgent"})

    response = api.update(order_id, {"status": "inprocess"}, headers={"If-Match": '"1"'})

    assert response.status == 412
    assert api.get(order_id).body["status"] == "received"


def test_a_current_if_match_lets_the_update_through(api: Api) -> None:
    order_id = api.create(laptop_order()).body["orderId"]

    response = api.update(order_id, {"status": "inprocess"}, headers={"if-match": '"1"'})

    assert response.status == 200
    assert response.headers["ETag"] == '"2"'


def test_a_malformed_if_match_is_400(api: Api) -> None:
    order_id = api.create(laptop_order()).body["orderId"]

    response = api.update(order_id, {"status": "inprocess"}, headers={"If-Match": "yesterday"})

    assert response.status == 400
    assert response.body["errors"][0]["field"] == "If-Match"


def test_a_note_without_a_status_is_400(api: Api) -> None:
    order_id = api.create(laptop_order()).body["orderId"]

    response = api.update(order_id, {"note": "Called the customer"})

    assert response.status == 400
    assert response.body["errors"][0]["field"] == "note"


def test_an_empty_update_is_400(api: Api) -> None:
    order_id = api.create(laptop_order()).body["orderId"]

    assert api.update(order_id, {}).status == 400


def test_validation_comes_before_state_checks(api: Api) -> None:
    response = api.update("4b1c8a39-8d7a-4f4e-9a52-0c1f4f1b2d3e", {"status": "shipped"})

    assert response.status == 400


def test_update_of_an_unknown_order_is_404(api: Api) -> None:
    response = api.update("4b1c8a39-8d7a-4f4e-9a52-0c1f4f1b2d3e", {"status": "inprocess"})

    assert response.status == 404


def test_update_rejects_oversized_and_non_json_bodies(api: Api) -> None:
    order_id = api.create(laptop_order()).body["orderId"]

    too_large = api.update(order_id, {"issue": "x" * 17000})
    not_json = api.update(order_id, {"status": "inprocess"}, headers={"Content-Type": "text/csv"})

    assert (too_large.status, not_json.status) == (413, 415)


# --- list ---------------------------------------------------------------------------------


def test_list_by_status_pages_newest_first_through_the_index(api: Api, aws_calls: AwsCalls) -> None:
    created = [api.create(laptop_order(issue=f"Repair {n}")).body["orderId"] for n in range(7)]
    api.update(created[0], {"status": "canceled"})
    received_newest_first = list(reversed(created[1:]))
    aws_calls.clear()

    pages, cursor = [], None
    while True:
        query = {"status": "received", "limit": "2"} | ({"cursor": cursor} if cursor else {})
        page = api.list(**query).body
        pages.append([order["orderId"] for order in page["items"]])
        cursor = page["nextCursor"]
        if cursor is None:
            break

    assert pages == [received_newest_first[i : i + 2] for i in range(0, 6, 2)]
    assert aws_calls.of("dynamodb") == ["Query"] * 3


def test_list_without_status_pages_through_every_order(api: Api) -> None:
    created = {api.create(laptop_order()).body["orderId"] for _ in range(5)}

    seen: list[str] = []
    cursor = None
    for _ in range(10):
        page = api.list(limit="2", **({"cursor": cursor} if cursor else {})).body
        seen.extend(order["orderId"] for order in page["items"])
        cursor = page["nextCursor"]
        if cursor is None:
            break

    assert sorted(seen) == sorted(created)


def test_list_defaults_to_20_and_says_when_there_is_no_next_page(api: Api) -> None:
    for _ in range(3):
        api.create(laptop_order())

    page = api.list(status="received").body

    assert len(page["items"]) == 3
    assert page["nextCursor"] is None


def test_a_tampered_cursor_is_400(api: Api) -> None:
    for _ in range(3):
        api.create(laptop_order())
    cursor = api.list(status="received", limit="1").body["nextCursor"]
    raw = bytearray(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    raw[10] ^= 0x01
    tampered = base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")

    response = api.list(status="received", limit="1", cursor=tampered)

    assert response.status == 400
    assert response.body["type"] == "urn:orders:problem:invalid-cursor"


def test_a_cursor_from_another_listing_or_of_garbage_is_400(api: Api) -> None:
    for _ in range(3):
        api.create(laptop_order())
    cursor = api.list(status="received", limit="1").body["nextCursor"]

    assert api.list(status="canceled", cursor=cursor).status == 400
    assert api.list(cursor="%%%not-base64").status == 400
    assert api.list(cursor="AAAA").status == 400


def test_list_rejects_bad_parameters(api: Api) -> None:
    for query in (
        {"status": "shipped"},
        {"limit": "0"},
        {"limit": "101"},
        {"limit": "ten"},
        {"stauts": "received"},
        {"status": " received "},  # query values are taken exactly as sent
        {"limit": " 5"},
    ):
        response = api.list(**query)
        assert response.status == 400, query
        assert response.body["errors"]


# --- dependencies -------------------------------------------------------------------------


def test_a_throttled_table_gets_503_with_retry_after(api: Api, stack: Stack) -> None:
    from orders.adapters import clients

    def throttle(**_: object) -> None:
        from botocore.exceptions import ClientError

        raise ClientError(
            {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}},
            "PutItem",
        )

    clients.client("dynamodb").meta.events.register("before-call.dynamodb.PutItem", throttle)

    response = api.create(laptop_order())

    assert response.status == 503
    assert response.headers["Retry-After"] == "1"
    # No order was stored (the ticket number it drew stays unused: a gap, see test_tickets.py).
    assert stored_orders(stack) == []
