"""Array functions, subscripts and slices, and set-returning functions in FROM against a
live PostgreSQL:
array_append/prepend/cat, array_position(s), array_dims/ndims/lower/upper/length,
cardinality, array_fill, array_replace/remove, trim_array, array_to_string and
string_to_array edge cases, string_to_table and unnest in FROM with column aliases,
generate_series(...) g(i), and the SQLSTATEs PostgreSQL gives their misuses."""

from __future__ import annotations

import pytest

from tests.sql.differential import Differ

QUERIES = [
    "SELECT 'abc' ~ ANY(ARRAY['a','x']), 'abc' ~ ALL(ARRAY['a','x']), 'abc' !~ ANY(ARRAY['a','x'])",
    "SELECT 'abc' !~ ALL(ARRAY['a','x']), 'ABC' ~* SOME(ARRAY['a','x']), 'ABC' !~* ANY('{a}')",
    "SELECT 'abc' ~ ANY(ARRAY[NULL,'x']), 'abc' ~ ALL('{}'::text[]), NOT ('abc' ~ ANY('{a,x}'))",
    "SELECT array_append(array[42], 6), array_prepend(6, array[42])",
    "SELECT array_cat(ARRAY[1,2], ARRAY[3,4]), array_cat(ARRAY[1,2], ARRAY[[3,4],[5,6]])",
    "SELECT array_cat(ARRAY[[3,4],[5,6]], ARRAY[1,2]), array_append(NULL, 1)",
    "SELECT array_cat(NULL::int[], NULL), array_prepend(NULL::int, NULL)",
    "SELECT array_append(ARRAY[[1,2]], 3)",
    "SELECT array_cat(ARRAY[[1,2]], ARRAY[[1],[2]])",
    "SELECT array_position(ARRAY[1,2,3,4,5], 4), array_position(ARRAY[5,3,4,2,1], 4)",
    "SELECT array_position(ARRAY['sun','mon','tue','wed'], 'mon')",
    "SELECT array_position(ARRAY['sun','mon',NULL,'wed'], NULL)",
    "SELECT array_position(ARRAY['sun','mon','tue'], 'x'), array_position(NULL::int[], 1)",
    "SELECT array_position(ARRAY[1,2,3,1,2], 2, 3), array_position(ARRAY[1,2], 1, -4)",
    "SELECT array_position(ARRAY[[1,2],[3,4]], 3)",
    "SELECT array_positions(NULL, 10), array_positions(NULL, NULL::int)",
    "SELECT array_positions(ARRAY[1,2,3,4,5,6,1,2,3,4,5,6], 4)",
    "SELECT array_positions(ARRAY[1,2,3,NULL,5,6,1,2,3,NULL,5,6], NULL)",
    "SELECT array_positions(ARRAY[[1,2],[3,4]], 4)",
    "SELECT array_dims(ARRAY[[1,2],[3,4]]), array_ndims(ARRAY[[[1]]]), array_dims('{}'::int[])",
    "SELECT array_ndims('{}'::int[]), array_lower(ARRAY[1,2], 1), array_lower(ARRAY[1], 2)",
    "SELECT array_upper(ARRAY[[1,2,3],[3,4,5]], 2), array_upper(ARRAY[[1,2,3],[3,4,5]], 1)",
    "SELECT array_length(ARRAY[[1,2,3],[3,4,5]], 2), array_length('{}'::int[], 1)",
    "SELECT cardinality(ARRAY[[1,2,3],[3,4,5]]), cardinality('{}'::int[]),"
    " cardinality(NULL::int[]) c",
    "SELECT array_fill(7, array[3,3]), array_fill(null::text, array[2]), array_fill(1, array[0])",
    "SELECT array_fill(1, array[2,2], '{}')",
    "SELECT array_fill(1, null)",
    "SELECT array_fill(1, array[[1,2]])",
    "SELECT array_fill(1, array[2], array[1])",
    "SELECT array_replace(ARRAY[1,2,5,4], 5, 3), array_replace(ARRAY[1,NULL,3], NULL, 9)",
    "SELECT array_replace(ARRAY[[1,2],[5,4]], 5, 3), array_replace(ARRAY['a','b'], 'b', NULL)",
    "SELECT array_remove(ARRAY[1,2,2,3], 2), array_remove(ARRAY['A','CC','RR'], 'RR')",
    "SELECT array_remove(ARRAY[1,NULL,2], NULL), array_remove(NULL::int[], 1)",
    "SELECT array_remove(ARRAY[[1,2],[3,4]], 4)",
    "SELECT trim_array(ARRAY[1,2,3], 1), trim_array(ARRAY[[1,2],[3,4]], 1)",
    "SELECT trim_array(ARRAY[1,2,3], 4)",
    "SELECT trim_array(ARRAY[1,2,3], -1)",
    "SELECT array_to_string(ARRAY[1,NULL,3], ','), array_to_string(ARRAY[1,NULL,3], ',', '*')",
    "SELECT array_to_string(ARRAY[1.5::float8, 2], '|'), array_to_string(ARRAY[[1,2],[3,4]], '-')",
    "SELECT array_to_string(ARRAY[true, false], ','), array_to_string(NULL::int[], ',')",
    "SELECT string_to_array('1|2|3', '|'), string_to_array('1|2|3', NULL)",
    "SELECT string_to_array('1|2|3', ''), string_to_array('', '|'), string_to_array(NULL, '|')",
    "SELECT string_to_array('1,*,3', ',', '*'), string_to_array('abc', NULL, 'b')",
    "SELECT v, v IS NULL AS n FROM string_to_table('1|2|3', '|') g(v)",
    "SELECT v FROM string_to_table('1|2|3', NULL) AS g(v)",
    "SELECT * FROM string_to_table('1,*,3', ',', '*')",
    "SELECT string_to_table('a b', ' ')",
    "SELECT * FROM unnest(ARRAY[1,2]) AS u(x)",
    "SELECT u FROM unnest(ARRAY[[1,2],[3,4]]) u",
    "SELECT unnest(ARRAY[[1,2],[3,4]])",
    "SELECT i FROM generate_series(1, 3) g(i)",
    "SELECT g.i FROM generate_series(1, 3) AS g(i)",
    "SELECT * FROM generate_series(1, 2) g(a, b)",
    "SELECT (ARRAY[10,20,30])[i], (ARRAY[10,20,30])[i + 1], (ARRAY[10,20,30])[0]"
    " FROM (VALUES (1), (3)) v(i)",
    "SELECT ('{{1,2,3},{4,5,6},{7,8,9}}'::int[])[1:2][2], ('{{1,2,3},{4,5,6}}'::int[])[2:]",
    "SELECT (ARRAY[1,2,3,4])[:2], (ARRAY[1,2,3,4])[3:], (ARRAY[1,2,3])[:], (ARRAY[1,2,3])[5:6]",
    "SELECT (ARRAY[1,2])[1:NULL], ('{{{1},{2},{3}},{{4},{5},{6}}}'::int[])[1][1:2][1]",
    "SELECT (ARRAY[[1,2],[3,4]])[2][1], (ARRAY[[1,2],[3,4]])[1], (ARRAY[1,2])[1][1]",
    "SELECT ('{}'::int[])[1][2][3][4][5][6][7]",
    "SELECT (now())[1]",
    "SELECT ('{\"a\": [1, 2]}'::jsonb)['a'][0], ('[5, 6]'::jsonb)[-1]",
    "SELECT ARRAY[1, 3, 'NaN']::float8[], ARRAY[[1, 2], [3, '4']]::int8[], ARRAY[]::int[]",
    "SELECT ARRAY[]",
    "SELECT 33 * ANY ('{1,2,3}')",
    "SELECT 33 * ANY (44)",
    "SELECT array_agg(x) FROM (VALUES (ARRAY[1,2]), (ARRAY[3,4])) v(x)",
    "SELECT array_agg('{}'::int[]) FROM generate_series(1, 2)",
    "SELECT array_agg(NULL::int[]) FROM generate_series(1, 2)",
    "SELECT array_agg(x) FROM (VALUES (ARRAY[1,2]), (ARRAY[3])) v(x)",
    "SELECT array_agg(x) FROM (VALUES (1), (NULL)) v(x)",
    "SELECT '{1,2}'::_int2, '{\"foobar\"}'::_name, pg_typeof('{}'::_text), '{3}'::int4[]",
    'SELECT * FROM json_to_record(\'{"ia": [1, "2", null, 4]}\') AS x(ia _int4)',
    "SELECT op, width_bucket(op, ARRAY[1, 3, 5, 10]) FROM generate_series(0, 11) AS op",
    "SELECT width_bucket(5, ARRAY[3]), width_bucket(5, '{}'),"
    " width_bucket(5.5, ARRAY[1, 3, 9, 'NaN']::float8[])",
    "SELECT width_bucket(5, ARRAY[3, 4, NULL])",
    "SELECT width_bucket(5, ARRAY[ARRAY[1, 2], ARRAY[3, 4]])",
    "SELECT 'foo' LIKE ANY (ARRAY['%a', '%o']), 'foo' LIKE ALL (ARRAY['f%', '%b']),"
    " 'foo' NOT LIKE ANY (ARRAY['%a', '%b']), 'foo' NOT LIKE ALL (ARRAY['%a', '%o'])",
    "SELECT 'foo' ILIKE ANY (ARRAY['%A', '%O']), 'foo' ILIKE ALL (ARRAY['F%', '%O']),"
    " 'foo' LIKE ANY (ARRAY['x', NULL]), 'foo' LIKE ANY ('{%o}')",
    "SELECT array_length(array_positions(ARRAY(SELECT 'A'::text || i % 10"
    " FROM generate_series(1, 100) g(i)), 'A5'), 1)",
]


@pytest.mark.parametrize("sql", QUERIES)
def test_array_functions_match_postgres(differ: Differ, sql: str) -> None:
    differ.check(sql)
