"""Roles and privileges behave as in PostgreSQL: CREATE / ALTER / DROP ROLE, GRANT and REVOKE
on relations, columns and roles, SET ROLE and SET SESSION AUTHORIZATION, the 42501 checks
of reads, writes, sequence functions and owner-only commands, and the catalogs that show
them (pg_roles, pg_auth_members, relowner, relacl)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import psycopg
import pytest

from tests.sql.differential import Differ

ROLES = ("regress_t6_a", "regress_t6_b", "regress_t6_grp")
# Role names aclitem must quote, as SQL identifiers: quotes, backslashes, braces, commas.
ODD_ROLES = (
    '"""r6_1\'"', '"{r6_2"', '",r6_3"', '"r6_4}"', '"r6_5"""', '"r6_6\\"""', '"r6_7\\"',
    '"r6 8"', '"R6_9"',
)  # fmt: skip


@pytest.fixture
def roles_differ(differ: Differ) -> Iterator[Differ]:
    """A differ whose PostgreSQL has none of ROLES before and after (roles are cluster-wide
    there)."""

    def drop() -> None:
        with contextlib.suppress(psycopg.Error):
            differ.pg.execute("ROLLBACK")
        differ.pg.execute("RESET SESSION AUTHORIZATION")
        differ.pg.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public")
        # As in a new database (db9 checks no schema privileges), with no default privileges
        # another test left.
        differ.pg.execute("GRANT USAGE, CREATE ON SCHEMA public TO PUBLIC")
        differ.pg.execute("ALTER DEFAULT PRIVILEGES REVOKE SELECT ON TABLES FROM PUBLIC")
        for r in ROLES:  # with the default privileges of and for it
            with contextlib.suppress(psycopg.Error):
                differ.pg.execute(f"DROP OWNED BY {r}")
        for r in (*ROLES, *ODD_ROLES):
            differ.pg.execute(f"DROP ROLE IF EXISTS {r}")

    drop()
    try:
        yield differ
    finally:
        drop()


def _check_all(d: Differ, script: str) -> None:
    for stmt in script.strip().split(";\n"):
        d.check(stmt.strip())


def test_role_ddl_and_catalogs(roles_differ: Differ) -> None:
    _check_all(
        roles_differ,
        """
CREATE ROLE regress_t6_a;
CREATE ROLE regress_t6_a;
CREATE USER regress_t6_b CREATEDB CONNECTION LIMIT 3;
CREATE ROLE pg_t6_reserved;
CREATE ROLE regress_t6_grp NOINHERIT;
SELECT rolname, rolsuper, rolinherit, rolcreatedb, rolcanlogin, rolconnlimit FROM pg_roles
  WHERE rolname LIKE 'regress_t6%' ORDER BY 1;
ALTER ROLE regress_t6_a LOGIN NOINHERIT;
ALTER USER nosuch_t6_role LOGIN;
SELECT rolname, rolinherit, rolcanlogin FROM pg_roles WHERE rolname = 'regress_t6_a';
GRANT regress_t6_grp TO regress_t6_a, regress_t6_b;
GRANT regress_t6_a TO regress_t6_grp;
GRANT regress_t6_grp TO regress_t6_grp;
SELECT r.rolname, m.rolname, admin_option FROM pg_auth_members a
  JOIN pg_roles r ON r.oid = a.roleid JOIN pg_roles m ON m.oid = a.member
  WHERE r.rolname LIKE 'regress_t6%' ORDER BY 1, 2;
REVOKE regress_t6_grp FROM regress_t6_b;
SELECT count(*) FROM pg_auth_members a JOIN pg_roles r ON r.oid = a.roleid
  WHERE r.rolname = 'regress_t6_grp';
DROP ROLE nosuch_t6_role;
DROP ROLE IF EXISTS nosuch_t6_role;
DROP ROLE regress_t6_grp, regress_t6_b;
SELECT count(*) FROM pg_auth_members a JOIN pg_roles r ON r.oid = a.member
  WHERE r.rolname = 'regress_t6_a'
""",
    )


def test_identity_follows_set_role_and_session_authorization(roles_differ: Differ) -> None:
    _check_all(
        roles_differ,
        """
CREATE ROLE regress_t6_a;
CREATE ROLE regress_t6_b;
SELECT current_user, session_user, current_role;
SET ROLE regress_t6_a;
SELECT current_user, session_user;
SHOW role;
RESET ALL;
SELECT current_user, session_user;
RESET ROLE;
SET ROLE nosuch_t6_role;
BEGIN;
SET LOCAL SESSION AUTHORIZATION regress_t6_a;
SELECT current_user, session_user;
SET ROLE regress_t6_b;
ROLLBACK;
SELECT current_user, session_user;
SET SESSION AUTHORIZATION regress_t6_a;
SELECT current_user, session_user;
SET ROLE regress_t6_b;
RESET SESSION AUTHORIZATION;
GRANT regress_t6_b TO regress_t6_a;
SET SESSION AUTHORIZATION regress_t6_a;
SET ROLE regress_t6_b;
SELECT current_user, session_user;
DROP ROLE regress_t6_b;
RESET SESSION AUTHORIZATION;
SELECT current_user, session_user
""",
    )


