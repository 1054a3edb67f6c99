"""pg_dump 15 of a db9 database using extensions: it writes CREATE EXTENSION and COMMENT ON
EXTENSION, not the extensions' types and functions (pg_depend makes them members), and
qualifies columns of them (public.hstore); that dump restores into a new db9 database with
the same data, and into PostgreSQL 15."""

from __future__ import annotations

from bench.servers import db9_server, free_base, pg_server
from tests.dump.test_pg_dump_round_trip import normalised, run

SETUP = """
CREATE EXTENSION hstore;
CREATE EXTENSION citext;
CREATE EXTENSION "uuid-ossp";
CREATE TABLE items (id uuid PRIMARY KEY, name citext UNIQUE, attrs hstore, tags hstore[]);
CREATE INDEX items_attrs ON items USING gin (attrs);
INSERT INTO items (id, name, attrs, tags) VALUES
  ('00000000-0000-0000-0000-000000000001', 'Widget', 'color=>red, "size x"=>NULL',
   ARRAY['a=>1'::hstore]),
  (uuid_generate_v5(uuid_ns_url(), 'x'), 'gadget', '', NULL);
"""


def test_dump_of_extension_objects_restores() -> None:
    base = free_base(2)
    with db9_server(base) as source, pg_server(base + 1) as pg:
        run(source, "psql", "-q", "-v", "ON_ERROR_STOP=1", source.conninfo, stdin=SETUP)
        dump = run(source, "pg_dump", "--no-owner", source.conninfo)
        assert "CREATE EXTENSION IF NOT EXISTS hstore WITH SCHEMA public;" in dump
        assert "COMMENT ON EXTENSION citext IS" in dump
        assert "attrs public.hstore" in dump and "name public.citext" in dump
        assert "CREATE TYPE" not in dump and "CREATE FUNCTION" not in dump
        run(source, "psql", "-q", source.conninfo, "-c", "CREATE DATABASE restored")
        target = source.conninfo.replace("dbname=postgres", "dbname=restored")
        run(source, "psql", "-q", "-v", "ON_ERROR_STOP=1", target, stdin=dump)
        assert normalised(run(source, "pg_dump", "--no-owner", target)) == normalised(dump)
        run(pg, "psql", "-q", "-v", "ON_ERROR_STOP=1", pg.conninfo, stdin=dump)
        got = run(pg, "psql", "-At", pg.conninfo, "-c",
                  "SELECT name, attrs -> 'color', tags FROM items ORDER BY name")  # fmt: skip
        assert got.splitlines() == ["gadget||", 'Widget|red|{"\\"a\\"=>\\"1\\""}']
