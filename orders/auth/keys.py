"""The keys tokens are verified with, from the settings, each tied to the one algorithm it
serves. A token may only use its key's algorithm: `alg: none` and algorithm confusion (an RSA
public key tried as an HMAC secret, say) are refused before any signature is checked.
"""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from orders.errors import AuthConfigError, InvalidToken
from orders.settings import Settings

# The algorithms a public key or JWKS key may serve (HS256 comes from the shared secret only).
ASYMMETRIC = frozenset({"RS256", "ES256"})


@dataclass(frozen=True)
class VerificationKey:
    key: Any  # what PyJWT verifies with: a secret (str) or a cryptography public key
    algorithm: str


class KeyRing:
    """One key (a secret or a PEM key), or a JWKS file's keys chosen by the token's `kid`."""

    def __init__(self, keys: dict[str | None, VerificationKey]) -> None:
        self._keys = keys

    def for_header(self, header: dict[str, Any]) -> VerificationKey:
        """The key for a token with this (unverified) header; InvalidToken when there is none
        or the token names another algorithm."""
        kid = header.get("kid")
        if len(self._keys) == 1 and (None in self._keys or kid is None):
            key = next(iter(self._keys.values()))
        elif isinstance(kid, str) and kid in self._keys:
            key = self._keys[kid]
        else:
            raise InvalidToken("no key for this token (unknown kid)")
        if header.get("alg") != key.algorithm:
            raise InvalidToken(f"algorithm {header.get('alg')!r} not accepted: {key.algorithm}")
        return key


def key_ring(settings: Settings) -> KeyRing:
    """The settings' key (settings ensure there is exactly one source in jwt mode)."""
    if settings.auth_hs256_secret is not None:
        secret = settings.auth_hs256_secret.get_secret_value()
        return KeyRing({None: VerificationKey(secret, "HS256")})
    if settings.auth_public_key_file:
        return KeyRing({None: pem_key(_read(settings.auth_public_key_file))})
    if settings.auth_jwks_file:
        return KeyRing(jwks_keys(_read(settings.auth_jwks_file)))
    raise AuthConfigError("auth_mode=jwt without a key")


def pem_key(pem: bytes) -> VerificationKey:
    try:
        public = load_pem_public_key(pem)
    except ValueError as e:
        raise AuthConfigError(f"auth_public_key_file is not a PEM public key: {e}") from e
    if isinstance(public, rsa.RSAPublicKey):
        return VerificationKey(public, "RS256")
    if isinstance(public, ec.EllipticCurvePublicKey) and public.curve.name == "secp256r1":
        return VerificationKey(public, "ES256")
    raise AuthConfigError("auth_public_key_file must hold an RSA or a P-256 (EC) public key")


def jwks_keys(text: bytes) -> dict[str | None, VerificationKey]:
    """A JWKS document's RSA and P-256 keys by kid (a lone key may have none)."""
    try:
        document = json.loads(text)
        keys = document["keys"]
        found = {_jwk_id(jwk, len(keys)): _jwk(jwk) for jwk in keys}
    except (ValueError, KeyError, TypeError, jwt.PyJWTError) as e:
        raise AuthConfigError(f"auth_jwks_file is not a usable JWKS document: {e}") from e
    if not found:
        raise AuthConfigError("auth_jwks_file holds no keys")
    return found


def _jwk_id(jwk: dict[str, Any], count: int) -> str | None:
    kid = jwk.get("kid")
    if kid is None and count > 1:
        raise ValueError("every key of a JWKS with several keys needs a kid")
    if kid is not None and not isinstance(kid, str):
        raise ValueError("a kid must be a string")
    return kid


def _jwk(jwk: dict[str, Any]) -> VerificationKey:
    if "d" in jwk or "k" in jwk:
        raise ValueError(f"key {jwk.get('kid')!r}: a JWKS file holds public keys only")
    parsed = jwt.PyJWK(jwk)
    if parsed.algorithm_name not in ASYMMETRIC:
        raise ValueError(f"key {jwk.get('kid')!r}: only RS256 and ES256 keys are accepted")
    if parsed.public_key_use not in (None, "sig"):
        raise ValueError(f"key {jwk.get('kid')!r} is not a signing key")
    return VerificationKey(parsed.key, parsed.algorithm_name)


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as e:
        raise AuthConfigError(f"cannot read {path}: {e}") from e
