"""The control plane of one node: databases, branches, tokens, SQL, on top of the registry.

``ControlPlane`` is what the REST API calls; ``RegistryAuthenticator`` is how pgwire finds
a tenant's database and checks its password or connect tokens. Passwords are not kept (the
registry has SCRAM verifiers): a connection string carries the password only in the answer
that made it (create, branch, reset-password); ``status`` (and ``create_if_not_exists`` of
an existing database) gives one with a fresh connect token instead. Branch creations and
deletions are asynchronous (CREATING -> ACTIVE or CREATE_FAILED, DELETING -> gone) and are
finished by the reconciler thread, which also fails creations stuck past the timeout.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from control.config import (
    BRANCH_TIMEOUT_S,
    DEFAULT_TTL_MIN,
    MAX_TTL_MIN,
    MIN_TTL_MIN,
    BranchFault,
)
from control.directory import LoginDirectory
from control.metrics import SLOW_QUERY_S, DbMetrics, PromMetrics
from control.registry import (
    Account,
    Conflict,
    ControlError,
    DatabaseRecord,
    NotFound,
    Registry,
)
from kv.client import KvBackend, TxnClient
from kv.errors import Db9Error, RetryableError
from kv.timestamp import compose, physical_ms
from pgwire.auth import Role, Verifier, make_verifier
from sql import logins
from sql.database import Database
from sql.layout import DEFAULT_DATABASE_ID, database_prefix
from sql.session import Session

log = logging.getLogger(__name__)
# create_if_not_exists: lookups and creations before a race's error is the answer. A lost
# race leaves the winner's record for the next lookup to read, or, when the winner's commit
# timestamp is later than that lookup's, for the next creation to find.
_CREATE_ATTEMPTS = 5
STATUS_TOKEN_WINDOW_S = 300  # db9 db status gives the same connect token for this long
PURGE_INTERVAL_S = 60.0  # how often the reconciler deletes expired connect-token records
# Errors of a branch step that say nothing about the branch: no Raft leader took it (57P03),
# its answer was lost to a leader change (40003: the next pass sees whether the link was
# set), a lost race (40001). The branch stays CREATING, bounded by the branch timeout.
TRANSIENT_SQLSTATES = frozenset({"57P03", "40003", "40001"})


class ControlPlane:
    def __init__(
        self,
        client: TxnClient,
        kv: KvBackend,
        *,
        host: str,
        pg_port: int,
        key: rsa.RSAPrivateKey,
        active: Callable[[], bool] = lambda: True,
        gc_life_time_s: float = 600.0,
        branch_timeout_s: float = BRANCH_TIMEOUT_S,
        token_ttl_min: float = DEFAULT_TTL_MIN,
        branch_fault: BranchFault | None = None,
    ) -> None:
        self.client = client
        self.kv = kv
        self.registry = Registry(client)
        self.host = host
        self.pg_port = pg_port
        self.key = key
        self.active = active  # in a cluster only the Raft leader reconciles
        self.gc_life_time_s = gc_life_time_s  # how far back --at may go
        self.branch_timeout_s = branch_timeout_s  # CREATING longer: CREATE_FAILED
        self.token_ttl_min = token_ttl_min  # a connect token's lifetime unless asked
        self.branch_fault = branch_fault  # injected into the reconciler's branch step
        self._databases: dict[int, Database] = {}
        self.prom = PromMetrics()
        self._metrics: dict[int, DbMetrics] = {}
        # Active pgwire sessions per database prefix; the node plugs its server in here.
        self.connections: Callable[[], dict[bytes, int]] = dict
        # Ends every session on a database prefix, True once they have ended (DROP DATABASE
        # WITH (FORCE)); the node plugs its server in here.
        self.end_sessions: Callable[[bytes], bool] = lambda db: True
        # Ends every session logged in as a user (its password was reset), likewise.
        self.end_logins: Callable[[str], bool] = lambda user: True
        self._purged_at = -PURGE_INTERVAL_S
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- bootstrap ---------------------------------------------------------------------------

    def bootstrap(
        self, password: str, tenant: str = "local", api_token: str | None = None
    ) -> tuple[Account, str | None]:
        """The local account, its first API token (None if it existed), and the default
        database (id 1) registered under ``tenant`` with the admin ``password``. A given
        ``api_token`` (DB9_API_TOKEN, the same on every node) is registered for the account."""
        return self.registry.bootstrap(tenant, DEFAULT_DATABASE_ID, password, api_token)

    # -- databases ---------------------------------------------------------------------------

    def database_for(self, rec: DatabaseRecord) -> Database:
        with self._lock:
            db = self._databases.get(rec.id)
            if db is None:
                db = self._databases[rec.id] = Database(
                    self.client, database_prefix(rec.id), rec.sql_name
                )
                db.observer = self._metrics.setdefault(
                    rec.id, DbMetrics(rec.name, self.prom, rec.tenant_id)
                )
            return db

    def connection_string(self, rec: DatabaseRecord, credential: str | None = None,
                          user: str | None = None) -> str:  # fmt: skip
        """The URL to connect to ``rec`` as ``user`` (its admin by default), with
        ``credential`` (a password or connect token) as its password, or none."""
        user = user or rec.user
        auth = user if credential is None else f"{user}:{credential}"
        return f"postgresql://{auth}@{self.host}:{self.pg_port}/postgres?sslmode=require"

    def describe(self, rec: DatabaseRecord, credential: str | None = None) -> dict[str, Any]:
        """What the API says of a database; its connection string holds ``credential`` or
        the password on ``rec`` (there only when it was just made or reset), else none."""
        return {
            "id": str(rec.id),
            "name": rec.name,
            "state": rec.state,
            "state_reason": rec.state_reason,
            "tenant_id": rec.tenant_id,
            "host": self.host,
            "port": self.pg_port,
            "database": "postgres",
            "user": rec.user,
            "connection_string": self.connection_string(rec, credential or rec.password),
            "parent": rec.parent_name,
            "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(rec.created_at)),
        }

    def create(self, account: Account, name: str) -> DatabaseRecord:
        """A new database; its password is on the record returned, and nowhere else."""
        return self.registry.create_database(account, name)

    def create_if_not_exists(self, account: Account, name: str) -> tuple[dict[str, Any], bool]:
        """(``describe`` of a new database, True), or, when ``name`` exists and is ACTIVE,
        (its ``status``, False): the SDK's idempotent ``instantDatabase``. Not ACTIVE is a
        Conflict naming its state (CREATING, CREATE_FAILED or DELETING: not usable as is).

        Racing calls for one name all succeed, one creating: a loser's transaction fails
        with Conflict (the name was taken before it began) or a write conflict (taken while
        it ran), after which the winner's record is there to read."""
        for attempt in range(_CREATE_ATTEMPTS):
            try:
                return self._existing(self.registry.database(account.id, name)), False
            except NotFound:
                pass
            try:
                return self.describe(self.create(account, name)), True
            except (Conflict, RetryableError):
                if attempt == _CREATE_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def _existing(self, rec: DatabaseRecord) -> dict[str, Any]:
        if rec.state != "ACTIVE":
            raise Conflict(f'database "{rec.name}" exists and is {rec.state}, not ACTIVE')
        return self._status(rec)

    def status(self, account: Account, name: str) -> dict[str, Any]:
        """``describe`` for ``db9 db status``: an ACTIVE database's connection string carries
        a connect token valid for 10 to 15 more minutes, as the password itself is not kept.

        The token is the same for every call in a 5-minute window (its claims, jti included,
        are derived from the window, the installation's secret and the password's verifier,
        and RS256 signatures are deterministic), so a script polling status registers one
        token per window, not one per call; a password reset changes it."""
        return self._status(self.registry.database(account.id, name))

    def _status(self, rec: DatabaseRecord) -> dict[str, Any]:
        if rec.state != "ACTIVE":
            return self.describe(rec)
        window = int(time.time()) // STATUS_TOKEN_WINDOW_S * STATUS_TOKEN_WINDOW_S
        expires = window + MAX_TTL_MIN * 60
        seed = f"{rec.tenant_id}/{window}/{rec.scram['stored_key']}".encode()
        jti = hmac.new(self.registry.scram_secret(), seed, hashlib.sha256).hexdigest()[:16]
        token = self._token(rec, window, expires, jti, register_once=True)
        return self.describe(rec, token)

    def branch(
        self, account: Account, parent_name: str, name: str, at: int | None = None
    ) -> DatabaseRecord:
        """A branch of ``parent_name`` as of ``at`` (default now), CREATING until the
        reconciler has linked it (registry.create_database: the parent must be ACTIVE, and
        at most MAX_BRANCHES_IN_FLIGHT creations in flight)."""
        parent = self.registry.database(account.id, parent_name)
        now = self.kv.get_ts()
        fork_ts = at if at is not None else now
        oldest = max(
            self.kv.safepoint(), compose(physical_ms(now) - int(self.gc_life_time_s * 1000))
        )
        if fork_ts < oldest:
            raise ControlError(
                f"--at {fork_ts} is older than the GC window "
                f"({self.gc_life_time_s:.0f}s; oldest usable {oldest})"
            )
        if fork_ts > now:
            raise ControlError(f"--at {fork_ts} is in the future (now {now})")
        rec = self.registry.create_database(
            account, name, state="CREATING", parent=parent, fork_ts=fork_ts
        )
        self._wake.set()
        return rec

    def delete(self, account: Account, name: str) -> DatabaseRecord:
        """Mark ``name`` DELETING (Conflict if it has branches); the reconciler removes it."""
        rec = self.registry.database(account.id, name)
        if rec.id == DEFAULT_DATABASE_ID:
            raise ControlError("the default database cannot be deleted")
        rec = self.registry.delete(rec)
        self._wake.set()
        return rec

    def copy_database(
        self, account: Account, template: DatabaseRecord, name: str, **fields: Any
    ) -> DatabaseRecord:
        """A new database ``name``, a copy-on-write branch of ``template`` as of now, made
        at once (CREATE DATABASE ... TEMPLATE): one record and one branch link."""
        fork_ts = self.kv.get_ts()
        rec = self.registry.create_database(
            account, name, state="CREATING", parent=template, fork_ts=fork_ts, **fields
        )
        try:
            self.kv.set_branch(rec.prefix, template.prefix, fork_ts)
        except BaseException:
            self.registry.forget(rec)
            raise
        return self.registry.update(rec, when="CREATING", state="ACTIVE", state_reason=None)

    def remove_now(self, rec: DatabaseRecord) -> None:
        """Delete a database and its data now (DROP DATABASE), not by the reconciler."""
        rec = self.registry.update(rec, state="DELETING")  # no new logins from here on
        self._remove(rec)

    def rename(self, rec: DatabaseRecord, new_name: str) -> DatabaseRecord:
        rec = self.registry.rename(rec, new_name)
        with self._lock:
            self._databases.pop(rec.id, None)  # its SQL name is cached there
        return rec

    def reset_branch(self, account: Account, name: str) -> DatabaseRecord:
        """Throw away a branch's changes and re-fork it from its parent's present. Open
        connections to the branch should reconnect (their caches knew the old state)."""
        rec = self.active_record(account, name)
        if rec.parent_id is None:
            raise ControlError(f'"{name}" is not a branch')
        children = [d for d in self.registry.databases(account.id) if d.parent_id == rec.id]
        if children:
            raise Conflict(f'branch "{name}" has branches of its own; delete them first')
        fork_ts = self.kv.get_ts()
        self.kv.reset_branch(rec.prefix, fork_ts)
        with self._lock:
            self._databases.pop(rec.id, None)
        return self.registry.update(rec, fork_ts=fork_ts)

    def diff(self, account: Account, name: str) -> dict[str, Any]:
        """Tables added, removed and changed (row counts) in a branch against its parent."""
        rec = self.active_record(account, name)
        if rec.parent_id is None or rec.parent_name is None:
            raise ControlError(f'"{name}" is not a branch')
        parent = self.registry.database(account.id, rec.parent_name)
        mine, theirs = (
            _table_counts(self.client, rec.prefix),
            _table_counts(self.client, parent.prefix),
        )
        return {
            "branch": name,
            "parent": parent.name,
            "added_tables": sorted(set(mine) - set(theirs)),
            "removed_tables": sorted(set(theirs) - set(mine)),
            "changed_tables": [
                {"table": t, "parent_rows": theirs[t], "branch_rows": mine[t]}
                for t in sorted(set(mine) & set(theirs))
                if mine[t] != theirs[t]
            ],
        }

    def reset_password(self, account: Account, name: str) -> DatabaseRecord:
        """A new admin password (on the returned record only); the tenant's connect tokens
        are revoked and its open sessions on this node end (FATAL 57P01)."""
        rec = self.registry.reset_password(self.registry.database(account.id, name))
        self.end_logins(rec.user)
        return rec

    def active_record(self, account: Account, name: str) -> DatabaseRecord:
        rec = self.registry.database(account.id, name)
        if rec.state != "ACTIVE":
            raise Conflict(f'database "{name}" is {rec.state}')
        return rec

    # -- connect tokens ---------------------------------------------------------------------

    def connect_token(
        self, account: Account, name: str, ttl_minutes: float | None = None
    ) -> dict[str, Any]:
        """A connect token living ``ttl_minutes`` (the server's setting if None)."""
        if ttl_minutes is None:
            ttl_minutes = self.token_ttl_min
        if not MIN_TTL_MIN <= ttl_minutes <= MAX_TTL_MIN:
            raise ControlError(
                f"connect token lifetime must be {MIN_TTL_MIN} to {MAX_TTL_MIN} minutes"
            )
        rec = self.active_record(account, name)
        now = int(time.time())
        expires = now + int(ttl_minutes * 60)
        token = self._token(rec, now, expires, secrets.token_hex(8))
        return {
            "token": token,
            "host": self.host,
            "port": self.pg_port,
            "user": rec.user,
            "expires_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(expires)),
        }

    def _token(self, rec: DatabaseRecord, issued: int, expires: int, jti: str,
               register_once: bool = False) -> str:  # fmt: skip
        """A signed connect token for ``rec``, its verifier registered until ``expires``
        (``register_once``: unless registered already)."""
        claims = {"iss": "db9", "sub": rec.user, "tenant": rec.tenant_id, "role": "admin",
                  "iat": issued, "exp": expires, "jti": jti}  # fmt: skip
        token = jwt.encode(claims, self.key, algorithm="RS256")
        if not (register_once and self.registry.has_login(rec.tenant_id, expires, jti)):
            self.registry.add_login(
                rec.tenant_id, jti, make_verifier(token, rec.salt, rec.iterations, expires)
            )
        return token

    # -- SQL ---------------------------------------------------------------------------------

    def sql_session(self, account: Account, name: str, statement_timeout_s: float = 0.0) -> Session:
        """A session on an active database for the REST API; ``statement_timeout_s`` (0:
        none) is its statement_timeout unless its statements SET another."""
        rec = self.active_record(account, name)
        session = Session(self.database_for(rec), user="admin")
        session.directory = LoginDirectory(self, rec)  # as its logins see databases
        session.login_defaults(rec.settings)
        if statement_timeout_s > 0:
            session.settings["statement_timeout"] = str(round(statement_timeout_s * 1000))
        return session

    def sql(self, account: Account, name: str, query: str) -> list[dict[str, Any]]:
        """Run ``query`` on the named database (no statement timeout, no slot: for callers
        in-process; the REST API runs ``run_sql`` in the statement slots)."""
        return self.run_sql(self.sql_session(account, name), query)

    @staticmethod
    def run_sql(session: Session, query: str) -> list[dict[str, Any]]:
        """Run every statement of ``query`` on ``session`` (stopping at the first error) as
        JSON-ready results, then close the session (an open transaction is rolled back)."""
        out = []
        try:
            for r in session.execute(query):
                cols = [c for c, _ in r.columns] if r.columns is not None else None
                rows = [[_jsonable(v) for v in row] for row in (r.rows or [])]
                out.append({"tag": r.tag, "columns": cols, "rows": rows if cols else None})
        finally:
            session.close()
        return out

    # -- roles -----------------------------------------------------------------------------

    def create_role(self, account: Account, name: str, role: str, kind: str) -> dict[str, Any]:
        """A login role ``role`` of database ``name`` with a new password (shown only in the
        answer), granted what ``kind`` needs on schema public's tables and sequences, those
        there now and those the admin makes later (default privileges): "read-only" SELECT,
        "app" SELECT, INSERT, UPDATE, DELETE and the sequences' USAGE."""
        if not ROLE_NAME.fullmatch(role) or role == "admin" or role.startswith("pg_"):
            raise ControlError(
                f'invalid role name "{role}": use 1-63 lower-case letters, digits and _, '
                "starting with a letter, not admin or pg_..."
            )
        if kind not in ROLE_GRANTS:
            raise ControlError(f'unknown role kind "{kind}": use read-only or app')
        rec = self.active_record(account, name)
        password = secrets.token_urlsafe(18)  # URL-safe: no quote to escape
        tables, sequences = ROLE_GRANTS[kind]
        # ``role`` matched ROLE_NAME: a plain identifier, nothing to quote.
        self.sql(account, name, f"""BEGIN;
            CREATE ROLE {role} LOGIN PASSWORD '{password}';
            GRANT USAGE ON SCHEMA public TO {role};
            GRANT {tables} ON ALL TABLES IN SCHEMA public TO {role};
            GRANT {sequences} ON ALL SEQUENCES IN SCHEMA public TO {role};
            ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT {tables} ON TABLES TO {role};
            ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT {sequences} ON SEQUENCES TO {role};
            COMMIT""")  # fmt: skip
        user = f"{rec.tenant_id}.{role}"
        return {"database": name, "role": role, "kind": kind, "user": user,
                "password": password,
                "connection_string": self.connection_string(rec, password, user)}  # fmt: skip

    # -- inspect ---------------------------------------------------------------------------

    INSPECT_QUERIES = {
        "schemas": "SELECT schema_name FROM information_schema.schemata "
        "WHERE schema_name NOT IN ('pg_catalog', 'information_schema') ORDER BY 1",
        "tables": "SELECT table_schema, table_name, table_type FROM information_schema.tables "
        "WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2",
        "indexes": "SELECT schemaname, tablename, indexname, indexdef FROM pg_indexes "
        "WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2, 3",
    }
    INSPECT_VIEWS = ("summary", "queries", "report", "slow-queries", *INSPECT_QUERIES)

    def inspect(self, account: Account, name: str, what: str = "summary") -> dict[str, Any]:
        if what not in self.INSPECT_VIEWS:
            raise ControlError(
                f"unknown inspect view {what!r}; one of {', '.join(self.INSPECT_VIEWS)}"
            )
        rec = self.active_record(account, name)
        self.database_for(rec)
        metrics = self._metrics[rec.id]
        summary = metrics.summary(self.connections().get(rec.prefix, 0))
        samples = [s.as_json() for s in reversed(metrics.samples)]
        if what == "summary":
            return summary
        if what == "queries":
            return {"queries": samples}
        if what == "report":
            return {**summary, "queries": samples}
        if what == "slow-queries":
            return {
                "threshold_ms": SLOW_QUERY_S * 1000,
                "queries": [s.as_json() for s in reversed(metrics.slow)],
            }
        # Catalog views run in a session of their own, outside the metrics they report.
        session = Session(Database(self.client, rec.prefix), user="admin")
        try:
            result = session.execute(self.INSPECT_QUERIES[what])[-1]
        finally:
            session.close()
        cols = [c for c, _ in result.columns or []]
        rows = [dict(zip(cols, map(_jsonable, row), strict=True)) for row in result.rows or []]
        if what == "tables":
            for row in rows:
                count = session_count(
                    self.client, rec.prefix, row["table_schema"], row["table_name"]
                )
                row["rows"] = count
        return {what: rows}

    # -- reconciler --------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="reconciler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(10)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(1.0)
            self._wake.clear()
            if self._stop.is_set() or not self.active():
                continue
            try:
                self.reconcile()
            except Db9Error as exc:
                log.warning("reconciler: %s", exc)
            except Exception:  # a bug; the thread goes on, or branches would stay CREATING
                log.exception("reconciler")

    def reconcile(self) -> None:
        """Finish pending branch creations and deletions; fail those stuck too long; now and
        then, delete the records of expired connect tokens.

        The records it read may change under it (a branch deleted or renamed while it is
        made): its updates apply only to a record still CREATING under the name it read, and
        one renamed since (NotFound) is done in the next pass, under its new name."""
        for rec in self.registry.databases():
            try:
                if rec.state == "CREATING":
                    self._finish_branch(rec)
                elif rec.state == "DELETING":
                    self._remove(rec)
            except NotFound:
                continue
        if time.monotonic() - self._purged_at >= PURGE_INTERVAL_S:
            self.registry.purge_logins()
            self._purged_at = time.monotonic()

    def _remove(self, rec: DatabaseRecord) -> None:
        self.kv.drop_prefix(rec.prefix)
        self.registry.forget(rec)
        with self._lock:
            self._databases.pop(rec.id, None)

    def _finish_branch(self, rec: DatabaseRecord) -> None:
        """Link a CREATING branch and make it ACTIVE, or CREATE_FAILED with a reason; left
        CREATING while an injected delay lasts. Safe to repeat after a crash anywhere in it
        (the link is set once, and setting it again is a no-op)."""
        age = time.time() - rec.created_at
        if age > self.branch_timeout_s:
            reason = (f"branch creation timed out after {self.branch_timeout_s:g}s "
                      "(the server's --branch-timeout)")  # fmt: skip
            self.registry.update(rec, when="CREATING", state="CREATE_FAILED", state_reason=reason)
            return
        fault = self.branch_fault
        if fault is not None:
            if age < fault.delay_s:
                return
            if fault.fail_reason is not None:
                self.registry.update(
                    rec, when="CREATING", state="CREATE_FAILED", state_reason=fault.fail_reason
                )
                return
        assert rec.parent_id is not None and rec.fork_ts is not None
        parent = database_prefix(rec.parent_id)
        try:
            link = self.kv.branch_links().get(rec.prefix)
            if link is None:  # not done by an earlier, interrupted attempt
                self.kv.set_branch(rec.prefix, parent, rec.fork_ts)
        except Db9Error as exc:
            if exc.sqlstate in TRANSIENT_SQLSTATES:
                log.info("branch %s: %s; tried again on the next pass", rec.name, exc.message)
                return
            self.registry.update(
                rec, when="CREATING", state="CREATE_FAILED", state_reason=exc.message
            )
            return
        self.registry.update(rec, when="CREATING", state="ACTIVE", state_reason=None)


