"""SCRAM-SHA-256 secrets (RFC 5802/7677): deriving a password's verifier, and its text form
as PostgreSQL's pg_authid.rolpassword keeps it,
``SCRAM-SHA-256$<iterations>:<salt b64>$<StoredKey b64>:<ServerKey b64>``.

The one place a password becomes a verifier: pgwire's logins, the registry's passwords and
CREATE/ALTER ROLE ... PASSWORD all derive it here; nothing keeps the password itself.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from dataclasses import dataclass

from scramp import ScramMechanism

MECHANISM = "SCRAM-SHA-256"
ITERATIONS = 4096

_TEXT = re.compile(r"SCRAM-SHA-256\$(\d+):([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+):([A-Za-z0-9+/=]+)")


@dataclass(frozen=True)
class Secret:
    """A password's SCRAM material: what a server needs to check a client's proof."""

    iterations: int
    salt: bytes
    stored_key: bytes
    server_key: bytes

    def text(self) -> str:
        salt, stored, server = (base64.b64encode(b).decode()
                                for b in (self.salt, self.stored_key, self.server_key))  # fmt: skip
        return f"{MECHANISM}${self.iterations}:{salt}${stored}:{server}"


def derive(password: str, salt: bytes, iterations: int = ITERATIONS) -> Secret:
    _, stored, server, _ = ScramMechanism(MECHANISM).make_auth_info(
        password, iteration_count=iterations, salt=salt
    )
    return Secret(iterations, salt, stored, server)


def parse(text: str) -> Secret | None:
    """The secret ``text`` holds in rolpassword's form; None when it is not one."""
    m = _TEXT.fullmatch(text)
    if m is None:
        return None
    try:
        salt, stored, server = (base64.b64decode(g, validate=True) for g in m.group(2, 3, 4))
    except (binascii.Error, ValueError):
        return None
    iterations = int(m.group(1))
    if not salt or len(stored) != 32 or len(server) != 32 or not 0 < iterations < 1 << 31:
        return None
    return Secret(iterations, salt, stored, server)


def rolpassword(password: str) -> str:
    """What pg_authid keeps for ``password``: its verifier with a fresh salt, or the
    password itself when it already is a verifier (as pg_dump's output gives it)."""
    if parse(password) is not None:
        return password
    return derive(password, secrets.token_bytes(16)).text()
