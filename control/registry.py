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

Every call is one transaction run by ``Registry._run``, which runs it again when it loses a
race with a concurrent one (parallel CI workers creating databases at once), so callers see
only the documented answers, or ``Busy`` (503) when the races go on past a deadline.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import secrets
import struct
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

from kv import interrupt
from kv.client import Transaction, TxnClient
from kv.errors import Db9Error, RetryableError
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
# How long a call keeps running its transaction again while concurrent ones win the race
# (a lock it meets is waited for up to TxnOptions.lock_wait_s within an attempt); then Busy.
RETRY_DEADLINE_S = 10.0
T = TypeVar("T")


class ControlError(Db9Error):
    """An error the API reports with an HTTP status (``status``) and a JSON body."""

    status = 400
    retry_after_s: float | None = None  # the API's Retry-After header, when known


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
        self.retry_after_s = retry_after_s


class Busy(ControlError):
    """A call's transaction kept losing races with concurrent ones past RETRY_DEADLINE_S;
    nothing was written. The same call may be sent again."""

    status = 503
    retry_after_s = 1.0


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

    def __init__(self, client: TxnClient, retry_deadline_s: float = RETRY_DEADLINE_S) -> None:
        self.client = client
        self.retry_deadline_s = retry_deadline_s
        # A latch (as TiKV's serialize commands on one key within a node): every creation
        # writes seq/database, so a node's parallel creations queue here instead of racing
        # to a retry storm; races remain only between nodes.
        self._creating = threading.Lock()

    # -- plumbing ---------------------------------------------------------------------------

    def _run(self, body: Callable[[Transaction], T]) -> T:
        """``body``'s result, run in a transaction that is then committed (one that wrote
        nothing ends at no cost) or, if ``body`` raises, rolled back.

        When the transaction loses a race (RetryableError, SQLSTATE 40001: a key written by a
        transaction that committed after our snapshot, a lock that did not clear in time, an
        abort by a lock resolver) nothing of it was written, and ``body`` runs again in a new
        transaction, after a random backoff growing to 0.1 s, until ``retry_deadline_s`` has
        passed: then Busy. ``body`` may therefore run more than once; every check it makes
        (a name taken, a cap reached) is made again on the newer snapshot, and holds at the
        commit because the transaction writes a key every competing call writes too (see
        ``create_database``)."""
        deadline = time.monotonic() + self.retry_deadline_s
        backoff = 0.004
        while True:
            txn = self.client.begin()
            try:
                result = body(txn)
                txn.commit()
                return result
            except RetryableError as exc:
                txn.rollback()
                interrupt.check()  # run by a statement (CREATE DATABASE): its cancel, timeout
                left = deadline - time.monotonic()
                if left <= 0:
                    raise Busy(
                        "the control plane's records are being changed by concurrent requests; "
                        "nothing was done: retry",
                        detail=exc.message,
                    ) from exc
                time.sleep(min(left, random.uniform(backoff / 2, backoff)))
                backoff = min(backoff * 2, 0.1)
            except BaseException:
                txn.rollback()
                raise

    def _get(self, txn: Transaction, kind: str, name: str | bytes) -> dict[str, Any] | None:
        raw = txn.get(_key(kind, name))
        return None if raw is None else dict(json.loads(raw))

    def _put(self, txn: Transaction, kind: str, name: str | bytes, value: Any) -> None:
        txn.put(_key(kind, name), json.dumps(value, sort_keys=True).encode())

    def _scan(self, txn: Transaction, kind: str) -> Iterator[dict[str, Any]]:
        lo = _key(kind, b"")
        for _, raw in txn.iter_scan(lo, lo[:-1] + b"0"):  # "/" + 1 == "0"
            yield dict(json.loads(raw))

    # -- accounts and API tokens -------------------------------------------------------------

    def create_account(self, name: str, *, anonymous: bool = False) -> Account:
        account = Account(secrets.token_hex(6), name, anonymous)
        self._run(lambda txn: self._put(txn, "acct", account.id, asdict(account)))
        return account

    def account(self, account_id: str) -> Account:
        rec = self._run(lambda txn: self._get(txn, "acct", account_id))
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

        def body(txn: Transaction) -> Account:
            rec = self._get(txn, "acct", account_id)
            if rec is None:
                raise NotFound(f"account {account_id} not found")
            rec["anonymous"] = False
            self._put(txn, "acct", account_id, rec)
            return Account(**rec)

        return self._run(body)

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
        self._run(lambda txn: self._put(txn, "token", token.digest, asdict(token)))
        return secret, token

    def has_token(self, secret: str) -> bool:
        return self._run(lambda txn: self._get(txn, "token", digest(secret)) is not None)

    def authenticate(self, secret: str) -> Account:
        def body(txn: Transaction) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
            rec = self._get(txn, "token", digest(secret))
            return rec, self._get(txn, "acct", rec["account_id"]) if rec else None

        rec, acct = self._run(body)
        if rec is None or acct is None:
            raise Unauthorized("invalid API token")
        token = ApiToken(**rec)
        if token.revoked:
            raise Unauthorized("API token was revoked")
        if token.expires_at is not None and token.expires_at < time.time():
            raise Unauthorized("API token expired")
        return Account(**acct)

    def tokens(self, account_id: str) -> list[ApiToken]:
        out = self._run(lambda txn: [ApiToken(**r) for r in self._scan(txn, "token")
                                     if r["account_id"] == account_id])  # fmt: skip
        return sorted(out, key=lambda t: t.created_at)

    def revoke_token(self, account_id: str, token_id: str) -> ApiToken:
        def body(txn: Transaction) -> ApiToken:
            for rec in self._scan(txn, "token"):
                if rec["account_id"] == account_id and token_id in (rec["id"], rec["name"]):
                    rec["revoked"] = True
                    self._put(txn, "token", rec["digest"], rec)
                    return ApiToken(**rec)
            raise NotFound(f"token {token_id} not found")

        return self._run(body)

    # -- bootstrap ---------------------------------------------------------------------------

    def bootstrap(
        self, tenant: str, db_id: int, password: str, api_token: str | None
    ) -> tuple[Account, str | None]:
        """The account owning ``tenant``'s default database, and a new API token if this call
        created them (``api_token``, the operator's, or a generated one).

        One transaction: cluster nodes start at once, and each used to create its own
        account and register the operator token for it in separate steps; the token ended up
        on an account without the database ("tenant local already exists" on the others).
        Now one node's transaction wins and the others run again and find it. An operator
        token found on another account (that race, in an older store) is moved to the owner.
        """

        def body(txn: Transaction) -> tuple[Account, str | None]:
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
                return account, secret
            acct = self._get(txn, "acct", rec["account_id"])
            if acct is None:
                raise NotFound(f"account {rec['account_id']} of tenant {tenant} not found")
            self._migrate_passwords(txn)
            current = DatabaseRecord.load(rec)
            kept = current.verifier().stored_key
            if make_verifier(password, current.salt, current.iterations).stored_key != kept:
                current.scram = scram_verifier(password)
                self._put(txn, "db", self._db_key(current.account_id, current.name),
                          current.stored())  # fmt: skip
            if api_token:
                token = self._get(txn, "token", digest(api_token))
                if token is None or token["account_id"] != acct["id"]:
                    self._put_token(txn, acct["id"], "operator", api_token)
            return Account(**acct), None

        return self._run(body)

    def _migrate_passwords(self, txn: Transaction) -> None:
        """Replace the plaintext passwords of an older version's records by verifiers."""
        for raw in list(self._scan(txn, "db")):
            if "admin_password" in raw:
                rec = DatabaseRecord.load(raw)
                rec.scram = scram_verifier(raw["admin_password"])
                self._put(txn, "db", self._db_key(rec.account_id, rec.name), rec.stored())

    def _secret(self, txn: Transaction) -> bytes:
        raw = txn.get(_key("secret", "scram"))
        if raw is None:
            raw = secrets.token_bytes(32)
            txn.put(_key("secret", "scram"), raw)
        return bytes(raw)

    def scram_secret(self) -> bytes:
        """This installation's key for the salts of unknown users (made on first use; the
        same on every node, as it is in the store)."""
        return self._run(self._secret)

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
        out = self._run(lambda txn: [DatabaseRecord.load(r) for r in self._scan(txn, "db")])
        if account_id is not None:
            out = [d for d in out if d.account_id == account_id]
        return sorted(out, key=lambda d: d.id)

    def database(self, account_id: str | None, name: str) -> DatabaseRecord:
        rec = (
            self._run(lambda txn: self._get(txn, "db", self._db_key(account_id, name)))
            if account_id
            else None
        )
        if rec is None:
            raise NotFound(f'database "{clip(name)}" not found')
        return DatabaseRecord.load(rec)

    def by_tenant(self, tenant_id: str) -> DatabaseRecord | None:
        def body(txn: Transaction) -> dict[str, Any] | None:
            ref = txn.get(_key("tenant", tenant_id))
            return self._get(txn, "db", ref) if ref else None

        rec = self._run(body)
        return None if rec is None else DatabaseRecord.load(rec)

    @staticmethod
    def _db_key(account_id: str, name: str) -> str:
        return f"{account_id}/{name}"

    def _current(self, txn: Transaction, rec: DatabaseRecord) -> dict[str, Any]:
        """The stored record of ``rec``'s database under ``rec``'s name; NotFound if that name
        is gone or now names another database (deleted and made again, renamed)."""
        raw = self._get(txn, "db", self._db_key(rec.account_id, rec.name))
        if raw is None or raw["id"] != rec.id:
            raise NotFound(f'database "{rec.name}" not found')
        return raw

    def create_database(
        self,
        account: Account,
        name: str,
        *,
        state: str = "ACTIVE",
        parent: DatabaseRecord | None = None,
        fork_ts: int | None = None,
        tenant_id: str | None = None,
        password: str | None = None,
        **fields: Any,
    ) -> DatabaseRecord:
        """A new database record (``fields``: DatabaseRecord's SQL-side ones, home_id...)
        whose admin password (``password`` or a random one) is on the returned record only;
        with ``parent``, a branch of it (which must be ACTIVE).

        Exact under any interleaving: the name's uniqueness (Conflict), the anonymous cap
        (Forbidden) and MAX_BRANCHES_IN_FLIGHT (TooManyRequests) are checked in the same
        transaction that bumps the id sequence (``seq/database``), a key every creation
        writes, so of two concurrent creations only the first to commit does (a write
        conflict) and the other runs again on a snapshot that holds it: snapshot isolation's
        write skew cannot let a sixth database or a third branch creation through. A branch
        creation also rewrites its parent's record, which ``delete`` writes after checking
        the parent has no branches, so the two cannot both commit either."""
        _check_name(name, fields.get("home_id") is not None)
        password = password or secrets.token_urlsafe(18)
        scram = scram_verifier(password)  # PBKDF2, outside the transaction: shorter races
        tenant = tenant_id or secrets.token_hex(6)

        def body(txn: Transaction) -> DatabaseRecord:
            db_id = self._next_id(txn)
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
                current = self._current(txn, parent)
                if current["state"] != "ACTIVE":
                    raise Conflict(f'database "{parent.name}" is {current["state"]}, not ACTIVE')
                self._put(txn, "db", self._db_key(account.id, parent.name), current)
                creating = [r for r in mine if r["state"] == "CREATING"]
                if len(creating) >= MAX_BRANCHES_IN_FLIGHT:
                    raise TooManyRequests(
                        f"at most {MAX_BRANCHES_IN_FLIGHT} branch creations may be in progress; "
                        "retry after they finish"
                    )
            rec = DatabaseRecord(
                id=db_id,
                name=name,
                account_id=account.id,
                tenant_id=tenant,
                scram=scram,
                state=state,
                created_at=time.time(),
                parent_id=parent.id if parent else None,
                parent_name=parent.name if parent else None,
                fork_ts=fork_ts,
                **fields,
            )
            if txn.get(_key("tenant", rec.tenant_id)) is not None:
                raise Conflict(f"tenant {rec.tenant_id} already exists")
            db_key = self._db_key(account.id, name)
            self._put(txn, "db", db_key, rec.stored())
            txn.put(_key("tenant", rec.tenant_id), db_key.encode())
            return rec

        with self._creating:
            rec = self._run(body)
        rec.password = password
        return rec

    def update(self, rec: DatabaseRecord, *, when: str | None = None,
               **changes: Any) -> DatabaseRecord:  # fmt: skip
        """``rec``'s database with ``changes``. ``when``: only if its state is still that one,
        else it is returned unchanged (the reconciler read a branch CREATING; a delete since
        must not be undone by its ACTIVE). NotFound if ``rec``'s name is gone or names
        another database now (renamed, or deleted and made again)."""

        def body(txn: Transaction) -> DatabaseRecord:
            current = self._current(txn, rec)
            if when is not None and current["state"] != when:
                return DatabaseRecord.load(current)
            current.update(changes)
            if "state" in changes:
                current["state_changed_at"] = time.time()
            updated = DatabaseRecord.load(current)
            self._put(txn, "db", self._db_key(rec.account_id, rec.name), updated.stored())
            return updated

        return self._run(body)

    def delete(self, rec: DatabaseRecord) -> DatabaseRecord:
        """Mark ``rec``'s database DELETING, unless it has branches (Conflict): checked in the
        transaction that writes its record, which a branch creation of it writes too."""

        def body(txn: Transaction) -> DatabaseRecord:
            current = self._current(txn, rec)
            mine = (r for r in self._scan(txn, "db") if r["account_id"] == rec.account_id)
            children = [r["name"] for r in mine if r["parent_id"] == rec.id]
            if children:
                raise Conflict(f'database "{rec.name}" has branches: {", ".join(children)}; '
                               "delete them first")  # fmt: skip
            current.update(state="DELETING", state_changed_at=time.time())
            self._put(txn, "db", self._db_key(rec.account_id, rec.name), current)
            return DatabaseRecord.load(current)

        return self._run(body)

    def rename(self, rec: DatabaseRecord, new_name: str) -> DatabaseRecord:
        """``rec`` under ``new_name`` (its id, prefix and tenant stay); branches of it keep
        their parent by id and show the new name."""
        _check_name(new_name, rec.home_id is not None)

        def body(txn: Transaction) -> DatabaseRecord:
            old_key = self._db_key(rec.account_id, rec.name)
            new_key = self._db_key(rec.account_id, new_name)
            current = self._current(txn, rec)
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
            return DatabaseRecord.load(current)

        return self._run(body)

    def forget(self, rec: DatabaseRecord) -> None:
        """Delete ``rec``'s record and tenant; nothing if its name names another database
        now (it was renamed: the reconciler finds it again under its new name)."""

        def body(txn: Transaction) -> None:
            try:
                self._current(txn, rec)
            except NotFound:
                return
            txn.delete(_key("db", self._db_key(rec.account_id, rec.name)))
            txn.delete(_key("tenant", rec.tenant_id))

        self._run(body)

    def reset_password(self, rec: DatabaseRecord) -> DatabaseRecord:
        """A new random admin password (on the returned record only), and every connect token
        of the tenant revoked, in one transaction."""
        password = secrets.token_urlsafe(18)
        scram = scram_verifier(password)

        def body(txn: Transaction) -> DatabaseRecord:
            current = DatabaseRecord.load(self._current(txn, rec))
            current.scram = scram
            self._put(txn, "db", self._db_key(rec.account_id, rec.name), current.stored())
            lo = _key("login", f"{rec.tenant_id}/")
            for k, _ in list(txn.iter_scan(lo, lo[:-1] + b"0")):
                txn.delete(k)
            return current

        current = self._run(body)
        current.password = password
        return current

    # -- connect-token logins ----------------------------------------------------------------

    @staticmethod
    def _login_key(tenant_id: str, expires_at: int, jti: str) -> str:
        return f"{tenant_id}/{expires_at:010d}/{jti}"

    def add_login(self, tenant_id: str, jti: str, verifier: Verifier) -> None:
        """Register a connect token's verifier until ``verifier.expires_at``; at most about
        ``MAX_LIVE_TOKENS`` live ones per database (TooManyRequests past it; concurrent
        registrations write different keys, so a few may pass it together: a bound on cost,
        not an exact count)."""
        assert verifier.expires_at is not None
        expires = int(verifier.expires_at)
        value = _U64.pack(expires) + verifier.stored_key + verifier.server_key

        def body(txn: Transaction) -> None:
            lo = _key("login", f"{tenant_id}/{int(time.time()):010d}")
            live = sum(1 for _ in txn.iter_scan(lo, _key("login", f"{tenant_id}0")))
            if live >= MAX_LIVE_TOKENS:
                raise TooManyRequests(
                    f"a database holds at most {MAX_LIVE_TOKENS} live connect tokens (each "
                    "login checks them all): wait for some to expire, or reset its password"
                )
            txn.put(_key("login", self._login_key(tenant_id, expires, jti)), value)

        self._run(body)

    def has_login(self, tenant_id: str, expires_at: int, jti: str) -> bool:
        key = _key("login", self._login_key(tenant_id, expires_at, jti))
        return self._run(lambda txn: txn.get(key) is not None)

    def credentials(self, tenant_id: str) -> tuple[DatabaseRecord, list[Verifier]] | None:
        """A tenant's database and the verifiers of its live connect tokens, read in one
        transaction: the range of tokens expiring from now on, nothing older."""
        now = time.time()

        def body(txn: Transaction) -> tuple[DatabaseRecord, list[Verifier]] | None:
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
            return DatabaseRecord.load(rec), tokens

        return self._run(body)

    def purge_logins(self, now: float | None = None) -> int:
        """Delete the records of expired connect tokens (and of an older version's keys);
        how many."""
        at = time.time() if now is None else now

        def body(txn: Transaction) -> int:
            lo = _key("login", b"")
            gone = 0
            for k, raw in list(txn.iter_scan(lo, lo[:-1] + b"0")):
                if (_login_value(raw).expires_at or 0) <= at:
                    txn.delete(k)
                    gone += 1
            return gone

        return self._run(body)

    def login_count(self) -> int:
        """Connect-token records kept, live or not (for tests and metrics)."""
        lo = _key("login", b"")
        return self._run(lambda txn: sum(1 for _ in txn.iter_scan(lo, lo[:-1] + b"0")))
