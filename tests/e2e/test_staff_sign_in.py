"""Who may do what, over HTTP through the local gateway (issue 21's bad input).

Each request below is refused with a problem: 401 from the gateway when the token is not a valid
ID token of the pool's app client, 403 from the function when the signed-in user's groups do not
allow the action. And each writes nothing: the table holds as many orders as before, and the
order it aimed at is unchanged.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError

from offline.authorizer import issuer
from offline.identity import demo_password, id_token
from tests.e2e.conftest import LocalStack
from tests.support.data import laptop_order
from tests.support.tokens import (
    moto_signing_key,
    payload,
    rsa_key,
    signed,
    unsigned,
    with_claims_edited,
)

MOTO_KID = "dummy"  # the kid of the one key moto signs every pool's tokens with


def send(
    stack: LocalStack, method: str, path: str, headers: dict[str, str], body: object = None
) -> requests.Response:
    return requests.request(method, stack.api_url + path, json=body, headers=headers, timeout=10)


def read_as_admin(stack: LocalStack, order_id: str) -> dict[str, Any]:
    answer = send(stack, "GET", f"/orders/{order_id}", stack.headers("admin"))
    assert answer.status_code == 200, answer.text
    order: dict[str, Any] = answer.json()
    return order


@contextlib.contextmanager
def nothing_written(stack: LocalStack, order_id: str) -> Iterator[None]:
    """No order is added, and ``order_id`` keeps its version, status and history."""
    stored = stack.orders_stored()
    before = read_as_admin(stack, order_id)
    yield
    after = read_as_admin(stack, order_id)
    assert stack.orders_stored() == stored
    assert (after["version"], after["status"], after["history"]) == (
        before["version"],
        before["status"],
        before["history"],
    )


def assert_problem(answer: requests.Response, status: int, kind: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["Content-Type"] == "application/problem+json"
    problem: dict[str, Any] = answer.json()
    assert problem["type"] == f"urn:orders:problem:{kind}"
    assert problem["status"] == status
    return problem


@pytest.fixture(scope="module")
def order_id(local_stack: LocalStack) -> str:
    """A received order the refused requests try to cancel."""
    created = send(local_stack, "POST", "/orders", local_stack.headers("frontdesk"), laptop_order())
    assert created.status_code == 201, created.text
    order: str = created.json()["orderId"]
    return order


def create_staff(stack: LocalStack, email: str, group: str | None, pool_id: str = "") -> str:
    """A confirmed user (in ``group``, if given) of the stack's pool or of ``pool_id``; its
    password."""
    cognito, pool_id = stack.client("cognito-idp"), pool_id or stack.state["userPoolId"]
    policy = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]["Policies"]
    password = demo_password(policy["PasswordPolicy"])
    attributes = [{"Name": "email", "Value": email}, {"Name": "name", "Value": email}]
    cognito.admin_create_user(
        UserPoolId=pool_id, Username=email, UserAttributes=attributes, MessageAction="SUPPRESS"
    )
    cognito.admin_set_user_password(
        UserPoolId=pool_id, Username=email, Password=password, Permanent=True
    )
    if group is not None:
        cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=email, GroupName=group)
    return password


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _signed_by_moto(stack: LocalStack, **changes: Any) -> str:
    """A frontdesk ID token re-signed with the emulator's own key, its claims changed."""
    claims = payload(stack.token("frontdesk")) | changes
    return signed(claims, moto_signing_key(), MOTO_KID)


