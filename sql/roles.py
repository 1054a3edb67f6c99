"""A database's roles as a session sees them: who the session and current users are, which
roles a role is a member of, and SET ROLE / SET SESSION AUTHORIZATION.

The user that logged in is the bootstrap superuser (oid BOOTSTRAP_ROLE, never stored); other
roles are catalog entries (sql.catalog.RoleDef). Who the session acts as is kept in two
settings, so SET LOCAL and ROLLBACK undo it like any SET: ``session_authorization`` (a role
name, "" for the login user) and ``role`` ("none": the session user itself).
"""

from __future__ import annotations

from sql.catalog import BOOTSTRAP_ROLE, Catalog, RoleDef, TableDef
from sql.errors import InsufficientPrivilege, InvalidParameterValue, UndefinedObject
from sql.session_api import SessionApi

PUBLIC = 0  # the grantee oid of PUBLIC in an ACL
# Words that name the session's own roles wherever a role is named.
SPECIAL = ("CURRENT_USER", "SESSION_USER", "CURRENT_ROLE")


def bootstrap(session: SessionApi) -> RoleDef:
    """The login user's role: a superuser that can do everything."""
    return RoleDef(BOOTSTRAP_ROLE, session.user, superuser=True, createrole=True,
                   createdb=True, login=True, replication=True, bypassrls=True)  # fmt: skip


def all_roles(session: SessionApi, catalog: Catalog) -> list[RoleDef]:
    return [bootstrap(session), *sorted(catalog.roles.values(), key=lambda r: r.oid)]


def find(session: SessionApi, catalog: Catalog, name: str) -> RoleDef | None:
    if name == session.user:
        return bootstrap(session)
    return next((r for r in catalog.roles.values() if r.name == name), None)


def by_oid(session: SessionApi, catalog: Catalog, oid: int) -> RoleDef | None:
    if oid == BOOTSTRAP_ROLE:
        return bootstrap(session)
    return catalog.roles.get(oid)


def named(session: SessionApi, catalog: Catalog, name: str) -> RoleDef:
    """The role ``name`` (CURRENT_USER, SESSION_USER and CURRENT_ROLE upper-cased name the
    session's); 42704 when there is none."""
    if name in ("CURRENT_USER", "CURRENT_ROLE"):
        return current(session, catalog)
    if name == "SESSION_USER":
        return session_role(session, catalog)
    role = find(session, catalog, name)
    if role is None:
        raise UndefinedObject(f'role "{name}" does not exist')
    return role


def session_role(session: SessionApi, catalog: Catalog) -> RoleDef:
    name = session.settings.get("session_authorization", "")
    if not name:
        return bootstrap(session)
    # A role dropped while its session lives on has no privileges left (never the
    # superuser's).
    return find(session, catalog, name) or RoleDef(-1, name)


def login_as(session: SessionApi, role: str, superuser: bool) -> None:
    """Start ``session`` as the catalog role ``role`` (a ``<tenant>.<role>`` login): it is
    the session user, and what RESET and DISCARD ALL return to."""
    for name, value in (("session_authorization", role),
                        ("is_superuser", "on" if superuser else "off")):  # fmt: skip
        session.defaults[name] = session.settings[name] = value


def current(session: SessionApi, catalog: Catalog | None = None) -> RoleDef:
    """The role privileges are checked for (current_user)."""
    catalog = catalog or session.catalog()
    name = session.settings.get("role", "none")
    if name != "none":
        role = find(session, catalog, name)
        if role is not None:
            return role
    return session_role(session, catalog)


def current_oid(session: SessionApi) -> int:
    """current_user's oid, without reading the catalog while the login user acts."""
    if _acting_as_login(session):
        return BOOTSTRAP_ROLE
    return current(session).oid


def _acting_as_login(session: SessionApi) -> bool:
    settings = session.settings
    return settings.get("role", "none") == "none" and settings.get("session_authorization", "") in (
        "",
        session.user,
    )


def is_superuser(session: SessionApi) -> bool:
    """current_user is a superuser (it passes every privilege check)."""
    return _acting_as_login(session) or current(session).superuser


def current_name(session: SessionApi) -> str:
    return session.user if _acting_as_login(session) else current(session).name


def session_name(session: SessionApi) -> str:
    return session.settings.get("session_authorization", "") or session.user


def memberships(catalog: Catalog, oid: int, *, inherit_only: bool = True) -> set[int]:
    """``oid`` and every role it is a member of, directly or through others; with
    ``inherit_only``, only through roles that inherit (whose privileges it uses at once)."""
    out = {oid}
    todo = [oid]
    while todo:
        role = catalog.roles.get(todo.pop())
        if role is None or (inherit_only and not role.inherit):
            continue
        for parent, *_ in role.member_of:
            if parent not in out:
                out.add(parent)
                todo.append(parent)
    return out


def is_member(session: SessionApi, catalog: Catalog, role: RoleDef, of: RoleDef) -> bool:
    """``role`` may become ``of`` (SET ROLE): a superuser or a member, however indirect."""
    return role.superuser or of.oid in memberships(catalog, role.oid, inherit_only=False)


def set_identity(session: SessionApi, what: str, name: str | None, *, local: bool) -> None:
    """SET [LOCAL] ROLE name | NONE (``what`` "role") or SET [LOCAL] SESSION AUTHORIZATION
    name | DEFAULT (``what`` "session_authorization"); ``name`` None resets."""
    catalog = session.catalog()
    if what == "session_authorization":
        # A catalog role's login (login_as) may change it only if it is a superuser, as
        # PostgreSQL checks the authenticated user; it resets to that role, never to the
        # database's superuser.
        login = session.defaults.get("session_authorization", "")
        if login and name is not None and name != login:
            me = find(session, catalog, login)
            if me is None or not me.superuser:
                raise InsufficientPrivilege(
                    f'permission denied to set session authorization "{name}"'
                )
        if name is not None:
            # Only the login user, a superuser, may become another user; it always can.
            role = find(session, catalog, name)
            if role is None:
                raise InvalidParameterValue(f'role "{name}" does not exist')
            name = "" if role.oid == BOOTSTRAP_ROLE else role.name
        session.set_config("session_authorization", name or login, local=local)
        session.set_config("role", "none", local=local)
        return
    if name is not None:
        role = find(session, catalog, name)
        if role is None:
            raise InvalidParameterValue(f'role "{name}" does not exist')
        if not is_member(session, catalog, session_role(session, catalog), role):
            raise InsufficientPrivilege(f'permission denied to set role "{name}"')
    session.set_config("role", name or "none", local=local)


def owned(session: SessionApi, table: TableDef) -> TableDef:
    """``table``, a new relation or type, owned by current_user."""
    table.owner = current_oid(session)
    return table
