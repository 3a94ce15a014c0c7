"""The local gateway's Cognito authorizer: what API Gateway lets through, and the claims it passes.

Keys are made here with cryptography; tokens are signed with PyJWT as Cognito signs them
(RS256, the pool's ``kid``), then changed one way at a time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from offline.authorizer import CognitoAuthorizer, Refused, api_gateway_date, as_claim

POOL_ID = "eu-west-1_Rp4rT4ll3r"
ISSUER = f"https://cognito-idp.eu-west-1.amazonaws.com/{POOL_ID}"
CLIENT_ID = "4f2l8d9q0mfrontdesk"
KID = "taller-key-1"


def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


POOL_KEY = rsa_key()
OTHER_KEY = rsa_key()


def jwks(key: rsa.RSAPrivateKey, kid: str = KID) -> dict[str, Any]:
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return {"keys": [public | {"kid": kid, "alg": "RS256", "use": "sig"}]}


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


def signed(
    claims: dict[str, Any], key: Any = POOL_KEY, algorithm: str = "RS256", kid: str = KID
) -> str:
    return jwt.encode(claims, key, algorithm=algorithm, headers={"kid": kid})


@pytest.fixture
def authorizer() -> CognitoAuthorizer:
    return CognitoAuthorizer(POOL_ID, [CLIENT_ID], jwks(POOL_KEY))


def test_a_valid_id_token_passes_its_claims_as_api_gateway_writes_them(
    authorizer: CognitoAuthorizer,
) -> None:
    token_claims = id_claims(**{"cognito:groups": ["admin", "frontdesk"]})

    claims = authorizer.claims(f"Bearer {signed(token_claims)}")

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
    token = signed(id_claims())

    for header in (token, f"Bearer {token}", f"bearer  {token}", f" BEARER {token} "):
        assert authorizer.claims(header)["email"] == "recepcion@taller.example"


def test_a_user_in_no_group_has_no_groups_claim(authorizer: CognitoAuthorizer) -> None:
    claims = authorizer.claims(signed(id_claims(**{"cognito:groups": None})))

    assert "cognito:groups" not in claims


def test_dates_are_written_as_api_gateway_writes_them_whatever_the_locale() -> None:
    assert api_gateway_date(1796400359) == "Fri Dec 04 16:05:59 UTC 2026"
    assert api_gateway_date(1772409600) == "Mon Mar 02 00:00:00 UTC 2026"
    assert as_claim("exp", 1796400359) == "Fri Dec 04 16:05:59 UTC 2026"
    assert as_claim("auth_time", 1796400359) == "1796400359"
    assert as_claim("email_verified", False) == "false"
    assert as_claim("cognito:groups", ["technician"]) == "technician"


def _unsigned(header: dict[str, Any], claims: dict[str, Any]) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part(header)}.{part(claims)}."


def _edited_groups(token: str, groups: list[str]) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["cognito:groups"] = groups
    edited = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{edited}.{signature}"


def _hs256_with_the_public_key() -> str:
    # The classic confusion: the pool's public key, which anyone can fetch, used as an HMAC secret.
    public_pem = POOL_KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = {"alg": "HS256", "kid": KID, "typ": "JWT"}
    signing_input = _unsigned(header, id_claims()).rstrip(".")
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


REFUSED = {
    "no header": None,
    "an empty header": "",
    "Bearer and nothing": "Bearer ",
    "not a JWT": "Bearer not-a-token",
    "three parts of garbage": "Bearer abc.def.ghi",
    "alg none": _unsigned({"alg": "none", "kid": KID}, id_claims()),
    "HS256 keyed with the public key": _hs256_with_the_public_key(),
    "RS512 from the pool's own key": signed(id_claims(), algorithm="RS512"),
    "signed by another key": signed(id_claims(), key=OTHER_KEY),
    "a kid the pool does not have": signed(id_claims(), kid="someone-elses"),
    "expired": signed(id_claims(exp=int(time.time()) - 5, iat=int(time.time()) - 3605)),
    "no exp": signed(id_claims(exp=None)),
    "an access token": signed(
        id_claims(token_use="access", aud=None, client_id=CLIENT_ID, scope="openid")
    ),
    "token_use access with an aud": signed(id_claims(token_use="access")),
    "no token_use": signed(id_claims(token_use=None)),
    "another client's aud": signed(id_claims(aud="7q0otherclientid")),
    "another pool's iss": signed(
        id_claims(iss="https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_0therP00l")
    ),
    "groups edited after signing": _edited_groups(signed(id_claims()), ["admin"]),
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
    authorizer = CognitoAuthorizer(POOL_ID, [CLIENT_ID, "9z9workshopapp"], jwks(POOL_KEY))

    claims = authorizer.claims(signed(id_claims(aud="9z9workshopapp")))

    assert claims["aud"] == "9z9workshopapp"


def test_an_authorizer_without_app_clients_is_a_mistake() -> None:
    with pytest.raises(ValueError, match="app clients"):
        CognitoAuthorizer(POOL_ID, [], jwks(POOL_KEY))
