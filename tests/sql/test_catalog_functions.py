"""The catalog functions psql and GUI tools call: relation sizes, pg_size_pretty, visibility,
relhastriggers, system catalogs' regclass names; PostgreSQL's answers where they do not
depend on storage, and sizes that grow with the data where they do."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.sql.differential import Differ

BOUNDARIES = [10239, 10240, 20971519, 20971520, 10485247, 10485248]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    n=st.one_of(
        st.integers(-(2**62), 2**62), st.integers(-30000, 30000), st.sampled_from(BOUNDARIES)
    )
)
def test_size_pretty_matches_postgres(differ: Differ, n: int) -> None:
    differ.check(f"SELECT pg_size_pretty({n}::bigint)")


def test_sizes_follow_the_rows_and_indexes(differ: Differ) -> None:
    s = differ.session
    s.execute("CREATE TABLE t (id int PRIMARY KEY, b text); CREATE INDEX t_b ON t (b)")
    empty = s.execute("SELECT pg_table_size('t'), pg_indexes_size('t'), pg_relation_size('t')")
    assert empty[-1].rows == [(0, 0, 0)]
    s.execute("INSERT INTO t SELECT g, 'x' || g FROM generate_series(1, 2000) g")
    rows = s.execute(
        "SELECT pg_table_size('t'), pg_indexes_size('t'), pg_total_relation_size('t'),"
        " pg_relation_size('t_b'), pg_relation_size('t_pkey'), pg_relation_size('t', 'fsm'),"
        " pg_total_relation_size(0)"
    )[-1].rows
    assert rows is not None
    table, indexes, total, t_b, pkey, fsm, missing = rows[0]
    assert table >= 2000 * 8 and table % 8192 == 0
    assert indexes == t_b + pkey and t_b > 0 and pkey > 0
    assert total == table + indexes
    assert (fsm, missing) == (0, None)


def test_list_commands_show_only_visible_relations(differ: Differ) -> None:
    differ.check("CREATE SCHEMA s")
    differ.check("CREATE TABLE s.hidden (a int)")
    differ.check("CREATE TABLE shown (a int PRIMARY KEY)")
    differ.check("CREATE TABLE s.shown (a int)")
    try:
        differ.check(
            "SELECT n.nspname, c.relname, pg_table_is_visible(c.oid) FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname IN ('public', 's') ORDER BY 1, 2"
        )
        differ.check("SET search_path = s, public")
        differ.check(
            "SELECT c.relname, pg_table_is_visible(c.oid) FROM pg_class c"
            " WHERE c.relname IN ('shown', 'hidden', 'shown_pkey') ORDER BY 1, 2"
        )
    finally:
        differ.check("RESET search_path")
        differ.check("DROP SCHEMA s CASCADE")


def test_foreign_keys_mark_both_tables_relhastriggers(differ: Differ) -> None:
    differ.check("CREATE TABLE parent (id int PRIMARY KEY)")
    differ.check("CREATE TABLE child (p int REFERENCES parent)")
    differ.check("CREATE TABLE alone (a int)")
    differ.check(
        "SELECT relname, relhastriggers FROM pg_class"
        " WHERE relname IN ('parent', 'child', 'alone') ORDER BY 1"
    )
    # psql's \d "Referenced by:" (an oid IN regclass values)
    differ.check(
        "SELECT conname, conrelid::regclass, pg_get_constraintdef(oid, true) FROM pg_constraint"
        " WHERE confrelid IN (SELECT pg_partition_ancestors('parent')"
        " UNION ALL VALUES ('parent'::regclass)) AND contype = 'f' ORDER BY conname"
    )


def test_system_catalog_oids_print_as_names(differ: Differ) -> None:
    differ.check(
        "SELECT 1259::regclass::text, 1247::regclass::text, 2606::regclass::text,"
        " 2615::regclass::text, 'pg_class'::regclass::oid, 'pg_catalog.pg_proc'::regclass::oid"
    )


def test_regnamespace_and_regtype_casts_match_postgres(differ: Differ) -> None:
    differ.check("CREATE TABLE t (a int, b varchar(3)[])")
    differ.check("SELECT 'pg_catalog'::regnamespace, 'pg_catalog'::regnamespace::oid")
    differ.check("SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace")
    differ.check("SELECT 'nope'::regnamespace")
    differ.check("SELECT 23::regtype, 1043::regtype, 1015::oid::regtype")
    differ.check("SELECT attname, atttypid::regtype FROM pg_attribute"
                 " WHERE attrelid = 't'::regclass AND attnum > 0 ORDER BY attnum")  # fmt: skip


def test_search_path_functions_and_vector_subscripts_match_postgres(differ: Differ) -> None:
    differ.check("SELECT current_schemas(true), current_schemas(false)")
    differ.check("CREATE TABLE t (a int, b int, PRIMARY KEY (b, a))")
    differ.check("CREATE INDEX t_a ON t (a DESC, b)")
    differ.check(
        "SELECT c.relname, i.indkey[0], i.indkey[1], i.indoption[0], pg_get_indexdef(c.oid, 1,"
        " true), pg_get_indexdef(c.oid, 2, false) FROM pg_index i JOIN pg_class c"
        " ON c.oid = i.indexrelid WHERE c.relname IN ('t_a', 't_pkey') ORDER BY 1"
    )
    differ.check(
        "SELECT (k).x, (k).n FROM (SELECT information_schema._pg_expandarray(conkey) AS k"
        " FROM pg_constraint WHERE conname = 't_pkey') s"
    )


def test_functions_in_from_with_ordinality_match_postgres(differ: Differ) -> None:
    differ.check("CREATE TABLE p (k int) PARTITION BY RANGE (k)")
    differ.check("CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (0) TO (10)")
    differ.check(
        "SELECT a.relid, a.depth FROM pg_partition_ancestors('p1') WITH ORDINALITY"
        " AS a(relid, depth) ORDER BY a.depth"
    )
    differ.check(
        "SELECT c.relname, a.relid, a.depth FROM pg_class c, pg_partition_ancestors(c.oid)"
        " WITH ORDINALITY AS a(relid, depth) WHERE c.relname LIKE 'p%' ORDER BY 1, 3"
    )
    differ.check(
        "SELECT c.relname, a.relid FROM pg_class c, pg_partition_ancestors(c.oid) a(relid)"
        " WHERE c.relname LIKE 'p%' ORDER BY 1, 2"
    )
    differ.check("SELECT * FROM generate_series(5, 7) WITH ORDINALITY")
    differ.check("SELECT n, v FROM generate_series(5, 7) WITH ORDINALITY AS a(v, n) ORDER BY n")
    differ.check('SELECT * FROM jsonb_each(\'{"a": 1, "b": 2}\') WITH ORDINALITY ORDER BY 3')
    differ.check("SELECT * FROM generate_series(1, 2) WITH ORDINALITY AS a(x, y, z)")


def test_psql_describe_details_match_postgres(differ: Differ) -> None:
    """\\dx (plpgsql is installed), \\sf ('name'::regproc), \\d+ (a partitioned table has
    no access method)."""
    differ.check(
        "SELECT e.extname, e.extversion, n.nspname, c.description FROM pg_extension e"
        " LEFT JOIN pg_namespace n ON n.oid = e.extnamespace LEFT JOIN pg_description c"
        " ON c.objoid = e.oid AND c.classoid = 'pg_catalog.pg_extension'::regclass"
    )
    differ.check("CREATE FUNCTION add1(i int) RETURNS int LANGUAGE sql AS 'SELECT i + 1'")
    differ.check("SELECT 'add1'::regproc::text, 'public.add1'::regproc::text")
    differ.check("SELECT 'no_such_function'::regproc")
    differ.check("CREATE TABLE p (k int) PARTITION BY RANGE (k)")
    differ.check("CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (0) TO (10)")
    differ.check(
        "SELECT c.relname, am.amname FROM pg_class c LEFT JOIN pg_am am ON am.oid = c.relam"
        " WHERE c.relname IN ('p', 'p1') ORDER BY 1"
    )


def test_function_definitions_match_postgres(differ: Differ) -> None:
    """pg_get_functiondef (psql's \\sf)."""
    differ.check("CREATE FUNCTION add1(i int) RETURNS int LANGUAGE sql AS 'SELECT i + 1'")
    differ.check(
        "CREATE FUNCTION pick(a int, b int DEFAULT 7) RETURNS SETOF int LANGUAGE sql"
        " IMMUTABLE STRICT AS $$SELECT a UNION ALL SELECT b$$"
    )
    differ.check(
        "CREATE FUNCTION bump(n int) RETURNS TABLE(x int, y text) LANGUAGE plpgsql STABLE"
        " AS $f$ BEGIN RETURN QUERY SELECT n, 'a'; END $f$"
    )
    differ.check("CREATE PROCEDURE nop(INOUT k int) LANGUAGE plpgsql AS $$ BEGIN k := k; END $$")
    for name in ("add1", "pick", "bump", "nop"):
        differ.check(f"SELECT pg_get_functiondef('{name}'::regproc::oid)")
    differ.check("SELECT pg_get_functiondef('add1'::regproc)")


def test_key_column_usage_places_a_foreign_key_in_the_key_it_references(differ: Differ) -> None:
    differ.check("CREATE TABLE parent (a int, b int, PRIMARY KEY (a, b))")
    differ.check("CREATE TABLE child (x int, y int, FOREIGN KEY (y, x) REFERENCES parent (b, a))")
    differ.check(
        "SELECT constraint_name, column_name, ordinal_position, position_in_unique_constraint"
        " FROM information_schema.key_column_usage WHERE table_schema = 'public' ORDER BY 1, 3"
    )
    differ.check(
        "SELECT constraint_name, unique_constraint_name, match_option, update_rule, delete_rule"
        " FROM information_schema.referential_constraints WHERE constraint_schema = 'public'"
    )
    differ.check(
        "SELECT table_name, column_name, constraint_name FROM"
        " information_schema.constraint_column_usage WHERE constraint_schema = 'public'"
        " ORDER BY 1, 2, 3"
    )


def test_database_size_of_this_database_or_none(differ: Differ) -> None:
    differ.check("CREATE TABLE t (a int)")
    differ.check("SELECT pg_database_size(current_database()) > 0")
    differ.check("SELECT pg_database_size(oid) > 0 FROM pg_database WHERE datname = 'postgres'")
    differ.check("SELECT pg_database_size('no_such_database')")
    differ.check("SELECT pg_database_size(99999::oid)")


def test_routines_and_parameters_match_postgres(differ: Differ) -> None:
    differ.check("CREATE FUNCTION add1(i int) RETURNS int LANGUAGE sql AS 'SELECT i + 1'")
    differ.check(
        "CREATE FUNCTION pick(a int, INOUT b int DEFAULT 7) LANGUAGE plpgsql IMMUTABLE STRICT"
        " AS $$ BEGIN b := a; END $$"
    )
    differ.check("CREATE PROCEDURE nop(k text) LANGUAGE sql AS $$ SELECT 1 $$")
    differ.check(
        "SELECT routine_name, routine_type, data_type, type_udt_schema, type_udt_name,"
        " routine_body, routine_definition, external_language, parameter_style,"
        " is_deterministic, sql_data_access, is_null_call, security_type"
        " FROM information_schema.routines WHERE routine_schema = 'public' ORDER BY 1"
    )
    differ.check(
        "SELECT r.routine_name, p.ordinal_position, p.parameter_mode, p.is_result,"
        " p.parameter_name, p.data_type, p.udt_name, p.parameter_default"
        " FROM information_schema.parameters p JOIN information_schema.routines r"
        " ON r.specific_name = p.specific_name WHERE p.specific_schema = 'public'"
        " ORDER BY 1, 2"
    )


def test_check_constraints_and_their_columns_match_postgres(differ: Differ) -> None:
    differ.check("CREATE DOMAIN posint AS int CHECK (VALUE > 0)")
    differ.check(
        "CREATE TABLE r (lo int NOT NULL, hi int, p posint, CONSTRAINT ordered CHECK (lo < hi))"
    )
    differ.check(
        "SELECT constraint_name ~ '_not_null$', check_clause FROM information_schema"
        ".check_constraints WHERE constraint_schema = 'public' ORDER BY 2"
    )
    differ.check(
        "SELECT table_name, column_name, constraint_name FROM"
        " information_schema.constraint_column_usage WHERE constraint_schema = 'public'"
        " ORDER BY 1, 2, 3"
    )
    differ.check(
        "SELECT constraint_type, is_deferrable, count(*) FROM information_schema.table_constraints"
        " WHERE table_schema = 'public' GROUP BY 1, 2 ORDER BY 1"
    )


def test_oid_as_regclass_is_qualified_outside_the_search_path(differ: Differ) -> None:
    """regclassout: a relation's name, schema-qualified when the name does not find it on
    the search path (SQLAlchemy's identity reflection of a table in another schema passes
    attrelid::regclass::text to pg_get_serial_sequence)."""
    for sql in [
        "CREATE SCHEMA s9",
        'CREATE TABLE s9."T i" (id int GENERATED BY DEFAULT AS IDENTITY (START WITH 20), x int)',
        "CREATE TABLE s9.shadow (a int)",
        "CREATE TABLE shadow (a int)",
        "SELECT c.oid::regclass::text FROM pg_class c JOIN pg_namespace n"
        " ON n.oid = c.relnamespace WHERE n.nspname IN ('s9', 'public') AND c.relkind = 'r'"
        " ORDER BY 1",
        "SELECT s.seqstart FROM pg_attribute a JOIN pg_sequence s ON s.seqrelid ="
        " pg_get_serial_sequence(a.attrelid::regclass::text, a.attname)::regclass::oid"
        " WHERE a.attrelid = 's9.\"T i\"'::regclass AND a.attname = 'id'",
    ]:
        differ.check(sql)


def test_visibility_of_pg_catalog_only_kinds_and_tablespace_location(differ: Differ) -> None:
    """psql's \\do, \\dc, \\dd, \\db call these: pg_catalog's operators, conversions, operator
    classes are visible; an oid of nothing is NULL; the two tablespaces live in the data
    directory ('')."""
    for stmt in [
        "SELECT pg_operator_is_visible(96), pg_opclass_is_visible(1978)",
        "SELECT pg_operator_is_visible(999999), pg_opclass_is_visible(999999),"
        " pg_conversion_is_visible(999999), pg_ts_config_is_visible(999999),"
        " pg_collation_is_visible(999999), pg_opfamily_is_visible(NULL)",
        "SELECT spcname, pg_tablespace_location(oid) FROM pg_tablespace ORDER BY 1",
        "SELECT p.proname, pg_catalog.array_to_string(p.proacl, E'\\n') FROM pg_proc p"
        " WHERE p.proname = 'nosuch'",
        "SELECT t.typname, pg_catalog.array_to_string(t.typacl, E'\\n') FROM pg_type t"
        " WHERE t.typname = 'nosuch'",
    ]:
        differ.check(stmt)


def test_built_in_collations_listed(differ: Differ) -> None:
    """pg_collation holds the built-in collations (db9 compares as all of them do, byte by
    byte); Django asks whether a column's collation is deterministic before it adds a
    varchar_pattern_ops index."""
    for stmt in [
        "SELECT oid, collname, collnamespace, collowner, collprovider, collisdeterministic,"
        " collencoding, collcollate, collctype, colliculocale, collversion FROM pg_collation"
        " WHERE collname IN ('default', 'C', 'POSIX', 'ucs_basic') ORDER BY oid",
        "SELECT collisdeterministic FROM pg_collation WHERE collname = 'C'",
        "SELECT collisdeterministic FROM pg_collation WHERE collname = 'nosuch'",
    ]:
        differ.check(stmt)


def test_pattern_operator_classes_in_pg_index(differ: Differ) -> None:
    """An index key's named operator class (varchar_pattern_ops: Django's _like index) is
    what pg_index.indclass names, with PostgreSQL's oid; pg_catalog's classes are visible."""
    for stmt in [
        'CREATE TABLE cm (id int PRIMARY KEY, field varchar(10) COLLATE "C", t text)',
        "CREATE INDEX cm_like ON cm (field varchar_pattern_ops)",
        "CREATE INDEX cm_t ON cm (t text_pattern_ops, id)",
        "SELECT c.relname, opcname FROM pg_opclass AS oc"
        " JOIN pg_index AS i ON oc.oid = ANY(i.indclass)"
        " JOIN pg_class AS c ON c.oid = i.indexrelid WHERE c.relname LIKE 'cm%' ORDER BY 1, 2",
        "SELECT pg_opclass_is_visible(oc.oid), opcname FROM pg_opclass oc"
        " WHERE opcname IN ('int4_ops', 'varchar_pattern_ops') AND opcmethod = 403 ORDER BY 2",
    ]:
        differ.check(stmt)


def test_column_and_type_collations(differ: Differ) -> None:
    """attcollation: a built-in COLLATE as written, else the type's collation (default for
    text types, C for name, none for the rest), as typcollation; Django's introspection of a
    column's collation joins pg_collation."""
    for stmt in [
        'CREATE TABLE cm (id int PRIMARY KEY, field varchar(10) COLLATE "C" NOT NULL UNIQUE,'
        ' t text, p text COLLATE "POSIX", n int, arr text[], nm name)',
        "SELECT attname, attcollation FROM pg_attribute"
        " WHERE attrelid = 'cm'::regclass AND attnum > 0 ORDER BY attnum",
        "SELECT a.attname, CASE WHEN collname = 'default' THEN NULL ELSE collname END"
        " FROM pg_attribute a LEFT JOIN pg_collation co ON a.attcollation = co.oid"
        " WHERE a.attrelid = 'cm'::regclass AND a.attnum > 0 ORDER BY a.attnum",
        "SELECT typname, typcollation FROM pg_type"
        " WHERE typname IN ('text', 'varchar', 'bpchar', 'name', '_text', 'int4') ORDER BY 1",
        "CREATE DOMAIN dd AS text",
        "SELECT typname, typcollation FROM pg_type WHERE typname = 'dd'",
    ]:
        differ.check(stmt)


def test_case_named_after_its_else_column_or_call(differ: Differ) -> None:
    """A CASE is named after its ELSE when that is a column or a call (FigureColname), as
    Django's collation introspection (CASE ... ELSE collname END) reads it."""
    differ.check("CREATE TABLE cc (a int, b text)")
    differ.check(
        "SELECT CASE WHEN a > 1 THEN 'x' ELSE b END, CASE WHEN true THEN 1 END,"
        " CASE WHEN true THEN 1 ELSE a + 1 END, CASE WHEN true THEN 1 ELSE a::int8 END,"
        " CASE WHEN true THEN 'a' ELSE lower(b) END, CASE WHEN true THEN 1 ELSE coalesce(a, 1) END"
        " FROM cc"
    )
