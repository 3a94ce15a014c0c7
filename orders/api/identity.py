"""Who is asking: the staff member named by the claims API Gateway's Cognito authorizer verified.

The authorizer checks the ID token's signature, issuer, audience and expiry before the function
runs; it passes the token's claims as strings in ``requestContext.authorizer.claims``. The groups
are this function's to check (the authorizer ignores them), so claims that are missing or do not
read as an ID token's are refused with a 401, never taken for an anonymous caller.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from orders.api.requests import HttpProblem
from orders.domain.model import Actor
from orders.domain.roles import Staff

# A user pool's ``sub`` is a UUID; anything of its alphabet up to 128 characters is taken as is.
_SUB = re.compile(r"[A-Za-z0-9-]{1,128}")
# ``cognito:groups`` comes as "frontdesk", "admin,frontdesk" or "[admin frontdesk]".
_GROUP_SEPARATORS = re.compile(r"[\s,]+")
_MAX_NAME = 100
_UNAUTHORIZED = {"WWW-Authenticate": "Bearer"}


def staff_from_claims(claims: object) -> Staff:
    """The staff member the claims name; a 401 problem when they are not an ID token's."""
    if not isinstance(claims, Mapping):
        raise _unauthorized("The request carries no verified sign-in.")
    if claims.get("token_use") != "id":
        raise _unauthorized("Send an ID token, not an access token.")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not _SUB.fullmatch(sub):
        raise _unauthorized("The sign-in names no user.")
    groups = claims.get("cognito:groups", "")
    if not isinstance(groups, str):
        raise _unauthorized("The sign-in's groups are not readable.")
    names = _GROUP_SEPARATORS.split(groups.strip().removeprefix("[").removesuffix("]"))
    return Staff(Actor(sub, _display_name(claims) or sub), frozenset(n for n in names if n))


def _display_name(claims: Mapping[str, Any]) -> str:
    """The ``name`` claim, else the email: printable text, at most 100 characters."""
    for claim in ("name", "email"):
        value = claims.get(claim)
        if isinstance(value, str) and (shown := value.strip()) and shown.isprintable():
            return shown[:_MAX_NAME]
    return ""


def _unauthorized(detail: str) -> HttpProblem:
    return HttpProblem(401, "Unauthorized", detail, _UNAUTHORIZED)
