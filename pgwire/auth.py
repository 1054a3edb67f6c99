"""Who may log in, and the SCRAM-SHA-256 exchange (RFC 5802/7677).

Users are ``<tenant_id>.<role>``; the tenant picks the database. A login succeeds with the
role's password or with any unexpired connect token of that role. SCRAM never shows the
server the password, so the server keeps, per role, one salt and iteration count and a list
of verifiers (StoredKey, ServerKey) — the password's and each live token's, all derived with
that same salt — and accepts a client proof that matches any of them.

A user that does not exist gets the same exchange with a salt the authenticator derives
from its name (``fake_salt``: a keyed hash, stable like a real user's), so neither the salt
nor a second attempt tells whether the user exists.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from kv.errors import Db9Error
from sql import scram
from sql.databases import DatabaseDirectory
from sql.scram import ITERATIONS as ITERATIONS
from sql.scram import MECHANISM as MECHANISM

MECHANISM_PLUS = "SCRAM-SHA-256-PLUS"  # with tls-server-end-point channel binding


class AuthFailed(Db9Error):
    sqlstate = "28P01"  # invalid_password


class InvalidAuthorization(Db9Error):
    sqlstate = "28000"  # invalid_authorization_specification


@dataclass
class Verifier:
    stored_key: bytes
    server_key: bytes
    expires_at: float | None = None  # None: a password that does not expire


@dataclass
class Role:
    """One login role's SCRAM material."""

    database: Any  # sql.database.Database the tenant's connections use
    salt: bytes
    iterations: int
    verifiers: list[Verifier] = field(default_factory=list)
    # The databases a login names by dbname (sql.databases.DatabaseDirectory; 3D000 for any
    # other name); a role with ``acts_as`` reaches only ``database`` of them (42501). None:
    # ``database`` alone, as dbname ``postgres`` or its name.
    directory: DatabaseDirectory | None = None
    # Names the role's credentials (its password's StoredKey): a session logged in with one
    # ends when they change (PgServer.credentials).
    credential: bytes = b""
    # The database's role a session of this login runs as (its session user, privileges
    # checked), with ``owner`` the database's superuser; None: the login is that superuser.
    acts_as: str | None = None
    owner: str = "admin"
    superuser: bool = True  # acts_as is a superuser (the is_superuser parameter)
    connlimit: int = -1  # sessions of this login a node admits at once; -1: no limit

    def live(self, now: float) -> list[Verifier]:
        return [v for v in self.verifiers if v.expires_at is None or v.expires_at > now]


def make_verifier(secret: str, salt: bytes, iterations: int,
                  expires_at: float | None = None) -> Verifier:  # fmt: skip
    kept = scram.derive(secret, salt, iterations)
    return Verifier(kept.stored_key, kept.server_key, expires_at)


class Authenticator(Protocol):
    def role(self, user: str) -> Role | None:
        """The role named ``user`` (None: no such login); raises Db9Error when the store
        cannot be read, which fails the login with that error."""
        ...

    def fake_salt(self, user: str) -> bytes:
        """The salt shown for ``user`` when it has no role: the same on every attempt, and
        unguessable without the server's secret key."""
        ...


class StaticAuthenticator:
    """Roles held in memory: the dev server's, and the tests'."""

    def __init__(self) -> None:
        self.roles: dict[str, Role] = {}
        self._secret = secrets.token_bytes(32)

    def add(self, user: str, database: Any, password: str) -> Role:
        salt = secrets.token_bytes(16)
        role = Role(database, salt, ITERATIONS, [make_verifier(password, salt, ITERATIONS)])
        self.roles[user] = role
        return role

    def add_token(self, user: str, token: str, ttl_s: float) -> None:
        role = self.roles[user]
        role.verifiers.append(make_verifier(token, role.salt, role.iterations,
                                            time.time() + ttl_s))  # fmt: skip

    def role(self, user: str) -> Role | None:
        return self.roles.get(user)

    def fake_salt(self, user: str) -> bytes:
        return hmac.new(self._secret, user.encode(), hashlib.sha256).digest()[:16]


