"""The caller from the claims API Gateway's Cognito authorizer passes: staff, or a 401."""

from __future__ import annotations

from typing import Any

import pytest

from orders.api.identity import staff_from_claims
from orders.api.requests import HttpProblem
from orders.domain.model import Actor
from tests.support.events import staff_claims


def test_an_id_tokens_claims_name_the_staff_member_and_their_groups() -> None:
    staff = staff_from_claims(staff_claims("frontdesk,technician", name="Marta Recepción"))

    assert staff.actor == Actor(staff_claims()["sub"], "Marta Recepción")
    assert staff.groups == {"frontdesk", "technician"}


@pytest.mark.parametrize(
    ("sent", "groups"),
    [
        ("frontdesk", {"frontdesk"}),
        ("admin,frontdesk", {"admin", "frontdesk"}),
        ("[admin frontdesk]", {"admin", "frontdesk"}),
        ("[admin, technician]", {"admin", "technician"}),
        ("", set()),
    ],
)
def test_groups_read_in_each_form_api_gateway_writes_them(sent: str, groups: set[str]) -> None:
    assert staff_from_claims(staff_claims(sent)).groups == groups


def test_a_user_in_no_group_has_no_groups_claim_and_is_still_signed_in() -> None:
    claims = staff_claims("")
    assert "cognito:groups" not in claims

    assert staff_from_claims(claims).groups == frozenset()


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("  Jorge Técnico ", "Jorge Técnico"),
        (None, "marta@taller.example"),
        ("", "marta@taller.example"),
        ("Jorge\nTécnico", "marta@taller.example"),
        ("J" * 300, "J" * 100),
    ],
)
def test_the_display_name_is_the_name_else_the_email(name: str | None, shown: str) -> None:
    claims = staff_claims(name=name, email="marta@taller.example")

    assert staff_from_claims(claims).actor.name == shown


def _without(name: str) -> dict[str, str]:
    claims = staff_claims()
    del claims[name]
    return claims


@pytest.mark.parametrize(
    "claims",
    [
        None,
        "sub=abc",
        {},
        staff_claims(token_use="access"),
        _without("token_use"),
        _without("sub"),
        staff_claims(sub=""),
        staff_claims(sub="a b"),
        staff_claims(sub="x" * 129),
        {**staff_claims(), "cognito:groups": ["admin"]},
    ],
    ids=[
        "no authorizer",
        "claims not a map",
        "no claims",
        "access token",
        "no token_use",
        "no sub",
        "empty sub",
        "sub with a space",
        "sub too long",
        "groups not a string",
    ],
)
def test_claims_that_are_not_an_id_tokens_are_refused_never_anonymous(claims: Any) -> None:
    with pytest.raises(HttpProblem) as refused:
        staff_from_claims(claims)

    assert refused.value.status == 401
    assert refused.value.headers == {"WWW-Authenticate": "Bearer"}
