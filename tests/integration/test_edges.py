"""The API's edges as an attacker or a deployed stage meets them: clear 4xx, nothing half-done."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid

import boto3
import pytest

import handler
from tests.integration.conftest import Api, Queues
from tests.support.data import laptop_order
from tests.support.events import ORDER_ROUTE, LambdaContext, api_event, staff_claims
from tests.support.stack import Stack

# --- text no person types ---------------------------------------------------------------------


def test_a_lone_surrogate_in_a_create_is_400_naming_the_field(api: Api, queues: Queues) -> None:
    body = json.dumps(laptop_order()).replace('"laptop"', '"lap\\ud800top"')

    response = api.call("POST", "/orders", raw_body=body)

    assert response.status == 400
    assert response.body["errors"] == [
        {"field": "device.type", "message": "must be valid UTF-8 text (it holds a lone surrogate)"}
    ]
    assert queues.drain("received") == []


def test_a_lone_surrogate_in_a_note_is_400_and_leaves_the_order_untouched(
    api: Api, queues: Queues
) -> None:
    order = api.create(laptop_order()).body
    queues.drain("received")

    response = api.call(
        "PUT",
        ORDER_ROUTE,
        order_id=order["orderId"],
        raw_body='{"status": "inprocess", "note": "Parts \\ud83d ordered"}',
    )

    assert response.status == 400
    assert response.body["errors"][0]["field"] == "note"
    assert api.get(order["orderId"]).body == order
    assert queues.drain("inprocess") == []


def test_an_unknown_field_named_with_a_lone_surrogate_is_400_and_the_answer_encodes(
    api: Api,
) -> None:
    raw = handler.handle(api_event("POST", "/orders", raw_body='{"\\udc80": 1}'), LambdaContext())

    assert raw["statusCode"] == 400
    raw["body"].encode("utf-8")  # what API Gateway must do with it
    assert json.loads(raw["body"])["errors"][0]["field"] == "\\udc80"


@pytest.mark.parametrize("mark", ["\\u0085", "\\u202e", "\\u2066", "\\ufffd"])
def test_characters_no_person_types_are_400(api: Api, mark: str) -> None:
    body = json.dumps(laptop_order()).replace('"laptop"', f'"lap{mark}top"')

    assert api.call("POST", "/orders", raw_body=body).status == 400


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (laptop_order(customer={"name": "\u200d", "phone": "600 111 222"}), "customer.name"),
        (laptop_order(device={"type": "laptop\uffff"}), "device.type"),
        (laptop_order(device={"type": "laptop\u2028Subject: refund"}), "device.type"),
        (laptop_order(issue="Cracked \ue000 screen"), "issue"),
    ],
    ids=["only a zero-width joiner", "noncharacter", "line separator", "private use"],
)
def test_text_that_is_not_text_is_400_naming_the_field_and_stores_nothing(
    api: Api, queues: Queues, body: dict[str, object], field: str
) -> None:
    response = api.create(body)

    assert response.status == 400
    assert [error["field"] for error in response.body["errors"]] == [field]
    assert api.list().body["items"] == []
    assert queues.drain("received") == []


def test_emoji_sequences_joined_by_zero_width_joiners_are_kept(api: Api) -> None:
    customer = {"name": "Kwame 👨\u200d🔧 Mensah", "email": "kwame@example.com"}

    response = api.create(laptop_order(customer=customer))

    assert response.status == 201
    assert response.body["customer"]["name"] == "Kwame 👨\u200d🔧 Mensah"


# --- notes, preconditions, methods ------------------------------------------------------------


def test_a_note_with_the_current_status_is_409_and_the_note_is_not_dropped_silently(
    api: Api,
) -> None:
    order = api.create(laptop_order()).body

    response = api.update(order["orderId"], {"status": "received", "note": "Quote sent by SMS"})

    assert response.status == 409
    assert response.body["type"] == "urn:orders:problem:note-needs-status-change"
    assert "already received" in response.body["detail"]
    assert api.get(order["orderId"]).body == order


def test_a_retried_status_change_with_a_note_is_200_and_changes_nothing(
    api: Api, queues: Queues
) -> None:
    """A client that timed out retries the change that happened: it gets the order, not a 4xx."""
    order_id = api.create(laptop_order()).body["orderId"]
    change = {"status": "inprocess", "note": "Diagnosis done, replacing the keyboard."}
    first = api.update(order_id, change)

    again = api.update(order_id, change)

    assert (first.status, again.status) == (200, 200)
    assert again.body == first.body
    assert again.headers["ETag"] == '"2"'
    assert len(queues.drain("inprocess")) == 1


@pytest.mark.parametrize("tag", ['W/"1"', 'w/"1"'])
def test_a_weak_if_match_never_matches_the_strong_etag(api: Api, tag: str) -> None:
    order_id = api.create(laptop_order()).body["orderId"]

    response = api.update(order_id, {"status": "inprocess"}, headers={"If-Match": tag})

    assert response.status == (412 if tag.startswith("W/") else 400)
    assert api.get(order_id).body["status"] == "received"


def test_a_method_a_route_does_not_accept_is_405_with_allow(api: Api) -> None:
    order_id = "0b8e5f7e-3c1a-4d7e-9a51-2f0e1c6b8d42"
    collection = handler.handle(api_event("DELETE", "/orders"), LambdaContext())
    item = handler.handle(api_event("PATCH", ORDER_ROUTE, order_id=order_id), LambdaContext())

    assert (collection["statusCode"], collection["headers"]["Allow"]) == (405, "GET, POST")
    assert (item["statusCode"], item["headers"]["Allow"]) == (405, "GET, PUT")


@pytest.mark.parametrize("body", ['"Tomás"', "3", "[1, 2]", "null", "true"])
def test_a_json_body_that_is_not_an_object_says_so(api: Api, body: str) -> None:
    response = api.call("POST", "/orders", raw_body=body)

    assert response.status == 400
    assert "must be a JSON object" in json.dumps(response.body)
    assert "not valid UTF-8 JSON" not in response.body["detail"]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ('{"issue": ' + "[" * 3000 + "]" * 3000 + "}", "nests"),
        ('{"priority": ' + "9" * 5000 + "}", "digits"),
        ('{"issue": "No boot.", "priority": "urgent", "issue": "Fan spins."}', '"issue" twice'),
    ],
    ids=["nested 3000 deep", "5000-digit integer", "duplicate key"],
)
def test_a_body_refused_as_it_is_read_names_the_real_reason(
    api: Api, body: str, reason: str
) -> None:
    order = api.create(laptop_order()).body

    response = api.call("PUT", ORDER_ROUTE, order_id=order["orderId"], raw_body=body)

    assert response.status == 400
    assert reason in response.body["detail"]
    assert "not valid UTF-8 JSON" not in response.body["detail"]
    assert api.get(order["orderId"]).body == order


def test_a_5_kb_if_match_is_quoted_in_a_few_words_not_whole(api: Api) -> None:
    order_id = api.create(laptop_order()).body["orderId"]
    tag = 'W/"' + "7" * 5000 + '"'

    response = api.update(order_id, {"status": "inprocess"}, headers={"If-Match": tag})

    assert response.status == 412
    assert len(response.body["detail"]) < 200
    assert api.get(order_id).body["status"] == "received"


@pytest.mark.parametrize("decoded", [3, [1, 2], {"issue": "x"}, True])
def test_a_body_passed_already_decoded_is_not_called_invalid_json(decoded: object) -> None:
    # API Gateway passes text; a proxy or an invoke that decoded the JSON passes the value.
    event = {**api_event("POST", "/orders", raw_body="{}"), "body": decoded}

    response = handler.handle(event, LambdaContext())

    assert response["statusCode"] == 400
    detail = json.loads(response["body"])["detail"]
    assert "must be a JSON object" in detail
    assert "not valid UTF-8 JSON" not in detail


# --- stored documents -------------------------------------------------------------------------


def test_an_order_stored_with_attributes_this_version_does_not_know_still_reads(
    api: Api, stack: Stack
) -> None:
    order = api.create(laptop_order()).body
    boto3.client("dynamodb").update_item(
        TableName=stack.environment["ORDERS_TABLE"],
        Key={"orderId": {"S": order["orderId"]}},
        UpdateExpression="SET customer.preferredContact = :sms, loyaltyTier = :gold, "
        "device.colour = :red",
        ExpressionAttributeValues={
            ":sms": {"S": "sms"},
            ":gold": {"S": "gold"},
            ":red": {"S": "red"},
        },
    )

    fetched = api.get(order["orderId"])
    listed = api.list()
    updated = api.update(order["orderId"], {"status": "inprocess"})

    assert fetched.status == 200
    assert fetched.body["customer"] == order["customer"]
    assert [item["orderId"] for item in listed.body["items"]] == [order["orderId"]]
    assert updated.status == 200


# --- deployed stage: Location and the caller --------------------------------------------------


@pytest.mark.parametrize(
    ("base_path", "expected_prefix"),
    [("/prod", "/prod"), ("/repairs/v1", "/repairs/v1"), ("", "")],
    ids=["API Gateway's domain with its stage", "custom domain base path", "offline or root"],
)
def test_location_is_the_url_the_client_reached_the_api_by(
    api: Api, base_path: str, expected_prefix: str
) -> None:
    response = api.create(laptop_order(), base_path=base_path)

    assert response.headers["Location"] == f"{expected_prefix}/orders/{response.body['orderId']}"


def test_two_staff_members_with_the_same_idempotency_key_get_their_own_orders(api: Api) -> None:
    key = {"Idempotency-Key": "receipt-0042"}
    marta, pablo = staff_claims("frontdesk"), staff_claims("frontdesk", sub=str(uuid.uuid4()))
    marta_order = api.create(laptop_order(), headers=key, claims=marta)
    pablo_order = api.create(laptop_order(issue="Battery swells"), headers=key, claims=pablo)
    marta_again = api.create(laptop_order(), headers=key, claims=marta)

    assert (marta_order.status, pablo_order.status) == (201, 201)
    assert pablo_order.body["orderId"] != marta_order.body["orderId"]
    assert pablo_order.body["issue"] == "Battery swells"
    assert "Idempotent-Replayed" not in pablo_order.headers
    assert marta_again.body["orderId"] == marta_order.body["orderId"]
    assert marta_again.headers["Idempotent-Replayed"] == "true"


# --- cursors ----------------------------------------------------------------------------------


def forge(payload: object, secret: bytes) -> str:
    """A cursor made as the service makes them, from any payload, with the key ``secret``."""
    text = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    key = hashlib.blake2b(secret, digest_size=16).digest()
    check = hashlib.blake2b(text, key=key, digest_size=12).digest()
    return base64.urlsafe_b64encode(text + check).decode().rstrip("=")


@pytest.mark.parametrize(
    "payload",
    [
        [1, 2],
        "k",
        None,
        {"s": "received"},
        {"s": "received", "k": None},
        {"s": "received", "k": ["orderId"]},
        {"s": "received", "k": {"orderId": 7, "status": "received", "createdAt": "x"}},
        {"s": "received", "k": {"orderId": {"S": "x"}, "status": "received", "createdAt": "x"}},
        {"s": "received", "k": {"orderId": "x"}},
        {"s": "received", "k": {"orderId": "x", "status": "canceled", "createdAt": "x"}},
        {"s": None, "k": {"orderId": "x", "extra": "y"}},
        {"s": ["received"], "k": {"orderId": "x"}},
    ],
)
def test_a_forged_cursor_with_the_right_check_value_is_400_not_500(
    api: Api, stack: Stack, payload: object
) -> None:
    # Even someone who learnt the cursor key gets a 400, whatever the payload.
    secret = stack.environment["CURSOR_KEY"].encode()
    status = "received" if isinstance(payload, dict) and payload.get("s") else None

    response = api.list(**({"status": status} if status else {}), cursor=forge(payload, secret))

    assert response.status == 400
    assert response.body["type"] == "urn:orders:problem:invalid-cursor"


def test_a_cursor_keyed_by_the_public_table_name_is_refused(api: Api, stack: Stack) -> None:
    api.create(laptop_order())
    order_id = api.list().body["items"][0]["orderId"]
    payload = {"s": None, "k": {"orderId": order_id}}

    forged = api.list(cursor=forge(payload, stack.environment["ORDERS_TABLE"].encode()))
    genuine = api.list(cursor=forge(payload, stack.environment["CURSOR_KEY"].encode()))

    assert forged.status == 400
    assert genuine.status == 200


# If-Match is * or one entity tag (RFC 9110), with only HTTP's own white space around it. A tag
# this service never issues (not a version, or obs-text) is valid and never matches: 412.
IF_MATCH_ANSWERS = [
    *[(tag, 412) for tag in ['"abc"', '"01"', '""', '"é"']],
    *[(value, 400) for value in ['"1", "2"', "1", "W/1", '"1', '\xa0"1"', '"1"\x0b', "\u3000*"]],
]


@pytest.mark.parametrize(("value", "status"), IF_MATCH_ANSWERS)
def test_an_if_match_is_star_or_one_entity_tag(api: Api, value: str, status: int) -> None:
    order_id = api.create(laptop_order()).body["orderId"]

    response = api.update(order_id, {"status": "inprocess"}, headers={"If-Match": value})

    assert response.status == status
    if status == 400:
        assert response.body["errors"][0]["field"] == "If-Match"
    assert api.get(order_id).body["status"] == "received"


@pytest.mark.parametrize("name", ["If-Match", "Idempotency-Key", "X-Correlation-Id"])
def test_a_single_valued_header_sent_twice_is_400_not_its_last_line(name: str) -> None:
    event = api_event("POST", "/orders", body=laptop_order())
    event["headers"][name] = "b"
    event["multiValueHeaders"] = {name: ["a", "b"]}

    response = handler.handle(event, LambdaContext())

    assert response["statusCode"] == 400
    assert json.loads(response["body"])["errors"] == [
        {"field": name, "message": "must be given once"}
    ]


@pytest.mark.parametrize("name", ["If-Match", "Idempotency-Key", "X-Correlation-Id"])
@pytest.mark.parametrize("lines", ["both maps", "headers only"])
def test_two_case_variants_of_a_single_valued_header_are_400_as_two_lines_are(
    name: str, lines: str
) -> None:
    """HTTP header names are case-insensitive: X-Correlation-Id and x-correlation-id are one."""
    event = api_event("POST", "/orders", body=laptop_order())
    event["headers"] |= {name: "a", name.lower(): "b"}
    event["multiValueHeaders"] = {name: ["a"], name.lower(): ["b"]} if lines == "both maps" else {}

    response = handler.handle(event, LambdaContext())

    assert response["statusCode"] == 400
    assert json.loads(response["body"])["errors"] == [
        {"field": name, "message": "must be given once"}
    ]