def _attributes(message: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in message.split(","):
        if len(part) < 2 or part[1] != "=":
            raise InvalidAuthorization("malformed SCRAM message")
        out[part[0]] = part[2:]
    return out


class ScramExchange:
    """Server side of one SCRAM-SHA-256 login (RFC 5802/7677), tried against every live
    verifier of a role.

    The exchange is written here on hmac/hashlib rather than with scramp's server: libpq
    always sends an empty SCRAM user name ("n=", the user comes from the startup packet, as
    PostgreSQL specifies), which scramp's server rejects. scramp still builds the verifiers.
    """

    def __init__(self, role: Role | None, fake_salt: bytes) -> None:
        # An unknown user runs the same exchange, with its stable ``fake_salt``, against a
        # verifier nothing matches, so a client cannot tell unknown users from wrong passwords.
        if role is None or not role.live(time.time()):
            self.salt = fake_salt if role is None else role.salt
            self.iterations = ITERATIONS if role is None else role.iterations
            self.candidates = [Verifier(secrets.token_bytes(32), secrets.token_bytes(32))]
        else:
            self.salt, self.iterations = role.salt, role.iterations
            self.candidates = role.live(time.time())
        self.nonce = ""
        self.client_first_bare = ""
        self.server_first = ""
        self.gs2_header = ""
        self.mechanism = MECHANISM
        self.end_point: bytes | None = None  # channel binding data, over TLS only
        self.bound = b""  # what the client's c= must carry after the GS2 header

    def use_mechanism(self, mechanism: str, end_point: bytes | None) -> None:
        """The mechanism the client chose, and the connection's ``tls-server-end-point``
        data (None without TLS: -PLUS was not offered)."""
        if mechanism not in (MECHANISM, MECHANISM_PLUS) or (
            mechanism == MECHANISM_PLUS and end_point is None
        ):
            raise InvalidAuthorization(f"SASL mechanism {mechanism} is not supported")
        self.mechanism, self.end_point = mechanism, end_point

    def _check_channel_binding(self, client_first: str) -> None:
        """RFC 5802's GS2 flag against the mechanism (PostgreSQL's rules): "p=" only with
        -PLUS and tls-server-end-point; "y" (the client could bind but thinks the server
        cannot) is a downgrade when -PLUS was offered; plain SCRAM is "n" or "y"."""
        plus = self.mechanism == MECHANISM_PLUS
        if client_first.startswith("p="):
            if not plus:
                raise InvalidAuthorization("SCRAM channel binding was not negotiated")
            if not client_first.startswith("p=tls-server-end-point,"):
                raise InvalidAuthorization("SCRAM channel binding type is not supported")
            assert self.end_point is not None  # use_mechanism allows -PLUS over TLS only
            self.bound = self.end_point
        elif plus:
            raise InvalidAuthorization(f"{MECHANISM_PLUS} chosen without channel binding")
        elif client_first.startswith("y,") and self.end_point is not None:
            raise InvalidAuthorization("SCRAM channel binding negotiation error")

    def first(self, client_first: str) -> str:
        self._check_channel_binding(client_first)
        if not client_first.startswith(("n,", "y,", "p=")):
            raise InvalidAuthorization("malformed SCRAM message: bad GS2 header")
        # The GS2 header: the flag (n, y or p=<type>) and the authzid, each ending in a comma.
        comma = client_first.find(",", client_first.find(",") + 1)
        if comma < 0:
            raise InvalidAuthorization("malformed SCRAM message: bad GS2 header")
        self.gs2_header = client_first[: comma + 1]
        self.client_first_bare = client_first[comma + 1 :]
        attrs = _attributes(self.client_first_bare)
        client_nonce = attrs.get("r", "")
        if not client_nonce or "n" not in attrs:
            raise InvalidAuthorization("malformed SCRAM message: missing nonce or user")
        self.nonce = client_nonce + secrets.token_urlsafe(18)
        salt = base64.b64encode(self.salt).decode()
        self.server_first = f"r={self.nonce},s={salt},i={self.iterations}"
        return self.server_first

    def final_message(self, client_final: str) -> str:
        proof_at = client_final.rfind(",p=")
        if proof_at < 0:
            raise InvalidAuthorization("malformed SCRAM message: missing proof")
        without_proof = client_final[:proof_at]
        attrs = _attributes(without_proof)
        if attrs.get("r") != self.nonce:
            raise AuthFailed("SCRAM nonce mismatch")
        if attrs.get("c") != base64.b64encode(self.gs2_header.encode() + self.bound).decode():
            raise AuthFailed("SCRAM channel binding mismatch")
        try:
            proof = base64.b64decode(client_final[proof_at + 3 :], validate=True)
        except ValueError:
            raise InvalidAuthorization("malformed SCRAM message: bad proof") from None
        auth_message = f"{self.client_first_bare},{self.server_first},{without_proof}".encode()
        if len(proof) != hashlib.sha256().digest_size:
            raise AuthFailed("password authentication failed")
        # One HMAC and one hash per candidate (a role may have thousands of live tokens).
        proof_int = int.from_bytes(proof, "big")
        for v in self.candidates:
            signature = hmac.digest(v.stored_key, auth_message, "sha256")
            client_key = (proof_int ^ int.from_bytes(signature, "big")).to_bytes(32, "big")
            if hmac.compare_digest(hashlib.sha256(client_key).digest(), v.stored_key):
                server_sig = hmac.digest(v.server_key, auth_message, "sha256")
                return "v=" + base64.b64encode(server_sig).decode()
        raise AuthFailed("password authentication failed")
