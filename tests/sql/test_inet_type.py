"""inet and cidr (Django's GenericIPAddressField is inet) against a live PostgreSQL: input
and output (a full-length mask not shown for inet), text() with the mask, host(), masklen(),
family(), network(), the cidr check of host bits, order (IPv4 before IPv6, then network,
mask, address), through an index, and casts between them."""

from __future__ import annotations

from tests.sql.differential import Differ

SCRIPT = [
    "CREATE TABLE ip (id int PRIMARY KEY, a inet, c cidr)",
    "INSERT INTO ip VALUES (1, '192.168.0.1', '10.0.0.0/8'), (2, '::1', NULL),"
    " (3, '192.168.0.1/24', '192.168.0.0/24'), (4, NULL, NULL), (5, '10.1.2.3', '10.1.2.3'),"
    " (6, '2001:db8::ff00:42:8329', '2001:db8::/32')",
    "SELECT * FROM ip ORDER BY a, id",
    "SELECT * FROM ip ORDER BY c DESC, id",
    "SELECT id FROM ip WHERE a = '192.168.0.1' ORDER BY id",
    "SELECT a::text, host(a), masklen(a), family(a), c::text, network(a) FROM ip ORDER BY id",
    "SELECT id FROM ip WHERE HOST(a) LIKE '192%' ORDER BY id",
    "SELECT '10.1.2.3/8'::cidr",
    "SELECT 'foo'::inet",
    "SELECT '10.0.0.1/33'::inet",
    "SELECT a::cidr, c::inet FROM ip ORDER BY id",
    "CREATE INDEX ip_a ON ip (a)",
    "SELECT id FROM ip WHERE a > '10.0.0.0' ORDER BY a",
    "SELECT pg_typeof(a), pg_typeof(c) FROM ip LIMIT 1",
    "SELECT ARRAY['127.0.0.1'::inet, '::1'::inet]",
]


def test_inet_and_cidr_match_postgres(differ: Differ) -> None:
    for sql in SCRIPT:
        differ.check(sql)
