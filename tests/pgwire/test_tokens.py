"""Connect tokens: RS256 JWTs that log in as the role's password does, until they expire."""

from __future__ import annotations

import time

import jwt
import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from control.tokens import ConnectTokens, InvalidTokenRequest
from tests.pgwire.conftest import USER, Running


def issuer(pg: Running) -> ConnectTokens:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ConnectTokens(key, pg.auth, "127.0.0.1", pg.port)


def test_connect_token_logs_in_as_the_password_and_is_a_signed_jwt(pg: Running) -> None:
    tokens = issuer(pg)
    issued = tokens.issue(USER)
    assert set(issued.as_json()) == {"token", "host", "port", "user", "expires_at"}
    assert 590 <= issued.expires_at - time.time() <= 600
    claims = tokens.verify(issued.token)
    assert claims["sub"] == USER and claims["tenant"] == "tenant1" and claims["role"] == "admin"
    assert jwt.get_unverified_header(issued.token)["alg"] == "RS256"
    with psycopg.connect(pg.dsn(password=issued.token)) as conn:
        assert conn.execute("SELECT current_user").fetchone() == ("admin",)


def test_expired_token_is_refused(pg: Running) -> None:
    tokens = issuer(pg)
    issued = tokens.issue(USER, 5)
    pg.auth.roles[USER].verifiers[-1].expires_at = time.time() - 1  # as if 5 minutes passed
    with pytest.raises(psycopg.OperationalError) as info:
        psycopg.connect(pg.dsn(password=issued.token))
    assert "password authentication failed" in str(info.value)


def test_token_lifetime_outside_5_to_15_minutes_is_refused(pg: Running) -> None:
    tokens = issuer(pg)
    for minutes in (1, 16):
        with pytest.raises(InvalidTokenRequest):
            tokens.issue(USER, minutes)
    with pytest.raises(InvalidTokenRequest):
        tokens.issue("other.admin")
