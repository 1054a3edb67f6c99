"""GUI tools' and JDBC's catalog queries (tests/sql/gui/catalog_queries.sql: pgjdbc's
DatabaseMetaData, pgAdmin 4's templates, DBeaver's PostgreSQL plugin, the information_schema
views their trees read) on db9 and on a private PostgreSQL 15 with the same schema loaded:
how many give the same rows, modulo oids, sizes, statistics, times and pids
(tests/sql/gui_corpus.py says exactly what is normalised).

    .venv/bin/python -m bench.gui_catalog [--show]
"""

from __future__ import annotations

import argparse
from collections import Counter

from tests.sql.differential import Differ, fresh_public
from tests.sql.gui_corpus import compare, load, queries
from tests.sql.pg import connect, postgres_server


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--show", action="store_true", help="print each differing answer")
    args = ap.parse_args(argv)
    with postgres_server() as conninfo:
        conn = connect(conninfo)
        fresh_public(conn)
        differ = Differ(conn)
        load(differ)
        total: Counter[str] = Counter()
        same: Counter[str] = Counter()
        for q in queries():
            tool = q.source.split(" ")[0]
            total[tool] += 1
            agrees, diff = compare(differ, q)
            same[tool] += agrees
            if not agrees and args.show:
                print(f"-- {q.source}\n{q.sql[:200]}\n{diff[:800]}\n")
        conn.close()
    print("| source | queries | same answer |")
    print("|---|---:|---:|")
    for tool in total:
        print(f"| {tool} | {total[tool]} | {same[tool]} |")
    print(f"| all | {sum(total.values())} | {sum(same.values())} |")


if __name__ == "__main__":
    main()
