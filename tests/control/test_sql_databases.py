"""CREATE / DROP / ALTER DATABASE over SQL and dbname at login, against an in-process node
(control plane, registry authenticator, pgwire server over an in-memory store): the way
Django's test runner uses them, the error codes against a real PostgreSQL, two sessions,
copies from a template, and what the CLI's API sees of databases made with SQL."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from control.plane import ControlPlane, RegistryAuthenticator
from control.registry import ANONYMOUS_DATABASE_LIMIT
from kv.client import TxnClient
from pgwire.server import PgServer, PgServerConfig
from pgwire.tls import ensure_tls_files, server_context
from tests.kv.conftest import local_kv
from tests.pgwire.conftest import serving
from tests.sql.pg import postgres_server

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PASSWORD = "pw-for-tests"


@dataclass
class Node:
    plane: ControlPlane
    server: PgServer

    def dsn(self, dbname: str = "postgres", user: str = "local.admin") -> str:
        return (
            f"host=127.0.0.1 port={self.server.port} dbname={dbname} user={user} "
            f"password={PASSWORD} sslmode=require"
        )

    def connect(self, dbname: str = "postgres") -> psycopg.Connection[Any]:
        return psycopg.connect(self.dsn(), dbname=dbname, autocommit=True)


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Node]:
    with running_node(tmp_path) as n:
        yield n


@contextlib.contextmanager
def running_node(tmp_path: Path) -> Iterator[Node]:
    """A node in this process: control plane, registry logins, pgwire on a free port."""
    kv = local_kv()
    plane = ControlPlane(TxnClient(kv), kv, host="127.0.0.1", pg_port=0, key=KEY)
    plane.bootstrap(PASSWORD)
    _, cert, key = ensure_tls_files(str(tmp_path / "tls"))
    auth = RegistryAuthenticator(plane)
    server = PgServer(auth, PgServerConfig(port=0), server_context(cert, key))
    server.credentials = auth.credentials
    plane.connections = server.sessions_by_database
    plane.end_sessions = server.end_sessions
    plane.end_logins = server.end_logins
    with serving(server):
        yield Node(plane, server)


def sqlstate(conn: psycopg.Connection[Any], sql: str) -> str | None:
    try:
        conn.execute(sql)
    except psycopg.Error as exc:
        return exc.sqlstate
    return None


def failure(conn: psycopg.Connection[Any], sql: str) -> tuple[str | None, str | None]:
    """The SQLSTATE and message ``sql`` fails with; (None, None) if it succeeds."""
    try:
        conn.execute(sql)
    except psycopg.Error as exc:
        return exc.sqlstate, exc.diag.message_primary
    return None, None


def login_error(
    node: Node, dbname: str, user: str = "local.admin", password: str = PASSWORD
) -> tuple[str | None, str]:
    """The SQLSTATE and message a login as ``user`` to ``dbname`` fails with ((None, "") if it
    succeeds; asyncpg: libpq does not tell a connection's SQLSTATE)."""

    async def attempt() -> None:
        conn = await asyncpg.connect(
            host="127.0.0.1", port=node.server.port, user=user, password=password,
            database=dbname, ssl="require",
        )  # fmt: skip
        await conn.close()

    try:
        asyncio.run(attempt())
    except asyncpg.PostgresError as exc:
        return exc.sqlstate, str(exc)
    return None, ""


def test_django_style_create_connect_use_and_drop_a_test_database(node: Node) -> None:
    with node.connect() as admin:
        assert admin.execute("SELECT current_database()").fetchone() == ("postgres",)
        admin.execute('CREATE DATABASE "test_app"')
        names = [r[0] for r in admin.execute("SELECT datname FROM pg_database ORDER BY 1")]
        assert names == ["postgres", "test_app"]
        with node.connect("test_app") as test:
            assert test.execute("SELECT current_database()").fetchone() == ("test_app",)
            test.execute("CREATE TABLE t (id int PRIMARY KEY, v text)")
            test.execute("INSERT INTO t VALUES (1, 'a')")
            assert test.execute("SELECT v FROM t").fetchall() == [("a",)]
        # the new database is empty of the other's tables, and the other of its
        assert admin.execute("SELECT count(*) FROM pg_class WHERE relname = 't'").fetchone() == (0,)
        admin.execute("DROP DATABASE test_app")
        assert [r[0] for r in admin.execute("SELECT datname FROM pg_database")] == ["postgres"]
        admin.execute("CREATE DATABASE test_app")  # the name is free again, and empty
        with node.connect("test_app") as test:
            assert sqlstate(test, "SELECT * FROM t") == "42P01"
        admin.execute("DROP DATABASE test_app")


def test_login_to_an_unknown_database_is_fatal_3d000(node: Node) -> None:
    for name in ("nosuch", "local.admin", "template1"):  # libpq's default dbname is the user
        state, message = login_error(node, name)
        assert state == "3D000" and f'database "{name}" does not exist' in message
    with node.connect("default") as conn:  # the login's own, by its registry name
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_databases_made_with_sql_are_registry_databases_of_the_account(node: Node) -> None:
    with node.connect() as admin:
        admin.execute("CREATE DATABASE reports")
    account = node.plane.registry.account(node.plane.registry.databases()[0].account_id)
    rec = node.plane.registry.database(account.id, "reports")
    assert rec.state == "ACTIVE" and rec.home_id == 1
    # its own connection string reaches it as "postgres", as the CLI prints it
    status = node.plane.status(account, "reports")  # db9 db status: a connect token in it
    url = status["connection_string"].replace(":0/", f":{node.server.port}/")
    with psycopg.connect(url) as own:
        assert own.execute("SELECT current_database()").fetchone() == ("reports",)
    node.plane.delete(account, "reports")  # db9 delete
    node.plane.reconcile()
    with node.connect() as admin:
        assert [r[0] for r in admin.execute("SELECT datname FROM pg_database")] == ["postgres"]


def test_error_codes_match_postgresql(node: Node) -> None:
    statements = [
        "CREATE DATABASE dup",
        "CREATE DATABASE dup",  # 42P04
        "DROP DATABASE nosuch",  # 3D000
        "DROP DATABASE IF EXISTS nosuch",
        "CREATE DATABASE x1 ENCODING 'nosuch'",
        "CREATE DATABASE x2 LC_COLLATE 'xx_YY.bogus'",
        "CREATE DATABASE x3 WITH FOO = 1",
        "CREATE DATABASE x4 TEMPLATE nosuch",
        "CREATE DATABASE x5 OWNER nosuch",
        "CREATE DATABASE x6 CONNECTION LIMIT -5",
        "CREATE DATABASE x7 TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'",
        "DROP DATABASE x7",
        "BEGIN; CREATE DATABASE x8",
        "ROLLBACK",
        "CREATE DATABASE x8; SELECT 1",  # an implicit block
        "CREATE DATABASE x9 ENCODING 'LATIN1'",  # template1's encoding is UTF8
        "CREATE DATABASE x9 LOCALE 'xx_YY.bogus'",
        "CREATE DATABASE x9 IS_TEMPLATE maybe",
        "CREATE DATABASE x9 OWNER a OWNER b",
        "CREATE DATABASE",
        "DROP DATABASE postgres",  # the current database
        "ALTER DATABASE nosuch SET work_mem = '8MB'",
        "ALTER DATABASE dup SET nosuch_param = 1",
        "ALTER DATABASE dup SET work_mem = 'lots'",
        "ALTER DATABASE dup SET work_mem = '8MB'",
        "ALTER DATABASE dup RESET work_mem",
        "ALTER DATABASE dup CONNECTION LIMIT 5",
        "ALTER DATABASE dup RENAME TO dup2",
        "ALTER DATABASE dup2 RENAME TO dup2",
        "ALTER DATABASE postgres RENAME TO other",  # the current database
        "DROP DATABASE dup2 WITH (NOPE)",
        "CREATE DATABASE x10 STRATEGY foo",
        "ALTER DATABASE dup2 IS_TEMPLATE true",
        "DROP DATABASE dup2",  # a template
        "ALTER DATABASE dup2 IS_TEMPLATE false",
        "ALTER DATABASE dup2 OWNER TO nosuch",
        "ALTER DATABASE nosuch OWNER TO nosuch",
        "DROP DATABASE dup2",
        "DROP DATABASE dup2 WITH (FORCE)",
    ]
    with postgres_server() as conninfo, psycopg.connect(conninfo, autocommit=True) as pg:
        pg.execute("SET client_min_messages = warning")
        with node.connect() as db9:
            for sql in statements:
                assert failure(db9, sql) == failure(pg, sql), sql
                assert db9.info.transaction_status == pg.info.transaction_status, sql


def test_drop_while_another_session_is_connected_is_55006_unless_forced(node: Node) -> None:
    with node.connect() as admin:
        admin.execute("CREATE DATABASE busy")
        other = node.connect("busy")
        with pytest.raises(psycopg.Error) as err:
            admin.execute("DROP DATABASE busy")
        assert err.value.sqlstate == "55006"
        assert "being accessed by other users" in str(err.value)
        assert other.execute("SELECT 1").fetchone() == (1,)
        admin.execute("DROP DATABASE busy WITH (FORCE)")
        with pytest.raises(psycopg.OperationalError):
            other.execute("SELECT 1")
        other.close()
        assert sqlstate(admin, "DROP DATABASE busy") == "3D000"


def test_template_copy_is_a_branch_of_the_template(node: Node) -> None:
    with node.connect() as admin:
        admin.execute("CREATE DATABASE base")
        with node.connect("base") as base:
            base.execute("CREATE TABLE t (id int PRIMARY KEY)")
            base.execute("INSERT INTO t SELECT g FROM generate_series(1, 100) g")
            # a session on the template: PostgreSQL refuses to copy it
            with pytest.raises(psycopg.Error) as err:
                admin.execute("CREATE DATABASE copy1 TEMPLATE base")
            assert err.value.sqlstate == "55006"
        admin.execute("CREATE DATABASE copy1 TEMPLATE base")
        with node.connect("copy1") as copy:
            assert copy.execute("SELECT count(*) FROM t").fetchone() == (100,)
            copy.execute("DELETE FROM t WHERE id > 10")
        with node.connect("base") as base:
            assert base.execute("SELECT count(*) FROM t").fetchone() == (100,)
        rec = node.plane.registry.database(node.plane.registry.databases()[0].account_id, "copy1")
        assert rec.parent_name == "base" and rec.fork_ts is not None
        assert sqlstate(admin, "DROP DATABASE base") == "55006"  # the copy reads through it
        admin.execute("DROP DATABASE copy1")
        admin.execute("DROP DATABASE base")


def test_alter_database_set_applies_at_login(node: Node) -> None:
    with node.connect() as admin:
        admin.execute("CREATE DATABASE tuned")
        admin.execute("ALTER DATABASE tuned SET search_path = app, public")
        admin.execute("ALTER DATABASE tuned SET statement_timeout = '5s'")
        with node.connect("tuned") as conn:
            assert conn.execute("SHOW search_path").fetchone() == ("app, public",)
            assert conn.execute("SHOW statement_timeout").fetchone() == ("5s",)
            conn.execute("SET statement_timeout = '1min'")
            conn.execute("RESET statement_timeout")  # back to the database's value
            assert conn.execute("SHOW statement_timeout").fetchone() == ("5s",)
        admin.execute("ALTER DATABASE tuned RESET ALL")
        with node.connect("tuned") as conn:
            assert conn.execute("SHOW statement_timeout").fetchone() == ("0",)
        admin.execute("ALTER DATABASE tuned RENAME TO tuned2")
        with node.connect("tuned2") as conn:
            assert conn.execute("SELECT current_database()").fetchone() == ("tuned2",)
        assert login_error(node, "tuned")[0] == "3D000"
        admin.execute("ALTER DATABASE tuned2 ALLOW_CONNECTIONS false")
        assert login_error(node, "tuned2")[0] == "55000"
        admin.execute("ALTER DATABASE tuned2 ALLOW_CONNECTIONS true CONNECTION LIMIT 0")
        # recorded, but PostgreSQL does not apply it to superusers, which db9 logins are
        assert login_error(node, "tuned2")[0] is None
        row = admin.execute(
            "SELECT datconnlimit, datallowconn FROM pg_database WHERE datname = 'tuned2'"
        ).fetchone()
        assert row == (0, True)


@pytest.mark.parametrize("parallel", ["1", "2"])
def test_django_test_runner_creates_clones_and_destroys_its_test_database(
    node: Node, parallel: str
) -> None:
    """``django-admin test`` with the postgresql backend: CREATE DATABASE test_postgres from
    a connection to postgres, the tests in it (with --parallel 2, in copies made with
    CREATE DATABASE ... TEMPLATE test_postgres), then DROP DATABASE of each."""
    pytest.importorskip("django")
    project = Path(__file__).parent / "django_project"
    env = {
        **os.environ,
        "DB9_PASSWORD": PASSWORD,
        "DB9_PORT": str(node.server.port),
        "PYTHONPATH": str(project),
        "DJANGO_SETTINGS_MODULE": "settings",
    }
    run = subprocess.run(
        [sys.executable, "-m", "django", "test", "--noinput", "--parallel", parallel, "-v", "2"],
        env=env, capture_output=True, text=True, timeout=150, cwd=project,
    )  # fmt: skip
    out = run.stdout + run.stderr
    assert run.returncode == 0, out
    assert "Ran 2 tests" in out and "Destroying test database" in out
    if parallel == "2":
        assert "Cloning test database" in out
    with node.connect() as admin:
        assert [r[0] for r in admin.execute("SELECT datname FROM pg_database")] == ["postgres"]


_OPTION_VALUES = {
    "TEMPLATE": ["template0", "template1", "nosuch", "dup", "DEFAULT"],
    "ENCODING": ["'UTF8'", "'utf-8'", "'LATIN1'", "'bogus'", "DEFAULT"],
    "LOCALE": ["'C'", "'POSIX'", "'bogus'"],
    "LC_COLLATE": ["'C'", "'POSIX'", "'bogus'"],
    "LC_CTYPE": ["'C'", "'POSIX'", "'bogus'"],
    "CONNECTION LIMIT": ["-1", "0", "7", "-2"],
    "ALLOW_CONNECTIONS": ["true", "false", "maybe"],
    "STRATEGY": ["wal_log", "file_copy", "foo"],
    "LOCALE_PROVIDER": ["libc", "nope"],
    "TABLESPACE": ["pg_default", "nope"],
    "OWNER": ["nosuch"],
    "FOO": ["1"],
}


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@example(name="fresh", options=[("STRATEGY", 2, False), ("TEMPLATE", 2, False)], with_word=False)
@given(
    name=st.sampled_from(["fresh", "dup"]),
    options=st.lists(
        st.tuples(st.sampled_from(sorted(_OPTION_VALUES)), st.integers(0, 4), st.booleans()),
        max_size=4,
    ),
    with_word=st.booleans(),
)
def test_create_database_options_fail_as_postgresql(
    pg_and_db9: tuple[psycopg.Connection[Any], psycopg.Connection[Any]],
    name: str,
    options: list[tuple[str, int, bool]],
    with_word: bool,
) -> None:
    """Any mix of CREATE DATABASE options (some wrong, some repeated) fails with PostgreSQL's
    SQLSTATE and message, or succeeds on both; what db9 does not store (another encoding
    from template0) is its 0A000."""
    pg, db9 = pg_and_db9
    parts = [f"CREATE DATABASE {name}", "WITH" if with_word else ""]
    for option, i, equals in options:
        values = _OPTION_VALUES[option]
        parts += [option, "=" if equals else "", values[i % len(values)]]
    sql = " ".join(p for p in parts if p)
    for conn in (pg, db9):  # what an earlier (failing) example left
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = 'fresh'").fetchone():
            conn.execute("DROP DATABASE fresh")
    expected, got = failure(pg, sql), failure(db9, sql)
    if expected[0] is None and got[0] == "0A000" and "LATIN1" in sql:
        return  # PostgreSQL makes a LATIN1 database from template0; db9 stores UTF8 only
    assert got == expected, sql


@pytest.fixture(scope="module")
def pg_and_db9(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[psycopg.Connection[Any], psycopg.Connection[Any]]]:
    """A PostgreSQL and a db9 node, each with a database ``dup``, for many examples."""
    with contextlib.ExitStack() as stack:
        node = stack.enter_context(running_node(tmp_path_factory.mktemp("node")))
        conninfo = stack.enter_context(postgres_server())
        pg = stack.enter_context(psycopg.connect(conninfo, autocommit=True))
        db9 = stack.enter_context(node.connect())
        for conn in (pg, db9):
            conn.execute("SET client_min_messages = warning")
            conn.execute("CREATE DATABASE dup")
        yield pg, db9


def test_psql_lists_databases_and_connects_to_one_with_backslash_c(node: Node) -> None:
    psql = shutil.which("psql") or "/usr/lib/postgresql/15/bin/psql"
    if not os.path.exists(psql):
        pytest.skip("psql is not installed")
    with node.connect() as admin:
        admin.execute("CREATE DATABASE listed")
    url = f"postgresql://local.admin:{PASSWORD}@127.0.0.1:{node.server.port}/postgres"
    script = "\\l\n\\c listed\nSELECT current_database();\n"
    run = subprocess.run(
        [psql, url + "?sslmode=require", "-X", "-v", "ON_ERROR_STOP=1"],
        input=script, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    listing = [line.split("|")[0].strip() for line in run.stdout.splitlines() if "| UTF8" in line]
    assert listing == ["listed", "postgres"]
    assert 'You are now connected to database "listed"' in run.stdout
    assert run.stdout.rstrip().splitlines()[-2].strip() == "listed"


def test_databases_made_with_sql_count_against_the_anonymous_limit(node: Node) -> None:
    account = node.plane.registry.create_account("guest", anonymous=True)
    rec = node.plane.create(account, "first")
    dsn = (
        f"host=127.0.0.1 port={node.server.port} dbname=postgres user={rec.user} "
        f"password={rec.password} sslmode=require"
    )
    with psycopg.connect(dsn, autocommit=True) as conn:
        for i in range(ANONYMOUS_DATABASE_LIMIT - 1):
            conn.execute(f"CREATE DATABASE more_{i}")
        state, message = failure(conn, "CREATE DATABASE one_too_many")
        assert state == "53400" and "db9 claim" in (message or "")
    assert len(node.plane.registry.databases(account.id)) == ANONYMOUS_DATABASE_LIMIT


def test_the_rest_apis_sql_sees_the_same_databases_as_a_login(node: Node) -> None:
    account = node.plane.registry.account(node.plane.registry.databases()[0].account_id)
    node.plane.sql(account, "default", "CREATE DATABASE via_api")
    rows = node.plane.sql(account, "default", "SELECT datname FROM pg_database ORDER BY 1")
    assert rows[0]["rows"] == [["postgres"], ["via_api"]]
    with node.connect("via_api") as conn:
        assert conn.execute("SELECT current_database()").fetchone() == ("via_api",)


_NAMES = ["alpha", "beta", "gamma"]
_STEPS = st.one_of(
    st.builds(lambda n: f"CREATE DATABASE {n}", st.sampled_from(_NAMES)),
    st.builds(lambda n: f"DROP DATABASE {n}", st.sampled_from(_NAMES)),
    st.builds(lambda n: f"DROP DATABASE IF EXISTS {n} WITH (FORCE)", st.sampled_from(_NAMES)),
    st.builds(
        lambda a, b: f"ALTER DATABASE {a} RENAME TO {b}",
        st.sampled_from(_NAMES),
        st.sampled_from(_NAMES),
    ),
    st.builds(
        lambda n, v: f"ALTER DATABASE {n} SET work_mem = '{v}'",
        st.sampled_from(_NAMES),
        st.sampled_from(["4MB", "64kB", "lots"]),
    ),
    st.builds(lambda n: f"ALTER DATABASE {n} RESET ALL", st.sampled_from(_NAMES)),
    st.builds(
        lambda n, b: f"ALTER DATABASE {n} IS_TEMPLATE {b}",
        st.sampled_from(_NAMES),
        st.sampled_from(["true", "false"]),
    ),
)


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(steps=st.lists(_STEPS, min_size=1, max_size=8))
def test_sequences_of_database_statements_agree_with_postgresql(
    pg_and_db9: tuple[psycopg.Connection[Any], psycopg.Connection[Any]], steps: list[str]
) -> None:
    """CREATE, DROP, RENAME, SET and IS_TEMPLATE in any order: each statement fails (or not)
    as on PostgreSQL, and both end with the same databases."""
    pg, db9 = pg_and_db9
    listing = (
        "SELECT datname, datistemplate FROM pg_database WHERE datname IN "
        "('alpha', 'beta', 'gamma') ORDER BY 1"
    )
    for conn in (pg, db9):  # start from none of them
        for name, template in conn.execute(listing).fetchall():
            if template:
                conn.execute(f"ALTER DATABASE {name} IS_TEMPLATE false")
            conn.execute(f"DROP DATABASE {name}")
    for sql in steps:
        assert failure(db9, sql) == failure(pg, sql), (sql, steps)
    assert db9.execute(listing).fetchall() == pg.execute(listing).fetchall(), steps


def test_database_statements_run_as_prepared_statements(node: Node) -> None:
    """psycopg prepares a statement run five times: its Parse must not read it with sqlglot
    (which cannot read DROP DATABASE ... WITH (FORCE))."""
    with node.connect() as admin:
        for _ in range(7):
            admin.execute("CREATE DATABASE again", prepare=True)
            admin.execute("ALTER DATABASE again SET work_mem = '4MB'", prepare=True)
            admin.execute("DROP DATABASE IF EXISTS again WITH (FORCE)", prepare=True)


def test_sql_names_keep_postgresqls_rules(node: Node) -> None:
    with node.connect() as admin:
        admin.execute('CREATE DATABASE "Mixed Case.db"')
        with node.connect("Mixed Case.db") as conn:
            assert conn.execute("SELECT current_database()").fetchone() == ("Mixed Case.db",)
        admin.execute('ALTER DATABASE "Mixed Case.db" RENAME TO "Other$Name"')
        names = [r[0] for r in admin.execute("SELECT datname FROM pg_database ORDER BY 1")]
        assert names == ["Other$Name", "postgres"]
        state, _ = failure(admin, 'CREATE DATABASE "a/b"')
        assert state == "0A000"  # the one character db9 cannot keep in a name
        admin.execute('DROP DATABASE "Other$Name"')
