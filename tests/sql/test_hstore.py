"""The hstore extension against a live PostgreSQL that installs it: text input and output
(quoting, escapes, NULL values, duplicate keys, key order, syntax errors), the operators
(-> ? ?| ?& @> <@ || -), the functions (akeys, avals, skeys, svals, each, hstore(...),
slice, exist, defined, hstore_to_json(b), the casts to json and jsonb), comparison, DISTINCT
and GROUP BY, and an hstore column with a GIN index."""

from __future__ import annotations

from tests.sql.differential import Differ

SCRIPT = [
    "SELECT 'a=>1'::hstore",  # no such type before CREATE EXTENSION
    # a type of that name of the user's own is that type
    "CREATE TYPE hstore AS ENUM ('x', 'a=>1')",
    "SELECT 'a=>1'::hstore, 'x'::hstore < 'a=>1'::hstore",
    "CREATE TABLE own (v hstore)",
    "INSERT INTO own VALUES ('a=>1'), ('x')",
    "SELECT v FROM own ORDER BY v",
    "DROP TABLE own",
    "DROP TYPE hstore",
    "SELECT akeys('a=>1')",
    "CREATE EXTENSION hstore",
    'SELECT \'a=>1, b=>NULL, "c d"=>"x\\"y", aa=>2, a=>3, b=>"NULL"\'::hstore',
    "SELECT ''::hstore, '  '::hstore, 'a=>b,'::hstore, 'k => v , \"\"=>\"\"'::hstore",
    "SELECT 'a\\=b=>c\\,d'::hstore, 'ключ=>значение, é=>1, z=>2'::hstore",
    "SELECT 'a=>'::hstore",
    "SELECT 'a'::hstore",
    "SELECT 'a=>b c'::hstore",
    "SELECT 'a=b'::hstore",
    "SELECT '\"a=>b'::hstore",
    "CREATE TABLE t (id int PRIMARY KEY, h hstore, hs hstore[])",
    "INSERT INTO t VALUES (1, 'a=>1, b=>2', ARRAY['x=>1'::hstore, 'y=>NULL']),"
    " (2, 'a=>3, c=>NULL', '{\"a=>1\",NULL}'), (3, NULL, NULL), (4, '', '{}'),"
    " (5, 'b=>2, a=>1', NULL)",
    "SELECT id, h, hs FROM t ORDER BY id",
    "SELECT id, h -> 'a', h -> 'c', h ? 'c', h ?| ARRAY['b','c'], h ?& ARRAY['a','b'],"
    " h @> 'a=>1', h <@ 'a=>1,b=>2,c=>3', h @> 'c=>NULL' FROM t ORDER BY id",
    "SELECT 'a=>1'::hstore - 'a'",  # the untyped literal is an hstore (hstore - hstore)
    "SELECT id, h || 'z=>9', h - 'a'::text, h - ARRAY['a','b'], h - 'a=>1',"
    " h -> ARRAY['a','x'] FROM t ORDER BY id",
    "SELECT id, akeys(h), avals(h), hstore_to_json(h), hstore_to_jsonb(h), h::json, h::jsonb,"
    " hstore_to_array(h), hstore_to_matrix(h) FROM t ORDER BY id",
    "SELECT id, skeys(h), svals(h) FROM t ORDER BY 1, 2",
    "SELECT * FROM each('a=>1, b=>NULL'::hstore) ORDER BY key",
    "SELECT t.id, e.key, e.value FROM t, each(t.h) e ORDER BY 1, 2",
    "SELECT hstore('a', 'b'), hstore('a', NULL), hstore(ARRAY['a','b'], ARRAY['1','2']),"
    " hstore(ARRAY['a','1','b','2']), hstore(ARRAY[['a','1'],['b','2']]),"
    " hstore(ARRAY['a','b'], NULL)",
    "SELECT hstore(ARRAY['a','b'], ARRAY['1'])",
    "SELECT hstore(ARRAY['a','b','c'])",
    "SELECT hstore(t) FROM t WHERE id = 1",
    "SELECT slice('a=>1,b=>2,c=>3'::hstore, ARRAY['b','c','x']),"
    " exist('a=>1', 'a'), defined('a=>NULL', 'a'), defined('a=>1', 'a'),"
    " exists_any('a=>1', ARRAY['x','a']), exists_all('a=>1', ARRAY['x','a'])",
    "SELECT hstore_to_json_loose('a=>1, b=>t, c=>x, d=>1.5e3, e=>NULL, f=>01, g=>-0.5')",
    "SELECT hstore_to_jsonb_loose('a=>1, b=>t, c=>x, d=>1.5e3, e=>NULL')",
    # to_json and the json builders go through hstore's casts to json(b)
    "SELECT to_json('a=>1, b=>NULL'::hstore), to_jsonb('a=>1'::hstore),"
    " json_build_object('h', 'a=>1'::hstore), row_to_json(ROW('a=>1'::hstore)),"
    " jsonb_build_array('x=>y'::hstore)",
    "SELECT json_agg(h ORDER BY id), array_agg(h ORDER BY id) FROM t",
    "SELECT id FROM t WHERE h = 'b=>2, a=>1' ORDER BY id",
    "SELECT h, count(*) FROM t GROUP BY h ORDER BY h",
    "SELECT DISTINCT h FROM t ORDER BY h",
    "SELECT h FROM t ORDER BY h DESC",
    "SELECT 'a=>1'::hstore::text, 'b=>1,a=>2'::text::hstore",
    "CREATE INDEX t_h_gin ON t USING gin (h)",
    "CREATE INDEX t_h_gist ON t USING gist (h)",
    "SELECT id FROM t WHERE h ? 'a' ORDER BY id",
    "SELECT id FROM t WHERE h @> 'a=>1' ORDER BY id",
    "UPDATE t SET h = h || hstore('n', id::text) WHERE id < 3",
    "SELECT id, h FROM t ORDER BY id",
    "SELECT h -> 'a' FROM t WHERE h -> 'n' = '1'",
    # subscripted assignment: a key set (NULL values too), a NULL hstore starts empty
    "UPDATE t SET h['s'] = 'x' || id::text WHERE id IN (1, 3)",
    "UPDATE t SET h['s'] = NULL WHERE id = 2",
    "UPDATE t SET h[NULL] = '1' WHERE id = 1",
    "SELECT id, h FROM t ORDER BY id",
    "SELECT 'a=>1'::hstore - 'a'::text, 'a=>1'::hstore ? 'a'::varchar",
    "SELECT 'a=>1'::hstore -> 1",
    "SELECT ('a=>1, 1=>x'::hstore)['a'], ('a=>1'::hstore)['b'], ('1=>x'::hstore)[1]",
    "SELECT h['a'], h[ARRAY['a']] FROM t WHERE id = 1",
    # a row constructor without ROW, cast to a composite type with an hstore field (asyncpg)
    "CREATE TYPE rec_t AS (i numeric, h hstore)",
    "SELECT (44, 'a=>1'::hstore)::rec_t, ((44, 'a=>1'::hstore)::rec_t).h -> 'a'",
    "SELECT populate_record(NULL::rec_t, 'i=>1.50, h=>\"x=>y\", z=>1'),"
    " populate_record((2, 'a=>b')::rec_t, 'i=>NULL'), populate_record((2, 'a=>b')::rec_t, NULL)",
    "SELECT populate_record(NULL::rec_t, 'i=>abc')",
    "SELECT delete('a=>1, b=>2'::hstore, 'a'), delete('a=>1, b=>2', ARRAY['a', 'b']),"
    " delete('a=>1, b=>2'::hstore, 'a=>1, b=>3'::hstore)",
    "DROP EXTENSION hstore",
    "DROP EXTENSION hstore CASCADE",
]


def test_hstore_matches_postgres(differ: Differ) -> None:
    for sql in SCRIPT:
        differ.check(sql)
