"""User aggregates and window functions against a live PostgreSQL: CREATE AGGREGATE with
transition functions written in SQL, PL/pgSQL or built in, STRICT's first-input-as-state
rule, INITCOND, FINALFUNC, DISTINCT and FILTER, and over windows the moving-aggregate mode
(MSFUNC / MINVFUNC), whose call sequence a logging aggregate shows; a LANGUAGE internal
function naming a built-in window function."""

from __future__ import annotations

import pytest

from tests.sql.differential import Differ

SETUP = """
CREATE TYPE avg_state AS (total bigint, count bigint);
CREATE FUNCTION avg_transfn(state avg_state, n int) RETURNS avg_state AS $$
declare new_state avg_state;
begin
  if state is null then
    if n is not null then
      new_state.total := n; new_state.count := 1; return new_state;
    end if;
    return null;
  elsif n is not null then
    state.total := state.total + n; state.count := state.count + 1; return state;
  end if;
  return null;
end $$ LANGUAGE plpgsql;
CREATE FUNCTION avg_finalfn(state avg_state) RETURNS int4 AS $$
begin
  if state is null then return NULL; else return state.total / state.count; end if;
end $$ LANGUAGE plpgsql;
CREATE AGGREGATE my_avg(int4) (stype = avg_state, sfunc = avg_transfn, finalfunc = avg_finalfn);
CREATE AGGREGATE my_avg_init(int4) (stype = avg_state, sfunc = avg_transfn,
  finalfunc = avg_finalfn, initcond = '(10,0)');
CREATE AGGREGATE my_sum(int4) (stype = int4, sfunc = int4pl);
CREATE AGGREGATE my_sum8(int4) (sfunc = int4_sum(int8, int4), stype = int8, initcond = '0');
CREATE FUNCTION logging_sfunc_nonstrict(text, anyelement) RETURNS text AS
$$ SELECT COALESCE($1, '') || '*' || quote_nullable($2) $$ LANGUAGE SQL IMMUTABLE;
CREATE FUNCTION logging_msfunc_nonstrict(text, anyelement) RETURNS text AS
$$ SELECT COALESCE($1, '') || '+' || quote_nullable($2) $$ LANGUAGE SQL IMMUTABLE;
CREATE FUNCTION logging_minvfunc_nonstrict(text, anyelement) RETURNS text AS
$$ SELECT $1 || '-' || quote_nullable($2) $$ LANGUAGE SQL IMMUTABLE;
CREATE AGGREGATE logging_agg_nonstrict (anyelement) (stype = text,
  sfunc = logging_sfunc_nonstrict, mstype = text, msfunc = logging_msfunc_nonstrict,
  minvfunc = logging_minvfunc_nonstrict);
CREATE FUNCTION logging_sfunc_strict(text, anyelement) RETURNS text AS
$$ SELECT $1 || '*' || quote_nullable($2) $$ LANGUAGE SQL STRICT IMMUTABLE;
CREATE FUNCTION logging_msfunc_strict(text, anyelement) RETURNS text AS
$$ SELECT $1 || '+' || quote_nullable($2) $$ LANGUAGE SQL STRICT IMMUTABLE;
CREATE FUNCTION logging_minvfunc_strict(text, anyelement) RETURNS text AS
$$ SELECT $1 || '-' || quote_nullable($2) $$ LANGUAGE SQL STRICT IMMUTABLE;
CREATE AGGREGATE logging_agg_strict (text) (stype = text, sfunc = logging_sfunc_strict,
  mstype = text, msfunc = logging_msfunc_strict, minvfunc = logging_minvfunc_strict);
CREATE AGGREGATE logging_agg_strict_initcond (anyelement) (stype = text,
  sfunc = logging_sfunc_strict, mstype = text, msfunc = logging_msfunc_strict,
  minvfunc = logging_minvfunc_strict, initcond = 'I', minitcond = 'MI');
CREATE TABLE t (p int, i int, f bool, v text);
INSERT INTO t VALUES (1, 1, true, NULL), (1, 2, false, 'a'), (1, 3, true, 'b'),
  (1, 4, false, NULL), (1, 5, false, NULL), (1, 6, false, 'c'), (2, 1, false, NULL),
  (2, 2, true, 'x'), (3, 1, true, 'z');
"""

