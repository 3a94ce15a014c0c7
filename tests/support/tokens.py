"""JWTs made and changed by hand, for the authorizer's refusals: keys, signing, forging."""

from __future__ import annotations

import base64
import gzip
import hashlib
import hmac
import importlib.resources
import json
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwks(key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    """The JWK set a pool with this one key publishes."""
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return {"keys": [public | {"kid": kid, "alg": "RS256", "use": "sig"}]}


def signed(claims: dict[str, Any], key: Any, kid: str, algorithm: str = "RS256") -> str:
    return jwt.encode(claims, key, algorithm=algorithm, headers={"kid": kid})


def _part(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def payload(token: str) -> dict[str, Any]:
    """A token's claims, read without checking anything."""
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def unsigned(claims: dict[str, Any], kid: str) -> str:
    """``alg: none``: the claims with no signature at all."""
    return f"{_part({'alg': 'none', 'kid': kid, 'typ': 'JWT'})}.{_part(claims)}."


def hs256_keyed_with(public_key: rsa.RSAPublicKey, claims: dict[str, Any], kid: str) -> str:
    """The classic confusion: the pool's public key, which anyone can fetch, as an HMAC secret."""
    secret = public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signing_input = f"{_part({'alg': 'HS256', 'kid': kid, 'typ': 'JWT'})}.{_part(claims)}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def with_claims_edited(token: str, **changes: Any) -> str:
    """The token with its claims changed and its header and signature kept."""
    header, _, signature = token.split(".")
    return f"{header}.{_part(payload(token) | changes)}.{signature}"


def moto_signing_key() -> Any:
    """The private key moto signs every pool's tokens with (one key, ``kid`` "dummy")."""
    resources = importlib.resources.files("moto") / "cognitoidp" / "resources"
    compressed = resources / "jwks-private.json.gz"
    text = (
        gzip.decompress(compressed.read_bytes())
        if compressed.is_file()
        else (resources / "jwks-private.json").read_bytes()
    )
    return jwt.PyJWK(json.loads(text)).key
