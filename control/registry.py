"""The control plane's records, kept in the KV store under the system prefix (database id 0).

    accounts       who owns databases; API tokens belong to one; anonymous ones are capped
    databases      name, tenant id, key prefix (its id), state, parent and fork timestamp, and
                   the admin role's SCRAM verifier (random salt, StoredKey, ServerKey)
    api tokens     stored as SHA-256 digests, with name, expiry and revocation
    token logins   SCRAM verifiers of issued connect tokens, keyed
                   ``login/<tenant>/<expires_at, 10 digits>/<jti>`` so that a login reads only
                   the live ones; the value is binary, read at every login:
                   ``<expires_at u64><StoredKey 32 bytes><ServerKey 32 bytes>`` (an older
                   version's JSON is still read); the reconciler purges expired ones
    secrets        per-installation keys (``secret/scram``: the key of unknown users' salts)

Records are JSON values written in KV transactions, so they replicate with the cluster and
every node sees the same databases. Names are unique per account; tenant ids (what users
log in as: ``<tenant_id>.admin``) are random and unique across the store. No password is
kept: a database's is shown once, when it is made or reset (``DatabaseRecord.password`` on
the record those calls return, never written).
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import struct
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from kv.client import Transaction, TxnClient
from kv.errors import Db9Error
from pgwire.auth import ITERATIONS, Verifier, make_verifier
from sql.layout import database_prefix

SYSTEM = database_prefix(0)
_U32 = struct.Struct(">I")
_U64 = struct.Struct(">Q")
NAME_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")
# A database made with CREATE DATABASE keeps its SQL name, which PostgreSQL lets be any 63
# bytes; "/" (the record key's separator) and control characters are what the registry cannot
# keep.
SQL_NAME_RE = re.compile(r"[^/\x00-\x1f\x7f]{1,63}")
ANONYMOUS_DATABASE_LIMIT = 5
MAX_BRANCHES_IN_FLIGHT = 2


class ControlError(Db9Error):
    """An error the API reports with an HTTP status (``status``) and a JSON body."""

    status = 400


class NotFound(ControlError):
    status = 404


class Conflict(ControlError):
    status = 409


#: Live connect tokens a database may hold: a login checks each (about 10 us), so this bounds
#: its cost (1,000: ~10 ms, off the event loop).
MAX_LIVE_TOKENS = 1000


class TooManyRequests(ControlError):
    status = 429

    def __init__(self, message: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s  # the API's Retry-After header, when known


class Forbidden(ControlError):
    status = 403


class Unauthorized(ControlError):
    status = 401


@dataclass
class Account:
    id: str
    name: str
    anonymous: bool = False
    created_at: float = field(default_factory=time.time)


@dataclass
class ApiToken:
    id: str
    account_id: str
    name: str
    digest: str
    created_at: float
    expires_at: float | None
    revoked: bool = False

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "created_at": _iso(self.created_at),
            "expires_at": _iso(self.expires_at) if self.expires_at else None,
            "revoked": self.revoked,
        }


@dataclass
class DatabaseRecord:
    id: int
    name: str
    account_id: str
    tenant_id: str
    # The admin role's SCRAM verifier ({"salt", "iterations", "stored_key", "server_key"},
    # hex); its connect tokens' verifiers use the same salt.
    scram: dict[str, Any]
    state: str  # ACTIVE, CREATING, CREATE_FAILED, DELETING
    created_at: float
    state_reason: str | None = None
    parent_id: int | None = None
    parent_name: str | None = None
    fork_ts: int | None = None
    state_changed_at: float = field(default_factory=time.time)
    # Made with CREATE DATABASE by a login to this database (whose logins then see it);
    # None for those made with the CLI or API.
    home_id: int | None = None
    # What SQL's pg_database shows and ALTER DATABASE changes; ``settings`` apply at login.
    owner: str | None = None
    conn_limit: int = -1
    is_template: bool = False
    allow_connections: bool = True
    settings: dict[str, str] = field(default_factory=dict)
    # The password in plain text, only on the record returned by the call that set it
    # (create, reset); never stored.
    password: str | None = field(default=None, repr=False, compare=False)

    @classmethod
    def load(cls, raw: dict[str, Any]) -> DatabaseRecord:
        """A stored record; one of an older version (a plaintext ``admin_password``) gets a
        verifier of it with the salt that version used, so its connect tokens still log in
        and the verifier is the same on every read (bootstrap rewrites those records with
        a random salt)."""
        raw = dict(raw)
        raw.pop("password", None)
        legacy = raw.pop("admin_password", None)
        if "scram" not in raw:
            old_salt = hashlib.sha256(b"db9-scram-salt:" + raw["tenant_id"].encode()).digest()
            raw["scram"] = scram_verifier(legacy or "", old_salt[:16])
        return cls(**raw)

    def stored(self) -> dict[str, Any]:
        """The record as kept: everything but the password."""
        out = asdict(self)
        del out["password"]
        return out

    @property
    def salt(self) -> bytes:
        return bytes.fromhex(self.scram["salt"])

    @property
    def iterations(self) -> int:
        return int(self.scram["iterations"])

    def verifier(self) -> Verifier:
        return Verifier(bytes.fromhex(self.scram["stored_key"]),
                        bytes.fromhex(self.scram["server_key"]))  # fmt: skip

    @property
    def sql_name(self) -> str:
        """Its name in SQL: ``postgres`` for one made with the CLI or API (the name the
        connection strings use), its own name for one made with CREATE DATABASE."""
        return "postgres" if self.home_id is None else self.name

    @property
    def prefix(self) -> bytes:
        return database_prefix(self.id)

    @property
    def user(self) -> str:
        return f"{self.tenant_id}.admin"


def _iso(t: float | None) -> str | None:
    if t is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def clip(text: str, limit: int = 80) -> str:
    """``text`` cut to ``limit`` characters: what an error may repeat of a client's input."""
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} characters)"


