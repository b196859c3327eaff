"""Tokens for development and tests (`orderflow token`): signed with the configured HS256
secret, carrying the configured issuer and audience, so the services accept them."""

import time
import uuid

import jwt

from orders.errors import AuthConfigError
from orders.settings import Settings


def mint(settings: Settings, subject: str, *, staff: bool, ttl_s: float) -> str:
    """A token for customer `subject`, or with `staff` a staff token for member `subject`,
    valid from now for `ttl_s` seconds."""
    if settings.auth_hs256_secret is None:
        raise AuthConfigError(
            "minting needs ORDERFLOW_AUTH_HS256_SECRET (tokens for RS256/ES256 keys come from "
            "the identity provider that holds the private key)"
        )
    now = int(time.time())
    claims: dict[str, object] = {
        "sub": subject,
        "iat": now,
        "nbf": now,
        "exp": now + max(1, int(ttl_s)),
        "jti": uuid.uuid4().hex,
    }
    if staff:
        claims[settings.auth_staff_claim] = settings.auth_staff_value
    if settings.auth_issuer:
        claims["iss"] = settings.auth_issuer
    if settings.auth_audience:
        claims["aud"] = settings.auth_audience
    return jwt.encode(claims, settings.auth_hs256_secret.get_secret_value(), algorithm="HS256")


def parse_ttl(text: str) -> float:
    """`90`, `90s`, `30m`, `12h` or `7d` in seconds; ValueError otherwise."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    number, unit = (text[:-1], text[-1]) if text[-1:] in units else (text, "s")
    if not number.isascii() or not number.isdigit() or int(number) == 0:
        raise ValueError(f"ttl {text!r} is not like 90s, 30m, 12h or 7d")
    return float(int(number) * units[unit])