QUERIES = [
    "SELECT my_avg(i), my_avg_init(i), my_sum(i), my_sum8(i) FROM t",
    "SELECT p, my_avg(i), my_sum(i), my_sum8(i) FROM t GROUP BY p ORDER BY p",
    "SELECT my_avg(DISTINCT i), my_sum(i) FILTER (WHERE i > 1) FROM t",
    "SELECT my_sum(i), my_sum8(i), my_avg(i) FROM t WHERE false",
    "SELECT logging_agg_strict(v), logging_agg_nonstrict(v), logging_agg_strict_initcond(v)"
    " FROM (SELECT * FROM t ORDER BY p, i) s",
    "SELECT p, i, logging_agg_nonstrict(v) OVER w, logging_agg_strict(v) OVER w,"
    " logging_agg_strict_initcond(v) OVER w FROM t"
    " WINDOW w AS (PARTITION BY p ORDER BY i ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)"
    " ORDER BY p, i",
    "SELECT p, i, logging_agg_nonstrict(v) FILTER (WHERE f) OVER w,"
    " logging_agg_strict(v) FILTER (WHERE f) OVER w FROM t"
    " WINDOW w AS (PARTITION BY p ORDER BY i ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)"
    " ORDER BY p, i",
    "SELECT i, logging_agg_strict(v) OVER (ORDER BY i ROWS BETWEEN CURRENT ROW AND CURRENT ROW),"
    " logging_agg_strict(v) OVER (ORDER BY i), my_sum(i) OVER (ORDER BY i ROWS 2 PRECEDING)"
    " FROM t WHERE p = 1 ORDER BY i",
    "SELECT i, logging_agg_strict(v || CASE WHEN random() < 0 THEN '?' ELSE '' END)"
    " OVER (ORDER BY i ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM t WHERE p = 1 ORDER BY i",
    "SELECT i, logging_agg_nonstrict(v) OVER (ORDER BY i ROWS BETWEEN 1 PRECEDING AND"
    " 1 FOLLOWING EXCLUDE CURRENT ROW) FROM t WHERE p = 1 ORDER BY i",
    "SELECT int4pl(1, 2), int4_sum(NULL, 3), int4_sum(5, NULL), booland_statefunc(true, NULL),"
    " boolor_statefunc(false, true)",
]


@pytest.mark.parametrize("sql", QUERIES)
def test_user_aggregate_matches_postgres(differ: Differ, sql: str) -> None:
    differ.check(SETUP)
    differ.check(sql)


def test_create_and_drop_aggregate(differ: Differ) -> None:
    differ.check("CREATE AGGREGATE s(int4) (sfunc = int4pl, stype = int4)")
    differ.check("CREATE AGGREGATE s(int4) (sfunc = int4pl, stype = int4)")  # 42723
    differ.check("SELECT s(x) FROM generate_series(1, 4) x")
    differ.check("DROP FUNCTION s(int4)")  # 42809: s is an aggregate
    differ.check("DROP AGGREGATE s(int4)")
    differ.check("DROP AGGREGATE s(int4)")  # 42883
    differ.check("DROP AGGREGATE IF EXISTS s(int4)")


def test_internal_window_function(differ: Differ) -> None:
    """LANGUAGE internal WINDOW naming a built-in window function, called with named
    arguments and a default."""
    differ.check(
        "CREATE FUNCTION nth_value_def(val anyelement, n integer = 1) RETURNS anyelement"
        " LANGUAGE internal WINDOW IMMUTABLE STRICT AS 'window_nth_value'"
    )
    differ.check("CREATE TABLE w (a int, g int)")
    differ.check("INSERT INTO w VALUES (1, 1), (2, 1), (3, 2), (4, 2), (5, 2)")
    differ.check(
        "SELECT a, nth_value_def(n := 2, val := a) OVER (PARTITION BY g) FROM w ORDER BY a"
    )
    differ.check("SELECT a, nth_value_def(a) OVER (PARTITION BY g ORDER BY a) FROM w ORDER BY a")
    differ.check("SELECT nth_value_def(a) FROM w")  # 42809: needs OVER
    differ.check("CREATE FUNCTION f_bad(int) RETURNS int LANGUAGE internal AS 'no_such'")