def _table_counts(client: TxnClient, prefix: bytes) -> dict[str, int | None]:
    session = Session(Database(client, prefix), user="admin")
    try:
        tables = (
            session.execute(
                "SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema "
                "NOT IN ('pg_catalog', 'information_schema') AND table_type = 'BASE TABLE'"
            )[-1].rows
            or []
        )
    finally:
        session.close()
    return {f"{s}.{t}": session_count(client, prefix, s, t) for s, t in tables}


def session_count(client: TxnClient, prefix: bytes, schema: str, table: str) -> int | None:
    session = Session(Database(client, prefix), user="admin")
    try:
        quoted = '"' + schema.replace('"', '""') + '"."' + table.replace('"', '""') + '"'
        rows = session.execute(f"SELECT count(*) FROM {quoted}")[-1].rows or [(None,)]
        value = rows[0][0]
        return int(value) if value is not None else None
    except Db9Error:
        return None
    finally:
        session.close()


def _jsonable(v: Any) -> Any:
    if v is None or isinstance(v, bool | int | float | str):
        return v
    if isinstance(v, list | tuple):
        return [_jsonable(x) for x in v]
    if isinstance(v, bytes):
        return "\\x" + v.hex()
    return str(v)


ROLE_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")
# What ``create_role`` grants each kind of role: (on tables, on sequences).
ROLE_GRANTS = {
    "read-only": ("SELECT", "SELECT"),
    "app": ("SELECT, INSERT, UPDATE, DELETE", "USAGE, SELECT"),
}


