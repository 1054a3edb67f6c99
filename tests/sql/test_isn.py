"""The isn extension against a live PostgreSQL: input of each type (hyphens, spaces, X, M,
the ``?`` check digit, the ``!`` flag of a wrong one, the errors of a bad check digit, of a
number of another kind and out of range), output in the short and the EAN forms, casts
between the types, is_valid, make_valid and isn_weak, comparison (across the types isn has
operators between), a unique column, and DROP
EXTENSION with a column of one of its types. (ISBN registration groups are not hyphenated:
no ISBN whose output PostgreSQL would split is printed here.)"""

from __future__ import annotations

import pytest

from tests.sql.differential import Differ


@pytest.fixture
def isn_differ(differ: Differ) -> Differ:
    differ.pg.execute("DROP EXTENSION IF EXISTS isn CASCADE")
    differ.check("CREATE EXTENSION isn")
    return differ


SCRIPT = [
    "SELECT '1436-4522'::issn, '1436 452 2'::issn, '0317-847X'::issn, '1436-452?'::issn",
    "SELECT '1436-4522'::issn13, '9771436452008'::ean13, '1436-4522'::issn::ean13,"
    " '977-1436-452-00-8'::issn",
    "SELECT 'M-060-11561-5'::ismn, 'm0601156155'::ismn, 'M-3452-4680-5'::ismn,"
    " 'M-060-11561-5'::ismn13, '9790345246805'::ismn13, '979-0-9000000-0-?'::ismn13",
    "SELECT '220356483481'::upc, '220356483481'::upc::ean13, '0220356483481'::ean13",
    "SELECT '1234567890128'::ean13, '9791234567896'::ean13, '4006381333931'::ean13,"
    " '0000000000000'::ean13, '1400000000003'::ean13, '9791234567896'::isbn13",
    "SELECT '1436-4523!'::issn, '1436-4523!'::issn13, is_valid('1436-4523!'::issn),"
    " make_valid('1436-4523!'::issn13), is_valid('1436-4522'::issn)",
    "SELECT '1436-4523'::issn",
    "SELECT '1234567890123'::ean13",
    "SELECT '978-0-393-04002-0'::isbn",
    "SELECT '1436-4522'::isbn",
    "SELECT '9771436452008'::upc",
    "SELECT 'abc'::issn",
    "SELECT '12345678901234'::ean13",
    "SELECT '1436-45'::issn",
    "SELECT '1234567890128'::ean13::issn",
    "SELECT '9771436452008'::ean13::isbn",
    "SELECT '1436-4522'::issn::isbn",
    "SELECT '9771436452008'::ean13::issn, '9790345246805'::ean13::ismn",
    "SELECT isn_weak(true)",
    "SELECT '1436-4523'::issn13, '1436-4523'::issn, is_valid('1436-4523'::issn), isn_weak()",
    "SELECT isn_weak(false)",
    "SELECT '1436-4523'::issn13",
    "SELECT '1436-4522'::issn = '1436-4522'::issn, '1436-4522'::issn < '0317-8471'::issn,"
    " '1436-4523!'::issn = '1436-4522'::issn",
    "SELECT '978-0-393-04002-9'::isbn13 = '9780393040029'::ean13,"
    " '1436-4522'::issn < '9771436452008'::ean13, '1436-4522'::issn = '1436-4522'::issn13,"
    " '220356483481'::upc <> '0220356483481'::ean13",
    "SELECT '1436-4522'::issn = '978-0-393-04002-9'::isbn",
    "SELECT '1436-4522'::issn13 = '978-0-393-04002-9'::isbn13",
    "SELECT pg_typeof('1436-4522'::issn), format_type('issn13'::regtype, -1)",
    "SELECT proname, pg_get_function_arguments(oid), prorettype::regtype FROM pg_proc"
    " WHERE proname IN ('is_valid', 'make_valid', 'isn_weak') ORDER BY 1, 2",
    "CREATE TABLE serials (id int PRIMARY KEY, s issn UNIQUE, e ean13)",
    "INSERT INTO serials VALUES (1, '1436-4522', '9791234567896'), (2, '0317-8471', NULL)",
    "INSERT INTO serials VALUES (3, '1436 4522', NULL)",
    "SELECT * FROM serials ORDER BY s",
    "SELECT id, s::issn13, s::text, s > '0317-8471' FROM serials WHERE s = '1436-4522'",
    "DROP EXTENSION isn",
    "DROP EXTENSION isn CASCADE",
    "SELECT * FROM serials ORDER BY id",
]


def test_isn_matches_postgres(isn_differ: Differ) -> None:
    for sql in SCRIPT:
        isn_differ.check(sql)
