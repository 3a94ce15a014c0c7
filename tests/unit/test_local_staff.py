"""The local stack's demo staff: one confirmed user per group, each with a fresh valid password."""

from __future__ import annotations

import string
from typing import Any

import pytest

from offline.identity import UserPool, create_demo_users, demo_password

POLICIES = {
    "the template's": {
        "MinimumLength": 12,
        "RequireLowercase": True,
        "RequireUppercase": True,
        "RequireNumbers": True,
        "RequireSymbols": False,
    },
    "with symbols": {"MinimumLength": 8, "RequireSymbols": True},
    "long": {"MinimumLength": 64},
    "Cognito's default (none given)": {},
}


@pytest.mark.parametrize("policy", POLICIES.values(), ids=POLICIES.keys())
def test_a_demo_password_meets_the_pools_policy(policy: dict[str, Any]) -> None:
    for _ in range(50):
        password = demo_password(policy)

        assert len(password) >= max(policy.get("MinimumLength", 8), 20)
        assert password[0] in string.ascii_letters  # never read as a command-line option
        assert any(c.islower() for c in password)
        assert any(c.isupper() for c in password)
        assert any(c.isdigit() for c in password)
        if policy.get("RequireSymbols", True):
            assert any(c in "-_" for c in password)


def test_every_start_makes_new_passwords() -> None:
    assert len({demo_password(POLICIES["the template's"]) for _ in range(100)}) == 100


class FakeCognito:
    """The few admin calls the demo users need, keeping users as Cognito would."""

    def __init__(self) -> None:
        self.users: dict[str, dict[str, Any]] = {}

    def admin_create_user(self, **call: Any) -> None:
        attributes = {a["Name"]: a["Value"] for a in call["UserAttributes"]}
        self.users[call["Username"]] = {"attributes": attributes, "groups": set()}
        self.users[call["Username"]]["status"] = "FORCE_CHANGE_PASSWORD"

    def admin_set_user_password(self, **call: Any) -> None:
        user = self.users[call["Username"]]
        user["password"] = call["Password"]
        user["status"] = "CONFIRMED" if call["Permanent"] else "FORCE_CHANGE_PASSWORD"

    def admin_add_user_to_group(self, **call: Any) -> None:
        self.users[call["Username"]]["groups"].add(call["GroupName"])


def test_each_group_gets_one_confirmed_demo_user_with_a_name() -> None:
    cognito = FakeCognito()
    pool = UserPool(
        "us-east-1_L0cal", ("client",), ("frontdesk", "technician", "admin", "intern"), {}
    )

    users = create_demo_users(cognito, pool)

    assert [(u.email, u.group, u.name) for u in users] == [
        ("recepcion@taller.example", "frontdesk", "Marta Recepción"),
        ("tecnico@taller.example", "technician", "Jorge Técnico"),
        ("admin@taller.example", "admin", "Ana Administradora"),
        ("intern@taller.example", "intern", "Intern"),
    ]
    for user in users:
        stored = cognito.users[user.email]
        assert stored["status"] == "CONFIRMED"
        assert stored["password"] == user.password
        assert stored["groups"] == {user.group}
        assert stored["attributes"]["name"] == user.name
        assert stored["attributes"]["email_verified"] == "true"
