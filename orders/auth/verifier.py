"""Bearer token verification with PyJWT: signature with the configured key and its one
algorithm, `exp` (required) and `nbf` with a small leeway, `iss` and `aud` when configured.
A valid token names a staff member (the staff claim holds the staff value) or a customer
(its `sub`)."""

from dataclasses import dataclass
from typing import Any

import jwt

from orders.auth.keys import KeyRing, key_ring
from orders.auth.principal import Customer, Principal, Staff
from orders.errors import InvalidToken
from orders.settings import Settings

MAX_SUBJECT = 128  # a customer id's longest (producer/schemas.py PlaceOrder.customer_id)

# PyJWT's errors, said plainly (the client learns what is wrong, never the token back).
_REASONS: list[tuple[type[jwt.PyJWTError], str]] = [
    (jwt.ExpiredSignatureError, "token expired"),
    (jwt.ImmatureSignatureError, "token not yet valid"),
    (jwt.InvalidAudienceError, "token is for another audience"),
    (jwt.InvalidIssuerError, "token from another issuer"),
    (jwt.MissingRequiredClaimError, "token lacks a required claim"),
    (jwt.InvalidSignatureError, "token signature does not verify"),
    (jwt.InvalidAlgorithmError, "token algorithm not accepted"),
    (jwt.DecodeError, "malformed token"),
]


@dataclass(frozen=True)
class Claims:
    """What a valid token must say, besides its signature."""

    issuer: str | None
    audience: str | None
    leeway_s: float
    staff_claim: str
    staff_value: str


class TokenVerifier:
    def __init__(self, keys: KeyRing, claims: Claims) -> None:
        self._keys = keys
        self._claims = claims

    @classmethod
    def from_settings(cls, settings: Settings) -> "TokenVerifier":
        """Raises AuthConfigError when the configured key cannot be used."""
        claims = Claims(
            issuer=settings.auth_issuer or None,
            audience=settings.auth_audience or None,
            leeway_s=settings.auth_leeway_s,
            staff_claim=settings.auth_staff_claim,
            staff_value=settings.auth_staff_value,
        )
        return cls(key_ring(settings), claims)

    def verify(self, token: str) -> Principal:
        """The token's holder; InvalidToken saying why it is refused."""
        payload = self._decode(token)
        subject = payload["sub"]
        if not isinstance(subject, str) or not 1 <= len(subject) <= MAX_SUBJECT:
            raise InvalidToken(f"token sub must be 1 to {MAX_SUBJECT} characters")
        if self._claims.staff_value in _values(payload.get(self._claims.staff_claim)):
            return Staff(subject)
        return Customer(subject)

    def _decode(self, token: str) -> dict[str, Any]:
        claims = self._claims
        try:
            key = self._keys.for_header(jwt.get_unverified_header(token))
            payload: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=[key.algorithm],
                audience=claims.audience,
                issuer=claims.issuer,
                leeway=claims.leeway_s,
                options={"require": ["exp", "sub"], "verify_aud": claims.audience is not None},
            )
        except jwt.PyJWTError as e:
            raise InvalidToken(_reason(e)) from None
        return payload


def _reason(error: jwt.PyJWTError) -> str:
    for kind, reason in _REASONS:
        if isinstance(error, kind):
            return reason
    return "invalid token"


def _values(claim: object) -> list[str]:
    """A scope-like claim's values: a space-separated string ("scope") or a list ("roles")."""
    if isinstance(claim, str):
        return claim.split()
    if isinstance(claim, list):
        return [v for v in claim if isinstance(v, str)]
    return []
