"""Arrays of the types db9 stores as tuples (inet, cidr, interval) read back from a table,
one- and two-dimensional, with NULLs, against a live PostgreSQL (Django's ArrayField of
GenericIPAddressField / DurationField: reading them failed with a TypeError)."""

from __future__ import annotations

from tests.sql.differential import Differ

SCRIPT = [
    "CREATE TABLE o (id int PRIMARY KEY, x interval[], i inet[], c cidr[])",
    "INSERT INTO o VALUES (1, '{1 day,NULL,-2 mons 3 hours}', '{1.1.1.1,::1/64,NULL}',"
    " '{{10.0.0.0/8,NULL},{10.1.0.0/16,10.2.0.0/16}}'), (2, '{}', '{}', NULL),"
    " (3, '{{1 day,2 days},{3 days,4 days}}', '{{1.2.3.4,1.2.3.5},{1.2.3.6,1.2.3.7}}', '{}')",
    "SELECT * FROM o ORDER BY id",
    "SELECT id, x[1], i[2], c[2][1], array_length(x, 1), cardinality(i) FROM o ORDER BY id",
    "SELECT id FROM o WHERE i @> '{1.1.1.1}' ORDER BY id",
    "SELECT id FROM o WHERE x = '{1 day,NULL,-2 mons 3 hours}' ORDER BY id",
]


def test_tuple_stored_arrays_match_postgres(differ: Differ) -> None:
    for sql in SCRIPT:
        differ.check(sql)
