"""Staff of the local stack: its user pool, one demo user per group, and signing in as one.

The pool, its app client and groups come from the template (offline/provision.py); the users are
made here, confirmed, each with a password made for this run that meets the pool's policy. The
cognito-idp client is always given, so nothing here imports an AWS SDK.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

# Who signs in locally as each of the template's groups (a group not listed gets <group>@...).
DEMO_STAFF = {
    "frontdesk": ("recepcion@taller.example", "Marta Recepción"),
    "technician": ("tecnico@taller.example", "Jorge Técnico"),
    "admin": ("admin@taller.example", "Ana Administradora"),
}
# Letters, digits, and two symbols Cognito counts as such that a shell leaves alone.
_PASSWORD_ALPHABET = string.ascii_letters + string.digits + "-_"
_REQUIRED_CLASSES = {
    "RequireLowercase": string.ascii_lowercase,
    "RequireUppercase": string.ascii_uppercase,
    "RequireNumbers": string.digits,
    "RequireSymbols": "-_",
}


@dataclass(frozen=True)
class UserPool:
    """A user pool created in the emulator: its id, its app clients, groups and password policy."""

    pool_id: str
    client_ids: tuple[str, ...]
    groups: tuple[str, ...]
    password_policy: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DemoUser:
    """A confirmed staff account of the local pool, in one group."""

    email: str
    group: str
    name: str
    password: str

    def as_json(self) -> dict[str, str]:
        return asdict(self)


def demo_password(policy: Mapping[str, Any]) -> str:
    """A random password the pool's ``PasswordPolicy`` accepts (at least 20 characters).

    It starts with a letter, so no command line takes it for an option.
    """
    length = max(int(policy.get("MinimumLength", 8)), 20)
    required = [chars for rule, chars in _REQUIRED_CLASSES.items() if policy.get(rule, True)]
    while True:
        password = secrets.choice(string.ascii_letters) + "".join(
            secrets.choice(_PASSWORD_ALPHABET) for _ in range(length - 1)
        )
        if all(any(c in chars for c in password) for chars in required):
            return password


def create_demo_users(cognito_idp: Any, pool: UserPool) -> list[DemoUser]:
    """One confirmed user per group of ``pool``, with a fresh password (no invitation sent)."""
    users = []
    for group in pool.groups:
        email, name = DEMO_STAFF.get(group, (f"{group}@taller.example", group.capitalize()))
        user = DemoUser(email, group, name, demo_password(pool.password_policy))
        cognito_idp.admin_create_user(
            UserPoolId=pool.pool_id,
            Username=email,
            UserAttributes=[
                {"Name": "email", "Value": email},
                {"Name": "email_verified", "Value": "true"},
                {"Name": "name", "Value": name},
            ],
            MessageAction="SUPPRESS",
        )
        # Permanent: confirmed, so the first sign-in is not asked for a new password.
        cognito_idp.admin_set_user_password(
            UserPoolId=pool.pool_id, Username=email, Password=user.password, Permanent=True
        )
        cognito_idp.admin_add_user_to_group(
            UserPoolId=pool.pool_id, Username=email, GroupName=group
        )
        users.append(user)
    return users


def id_token(cognito_idp: Any, client_id: str, email: str, password: str) -> str:
    """Sign in with email and password (``USER_PASSWORD_AUTH``); the ID token API Gateway takes."""
    answer = cognito_idp.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": password},
    )
    if "AuthenticationResult" not in answer:
        raise RuntimeError(f"{email} was asked {answer.get('ChallengeName')} on signing in")
    token: str = answer["AuthenticationResult"]["IdToken"]
    return token
