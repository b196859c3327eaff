"""Keys, settings and tokens for the auth tests (made here, never checked in)."""

import json
import time
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from orders.settings import Settings

SECRET = "s" * 40
OTHER_SECRET = "o" * 40
STAFF = {"scope": "orders:read orderflow:staff"}


def hs256_settings(**overrides: Any) -> Settings:
    return Settings.model_validate({"auth_mode": "jwt", "auth_hs256_secret": SECRET, **overrides})


def token(
    key: Any = SECRET,
    *,
    alg: str = "HS256",
    headers: dict[str, Any] | None = None,
    ttl_s: float = 300,
    **claims: Any,
) -> str:
    """A token for customer "alice" valid for `ttl_s` from now, unless `claims` say otherwise
    (a claim given as None is left out)."""
    now = int(time.time())
    body = {"sub": "alice", "iat": now, "exp": now + int(ttl_s), **claims}
    body = {k: v for k, v in body.items() if v is not None}
    return jwt.encode(body, key, algorithm=alg, headers=headers)


def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def public_pem(private: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    return private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def write_jwks(path: Path, keys: dict[str, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey]) -> Path:
    entries = []
    for kid, private in keys.items():
        algorithm = (
            jwt.algorithms.RSAAlgorithm
            if isinstance(private, rsa.RSAPrivateKey)
            else (jwt.algorithms.ECAlgorithm)
        )
        jwk = json.loads(algorithm.to_jwk(private.public_key()))
        entries.append({**jwk, "kid": kid, "use": "sig"})
    path.write_text(json.dumps({"keys": entries}))
    return path