def test_table_privileges_are_granted_checked_and_shown(roles_differ: Differ) -> None:
    _check_all(
        roles_differ,
        """
CREATE ROLE regress_t6_a;
CREATE TABLE t (a int, b int);
INSERT INTO t VALUES (1, 2);
SELECT relacl FROM pg_class WHERE relname = 't';
SET ROLE regress_t6_a;
SELECT * FROM t;
INSERT INTO t VALUES (3, 4);
UPDATE t SET a = 5;
DELETE FROM t;
RESET ROLE;
GRANT SELECT, INSERT ON t TO regress_t6_a;
GRANT UPDATE (b) ON t TO regress_t6_a WITH GRANT OPTION;
GRANT USAGE ON t TO regress_t6_a;
SELECT relacl FROM pg_class WHERE relname = 't';
SELECT has_table_privilege('regress_t6_a', 't', 'SELECT'),
  has_table_privilege('regress_t6_a', 't', 'DELETE'),
  has_column_privilege('regress_t6_a', 't', 'b', 'UPDATE'),
  has_column_privilege('regress_t6_a', 't', 'a', 'UPDATE');
SET ROLE regress_t6_a;
SELECT * FROM t;
INSERT INTO t VALUES (3, 4);
UPDATE t SET b = 7;
UPDATE t SET a = 7;
DELETE FROM t;
SELECT has_table_privilege('t', 'INSERT');
RESET ROLE;
REVOKE ALL ON t FROM regress_t6_a;
SELECT relacl FROM pg_class WHERE relname = 't';
GRANT INSERT, UPDATE, DELETE ON t TO regress_t6_a;
SET ROLE regress_t6_a;
INSERT INTO t VALUES (9, 9) RETURNING 1;
INSERT INTO t VALUES (9, 9) RETURNING a;
UPDATE t SET b = 1;
UPDATE t SET b = 1 WHERE a = 9;
DELETE FROM t WHERE a = 9;
RESET ROLE;
REVOKE ALL ON t FROM regress_t6_a;
GRANT SELECT ON t TO PUBLIC;
SET ROLE regress_t6_a;
SELECT count(*) FROM t;
RESET ROLE;
DROP ROLE regress_t6_a;
REVOKE ALL ON t FROM PUBLIC;
SELECT relacl FROM pg_class WHERE relname = 't';
DROP ROLE regress_t6_a
""",
    )


def test_sequence_functions_check_their_privileges(roles_differ: Differ) -> None:
    for grant, call in [
        ("SELECT", "nextval('seq3')"),
        ("UPDATE", "nextval('seq3')"),
        ("USAGE", "nextval('seq3')"),
        ("UPDATE", "setval('seq3', 5)"),
        ("SELECT", "setval('seq3', 5)"),
    ]:
        _check_all(
            roles_differ,
            f"""
CREATE USER regress_t6_a;
BEGIN;
SET LOCAL SESSION AUTHORIZATION regress_t6_a;
CREATE SEQUENCE seq3;
REVOKE ALL ON seq3 FROM regress_t6_a;
GRANT {grant} ON seq3 TO regress_t6_a;
SELECT {call};
ROLLBACK;
DROP USER regress_t6_a
""",
        )
    _check_all(
        roles_differ,
        """
CREATE USER regress_t6_a;
CREATE SEQUENCE s2;
BEGIN;
SET LOCAL SESSION AUTHORIZATION regress_t6_a;
CREATE SEQUENCE seq3;
SELECT nextval('seq3');
REVOKE ALL ON seq3 FROM regress_t6_a;
GRANT UPDATE ON seq3 TO regress_t6_a;
SELECT currval('seq3');
ROLLBACK;
BEGIN;
SET LOCAL SESSION AUTHORIZATION regress_t6_a;
CREATE SEQUENCE seq3;
SELECT nextval('seq3');
REVOKE ALL ON seq3 FROM regress_t6_a;
GRANT UPDATE ON seq3 TO regress_t6_a;
SELECT lastval();
ROLLBACK;
BEGIN;
SET LOCAL SESSION AUTHORIZATION regress_t6_a;
ALTER SEQUENCE s2 START WITH 1;
ROLLBACK;
DROP USER regress_t6_a
""",
    )


