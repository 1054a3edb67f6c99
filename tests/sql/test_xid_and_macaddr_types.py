"""xid, xid8, pg_snapshot, txid_snapshot and macaddr against a live PostgreSQL: input as
PostgreSQL 15 reads it (xid's lax strtoul: hex, octal, a sign, trailing junk; a snapshot's
order and range checks; macaddr's seven forms and its two errors), output, comparison where
the type has it (xid only =, 42883 for ordering), casts and arrays."""

from __future__ import annotations

from tests.sql.differential import Differ

SCRIPT = [
    "SELECT '0x10'::xid, '-1'::xid, '4294967296'::xid, ' 12 '::xid, '12a'::xid, 'abc'::xid",
    "SELECT '0x10'::xid8, '18446744073709551615'::xid8, '-1'::xid8, '010'::xid8, '12a'::xid8",
    "SELECT '1'::xid = '1'::xid, '1'::xid <> '2'::xid, '1'::xid8 < '2'::xid8",
    "SELECT x FROM (VALUES ('2'::xid), ('1')) v(x) ORDER BY x",
    "SELECT '1'::xid < '2'::xid",
    "SELECT '1:2:'::pg_snapshot = '1:2:'::pg_snapshot",
    "SELECT '5'::xid8::xid, '4294967297'::xid8::xid, pg_typeof('1'::xid8), '1'::xid::text",
    "SELECT 1::xid",
    "SELECT '100:1000:100,200,300,400'::pg_snapshot, '100:1000:'::txid_snapshot,"
    " '100:100:'::pg_snapshot, '100:1000:100,100'::pg_snapshot, ' 100:1000:'::pg_snapshot",
    "SELECT '100:1000:50'::pg_snapshot",
    "SELECT '100:1000:200,100'::pg_snapshot",
    "SELECT '1000:100:'::pg_snapshot",
    "SELECT '0:1:'::pg_snapshot",
    "SELECT '100:1000:1000'::txid_snapshot",
    "SELECT '08:00:2b:01:02:03'::macaddr, '08-00-2B-01-02-03'::macaddr, '08002b:010203'::macaddr,"
    " '08002b-010203'::macaddr, '0800.2b01.0203'::macaddr, '0800-2b01-0203'::macaddr,"
    " '08002b010203'::macaddr, '8:0:2b:1:2:3'::macaddr, ' 08:00:2b:01:02:03 '::macaddr",
    "SELECT '08:00:2b:01:02'::macaddr",
    "SELECT '08:00:2b:01:02:03x'::macaddr",
    "SELECT '08:00:2b:01:02:100'::macaddr",
    "SELECT '08:00:2b:01:02:03'::macaddr < '08:00:2b:01:02:04'::macaddr,"
    " 'AB:cd:ef:01:02:03'::macaddr::text, '08:00:2b:01:02:03'::macaddr = '08002b010203'",
    "CREATE TABLE nics (id int PRIMARY KEY, m macaddr UNIQUE)",
    "INSERT INTO nics VALUES (1, 'ff:00:00:00:00:00'), (2, '00:00:00:00:00:01')",
    "INSERT INTO nics VALUES (3, 'FF-00-00-00-00-00')",
    "SELECT id, m FROM nics ORDER BY m",
    "SELECT ARRAY['1'::xid, '2'], ARRAY['08:00:2b:01:02:03'::macaddr],"
    " ARRAY['100:1000:'::pg_snapshot]",
    "SELECT format_type(28, -1), format_type(5069, -1), format_type(829, -1),"
    " format_type(5038, -1), format_type(2970, -1)",
]


def test_xid_snapshot_and_macaddr_types_match_postgres(differ: Differ) -> None:
    for sql in SCRIPT:
        differ.check(sql)
