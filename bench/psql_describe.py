"""psql 15's describe commands through the real psql binary, against PostgreSQL 15 and db9
loaded with the same schema: how many print the same thing.

    .venv/bin/python -m bench.psql_describe [--show] [--only '\\d+,\\df'] [--port-base N]

Each command runs as ``psql -X -A -F '|' -c <command>`` (unaligned output, so a longer name on
one side does not change the other lines). Before comparing, both outputs are normalised where
the servers legitimately differ (see ``normalise``):

- the bootstrap superuser is ``postgres`` on PostgreSQL and ``admin`` on db9 (the login
  ``local.admin``): both print as ``<owner>`` (so does the database name ``postgres``);
- sizes (``\\dt+``, ``\\l+``, ``\\di+``...) come from different storage: any ``N bytes``/``N kB``/
  ``N MB`` prints as ``<size>``;
- object ids (``\\d+`` of a view prints none, but ``\\dx+`` and error messages may) are not
  compared: a run of 4+ digits prints as ``<oid>``;
- the database list (``\\l``) holds template0/template1 on PostgreSQL only: their lines are
  dropped, and with them the row count.

Prints a table (command, same/different) and the agreement count; ``--show`` prints the diff of
each differing command.
"""

from __future__ import annotations

import argparse
import difflib
import re
import subprocess

from bench.servers import Server, db9_server, free_base, pg_server

PSQL = "/usr/lib/postgresql/15/bin/psql"

SCHEMA = """
CREATE SCHEMA s;
CREATE TABLE t (id serial PRIMARY KEY, name text UNIQUE, n int CHECK (n > 0) DEFAULT 1);
COMMENT ON TABLE t IS 'the t table';
CREATE TABLE c (id int PRIMARY KEY, t_id int REFERENCES t (id), note varchar(20));
CREATE INDEX c_t_idx ON c (t_id);
CREATE TABLE s.other (a bigint, b numeric(10, 2) NOT NULL);
CREATE VIEW v AS SELECT id, name FROM t;
CREATE SEQUENCE sq;
CREATE TABLE p (k int, v text) PARTITION BY RANGE (k);
CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (0) TO (10);
CREATE TYPE mood AS ENUM ('sad', 'happy');
CREATE TYPE pair AS (x int, y int);
CREATE DOMAIN posint AS int CHECK (VALUE > 0);
CREATE FUNCTION add1(i int) RETURNS int LANGUAGE sql AS 'SELECT i + 1';
CREATE VIEW v2 AS SELECT k FROM p;
CREATE ROLE reader;
GRANT SELECT ON t TO reader;
INSERT INTO t (name, n) SELECT 'n' || g, g FROM generate_series(1, 100) g;
"""

COMMANDS = [
    r"\d", r"\d+", r"\dt", r"\dt+", r"\di", r"\di+", r"\ds", r"\dv", r"\dm", r"\dE",
    r"\df", r"\df+", r"\da", r"\dT", r"\dT+", r"\dD", r"\dn", r"\dn+", r"\du", r"\dg",
    r"\dp", r"\z", r"\ddp", r"\dx", r"\dx+", r"\db", r"\dc", r"\dC", r"\dd", r"\dF",
    r"\do", r"\dy", r"\des", r"\l", r"\l+", r"\sf add1", r"\sv v",
    r"\d t", r"\d+ t", r"\d c", r"\d s.other", r"\d v", r"\d+ v", r"\d t_pkey", r"\d sq",
    r"\d p", r"\d+ p", r"\d p1", r"\d mood", r"\d pair", r"\dt s.*", r"\df add1",
]  # fmt: skip

_SIZE = re.compile(r"\b\d+ (bytes|kB|MB|GB)\b")
_OID = re.compile(r"\b\d{4,}\b")


_OWNER = re.compile(r"\b(local\.admin|admin|postgres)\b")


def normalise(text: str, command: str) -> str:
    lines = []
    dropped = command.startswith(r"\l")
    for line in text.splitlines():
        if line.startswith(("template0|", "template1|", "=c/", "postgres=CTc/")):
            dropped = True  # \l: PostgreSQL's template databases (and their ACL lines)
            continue
        if dropped and re.fullmatch(r"\(\d+ rows?\)", line):
            continue  # the row count, which counted them
        line = _OWNER.sub("<owner>", line)
        line = _SIZE.sub("<size>", line)
        line = _OID.sub("<oid>", line)
        lines.append(line)
    return "\n".join(lines)


def psql(server: Server, command: str) -> str:
    res = subprocess.run(
        [PSQL, "-X", "-A", "-F", "|", "-d", server.conninfo, "-c", command],
        env=server.env(), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    return res.stdout + res.stderr


def load(server: Server) -> None:
    out = psql(server, SCHEMA)
    if "ERROR" in out:
        print(f"schema on {server.name}: {out.strip()}")


def run(commands: list[str], show: bool, port_base: int | None) -> tuple[int, list[str]]:
    base = port_base or free_base(2)
    same: list[str] = []
    differ: list[str] = []
    with pg_server(base) as pg, db9_server(base + 1) as db9:
        load(pg)
        load(db9)
        for command in commands:
            a = normalise(psql(pg, command), command)
            b = normalise(psql(db9, command), command)
            if a == b:
                same.append(command)
                continue
            differ.append(command)
            if show:
                print(f"=== {command}")
                diff = difflib.unified_diff(a.splitlines(), b.splitlines(), "postgres", "db9",
                                            lineterm="", n=1)  # fmt: skip
                print("\n".join(list(diff)[:40]))
    return len(same), differ


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--show", action="store_true", help="print the diff of each difference")
    ap.add_argument("--only", default="", help="comma-separated subset of the commands")
    ap.add_argument("--port-base", type=int, default=None)
    args = ap.parse_args(argv)
    commands = [c for c in COMMANDS if not args.only or c in args.only.split(",")]
    n_same, differ = run(commands, args.show, args.port_base)
    print(f"\npsql describe commands: {n_same} of {len(commands)} print the same output")
    print("differ: " + " ".join(differ))


if __name__ == "__main__":
    main()