def test_owner_only_commands(roles_differ: Differ) -> None:
    _check_all(
        roles_differ,
        """
CREATE ROLE regress_t6_a;
CREATE ROLE regress_t6_b;
SET SESSION AUTHORIZATION regress_t6_a;
CREATE TABLE owned (a int CONSTRAINT the_constraint CHECK (a > 0));
CREATE INDEX owned_i ON owned (a);
COMMENT ON CONSTRAINT the_constraint ON owned IS 'yes';
SELECT relowner = (SELECT oid FROM pg_roles WHERE rolname = 'regress_t6_a')
  FROM pg_class WHERE relname = 'owned';
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_t6_b;
COMMENT ON CONSTRAINT the_constraint ON owned IS 'no';
COMMENT ON TABLE owned IS 'no';
ALTER TABLE owned ADD COLUMN b int;
ALTER INDEX owned_i RENAME TO owned_j;
REINDEX TABLE owned;
DROP TABLE owned;
RESET SESSION AUTHORIZATION;
ALTER TABLE owned OWNER TO regress_t6_b;
SET SESSION AUTHORIZATION regress_t6_b;
COMMENT ON TABLE owned IS 'now mine';
DROP TABLE owned;
RESET SESSION AUTHORIZATION;
DROP ROLE regress_t6_a, regress_t6_b
""",
    )


def test_row_level_security_filters_reads_and_checks_new_rows(roles_differ: Differ) -> None:
    _check_all(
        roles_differ,
        """
CREATE ROLE regress_t6_a;
CREATE TABLE p (a text, c int, d int) PARTITION BY LIST (a);
CREATE TABLE p_a PARTITION OF p FOR VALUES IN ('a');
CREATE TABLE p_b PARTITION OF p FOR VALUES IN ('b');
CREATE TABLE lim (c1 int);
INSERT INTO lim VALUES (120);
INSERT INTO p VALUES ('a', 200, 1), ('a', 7, 2), ('b', 96, 3);
GRANT ALL ON p, lim TO regress_t6_a;
ALTER TABLE p ENABLE ROW LEVEL SECURITY;
SELECT relrowsecurity FROM pg_class WHERE relname = 'p';
SET ROLE regress_t6_a;
SELECT count(*) FROM p;
RESET ROLE;
CREATE POLICY see ON p AS PERMISSIVE FOR SELECT USING (c > 50);
CREATE POLICY see ON p USING (true);
CREATE POLICY upd ON p FOR UPDATE USING (true) WITH CHECK (c % 2 = 0);
CREATE POLICY ins ON p FOR INSERT USING (true);
SET ROLE regress_t6_a;
SELECT a, c FROM p ORDER BY c;
SELECT x.c FROM p x ORDER BY 1;
UPDATE p SET a = 'b', c = 151 WHERE a = 'a' AND c = 200;
UPDATE p SET c = 151 WHERE c = 200;
UPDATE p SET a = 'b', c = 150 WHERE a = 'a' AND c = 200;
INSERT INTO p VALUES ('a', 1, 1);
DELETE FROM p;
RESET ROLE;
CREATE POLICY sub ON p AS RESTRICTIVE FOR UPDATE USING (true)
  WITH CHECK ((SELECT p.c <= c1 FROM lim));
CREATE POLICY ins ON p FOR INSERT WITH CHECK (d > 3);
CREATE POLICY del ON p FOR DELETE USING (c < 100);
SET ROLE regress_t6_a;
UPDATE p SET c = 122 WHERE c = 150;
UPDATE p SET c = 120 WHERE c = 150;
INSERT INTO p VALUES ('a', 1, 4);
INSERT INTO p VALUES ('a', 1, 3);
DELETE FROM p;
RESET ROLE;
SELECT a, c, d FROM p ORDER BY c;
DROP POLICY nosuch ON p;
DROP POLICY IF EXISTS nosuch ON p;
DROP POLICY sub ON p;
ALTER TABLE p DISABLE ROW LEVEL SECURITY;
SET ROLE regress_t6_a;
SELECT count(*) FROM p;
RESET ROLE;
DROP TABLE p, lim;
DROP ROLE regress_t6_a
""",
    )