def _access_token(stack: LocalStack) -> str:
    user = stack.demo_user("frontdesk")
    answer = stack.client("cognito-idp").initiate_auth(
        ClientId=stack.state["userPoolClientId"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": user["email"], "PASSWORD": user["password"]},
    )
    token: str = answer["AuthenticationResult"]["AccessToken"]
    return token


def _another_clients_token(stack: LocalStack) -> str:
    """A real sign-in of the frontdesk user through a second app client of the same pool."""
    cognito = stack.client("cognito-idp")
    other = cognito.create_user_pool_client(
        UserPoolId=stack.state["userPoolId"],
        ClientName="orders-local-kiosk",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    user = stack.demo_user("frontdesk")
    return id_token(cognito, other, user["email"], user["password"])


def _another_pools_iss(stack: LocalStack) -> str:
    """Our frontdesk token as another pool of the emulator would issue it (same key)."""
    other = stack.client("cognito-idp").create_user_pool(PoolName="orders-other-shop-staff")
    return _signed_by_moto(stack, iss=issuer(other["UserPool"]["Id"]))


# Each is what a caller might send instead of a valid ID token of the pool's app client.
UNAUTHORIZED: dict[str, Callable[[LocalStack], dict[str, str]]] = {
    "no Authorization header": lambda stack: {},
    "a malformed token": lambda stack: bearer("eyJhbGciOiJSUzI1NiJ9.not-base64!.x"),
    "alg none": lambda stack: bearer(unsigned(payload(stack.token("frontdesk")), MOTO_KID)),
    "a token signed by another key": lambda stack: bearer(
        signed(payload(stack.token("frontdesk")), rsa_key(), MOTO_KID)
    ),
    "an expired token": lambda stack: bearer(
        _signed_by_moto(stack, exp=int(time.time()) - 60, iat=int(time.time()) - 3660)
    ),
    "an access token": lambda stack: bearer(_access_token(stack)),
    "another client's aud": lambda stack: bearer(_another_clients_token(stack)),
    "another pool's iss": lambda stack: bearer(_another_pools_iss(stack)),
    "a technician's token edited to admin": lambda stack: bearer(
        with_claims_edited(stack.token("technician"), **{"cognito:groups": ["admin"]})
    ),
}


@pytest.mark.parametrize("sent", UNAUTHORIZED.values(), ids=UNAUTHORIZED.keys())
def test_a_request_without_a_valid_id_token_gets_401_and_writes_nothing(
    local_stack: LocalStack, order_id: str, sent: Callable[[LocalStack], dict[str, str]]
) -> None:
    headers = sent(local_stack)

    with nothing_written(local_stack, order_id):
        created = send(local_stack, "POST", "/orders", headers, laptop_order())
        canceled = send(local_stack, "PUT", f"/orders/{order_id}", headers, {"status": "canceled"})

    for answer in (created, canceled):
        problem = assert_problem(answer, 401, "unauthorized")
        assert "Authorization: Bearer" in problem["detail"]


def test_the_emulators_own_key_is_trusted_so_an_expired_token_fails_on_its_expiry(
    local_stack: LocalStack,
) -> None:
    fresh = _signed_by_moto(local_stack, exp=int(time.time()) + 600)
    expired = _signed_by_moto(local_stack, exp=int(time.time()) - 60)

    assert send(local_stack, "GET", "/orders?limit=1", bearer(fresh)).status_code == 200
    assert_problem(
        send(local_stack, "GET", "/orders?limit=1", bearer(expired)), 401, "unauthorized"
    )


def test_a_disabled_user_cannot_sign_in_again(local_stack: LocalStack) -> None:
    email = "baja@taller.example"
    password = create_staff(local_stack, email, "frontdesk")
    cognito, client_id = local_stack.client("cognito-idp"), local_stack.state["userPoolClientId"]
    assert id_token(cognito, client_id, email, password)  # signs in while enabled

    cognito.admin_disable_user(UserPoolId=local_stack.state["userPoolId"], Username=email)

    with pytest.raises(ClientError) as refused:
        id_token(cognito, client_id, email, password)
    assert refused.value.response["Error"]["Code"] == "NotAuthorizedException"


def test_a_signed_in_user_in_no_group_gets_403_and_writes_nothing(
    local_stack: LocalStack, order_id: str
) -> None:
    email = "sin-grupo@taller.example"
    password = create_staff(local_stack, email, group=None)
    client_id = local_stack.state["userPoolClientId"]
    headers = bearer(id_token(local_stack.client("cognito-idp"), client_id, email, password))

    with nothing_written(local_stack, order_id):
        created = send(local_stack, "POST", "/orders", headers, laptop_order())
        canceled = send(local_stack, "PUT", f"/orders/{order_id}", headers, {"status": "canceled"})
    listed = send(local_stack, "GET", "/orders", headers)

    for answer in (created, canceled, listed):
        assert_problem(answer, 403, "forbidden")


@pytest.mark.parametrize(
    ("method", "body", "permission"),
    [("POST", laptop_order(), "orders:create"), ("PUT", {"status": "canceled"}, "orders:cancel")],
    ids=["creating an order", "canceling an order"],
)
def test_a_technician_gets_403_naming_the_permission_and_writes_nothing(
    local_stack: LocalStack, order_id: str, method: str, body: object, permission: str
) -> None:
    path = "/orders" if method == "POST" else f"/orders/{order_id}"

    with nothing_written(local_stack, order_id):
        answer = send(local_stack, method, path, local_stack.headers("technician"), body)

    problem = assert_problem(answer, 403, "forbidden")
    assert permission in problem["detail"]
    assert "technician" in problem["detail"]
