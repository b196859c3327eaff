"""Bearer token verification (orders/auth/verifier.py, keys.py) and minting (mint.py)."""

import base64
import json
import time
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from pydantic import ValidationError

from orders.auth.mint import mint, parse_ttl
from orders.auth.principal import Customer, Staff
from orders.auth.verifier import TokenVerifier
from orders.errors import AuthConfigError, InvalidToken
from orders.settings import Settings
from tests.unit.auth_helpers import (
    OTHER_SECRET,
    STAFF,
    ec_key,
    hs256_settings,
    public_pem,
    rsa_key,
    token,
    write_jwks,
)

RSA = rsa_key()
EC = ec_key()


def verifier(**overrides: object) -> TokenVerifier:
    return TokenVerifier.from_settings(hs256_settings(**overrides))


def pem_verifier(
    tmp_path: Path, private: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
) -> TokenVerifier:
    path = tmp_path / "key.pem"
    path.write_bytes(public_pem(private))
    return TokenVerifier.from_settings(
        Settings.model_validate({"auth_mode": "jwt", "auth_public_key_file": str(path)})
    )


def refused(check: TokenVerifier, raw: str) -> str:
    with pytest.raises(InvalidToken) as caught:
        check.verify(raw)
    return str(caught.value)


def test_a_valid_token_names_its_customer() -> None:
    assert verifier().verify(token()) == Customer("alice")


@pytest.mark.parametrize("claim", [STAFF, {"scope": ["orderflow:staff"]}])
def test_the_staff_claim_makes_a_staff_token(claim: dict[str, object]) -> None:
    assert verifier().verify(token(**claim)) == Staff("alice")


def test_the_staff_claim_and_value_are_settings() -> None:
    check = verifier(auth_staff_claim="roles", auth_staff_value="admin")
    assert check.verify(token(roles=["admin"])) == Staff("alice")
    assert check.verify(token(**STAFF)) == Customer("alice")  # a scope no longer counts
    assert verifier().verify(token(scope="orderflow:staffer")) == Customer("alice")


def test_expired_tokens_are_refused_beyond_the_leeway() -> None:
    assert refused(verifier(auth_leeway_s=5), token(ttl_s=-10)) == "token expired"
    assert verifier(auth_leeway_s=30).verify(token(ttl_s=-10)) == Customer("alice")


def test_tokens_not_yet_valid_are_refused_beyond_the_leeway() -> None:
    later = int(time.time()) + 120
    assert refused(verifier(), token(nbf=later)) == "token not yet valid"
    assert verifier(auth_leeway_s=300).verify(token(nbf=later)) == Customer("alice")


def test_audience_and_issuer_are_checked_when_configured() -> None:
    check = verifier(auth_audience="orderflow", auth_issuer="https://id.example")
    good = token(aud="orderflow", iss="https://id.example")
    assert check.verify(good) == Customer("alice")
    wrong_aud = token(aud="billing", iss="https://id.example")
    assert refused(check, wrong_aud) == "token is for another audience"
    assert refused(check, token(aud="orderflow", iss="https://evil.example")) == (
        "token from another issuer"
    )
    assert refused(check, token(iss="https://id.example")) == "token lacks a required claim"


def test_exp_and_sub_are_required() -> None:
    assert refused(verifier(), token(exp=None)) == "token lacks a required claim"
    assert refused(verifier(), token(sub=None)) == "token lacks a required claim"
    assert "sub must be" in refused(verifier(), token(sub="x" * 129))


def test_a_token_signed_with_another_key_is_refused() -> None:
    assert refused(verifier(), token(OTHER_SECRET)) == "token signature does not verify"


def test_a_tampered_payload_is_refused() -> None:
    header, payload, signature = token().split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(STAFF)
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    assert refused(verifier(), f"{header}.{forged}.{signature}") == (
        "token signature does not verify"
    )


def test_alg_none_is_refused() -> None:
    unsigned = jwt.encode({"sub": "alice", "exp": int(time.time()) + 60}, None, algorithm="none")
    assert "not accepted" in refused(verifier(), unsigned)


