"""API Gateway's ``COGNITO_USER_POOLS`` authorizer, for the local gateway.

API Gateway takes the ID token from the ``Authorization`` header (the raw token, or after
``Bearer``), checks its RS256 signature against the pool's public keys, its issuer (the pool),
audience (an app client of the pool), ``token_use`` (``id``) and expiry, and passes its claims to
the function as strings: lists comma-joined (``cognito:groups``), ``exp`` and ``iat`` as dates
("Fri Dec 04 16:05:59 UTC 2026"), other numbers (``auth_time``) as their digits. Locally the
keys are the emulator's, served at ``<emulator>/<poolId>/.well-known/jwks.json``.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Collection, Mapping
from datetime import UTC, datetime
from typing import Any

import jwt

ALGORITHM = "RS256"  # what Cognito signs with; any other "alg" is refused before any key is used
_DATE_CLAIMS = frozenset({"exp", "iat"})
# Java's Date.toString(), which API Gateway's claims use, in English whatever the locale.
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class Refused(Exception):
    """API Gateway would answer 401; the message says why, for the local console only."""


def issuer(pool_id: str) -> str:
    """The ``iss`` of the pool's tokens; a pool id starts with its region (us-east-1_...)."""
    region = pool_id.partition("_")[0]
    return f"https://cognito-idp.{region}.amazonaws.com/{pool_id}"


def fetch_jwks(emulator_url: str, pool_id: str, timeout_s: float = 10) -> dict[str, Any]:
    """The pool's public keys (a JWK set) as the emulator serves them."""
    url = f"{emulator_url.rstrip('/')}/{pool_id}/.well-known/jwks.json"
    with urllib.request.urlopen(url, timeout=timeout_s) as answer:
        keys: dict[str, Any] = json.load(answer)
    return keys


class CognitoAuthorizer:
    """Checks ID tokens of one user pool for its app clients, with the pool's keys (a JWK set)."""

    def __init__(self, pool_id: str, client_ids: Collection[str], jwks: Mapping[str, Any]) -> None:
        if not client_ids:
            raise ValueError("an authorizer needs the app clients whose tokens it accepts")
        self._issuer = issuer(pool_id)
        self._client_ids = sorted(client_ids)
        self._keys = jwt.PyJWKSet.from_dict(dict(jwks))

    def claims(self, authorization: str | None) -> dict[str, str]:
        """The claims API Gateway passes for this ``Authorization`` header; raises Refused."""
        token = _token(authorization)
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise Refused(f"not a JWT: {error}") from error
        if header.get("alg") != ALGORITHM:
            raise Refused(f"alg {header.get('alg')!r} is not {ALGORITHM}")
        try:
            key = self._keys[str(header.get("kid"))]
        except KeyError as error:
            raise Refused(f"no key {header.get('kid')!r} in the pool's JWKS") from error
        try:
            payload = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=self._client_ids,
                issuer=self._issuer,
                options={"require": ["exp", "iss", "aud", "token_use"]},
            )
        except jwt.PyJWTError as error:
            raise Refused(str(error) or type(error).__name__) from error
        if payload["token_use"] != "id":
            raise Refused(f"token_use is {payload['token_use']!r}, not 'id'")
        return {name: as_claim(name, value) for name, value in payload.items()}


def _token(authorization: str | None) -> str:
    if not authorization or not authorization.strip():
        raise Refused("no Authorization header")
    scheme, _, rest = authorization.strip().partition(" ")
    token = rest.strip() if scheme.lower() == "bearer" else authorization.strip()
    if not token:
        raise Refused("an empty bearer token")
    return token


def as_claim(name: str, value: object) -> str:
    """One claim as API Gateway writes it into ``requestContext.authorizer.claims``."""
    if name in _DATE_CLAIMS and isinstance(value, int | float) and not isinstance(value, bool):
        return api_gateway_date(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ",".join(as_claim("", item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def api_gateway_date(epoch_s: float) -> str:
    """``1796400359`` -> ``"Fri Dec 04 16:05:59 UTC 2026"``."""
    at = datetime.fromtimestamp(epoch_s, UTC)
    day, month = _DAYS[at.weekday()], _MONTHS[at.month - 1]
    return f"{day} {month} {at.day:02d} {at:%H:%M:%S} UTC {at.year}"
