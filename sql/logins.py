"""Which of a database's roles may log in (``<tenant_id>.<role>``), and the SCRAM secret
they log in with: a role with LOGIN, a password (kept as its verifier, sql.scram) and a
VALID UNTIL not past. A role that may not log in is simply not found, so a login cannot
tell it from a wrong password or an unknown user.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from sql import scram
from sql.database import Database


@dataclass(frozen=True)
class Login:
    name: str
    secret: scram.Secret
    connlimit: int  # -1: no limit
    superuser: bool


def find(database: Database, name: str) -> Login | None:
    """The role ``name`` of ``database`` as a login, or None if it may not log in now."""
    txn = database.client.begin()
    try:
        catalog = database.catalogs.load(txn)
    finally:
        txn.rollback()
    role = next((r for r in catalog.roles.values() if r.name == name), None)
    if role is None or not role.login or role.password is None:
        return None
    secret = scram.parse(role.password)
    if secret is None or _expired(role.valid_until, time.time()):
        return None
    return Login(role.name, secret, role.connlimit, role.superuser)


def _expired(valid_until: str | None, now: float) -> bool:
    """VALID UNTIL has passed; a value that cannot be read counts as passed (fail closed)."""
    if valid_until is None or valid_until.strip().lower() == "infinity":
        return False
    try:
        when = dt.datetime.fromisoformat(valid_until.strip())
    except ValueError:
        return True
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.timestamp() <= now
