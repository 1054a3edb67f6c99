"""The databases one login sees over SQL: sql.databases.DatabaseDirectory on the registry.

A login ``<tenant>.admin`` reaches its tenant's database (dbname ``postgres``, or its
registry name) and the databases made from it with CREATE DATABASE. Those are ordinary
registry records (a key prefix each, owned by the same account, listed and deleted by the
CLI and API, counted against the account's limits) with ``home_id`` naming the database
whose login made them. TEMPLATE <one of them> makes a copy-on-write branch of it, at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from control.registry import (
    Conflict,
    ControlError,
    DatabaseRecord,
    Forbidden,
    NotFound,
    TooManyRequests,
)
from kv.errors import Db9Error
from sql.database import Database
from sql.databases import CreateOptions, DatabaseInfo
from sql.errors import (
    DuplicateDatabase,
    FeatureNotSupported,
    InvalidCatalogName,
    ObjectInUse,
    ObjectNotInPrerequisiteState,
    SqlError,
)

if TYPE_CHECKING:
    from control.plane import ControlPlane

_FIRST_OID = 16384  # PostgreSQL's first oid for objects users make
_POSTGRES_OID = 5  # pg_database's oid of "postgres"


class LoginDirectory:
    """sql.databases.DatabaseDirectory for the logins of database ``login``."""

    def __init__(self, plane: ControlPlane, login: DatabaseRecord) -> None:
        self.plane = plane
        self.login = login  # as of the login (what open reads)
        self.login_id = login.id
        self.account_id = login.account_id

    # -- what the login sees -----------------------------------------------------------------

    def _records(self) -> dict[str, DatabaseRecord]:
        """The login's databases by their SQL names, its own first."""
        recs = self.plane.registry.databases(self.account_id)
        own = next((r for r in recs if r.id == self.login_id), None)
        if own is None:
            raise InvalidCatalogName("this login's database no longer exists")
        out = {own.sql_name: own}
        for rec in recs:
            if rec.home_id == self.login_id and rec.state == "ACTIVE":
                out[rec.name] = rec
        return out

    def _info(self, name: str, rec: DatabaseRecord) -> DatabaseInfo:
        oid = _POSTGRES_OID if rec.id == self.login_id else _FIRST_OID + rec.id
        return DatabaseInfo(
            oid, name, rec.owner, rec.conn_limit, rec.is_template, rec.allow_connections,
            dict(rec.settings),
        )  # fmt: skip

    def _find(self, name: str, what: str = "database") -> DatabaseRecord:
        recs = self._records()
        rec = recs.get(name)
        if rec is None:
            own = next(iter(recs.values()))
            if name in (own.name, "postgres"):  # the login's own, by its other name
                return own
            raise InvalidCatalogName(f'{what} "{name}" does not exist')
        return rec

    def _others(self, rec: DatabaseRecord, name: str, current: str) -> int:
        """Sessions on ``rec`` other than the asking one."""
        count = self.plane.connections().get(rec.prefix, 0)
        return count - 1 if name == current and count else count

    def list(self) -> list[DatabaseInfo]:
        return [self._info(name, rec) for name, rec in self._records().items()]

    def open(self, name: str) -> tuple[Database, DatabaseInfo]:
        """The login's own database (no registry scan: the common case), or one made from
        it. A connection limit is recorded but, as PostgreSQL's for superusers, not applied:
        every db9 login is its database's superuser."""
        if name in ("postgres", self.login.name, self.login.sql_name):
            rec = self.login
            info = self._info(rec.sql_name, rec)
        else:
            rec = self._find(name)
            info = self._info(rec.name, rec)
        if not rec.allow_connections:
            raise ObjectNotInPrerequisiteState(
                f'database "{info.name}" is not currently accepting connections'
            )
        return self.plane.database_for(rec), info

    # -- changing them -----------------------------------------------------------------------

    def create(self, name: str, options: CreateOptions, current: str) -> None:
        """In PostgreSQL's order: the template, the name, then the template's sessions."""
        recs = self._records()
        template = None
        if options.template is not None:
            template = self._find(options.template, "template database")
        if name in recs or name == "postgres":
            raise DuplicateDatabase(f'database "{name}" already exists')
        if template is not None:
            others = self._others(template, options.template or "", current)
            if others:
                raise ObjectInUse(
                    f'source database "{options.template}" is being accessed by other users',
                    detail=_sessions(others),
                )
        fields: dict[str, Any] = {
            "home_id": self.login_id,
            "owner": options.owner,
            "conn_limit": options.conn_limit,
            "is_template": options.is_template,
            "allow_connections": options.allow_connections,
        }
        account = self.plane.registry.account(self.account_id)
        with _as_sql(name):
            if template is None:
                self.plane.registry.create_database(account, name, **fields)
            else:
                self.plane.copy_database(account, template, name, **fields)

    def drop(self, name: str, *, force: bool, current: str) -> None:
        rec = self._find(name)
        if rec.id == self.login_id:
            raise FeatureNotSupported(
                f'database "{name}" is the one this login belongs to; '
                "delete it with db9 delete or the REST API"
            )
        dependants = [
            d.name
            for d in self.plane.registry.databases(self.account_id)
            if d.home_id == rec.id or d.parent_id == rec.id
        ]
        if dependants:
            raise ObjectInUse(
                f'database "{name}" is the template or home of other databases: '
                f"{', '.join(dependants)}",
                detail="A database copied from another with TEMPLATE is a copy-on-write branch "
                "of it; drop the copies first.",
            )
        others = self._others(rec, name, current)
        if others and force and self.plane.end_sessions(rec.prefix):
            others = 0
        if others:
            raise ObjectInUse(
                f'database "{name}" is being accessed by other users', detail=_sessions(others)
            )
        self.plane.remove_now(rec)

    def rename(self, name: str, new_name: str, current: str) -> None:
        recs = self._records()
        rec = self._find(name)
        if rec.id == self.login_id:
            raise FeatureNotSupported(
                f'database "{name}" is the one this login belongs to; its name is the CLI\'s'
            )
        if new_name in recs or new_name == "postgres":
            raise DuplicateDatabase(f'database "{new_name}" already exists')
        others = self._others(rec, name, current)
        if others:
            raise ObjectInUse(
                f'database "{name}" is being accessed by other users', detail=_sessions(others)
            )
        with _as_sql(new_name):
            self.plane.rename(rec, new_name)

    def alter(self, name: str, **changes: Any) -> None:
        rec = self._find(name)
        with _as_sql(name):
            self.plane.registry.update(rec, **changes)


def _sessions(n: int) -> str:
    return (
        "There is 1 other session using the database."
        if n == 1
        else f"There are {n} other sessions using the database."
    )


class _as_sql:
    """The registry's errors as SQL ones: a taken name 42P04, the account's limits 53400."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: Any) -> None:  # fmt: skip
        if exc is None or not isinstance(exc, Db9Error) or isinstance(exc, SqlError):
            return
        if isinstance(exc, Conflict):
            raise DuplicateDatabase(f'database "{self.name}" already exists') from exc
        if isinstance(exc, Forbidden | TooManyRequests):
            raise SqlError(exc.message).with_state("53400") from exc
        if isinstance(exc, NotFound):
            raise InvalidCatalogName(f'database "{self.name}" does not exist') from exc
        if isinstance(exc, ControlError):  # a name the registry cannot keep
            raise FeatureNotSupported(
                exc.message, hint="A database name in db9 cannot hold '/' or control characters."
            ) from exc