def _check_name(name: str, sql: bool) -> None:
    """The CLI's rule for names, or (a database made with SQL) PostgreSQL's but for "/"."""
    if not sql and not NAME_RE.fullmatch(name):
        raise ControlError(f'invalid name "{clip(name)}": use 1-63 lowercase letters, digits, '
                           '"-" or "_"')  # fmt: skip
    if sql and (not SQL_NAME_RE.fullmatch(name) or len(name.encode(errors="replace")) > 63):
        raise ControlError(f'invalid database name "{clip(name)}": "/" and control characters '
                           "are not allowed, nor more than 63 bytes")  # fmt: skip


def scram_verifier(password: str, salt: bytes | None = None) -> dict[str, Any]:
    """The SCRAM verifier kept for ``password``, with a new random salt unless given."""
    salt = salt or secrets.token_bytes(16)
    v = make_verifier(password, salt, ITERATIONS)
    return {"salt": salt.hex(), "iterations": ITERATIONS,
            "stored_key": v.stored_key.hex(), "server_key": v.server_key.hex()}  # fmt: skip


def _login_value(raw: bytes) -> Verifier:
    """A connect token's record: binary, or an older version's JSON."""
    if raw[:1] == b"{":
        row = json.loads(raw)
        return Verifier(bytes.fromhex(row["stored_key"]), bytes.fromhex(row["server_key"]),
                        float(row.get("expires_at", 0)))  # fmt: skip
    (expires,) = _U64.unpack_from(raw)
    return Verifier(bytes(raw[8:40]), bytes(raw[40:72]), float(expires))