def test_malformed_tokens_are_refused() -> None:
    for raw in ["", "abc", "a.b.c", "é.é.é"]:
        assert refused(verifier(), raw) in {"malformed token", "invalid token"}


def test_rs256_with_a_pem_key(tmp_path: Path) -> None:
    check = pem_verifier(tmp_path, RSA)
    assert check.verify(token(RSA, alg="RS256")) == Customer("alice")
    assert refused(check, token(rsa_key(), alg="RS256")) == "token signature does not verify"
    assert "not accepted" in refused(check, token(RSA, alg="RS512"))


def test_es256_with_a_pem_key(tmp_path: Path) -> None:
    check = pem_verifier(tmp_path, EC)
    assert check.verify(token(EC, alg="ES256", **STAFF)) == Staff("alice")
    assert refused(check, token(ec_key(), alg="ES256")) == "token signature does not verify"


def test_hs256_signed_with_the_public_key_is_refused(tmp_path: Path) -> None:
    """Algorithm confusion: the RSA public key (public!) used as an HMAC secret."""
    confused = jwt.api_jws.PyJWS()
    confused._algorithms["HS256"].prepare_key = lambda key: key  # type: ignore[method-assign]
    body = json.dumps({"sub": "alice", "exp": int(time.time()) + 60, **STAFF}).encode()
    forged = confused.encode(body, public_pem(RSA), algorithm="HS256")
    assert "not accepted" in refused(pem_verifier(tmp_path, RSA), forged)


def test_jwks_file_keys_are_chosen_by_kid(tmp_path: Path) -> None:
    path = write_jwks(tmp_path / "jwks.json", {"r1": RSA, "e1": EC})
    check = TokenVerifier.from_settings(
        Settings.model_validate({"auth_mode": "jwt", "auth_jwks_file": str(path)})
    )
    assert check.verify(token(RSA, alg="RS256", headers={"kid": "r1"})) == Customer("alice")
    assert check.verify(token(EC, alg="ES256", headers={"kid": "e1"})) == Customer("alice")
    assert "unknown kid" in refused(check, token(RSA, alg="RS256", headers={"kid": "r2"}))
    assert "unknown kid" in refused(check, token(RSA, alg="RS256"))
    assert "not accepted" in refused(check, token(EC, alg="ES256", headers={"kid": "r1"}))


def test_unusable_key_settings_fail_at_start(tmp_path: Path) -> None:
    (tmp_path / "bad.pem").write_text("not a key")
    (tmp_path / "secret.json").write_text('{"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}')
    for name, path in [
        ("auth_public_key_file", tmp_path / "bad.pem"),
        ("auth_public_key_file", tmp_path / "missing.pem"),
        ("auth_jwks_file", tmp_path / "secret.json"),
    ]:
        with pytest.raises(AuthConfigError):
            TokenVerifier.from_settings(
                Settings.model_validate({"auth_mode": "jwt", name: str(path)})
            )


@pytest.mark.parametrize(
    "values",
    [
        {"auth_mode": "jwt"},
        {"auth_mode": "jwt", "auth_hs256_secret": "x" * 40, "auth_jwks_file": "k.json"},
        {"auth_hs256_secret": "too short"},
        {"auth_metrics_token": "short"},
    ],
)
def test_settings_refuse_unworkable_auth(values: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Settings.model_validate(values)


def test_minted_tokens_verify_with_issuer_and_audience() -> None:
    settings = hs256_settings(auth_issuer="orderflow-dev", auth_audience="orderflow")
    check = TokenVerifier.from_settings(settings)
    assert check.verify(mint(settings, "bob", staff=False, ttl_s=60)) == Customer("bob")
    assert check.verify(mint(settings, "ops", staff=True, ttl_s=60)) == Staff("ops")
    with pytest.raises(AuthConfigError):
        mint(Settings(), "bob", staff=False, ttl_s=60)


def test_ttls() -> None:
    assert [parse_ttl(t) for t in ["90", "90s", "30m", "12h", "7d"]] == [
        90, 90, 1800, 43200, 604800,
    ]  # fmt: skip
    for bad in ["", "h", "1.5h", "0", "-1m", "1w"]:
        with pytest.raises(ValueError, match="ttl"):
            parse_ttl(bad)
