"""The door check of a route: who the caller is (from its bearer token) and whether the
route's Access lets it in. No HTTP here; orders/auth/middleware.py asks it per request."""

import hmac
from collections.abc import Mapping
from dataclasses import dataclass

from orders.auth.principal import ANYONE, Principal
from orders.auth.rules import Access, Decision, route_decision
from orders.auth.verifier import TokenVerifier
from orders.errors import AuthError, InvalidToken
from orders.settings import Settings

# "METHOD /canonical/path" -> its Access, one table per service (README, "Security").
RouteRules = Mapping[str, Access]


class Forbidden(AuthError):
    """A valid token without the right to this route (403)."""


class MissingToken(InvalidToken):
    """No token where one is needed (401 without an error code, RFC 6750 section 3.1)."""


@dataclass(frozen=True)
class Gate:
    verifier: TokenVerifier | None  # None: auth is off, every caller is ANYONE
    metrics_token: str | None  # None: /metrics is open

    @classmethod
    def from_settings(cls, settings: Settings) -> "Gate":
        """Raises AuthConfigError when jwt mode's key cannot be used."""
        on = settings.auth_mode == "jwt"
        metrics = settings.auth_metrics_token
        return cls(
            verifier=TokenVerifier.from_settings(settings) if on else None,
            metrics_token=metrics.get_secret_value() if metrics is not None else None,
        )

    @property
    def enforcing(self) -> bool:
        return self.verifier is not None

    def admit(self, access: Access, token: str | None) -> Principal:
        """The caller, let in; MissingToken/InvalidToken (401) or Forbidden (403)."""
        if access is Access.PUBLIC:
            return ANYONE
        if access is Access.METRICS:
            self._check_metrics(token)
            return ANYONE
        if self.verifier is None:
            return ANYONE
        if token is None:
            raise MissingToken("authentication required: send Authorization: Bearer <token>")
        principal = self.verifier.verify(token)
        if route_decision(principal, access) is not Decision.ALLOW:
            raise Forbidden("this needs a staff token")
        return principal

    def _check_metrics(self, token: str | None) -> None:
        if self.metrics_token is None:
            return
        if token is None:
            raise MissingToken("metrics need Authorization: Bearer <metrics token>")
        if not hmac.compare_digest(token.encode(), self.metrics_token.encode()):
            raise InvalidToken("wrong metrics token")
