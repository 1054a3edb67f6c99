"""EXTRACT(ISOYEAR ...) against a live PostgreSQL (Django's ExtractIsoYear and its
``__year`` lookups): the ISO 8601 week-numbering year, which differs from the calendar
year around New Year."""

from __future__ import annotations

from tests.sql.differential import Differ

SCRIPT = [
    "SELECT EXTRACT(ISOYEAR FROM DATE '2014-12-29'), EXTRACT(ISOYEAR FROM DATE '2016-01-03')",
    "SELECT EXTRACT(ISOYEAR FROM TIMESTAMP '2015-06-15 23:30:50'),"
    " EXTRACT(ISOYEAR FROM TIMESTAMPTZ '2021-01-01 00:00:00+00')",
    "SELECT date_part('isoyear', DATE '2020-12-31'), EXTRACT(ISOYEAR FROM NULL::date)",
]


def test_extract_isoyear_matches_postgres(differ: Differ) -> None:
    for sql in SCRIPT:
        differ.check(sql)