class RegistryAuthenticator:
    """pgwire's Authenticator over the registry: ``<tenant_id>.admin`` logs in to that
    tenant's database with its admin password or a live connect token; ``<tenant_id>.<role>``
    with the password of that database's role (LOGIN, sql.logins), and runs as it.

    A known user's SCRAM salt is its record's (random, made with it); an unknown user's is
    derived from the name with the installation's secret key, so it is as stable as a real
    one and asking twice does not tell them apart."""

    def __init__(self, plane: ControlPlane) -> None:
        self.plane = plane
        self._secret: bytes | None = None

    def fake_salt(self, user: str) -> bytes:
        if self._secret is None:
            self._secret = self.plane.registry.scram_secret()
        return hmac.new(self._secret, b"salt:" + user.encode(), hashlib.sha256).digest()[:16]

    def role(self, user: str) -> Role | None:
        tenant, dot, role = user.partition(".")
        if not dot or not role or not tenant:
            return None
        found = self.plane.registry.credentials(tenant)  # Db9Error: the login fails with it
        if found is None or found[0].state != "ACTIVE":
            return None
        rec, tokens = found
        if role != "admin":
            return self._database_role(rec, role)
        directory = LoginDirectory(self.plane, rec)
        return Role(self.plane.database_for(rec), rec.salt, rec.iterations,
                    [rec.verifier(), *tokens], directory, rec.verifier().stored_key)  # fmt: skip

    def _database_role(self, rec: DatabaseRecord, name: str) -> Role | None:
        """A role of the tenant's database (CREATE ROLE ... LOGIN PASSWORD) as a login to
        that database only (the directory tells another's name, 42501, from an unknown one,
        3D000), running as that role; None if it may not log in."""
        database = self.plane.database_for(rec)
        login = logins.find(database, name)
        if login is None:
            return None
        secret = login.secret
        verifier = Verifier(secret.stored_key, secret.server_key)
        return Role(database, secret.salt, secret.iterations, [verifier],
                    LoginDirectory(self.plane, rec), credential=secret.stored_key,
                    acts_as=login.name, superuser=login.superuser,
                    connlimit=login.connlimit)  # fmt: skip

    def credentials(self) -> dict[str, bytes]:
        """Every login's current ``Role.credential`` (PgServer.credentials polls it)."""
        return {r.user: r.verifier().stored_key for r in self.plane.registry.databases()}
