"""Roles as the product documents them: users are ``<tenant_id>.<role>``; a role with LOGIN
and a password logs in with SCRAM against the verifier CREATE/ALTER ROLE kept (never the
password), runs as itself (privilege checks apply) and is held to its CONNECTION LIMIT.
In-process node over an in-memory store."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from control import cloud_cli
from control.api import build_app
from control.cli import main
from control.plane import ControlPlane
from tests.control.test_credentials import _dsn, _system_bytes
from tests.control.test_sql_databases import PASSWORD, Node, failure, running_node
from tests.control.test_sql_databases import login_error as databases_login_error

API = "http://db9-api.test"


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Node]:
    with running_node(tmp_path) as n:
        yield n


@contextlib.contextmanager
def admin(node: Node) -> Iterator[psycopg.Connection]:  # type: ignore[type-arg]
    with psycopg.connect(_dsn(node.server.port, "local.admin", PASSWORD), autocommit=True) as c:
        yield c


def login_error(
    node: Node, user: str, password: str, database: str = "postgres"
) -> tuple[str | None, str]:
    """The SQLSTATE and message a login as ``user`` fails with ((None, "") if it succeeds)."""
    return databases_login_error(node, database, user, password)


def test_a_role_password_is_kept_as_a_scram_verifier_never_the_password(node: Node) -> None:
    given = "SCRAM-SHA-256$4096:c2FsdHNhbHRzYWx0c2FsdA==$" + "A" * 43 + "=:" + "B" * 43 + "="
    with admin(node) as c:
        c.execute("CREATE ROLE app LOGIN PASSWORD 'sekrit-for-roles'")
        c.execute(f"CREATE ROLE other LOGIN PASSWORD '{given}'")
        kept = dict(c.execute("SELECT rolname, rolpassword FROM pg_authid").fetchall())
        c.execute("ALTER ROLE app PASSWORD 'another-sekrit'")
        altered = c.execute("SELECT rolpassword FROM pg_authid WHERE rolname = 'app'").fetchone()
    assert kept["app"].startswith("SCRAM-SHA-256$4096:")
    salt_and_keys = kept["app"].split("$", 1)[1]
    assert len(salt_and_keys.split("$")) == 2 and ":" in salt_and_keys.split("$")[1]
    assert kept["other"] == given  # a verifier given as the password is kept as is
    assert altered is not None and altered[0].startswith("SCRAM-SHA-256$")
    assert altered[0] != kept["app"]
    stored = _system_bytes(node.plane) + _all_bytes(node.plane)
    assert b"sekrit-for-roles" not in stored and b"another-sekrit" not in stored


def _all_bytes(plane: ControlPlane) -> bytes:
    txn = plane.client.begin()
    try:
        return b"".join(k + v for k, v in txn.iter_scan(b"", b"\xff" * 8))
    finally:
        txn.rollback()


def test_a_login_role_logs_in_and_runs_as_itself(node: Node) -> None:
    port = node.server.port
    with admin(node) as c:
        c.execute("CREATE TABLE t (a int)")
        c.execute("INSERT INTO t VALUES (1)")
        c.execute("CREATE ROLE app LOGIN PASSWORD 'app-pw'")
        with psycopg.connect(_dsn(port, "local.app", "app-pw"), autocommit=True) as a:
            assert a.execute("SELECT current_user, session_user").fetchone() == ("app", "app")
            assert failure(a, "SELECT * FROM t")[0] == "42501"
            c.execute("GRANT SELECT ON t TO app")
            assert a.execute("SELECT a FROM t").fetchall() == [(1,)]
            assert failure(a, "INSERT INTO t VALUES (2)")[0] == "42501"
            # the login cannot become the superuser it is not
            assert failure(a, "SET SESSION AUTHORIZATION admin")[0] == "42501"
            a.execute("RESET SESSION AUTHORIZATION")
            a.execute("DISCARD ALL")
            assert a.execute("SELECT current_user").fetchone() == ("app",)
            assert failure(a, "CREATE ROLE sneaky SUPERUSER")[0] == "42501"
        c.execute("ALTER ROLE app PASSWORD 'new-pw'")
    assert login_error(node, "local.app", "app-pw")[0] == "28P01"
    with psycopg.connect(_dsn(port, "local.app", "new-pw")) as a:
        assert a.execute("SELECT current_user").fetchone() == ("app",)
    # the role belongs to the tenant's own database: another one is refused, not swapped
    with admin(node) as c:
        c.execute("CREATE DATABASE other")
    assert login_error(node, "local.app", "new-pw", "other") == (
        "42501", 'permission denied for database "other"')  # fmt: skip
    for name in ("nosuch", "local.app"):  # a name no database has (libpq's default: the user)
        assert login_error(node, "local.app", "new-pw", name) == (
            "3D000", f'database "{name}" does not exist')  # fmt: skip
    with admin(node) as c:  # the admin login is unchanged
        assert c.execute("SELECT current_user").fetchone() == ("admin",)


def test_roles_that_may_not_log_in_fail_as_a_wrong_password_does(node: Node) -> None:
    with admin(node) as c:
        c.execute("CREATE ROLE app LOGIN PASSWORD 'pw'")
        c.execute("CREATE ROLE nologin NOLOGIN PASSWORD 'pw'")
        c.execute("CREATE ROLE nopass LOGIN PASSWORD 'pw'")
        notices: list[str] = []
        c.add_notice_handler(lambda d: notices.append(d.message_primary or ""))
        c.execute("ALTER ROLE nopass PASSWORD ''")
        assert notices == ["empty string is not a valid password, clearing password"]
        c.execute("CREATE ROLE expired LOGIN PASSWORD 'pw' VALID UNTIL '2001-01-01'")
        c.execute("CREATE ROLE later LOGIN PASSWORD 'pw' VALID UNTIL '2999-01-01 00:00:00+00'")
    assert login_error(node, "local.later", "pw") == (None, "")
    for user, password in [("local.app", "wrong"), ("local.nologin", "pw"),
                           ("local.nopass", ""), ("local.nopass", "pw"),
                           ("local.expired", "pw"), ("local.nobody", "pw")]:  # fmt: skip
        code, message = login_error(node, user, password)
        assert code == "28P01", (user, code, message)
        assert message == f'password authentication failed for user "{user}"'


def test_a_role_is_held_to_its_connection_limit(node: Node) -> None:
    port = node.server.port
    with admin(node) as c:
        c.execute("CREATE ROLE app LOGIN PASSWORD 'pw' CONNECTION LIMIT 1")
        with psycopg.connect(_dsn(port, "local.app", "pw")):
            assert login_error(node, "local.app", "pw") == (
                "53300", 'too many connections for role "app"')  # fmt: skip
            with admin(node):  # other logins of the tenant are not counted against it
                pass
            c.execute("ALTER ROLE app CONNECTION LIMIT 2")
            assert login_error(node, "local.app", "pw") == (None, "")
        with psycopg.connect(_dsn(port, "local.app", "pw")):
            pass


def test_grant_on_all_tables_and_sequences_in_schema_covers_those_there_now(node: Node) -> None:
    with admin(node) as c:
        c.execute("CREATE TABLE t1 (id serial, a int); CREATE TABLE t2 (b int)")
        c.execute("CREATE VIEW v AS SELECT b FROM t2")
        c.execute("CREATE SCHEMA other; CREATE TABLE other.t3 (c int)")
        c.execute("CREATE ROLE app LOGIN PASSWORD 'pw'")
        c.execute("GRANT USAGE ON SCHEMA public TO app")
        c.execute("GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA public TO app")
        c.execute("GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO app")
        assert failure(c, "GRANT SELECT ON ALL TABLES IN SCHEMA nosuch TO app")[0] == "3F000"
        c.execute("CREATE TABLE later (d int)")
        with psycopg.connect(_dsn(node.server.port, "local.app", "pw"), autocommit=True) as a:
            a.execute("INSERT INTO t1 (a) VALUES (1)")  # the serial's nextval: USAGE
            assert a.execute("SELECT a FROM t1").fetchall() == [(1,)]
            assert a.execute("SELECT * FROM t2, v").fetchall() == []
            assert failure(a, "UPDATE t1 SET a = 2")[0] == "42501"
            assert failure(a, "SELECT * FROM other.t3")[0] == "42501"
            assert failure(a, "SELECT * FROM later")[0] == "42501"
            c.execute("REVOKE INSERT ON ALL TABLES IN SCHEMA public FROM app")
            assert failure(a, "INSERT INTO t2 VALUES (1)")[0] == "42501"
            assert a.execute("SELECT count(*) FROM t2").fetchone() == (0,)


def test_the_api_and_cli_make_read_only_and_app_roles_with_a_password_shown_once(
    node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    plane, port = node.plane, node.server.port
    rec = plane.registry.databases()[0]
    token = plane.registry.create_token(rec.account_id, "t")[0]
    headers = {"Authorization": f"Bearer {token}"}
    with admin(node) as c:
        c.execute("CREATE TABLE t (id serial, a int)")
        c.execute("INSERT INTO t (a) VALUES (1)")
    with TestClient(build_app(plane)) as api:
        # the CLI's requests go to this app
        def request(method: str, url: str, **kw: Any) -> Any:
            return api.request(method, url.removeprefix(API), json=kw.get("json"),
                               headers=kw.get("headers"))  # fmt: skip

        monkeypatch.setattr(cloud_cli.httpx, "request", request)
        env = {"DB9_API_URL": API, "DB9_TOKEN": token}
        made = CliRunner().invoke(main, ["db", "role", "create", rec.name, "reader",
                                         "--read-only", "--json"], env=env)  # fmt: skip
        assert made.exit_code == 0, made.output
        reader = json.loads(made.stdout)
        app = api.post(f"/v1/databases/{rec.name}/roles", json={"name": "app", "kind": "app"},
                       headers=headers)  # fmt: skip
        assert app.status_code == 201, app.text
        bodies = [{"name": "app", "kind": "app"}, {"name": "Bad-Name", "kind": "app"},
                  {"name": "admin", "kind": "app"}, {"name": "x", "kind": "owner"}]  # fmt: skip
        bad = [api.post(f"/v1/databases/{rec.name}/roles", json=b, headers=headers)
               for b in bodies]  # fmt: skip
        assert [r.status_code for r in bad] == [400, 400, 400, 400]
        assert bad[0].json()["sqlstate"] == "42710"  # role "app" already exists
        no_kind = CliRunner().invoke(main, ["db", "role", "create", rec.name, "y"], env=env)
        assert no_kind.exit_code == 1 and no_kind.stderr == "db9: give --read-only or --app\n"
    assert reader["user"] == f"{rec.tenant_id}.reader" and reader["kind"] == "read-only"
    assert reader["password"].encode() not in _all_bytes(plane)
    with admin(node) as c:  # default privileges: tables made later are covered too
        c.execute("CREATE TABLE later (id serial, b int)")
    with psycopg.connect(_dsn(port, reader["user"], reader["password"]), autocommit=True) as r:
        assert r.execute("SELECT a FROM t").fetchall() == [(1,)]
        assert r.execute("SELECT b FROM later").fetchall() == []
        assert failure(r, "INSERT INTO t (a) VALUES (2)")[0] == "42501"
        assert failure(r, "INSERT INTO later (b) VALUES (2)")[0] == "42501"
    url = app.json()["connection_string"].replace(":0/", f":{port}/")
    with psycopg.connect(url, autocommit=True) as a:
        assert a.execute("SELECT current_user").fetchone() == ("app",)
        a.execute("INSERT INTO t (a) VALUES (2)")
        a.execute("UPDATE t SET a = a + 10")
        a.execute("DELETE FROM t WHERE a = 11")
        assert a.execute("SELECT id, a FROM t").fetchall() == [(2, 12)]
        a.execute("INSERT INTO later (b) VALUES (3)")
        assert a.execute("SELECT id, b FROM later").fetchall() == [(1, 3)]
        assert failure(a, "DROP TABLE t")[0] == "42501"
