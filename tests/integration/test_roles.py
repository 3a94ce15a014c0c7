"""Each staff role's allowed and forbidden actions, signed in with real ID tokens.

The user pool, its client and groups are created from the template in moto; each member of staff
signs in with a password, and their ID token is checked and turned into claims as API Gateway's
Cognito authorizer does (``offline.authorizer``), with the keys moto signs every token with.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import boto3
import moto
import pytest

from offline.authorizer import CognitoAuthorizer
from offline.identity import DemoUser, create_demo_users, demo_password, id_token
from tests.integration.conftest import Api, EventInbox, Queues, Response
from tests.support.data import laptop_order
from tests.support.events import ORDER_ROUTE
from tests.support.stack import Stack

# The one key pair moto signs every pool's tokens with; its server serves the public half at
# /<poolId>/.well-known/jwks.json, which the in-process mock has no route for.
_MOTO_JWKS = Path(moto.__file__).parent / "cognitoidp" / "resources" / "jwks-public.json.gz"

Claims = dict[str, str]


@pytest.fixture
def staff(stack: Stack) -> dict[str, Claims]:
    """The claims of one signed-in member of staff per group, and of one in no group."""
    cognito = boto3.client("cognito-idp")
    pool = stack.user_pools["StaffUserPool"]
    users = create_demo_users(cognito, pool)
    loner = DemoUser("becario@taller.example", "", "Pablo Becario", demo_password({}))
    cognito.admin_create_user(
        UserPoolId=pool.pool_id,
        Username=loner.email,
        UserAttributes=[{"Name": "name", "Value": loner.name}],
        MessageAction="SUPPRESS",
    )
    cognito.admin_set_user_password(
        UserPoolId=pool.pool_id, Username=loner.email, Password=loner.password, Permanent=True
    )
    authorizer = CognitoAuthorizer(
        pool.pool_id, pool.client_ids, json.loads(gzip.decompress(_MOTO_JWKS.read_bytes()))
    )
    signed_in = {}
    for user in (*users, loner):
        token = id_token(cognito, pool.client_ids[0], user.email, user.password)
        signed_in[user.group or "nobody"] = authorizer.claims(f"Bearer {token}")
    assert set(signed_in) == {"frontdesk", "technician", "admin", "nobody"}
    return signed_in


def _table(stack: Stack) -> list[dict[str, Any]]:
    """Every item of the Orders table, to show that a refused request wrote nothing."""
    items: list[dict[str, Any]] = boto3.client("dynamodb").scan(
        TableName=stack.environment["ORDERS_TABLE"]
    )["Items"]
    return items


def _as(api: Api, claims: Claims, action: str, order_id: str) -> Response:
    """Do ``action`` to the order as the staff member these claims name."""
    bodies = {
        "edit": {"priority": "urgent"},
        "start": {"status": "inprocess", "note": "Battery ordered."},
        "complete": {"status": "completed", "note": "New battery fitted."},
        "cancel": {"status": "canceled", "note": "Customer declined the quote."},
    }
    if action == "create":
        return api.create(laptop_order(), claims=claims)
    if action == "read":
        return api.call("GET", ORDER_ROUTE, order_id=order_id, claims=claims)
    if action == "list":
        return api.call("GET", "/orders", claims=claims)
    return api.update(order_id, bodies[action], claims=claims)


def test_a_repair_records_who_took_it_in_started_and_finished_it(
    api: Api, staff: dict[str, Claims], queues: Queues, events: EventInbox
) -> None:
    created = api.create(laptop_order(), claims=staff["frontdesk"])
    order_id = created.body["orderId"]
    started = _as(api, staff["technician"], "start", order_id)
    finished = _as(api, staff["technician"], "complete", order_id)

    assert (created.status, started.status, finished.status) == (201, 200, 200)
    order = _as(api, staff["admin"], "read", order_id).body
    marta = {"sub": staff["frontdesk"]["sub"], "name": "Marta Recepción"}
    jorge = {"sub": staff["technician"]["sub"], "name": "Jorge Técnico"}
    assert order["createdBy"] == marta
    assert [(e["status"], e["actor"]) for e in order["history"]] == [
        ("received", marta),
        ("inprocess", jorge),
        ("completed", jorge),
    ]
    for status in ("received", "inprocess", "completed"):
        queues.deliver(status)
    published = [json.loads(event["message"]) for event in events.events()]
    assert sorted((e["status"], e["actorSub"]) for e in published) == [
        ("completed", jorge["sub"]),
        ("inprocess", jorge["sub"]),
        ("received", marta["sub"]),
    ]
    assert not any("Jorge" in event or "tecnico@" in event for event in map(json.dumps, published))


ALLOWED = [
    ("frontdesk", "create"),
    ("frontdesk", "read"),
    ("frontdesk", "list"),
    ("frontdesk", "edit"),
    ("frontdesk", "cancel"),
    ("technician", "read"),
    ("technician", "list"),
    ("technician", "start"),
    ("admin", "create"),
    ("admin", "edit"),
    ("admin", "start"),
    ("admin", "cancel"),
]


@pytest.mark.parametrize(("group", "action"), ALLOWED)
def test_each_role_may_do_what_its_group_allows(
    api: Api, staff: dict[str, Claims], group: str, action: str
) -> None:
    order_id = api.create(laptop_order(), claims=staff["admin"]).body["orderId"]

    response = _as(api, staff[group], action, order_id)

    assert response.status in (200, 201), response.body


FORBIDDEN = [
    ("technician", "create", "orders:create"),
    ("technician", "cancel", "orders:cancel"),
    ("technician", "edit", "orders:edit"),
    ("frontdesk", "start", "orders:start"),
    ("frontdesk", "complete", "orders:complete"),
    ("nobody", "read", "orders:read"),
    ("nobody", "list", "orders:read"),
    ("nobody", "create", "orders:create"),
]


@pytest.mark.parametrize(("group", "action", "permission"), FORBIDDEN)
def test_a_forbidden_action_is_403_naming_the_permission_and_writes_nothing(
    api: Api,
    stack: Stack,
    staff: dict[str, Claims],
    queues: Queues,
    group: str,
    action: str,
    permission: str,
) -> None:
    order_id = api.create(laptop_order(), claims=staff["admin"]).body["orderId"]
    if action == "complete":
        _as(api, staff["technician"], "start", order_id)
    for status in ("received", "inprocess"):
        queues.drain(status)
    before = _table(stack)

    response = _as(api, staff[group], action, order_id)

    assert response.status == 403
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.body["type"] == "urn:orders:problem:forbidden"
    assert response.body["permission"] == permission
    assert permission in response.body["detail"]
    assert _table(stack) == before
    assert all(queues.drain(status) == [] for status in ("received", "inprocess", "completed"))
