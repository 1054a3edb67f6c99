"""Identifiers fold as PostgreSQL folds them: unquoted ones to lower case, quoted ones kept.

Found by PostgreSQL's regression scripts (``python -m bench.pg_regress``): db9 kept the case
of unquoted names, so ``CREATE TABLE INT8_TBL`` made a table that ``SELECT ... FROM int8_tbl``
could not find (and ``INSERT INTO ABC`` missed table ``abc``); a fifth of the core scripts'
statements failed on it. Differential against PostgreSQL over names of every case, quoted and
not, in each place a name is written: tables, columns, aliases, indexes, schemas.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.sql.differential import Differ

_tables = st.sampled_from(["tab", "Tab", "TAB", "tAb"])
_columns = st.sampled_from(["col", "Col", "COL", "cOl"])


def _ref(name: str, quoted: bool) -> str:
    return f'"{name}"' if quoted else name


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    table=_tables, col=_columns, q_table=st.booleans(), q_col=st.booleans(),
    use_table=_tables, use_col=_columns, qu_table=st.booleans(), qu_col=st.booleans(),
)  # fmt: skip
def test_table_and_column_names_fold_like_postgresql(
    differ: Differ, table: str, col: str, q_table: bool, q_col: bool,
    use_table: str, use_col: str, qu_table: bool, qu_col: bool,
) -> None:  # fmt: skip
    differ.reset()
    t, c = _ref(table, q_table), _ref(col, q_col)
    ut, uc = _ref(use_table, qu_table), _ref(use_col, qu_col)
    differ.check(f"CREATE TABLE {t} ({c} int PRIMARY KEY, Other_Col text)")
    differ.check(f"INSERT INTO {ut} ({uc}, OTHER_COL) VALUES (1, 'x')")
    differ.check(f"INSERT INTO {t} VALUES (2, 'y')")
    differ.check(f"SELECT {uc}, other_col FROM {ut} ORDER BY 1")
    differ.check(f"SELECT {uc} AS Mixed_Alias, T1.Other_Col FROM {t} AS T1 ORDER BY 1")
    differ.check(f"UPDATE {ut} SET {uc} = {uc} + 10 WHERE Other_Col = 'x'")
    differ.check(f"CREATE INDEX My_Idx ON {t} (Other_Col)")
    differ.check("SELECT indexname FROM pg_indexes WHERE indexname ILIKE 'my_idx'")
    differ.check(f"DELETE FROM {ut} WHERE {uc} > 5")
    differ.check(f"SELECT * FROM {t} ORDER BY 1")
    differ.check("SELECT relname FROM pg_class WHERE relname ILIKE 'tab' ORDER BY 1")


def test_schema_and_qualified_names_fold(differ: Differ) -> None:
    differ.reset()
    for sql in [
        "CREATE SCHEMA My_Schema",
        "CREATE TABLE MY_SCHEMA.Tbl (A int)",
        "INSERT INTO my_schema.TBL (a) VALUES (1)",
        'SELECT "a" FROM My_Schema.tbl',
        'SELECT * FROM "My_Schema".tbl',
        "SELECT nspname FROM pg_namespace WHERE nspname ILIKE 'my_schema'",
        "SELECT My_Schema.Tbl.A FROM my_schema.tbl",
        "DROP TABLE MY_SCHEMA.TBL",
        "DROP SCHEMA my_schema",
    ]:
        differ.check(sql)