def test_policies_over_whole_rows_of_partitions_in_another_column_order(
    roles_differ: Differ,
) -> None:
    _check_all(
        roles_differ,
        """
CREATE ROLE regress_t6_a;
CREATE TABLE w (a text, b int, c int) PARTITION BY LIST (a);
CREATE TABLE w_a PARTITION OF w FOR VALUES IN ('a');
CREATE TABLE w_b (c int, b int, a text);
ALTER TABLE w ATTACH PARTITION w_b FOR VALUES IN ('b');
INSERT INTO w VALUES ('a', 1, 10), ('a', 2, 20);
SELECT * FROM w WHERE w = row('a', 1, 10)::w;
GRANT ALL ON w TO regress_t6_a;
ALTER TABLE w ENABLE ROW LEVEL SECURITY;
CREATE POLICY seeall ON w FOR SELECT USING (true);
CREATE POLICY upd ON w FOR UPDATE USING (true);
CREATE POLICY whole ON w AS RESTRICTIVE FOR UPDATE USING (true)
  WITH CHECK (w = row('b', 1, 11)::w);
SET ROLE regress_t6_a;
UPDATE w SET a = 'b', c = 11 WHERE b = 1;
UPDATE w SET a = 'b', c = 12 WHERE b = 2;
RESET ROLE;
SELECT tableoid::regclass, * FROM w ORDER BY b;
DROP TABLE w;
DROP ROLE regress_t6_a
""",
    )


def test_role_names_are_quoted_in_aclitems(roles_differ: Differ) -> None:
    d = roles_differ
    d.check("CREATE TABLE t6_odd ()")
    for role in ODD_ROLES:
        d.check(f"CREATE USER {role}")
        d.check(f"GRANT SELECT ON t6_odd TO {role} WITH GRANT OPTION")
    d.check("CREATE USER regress_t6_a")
    for role in ODD_ROLES:
        d.check(f"SET SESSION AUTHORIZATION {role}")
        d.check("SELECT session_user, current_user")
        d.check("GRANT SELECT ON t6_odd TO regress_t6_a")
        d.check("RESET SESSION AUTHORIZATION")
    d.check("SELECT relacl, relacl::text FROM pg_class WHERE relname = 't6_odd'")
    d.check("SELECT unnest(relacl)::text FROM pg_class WHERE relname = 't6_odd' ORDER BY 1")


def test_default_privileges_give_relations_made_later_their_acl(roles_differ: Differ) -> None:
    _check_all(
        roles_differ,
        """
CREATE ROLE regress_t6_a;
CREATE ROLE regress_t6_b;
ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO regress_t6_a;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT INSERT ON TABLES TO regress_t6_b WITH GRANT OPTION;
ALTER DEFAULT PRIVILEGES GRANT USAGE ON SEQUENCES TO regress_t6_a;
ALTER DEFAULT PRIVILEGES GRANT INSERT ON SEQUENCES TO regress_t6_a;
ALTER DEFAULT PRIVILEGES IN SCHEMA nosuch_t6 GRANT SELECT ON TABLES TO regress_t6_a;
ALTER DEFAULT PRIVILEGES FOR ROLE nosuch_t6_role GRANT SELECT ON TABLES TO regress_t6_a;
CREATE TABLE t (id serial, a int);
CREATE VIEW v AS SELECT a FROM t;
SELECT relname, relacl FROM pg_class WHERE relname IN ('t', 't_id_seq', 'v') ORDER BY 1;
SELECT pg_get_userbyid(defaclrole), n.nspname, defaclobjtype, defaclacl FROM pg_default_acl d
  LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace ORDER BY 1, 2, 3;
SET ROLE regress_t6_a;
SELECT * FROM v;
INSERT INTO t (a) VALUES (1);
RESET ROLE;
DROP ROLE regress_t6_a;
ALTER DEFAULT PRIVILEGES REVOKE SELECT ON TABLES FROM regress_t6_a;
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE INSERT ON TABLES FROM regress_t6_b;
ALTER DEFAULT PRIVILEGES REVOKE USAGE ON SEQUENCES FROM regress_t6_a;
CREATE TABLE t2 (a int);
SELECT relname, relacl FROM pg_class WHERE relname = 't2';
ALTER DEFAULT PRIVILEGES REVOKE ALL ON TABLES FROM PUBLIC;
ALTER DEFAULT PRIVILEGES FOR ROLE regress_t6_b GRANT SELECT ON TABLES TO regress_t6_a;
SET ROLE regress_t6_b;
CREATE TABLE t3 (a int);
SELECT relname, relacl FROM pg_class WHERE relname = 't3';
SELECT pg_get_userbyid(defaclrole), n.nspname, defaclobjtype, defaclacl FROM pg_default_acl d
  LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace ORDER BY 1, 2, 3;
ALTER DEFAULT PRIVILEGES FOR ROLE regress_t6_a GRANT SELECT ON TABLES TO regress_t6_b;
DROP TABLE t3;
RESET ROLE;
ALTER DEFAULT PRIVILEGES FOR ROLE regress_t6_b REVOKE SELECT ON TABLES FROM regress_t6_a;
DROP TABLE v;
DROP VIEW v;
DROP TABLE t, t2
""",
    )
