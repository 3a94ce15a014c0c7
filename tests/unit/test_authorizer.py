"""The local gateway's Cognito authorizer: what API Gateway lets through, and the claims it passes.

Keys are made here with cryptography; tokens are signed with PyJWT as Cognito signs them
(RS256, the pool's ``kid``), then changed one way at a time.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from offline.authorizer import CognitoAuthorizer, Refused, api_gateway_date, as_claim
from tests.support.tokens import (
    hs256_keyed_with,
    jwks,
    rsa_key,
    signed,
    unsigned,
    with_claims_edited,
)

POOL_ID = "eu-west-1_Rp4rT4ll3r"
ISSUER = f"https://cognito-idp.eu-west-1.amazonaws.com/{POOL_ID}"
CLIENT_ID = "4f2l8d9q0mfrontdesk"
KID = "taller-key-1"
POOL_KEY = rsa_key()
OTHER_KEY = rsa_key()


def id_claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "sub": "7d1f3c2a-90b4-4e7f-8a51-3c9e2b6d4f10",
        "aud": CLIENT_ID,
        "iss": ISSUER,
        "token_use": "id",
        "email": "recepcion@taller.example",
        "email_verified": True,
        "name": "Marta Recepción",
        "cognito:username": "7d1f3c2a-90b4-4e7f-8a51-3c9e2b6d4f10",
        "cognito:groups": ["frontdesk"],
        "auth_time": now - 60,
        "iat": now - 60,
        "exp": now + 3540,
    }
    return {name: value for name, value in (claims | changes).items() if value is not None}


def sign(claims: dict[str, Any], key: Any = POOL_KEY, algorithm: str = "RS256") -> str:
    return signed(claims, key, KID, algorithm)


@pytest.fixture
def authorizer() -> CognitoAuthorizer:
    return CognitoAuthorizer(POOL_ID, [CLIENT_ID], jwks(POOL_KEY, KID))


def test_a_valid_id_token_passes_its_claims_as_api_gateway_writes_them(
    authorizer: CognitoAuthorizer,
) -> None:
    token_claims = id_claims(**{"cognito:groups": ["admin", "frontdesk"]})

    claims = authorizer.claims(f"Bearer {sign(token_claims)}")

    assert claims == {
        "sub": "7d1f3c2a-90b4-4e7f-8a51-3c9e2b6d4f10",
        "aud": CLIENT_ID,
        "iss": ISSUER,
        "token_use": "id",
        "email": "recepcion@taller.example",
        "email_verified": "true",
        "name": "Marta Recepción",
        "cognito:username": "7d1f3c2a-90b4-4e7f-8a51-3c9e2b6d4f10",
        "cognito:groups": "admin,frontdesk",
        "auth_time": str(token_claims["auth_time"]),
        "iat": api_gateway_date(token_claims["iat"]),
        "exp": api_gateway_date(token_claims["exp"]),
    }


def test_the_token_is_taken_raw_or_after_bearer_in_any_case(
    authorizer: CognitoAuthorizer,
) -> None:
    token = sign(id_claims())

    for header in (token, f"Bearer {token}", f"bearer  {token}", f" BEARER {token} "):
        assert authorizer.claims(header)["email"] == "recepcion@taller.example"


def test_a_user_in_no_group_has_no_groups_claim(authorizer: CognitoAuthorizer) -> None:
    claims = authorizer.claims(sign(id_claims(**{"cognito:groups": None})))

    assert "cognito:groups" not in claims


def test_dates_are_written_as_api_gateway_writes_them_whatever_the_locale() -> None:
    assert api_gateway_date(1796400359) == "Fri Dec 04 16:05:59 UTC 2026"
    assert api_gateway_date(1772409600) == "Mon Mar 02 00:00:00 UTC 2026"
    assert as_claim("exp", 1796400359) == "Fri Dec 04 16:05:59 UTC 2026"
    assert as_claim("auth_time", 1796400359) == "1796400359"
    assert as_claim("email_verified", False) == "false"
    assert as_claim("cognito:groups", ["technician"]) == "technician"


REFUSED = {
    "no header": None,
    "an empty header": "",
    "Bearer and nothing": "Bearer ",
    "not a JWT": "Bearer not-a-token",
    "three parts of garbage": "Bearer abc.def.ghi",
    "alg none": unsigned(id_claims(), KID),
    "HS256 keyed with the public key": hs256_keyed_with(POOL_KEY.public_key(), id_claims(), KID),
    "RS512 from the pool's own key": sign(id_claims(), algorithm="RS512"),
    "signed by another key": sign(id_claims(), key=OTHER_KEY),
    "a kid the pool does not have": signed(id_claims(), POOL_KEY, "someone-elses"),
    "expired": sign(id_claims(exp=int(time.time()) - 5, iat=int(time.time()) - 3605)),
    "no exp": sign(id_claims(exp=None)),
    "an access token": sign(
        id_claims(token_use="access", aud=None, client_id=CLIENT_ID, scope="openid")
    ),
    "token_use access with an aud": sign(id_claims(token_use="access")),
    "no token_use": sign(id_claims(token_use=None)),
    "another client's aud": sign(id_claims(aud="7q0otherclientid")),
    "another pool's iss": sign(
        id_claims(iss="https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_0therP00l")
    ),
    "groups edited after signing": with_claims_edited(
        sign(id_claims()), **{"cognito:groups": ["admin"]}
    ),
}


@pytest.mark.parametrize("authorization", REFUSED.values(), ids=REFUSED.keys())
def test_what_api_gateway_would_answer_401_is_refused(
    authorizer: CognitoAuthorizer, authorization: str | None
) -> None:
    with pytest.raises(Refused):
        authorizer.claims(authorization)


def test_the_signature_check_is_what_refuses_edited_groups(authorizer: CognitoAuthorizer) -> None:
    with pytest.raises(Refused, match="Signature verification failed"):
        authorizer.claims(REFUSED["groups edited after signing"])


def test_tokens_of_any_of_the_pools_app_clients_pass() -> None:
    authorizer = CognitoAuthorizer(POOL_ID, [CLIENT_ID, "9z9workshopapp"], jwks(POOL_KEY, KID))

    claims = authorizer.claims(sign(id_claims(aud="9z9workshopapp")))

    assert claims["aud"] == "9z9workshopapp"


def test_an_authorizer_without_app_clients_is_a_mistake() -> None:
    with pytest.raises(ValueError, match="app clients"):
        CognitoAuthorizer(POOL_ID, [], jwks(POOL_KEY, KID))