def _key(kind: str, name: str | bytes) -> bytes:
    raw = name if isinstance(name, bytes) else name.encode()
    return SYSTEM + kind.encode() + b"/" + raw


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Registry:
    """Reads and writes control-plane records, each call in its own KV transaction."""

    def __init__(self, client: TxnClient) -> None:
        self.client = client

    # -- plumbing ---------------------------------------------------------------------------

    def _txn(self) -> Transaction:
        return self.client.begin()

    def _get(self, txn: Transaction, kind: str, name: str | bytes) -> dict[str, Any] | None:
        raw = txn.get(_key(kind, name))
        return None if raw is None else dict(json.loads(raw))

    def _put(self, txn: Transaction, kind: str, name: str | bytes, value: Any) -> None:
        txn.put(_key(kind, name), json.dumps(value, sort_keys=True).encode())

    def _scan(self, txn: Transaction, kind: str) -> Iterator[dict[str, Any]]:
        lo = _key(kind, b"")
        for _, raw in txn.iter_scan(lo, lo[:-1] + b"0"):  # "/" + 1 == "0"
            yield dict(json.loads(raw))

    def _commit(self, txn: Transaction) -> None:
        try:
            txn.commit()
        except Exception:
            txn.rollback()
            raise

    # -- accounts and API tokens -------------------------------------------------------------

    def create_account(self, name: str, *, anonymous: bool = False) -> Account:
        account = Account(secrets.token_hex(6), name, anonymous)
        txn = self._txn()
        self._put(txn, "acct", account.id, asdict(account))
        self._commit(txn)
        return account

    def account(self, account_id: str) -> Account:
        txn = self._txn()
        rec = self._get(txn, "acct", account_id)
        txn.rollback()
        if rec is None:
            raise NotFound(f"account {account_id} not found")
        return Account(**rec)

    def claim(self, account_id: str, verified_by: Account) -> Account:
        """Make ``account_id`` a verified account (no anonymous cap). The product gives
        higher limits to verified accounts only, so a verified account must vouch: the
        anonymous account's own token proves who owns it, not that anyone verified it."""
        if verified_by.anonymous:
            raise Forbidden(
                "claiming needs a verified account: the operator runs db9 claim ACCOUNT_ID "
                "with the operator's API token (DB9_API_TOKEN)"
            )
        txn = self._txn()
        rec = self._get(txn, "acct", account_id)
        if rec is None:
            txn.rollback()
            raise NotFound(f"account {account_id} not found")
        rec["anonymous"] = False
        self._put(txn, "acct", account_id, rec)
        self._commit(txn)
        return Account(**rec)

    def create_token(
        self,
        account_id: str,
        name: str,
        expires_in_days: float | None = None,
        secret: str | None = None,
    ) -> tuple[str, ApiToken]:
        """A new API token; ``secret`` registers a given one (an operator's DB9_API_TOKEN)."""
        if expires_in_days is not None and not 0 < expires_in_days <= 3650:
            raise ControlError("expires-in-days must be between 1 and 3650")
        secret = secret or "db9_" + secrets.token_urlsafe(32)
        now = time.time()
        token = ApiToken(
            secrets.token_hex(6),
            account_id,
            name,
            digest(secret),
            now,
            now + expires_in_days * 86400 if expires_in_days else None,
        )
        txn = self._txn()
        self._put(txn, "token", token.digest, asdict(token))
        self._commit(txn)
        return secret, token

    def has_token(self, secret: str) -> bool:
        txn = self._txn()
        found = self._get(txn, "token", digest(secret)) is not None
        txn.rollback()
        return found

    def authenticate(self, secret: str) -> Account:
        txn = self._txn()
        rec = self._get(txn, "token", digest(secret))
        acct = self._get(txn, "acct", rec["account_id"]) if rec else None
        txn.rollback()
        if rec is None or acct is None:
            raise Unauthorized("invalid API token")
        token = ApiToken(**rec)
        if token.revoked:
            raise Unauthorized("API token was revoked")
        if token.expires_at is not None and token.expires_at < time.time():
            raise Unauthorized("API token expired")
        return Account(**acct)

    def tokens(self, account_id: str) -> list[ApiToken]:
        txn = self._txn()
        out = [ApiToken(**r) for r in self._scan(txn, "token") if r["account_id"] == account_id]
        txn.rollback()
        return sorted(out, key=lambda t: t.created_at)

    def revoke_token(self, account_id: str, token_id: str) -> ApiToken:
        txn = self._txn()
        for rec in self._scan(txn, "token"):
            if rec["account_id"] == account_id and (
                rec["id"] == token_id or rec["name"] == token_id
            ):
                rec["revoked"] = True
                self._put(txn, "token", rec["digest"], rec)
                self._commit(txn)
                return ApiToken(**rec)
        txn.rollback()
        raise NotFound(f"token {token_id} not found")

    # -- bootstrap ---------------------------------------------------------------------------

    def bootstrap(
        self, tenant: str, db_id: int, password: str, api_token: str | None
    ) -> tuple[Account, str | None]:
        """The account owning ``tenant``'s default database, and a new API token if this call
        created them (``api_token``, the operator's, or a generated one).

        One transaction: cluster nodes start at once, and each used to create its own
        account and register the operator token for it in separate steps; the token ended up
        on an account without the database ("tenant local already exists" on the others).
        Now one node's transaction wins and the others fail with a conflict and retry. An
        operator token found on another account (that race, in an older store) is moved to
        the owner.
        """
        txn = self._txn()
        try:
            ref = txn.get(_key("tenant", tenant))
            rec = self._get(txn, "db", ref) if ref else None
            if rec is None:
                account = Account(secrets.token_hex(6), "local")
                self._put(txn, "acct", account.id, asdict(account))
                secret = self._put_token(txn, account.id, "bootstrap", api_token)
                db = DatabaseRecord(
                    id=db_id,
                    name="default",
                    account_id=account.id,
                    tenant_id=tenant,
                    scram=scram_verifier(password),
                    state="ACTIVE",
                    created_at=time.time(),
                )
                db_key = self._db_key(account.id, db.name)
                self._put(txn, "db", db_key, db.stored())
                self._secret(txn)
                txn.put(_key("tenant", tenant), db_key.encode())
                self._commit(txn)
                return account, secret
            acct = self._get(txn, "acct", rec["account_id"])
            if acct is None:
                raise NotFound(f"account {rec['account_id']} of tenant {tenant} not found")
            changed = self._migrate_passwords(txn)
            current = DatabaseRecord.load(rec)
            kept = current.verifier().stored_key
            if make_verifier(password, current.salt, current.iterations).stored_key != kept:
                current.scram = scram_verifier(password)
                self._put(txn, "db", self._db_key(current.account_id, current.name),
                          current.stored())  # fmt: skip
                changed = True
            if api_token:
                token = self._get(txn, "token", digest(api_token))
                if token is None or token["account_id"] != acct["id"]:
                    self._put_token(txn, acct["id"], "operator", api_token)
                    changed = True
        except BaseException:
            txn.rollback()
            raise
        if changed:
            self._commit(txn)
        else:
            txn.rollback()
        return Account(**acct), None

    def _migrate_passwords(self, txn: Transaction) -> bool:
        """Replace the plaintext passwords of an older version's records by verifiers."""
        changed = False
        for raw in list(self._scan(txn, "db")):
            if "admin_password" in raw:
                rec = DatabaseRecord.load(raw)
                rec.scram = scram_verifier(raw["admin_password"])
                self._put(txn, "db", self._db_key(rec.account_id, rec.name), rec.stored())
                changed = True
        return changed

    def _secret(self, txn: Transaction) -> bytes:
        raw = txn.get(_key("secret", "scram"))
        if raw is None:
            raw = secrets.token_bytes(32)
            txn.put(_key("secret", "scram"), raw)
        return bytes(raw)

    def scram_secret(self) -> bytes:
        """This installation's key for the salts of unknown users (made on first use; the
        same on every node, as it is in the store)."""
        for attempt in range(3):
            txn = self._txn()
            try:
                raw = txn.get(_key("secret", "scram"))
                if raw is not None:
                    txn.rollback()
                    return bytes(raw)
                value = self._secret(txn)
                self._commit(txn)
                return value
            except Db9Error:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _put_token(self, txn: Transaction, account_id: str, name: str, secret: str | None) -> str:
        secret = secret or "db9_" + secrets.token_urlsafe(32)
        token = ApiToken(secrets.token_hex(6), account_id, name, digest(secret), time.time(), None)
        self._put(txn, "token", token.digest, asdict(token))
        return secret

    # -- databases ---------------------------------------------------------------------------

    def _next_id(self, txn: Transaction) -> int:
        raw = txn.get(_key("seq", "database"))
        nxt = (_U32.unpack(raw)[0] if raw else 1) + 1  # 0 is the system, 1 the default
        txn.put(_key("seq", "database"), _U32.pack(nxt))
        return nxt

    def databases(self, account_id: str | None = None) -> list[DatabaseRecord]:
        txn = self._txn()
        out = [DatabaseRecord.load(r) for r in self._scan(txn, "db")]
        txn.rollback()
        if account_id is not None:
            out = [d for d in out if d.account_id == account_id]
        return sorted(out, key=lambda d: d.id)

    def database(self, account_id: str | None, name: str) -> DatabaseRecord:
        txn = self._txn()
        rec = self._get(txn, "db", self._db_key(account_id, name)) if account_id else None
        txn.rollback()
        if rec is None:
            raise NotFound(f'database "{clip(name)}" not found')
        return DatabaseRecord.load(rec)

    def by_tenant(self, tenant_id: str) -> DatabaseRecord | None:
        txn = self._txn()
        ref = txn.get(_key("tenant", tenant_id))
        rec = self._get(txn, "db", ref) if ref else None
        txn.rollback()
        return None if rec is None else DatabaseRecord.load(rec)

    @staticmethod
    def _db_key(account_id: str, name: str) -> str:
        return f"{account_id}/{name}"

    def create_database(
        self,
        account: Account,
        name: str,
        *,
        state: str = "ACTIVE",
        parent: DatabaseRecord | None = None,
        fork_ts: int | None = None,
        tenant_id: str | None = None,
        db_id: int | None = None,
        password: str | None = None,
        **fields: Any,
    ) -> DatabaseRecord:
        """A new database record (``fields``: DatabaseRecord's SQL-side ones, home_id...)
        whose admin password (``password`` or a random one) is on the returned record only."""
        _check_name(name, fields.get("home_id") is not None)
        txn = self._txn()
        try:
            if self._get(txn, "db", self._db_key(account.id, name)) is not None:
                raise Conflict(f'database "{name}" already exists')
            mine = [r for r in self._scan(txn, "db") if r["account_id"] == account.id]
            if account.anonymous and len(mine) >= ANONYMOUS_DATABASE_LIMIT:
                raise Forbidden(
                    f"anonymous accounts are limited to {ANONYMOUS_DATABASE_LIMIT} databases "
                    "(branches included) until verified: the operator runs db9 claim "
                    f"{account.id}"
                )
            if parent is not None:
                creating = [r for r in mine if r["state"] == "CREATING"]
                if len(creating) >= MAX_BRANCHES_IN_FLIGHT:
                    raise TooManyRequests(
                        f"at most {MAX_BRANCHES_IN_FLIGHT} branch creations may be in progress; "
                        "retry after they finish"
                    )
            now = time.time()
            rec = DatabaseRecord(
                id=db_id if db_id is not None else self._next_id(txn),
                name=name,
                account_id=account.id,
                tenant_id=tenant_id or secrets.token_hex(6),
                scram={},
                state=state,
                created_at=now,
                parent_id=parent.id if parent else None,
                parent_name=parent.name if parent else None,
                fork_ts=fork_ts,
                **fields,
            )
            if txn.get(_key("tenant", rec.tenant_id)) is not None:
                raise Conflict(f"tenant {rec.tenant_id} already exists")
            rec.password = password or secrets.token_urlsafe(18)
            rec.scram = scram_verifier(rec.password)
            db_key = self._db_key(account.id, name)
            self._put(txn, "db", db_key, rec.stored())
            txn.put(_key("tenant", rec.tenant_id), db_key.encode())
        except BaseException:
            txn.rollback()
            raise
        self._commit(txn)
        return rec

    def update(self, rec: DatabaseRecord, **changes: Any) -> DatabaseRecord:
        txn = self._txn()
        current = self._get(txn, "db", self._db_key(rec.account_id, rec.name))
        if current is None:
            txn.rollback()
            raise NotFound(f'database "{rec.name}" not found')
        current.update(changes)
        if "state" in changes:
            current["state_changed_at"] = time.time()
        updated = DatabaseRecord.load(current)
        self._put(txn, "db", self._db_key(rec.account_id, rec.name), updated.stored())
        self._commit(txn)
        return updated

    def rename(self, rec: DatabaseRecord, new_name: str) -> DatabaseRecord:
        """``rec`` under ``new_name`` (its id, prefix and tenant stay); branches of it keep
        their parent by id and show the new name."""
        _check_name(new_name, rec.home_id is not None)
        txn = self._txn()
        try:
            old_key = self._db_key(rec.account_id, rec.name)
            new_key = self._db_key(rec.account_id, new_name)
            current = self._get(txn, "db", old_key)
            if current is None:
                raise NotFound(f'database "{rec.name}" not found')
            if self._get(txn, "db", new_key) is not None:
                raise Conflict(f'database "{new_name}" already exists')
            current["name"] = new_name
            txn.delete(_key("db", old_key))
            self._put(txn, "db", new_key, current)
            txn.put(_key("tenant", rec.tenant_id), new_key.encode())
            for child in self._scan(txn, "db"):
                if child["account_id"] == rec.account_id and child["parent_id"] == rec.id:
                    child["parent_name"] = new_name
                    self._put(txn, "db", self._db_key(rec.account_id, child["name"]), child)
        except BaseException:
            txn.rollback()
            raise
        self._commit(txn)
        return DatabaseRecord.load(current)

    def forget(self, rec: DatabaseRecord) -> None:
        txn = self._txn()
        txn.delete(_key("db", self._db_key(rec.account_id, rec.name)))
        txn.delete(_key("tenant", rec.tenant_id))
        self._commit(txn)

    def reset_password(self, rec: DatabaseRecord) -> DatabaseRecord:
        """A new random admin password (on the returned record only), and every connect token
        of the tenant revoked, in one transaction."""
        password = secrets.token_urlsafe(18)
        txn = self._txn()
        try:
            key = self._db_key(rec.account_id, rec.name)
            raw = self._get(txn, "db", key)
            if raw is None:
                raise NotFound(f'database "{rec.name}" not found')
            current = DatabaseRecord.load(raw)
            current.scram = scram_verifier(password)
            self._put(txn, "db", key, current.stored())
            lo = _key("login", f"{rec.tenant_id}/")
            for k, _ in list(txn.iter_scan(lo, lo[:-1] + b"0")):
                txn.delete(k)
        except BaseException:
            txn.rollback()
            raise
        self._commit(txn)
        current.password = password
        return current

    # -- connect-token logins ----------------------------------------------------------------

    @staticmethod
    def _login_key(tenant_id: str, expires_at: int, jti: str) -> str:
        return f"{tenant_id}/{expires_at:010d}/{jti}"

    def add_login(self, tenant_id: str, jti: str, verifier: Verifier) -> None:
        """Register a connect token's verifier until ``verifier.expires_at``; at most
        ``MAX_LIVE_TOKENS`` live ones per database (TooManyRequests past it)."""
        assert verifier.expires_at is not None
        expires = int(verifier.expires_at)
        value = _U64.pack(expires) + verifier.stored_key + verifier.server_key
        txn = self._txn()
        try:
            lo = _key("login", f"{tenant_id}/{int(time.time()):010d}")
            live = sum(1 for _ in txn.iter_scan(lo, _key("login", f"{tenant_id}0")))
            if live >= MAX_LIVE_TOKENS:
                raise TooManyRequests(
                    f"a database holds at most {MAX_LIVE_TOKENS} live connect tokens (each "
                    "login checks them all): wait for some to expire, or reset its password"
                )
            txn.put(_key("login", self._login_key(tenant_id, expires, jti)), value)
        except BaseException:
            txn.rollback()
            raise
        self._commit(txn)

    def has_login(self, tenant_id: str, expires_at: int, jti: str) -> bool:
        txn = self._txn()
        found = txn.get(_key("login", self._login_key(tenant_id, expires_at, jti))) is not None
        txn.rollback()
        return found

    def credentials(self, tenant_id: str) -> tuple[DatabaseRecord, list[Verifier]] | None:
        """A tenant's database and the verifiers of its live connect tokens, read in one
        transaction: the range of tokens expiring from now on, nothing older."""
        now = time.time()
        txn = self._txn()
        try:
            ref = txn.get(_key("tenant", tenant_id))
            rec = self._get(txn, "db", ref) if ref else None
            if rec is None:
                return None
            lo = _key("login", f"{tenant_id}/{int(now):010d}")
            hi = _key("login", f"{tenant_id}0")  # "/" + 1
            tokens = []
            for _, raw in txn.iter_scan(lo, hi):
                token = _login_value(raw)
                if token.expires_at is not None and token.expires_at > now:
                    tokens.append(token)
        finally:
            txn.rollback()
        return DatabaseRecord.load(rec), tokens

    def purge_logins(self, now: float | None = None) -> int:
        """Delete the records of expired connect tokens (and of an older version's keys);
        how many."""
        now = time.time() if now is None else now
        txn = self._txn()
        lo = _key("login", b"")
        gone = 0
        try:
            for k, raw in list(txn.iter_scan(lo, lo[:-1] + b"0")):
                if (_login_value(raw).expires_at or 0) <= now:
                    txn.delete(k)
                    gone += 1
        except BaseException:
            txn.rollback()
            raise
        if gone:
            self._commit(txn)
        else:
            txn.rollback()
        return gone

    def login_count(self) -> int:
        """Connect-token records kept, live or not (for tests and metrics)."""
        txn = self._txn()
        lo = _key("login", b"")
        n = sum(1 for _ in txn.iter_scan(lo, lo[:-1] + b"0"))
        txn.rollback()
        return n
