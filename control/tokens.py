"""Connect tokens: short-lived RS256 JWTs a client uses as its PostgreSQL password.

The control plane signs them with its RSA key (pyjwt + cryptography). SCRAM never shows the
server the password, so issuing a token also registers its SCRAM verifier with the role
(pgwire.auth): the token then logs in until it expires, like the role's password. The
default lifetime is 10 minutes (a server's is its ``--token-ttl-minutes``), and 5 to 15
minutes may be asked for, as the product says.
"""

from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from control.config import DEFAULT_TTL_MIN, MAX_TTL_MIN, MIN_TTL_MIN
from kv.durable_file import write_durably
from kv.errors import Db9Error
from pgwire.auth import StaticAuthenticator


class InvalidTokenRequest(Db9Error):
    sqlstate = "22023"


@dataclass
class ConnectToken:
    token: str
    host: str
    port: int
    user: str
    expires_at: int  # unix seconds

    def as_json(self) -> dict[str, Any]:
        return {"token": self.token, "host": self.host, "port": self.port, "user": self.user,
                "expires_at": self.expires_at}  # fmt: skip


def load_or_create_key(path: str) -> rsa.RSAPrivateKey:
    if os.path.exists(path):
        with open(path, "rb") as f:
            key = serialization.load_pem_private_key(f.read(), password=None)
        assert isinstance(key, rsa.RSAPrivateKey)
        return key
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())  # fmt: skip
    write_durably(path, pem, 0o600)
    return key


class ConnectTokens:
    def __init__(self, key: rsa.RSAPrivateKey, auth: StaticAuthenticator, host: str,
                 port: int, issuer: str = "db9") -> None:  # fmt: skip
        self.key = key
        self.public_key = key.public_key()
        self.auth = auth
        self.host = host
        self.port = port
        self.issuer = issuer

    def issue(self, user: str, ttl_minutes: float = DEFAULT_TTL_MIN) -> ConnectToken:
        if not MIN_TTL_MIN <= ttl_minutes <= MAX_TTL_MIN:
            raise InvalidTokenRequest(
                f"connect token lifetime must be {MIN_TTL_MIN} to {MAX_TTL_MIN} minutes"
            )
        if self.auth.role(user) is None:
            raise InvalidTokenRequest(f'unknown user "{user}"')
        now = int(time.time())
        expires = now + int(ttl_minutes * 60)
        tenant, _, role = user.partition(".")
        claims = {"iss": self.issuer, "sub": user, "tenant": tenant, "role": role,
                  "iat": now, "exp": expires, "jti": secrets.token_hex(8)}  # fmt: skip
        token = jwt.encode(claims, self.key, algorithm="RS256")
        self.auth.add_token(user, token, expires - now)
        return ConnectToken(token, self.host, self.port, user, expires)

    def verify(self, token: str) -> dict[str, Any]:
        """The claims of a token this issuer signed (raises if forged or expired)."""
        claims: dict[str, Any] = jwt.decode(token, self.public_key, algorithms=["RS256"],
                                            issuer=self.issuer)  # fmt: skip
        return claims
